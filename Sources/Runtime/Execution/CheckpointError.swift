import FoundationEssentials

/// What is wrong with a checkpoint: one problem per file or tensor, each
/// naming the file it is about.
public struct CheckpointError: Error, CustomStringConvertible, Sendable {
  public struct Problem: Sendable, Equatable {
    public var file: String
    public var message: String
    /// The file cannot be opened (sysexits 66), rather than holding the
    /// wrong thing (65).
    public var unreadable: Bool

    public init(file: String, _ message: String, unreadable: Bool = false) {
      self.file = file
      self.message = message
      self.unreadable = unreadable
    }
  }

  public var problems: [Problem]

  public init(_ problems: [Problem]) { self.problems = problems }

  public init(file: String, _ message: String, unreadable: Bool = false) {
    self.init([Problem(file: file, message, unreadable: unreadable)])
  }

  /// The most problems a report lists; a line counts the rest.
  public static let reported = 5

  /// The sysexits code of the first problem.
  public var exitCode: Int32 { problems.first?.unreadable == true ? 66 : 65 }

  public var description: String { problems.map { "\($0.file): \($0.message)" }.joined(separator: "\n") }

  /// `error: FLAG FILE: message`, a line per problem, the first `reported` of them.
  public func report(flag: String) -> String {
    var lines = problems.prefix(Self.reported).map { "error: \(flag) \($0.file): \($0.message)\n" }
    if problems.count > Self.reported {
      lines.append("error: \(flag): \(problems.count - Self.reported) more problems (\(problems.count) in all)\n")
    }
    return lines.joined()
  }

  /// A failure to decode `document`, JSON that should be `expected`, in a
  /// sentence: where in the document, and what.
  static func describe(_ error: any Error, _ document: String, expected: String) -> String {
    guard let e = error as? DecodingError else { return "\(document) is not \(expected): \(error)" }
    func at(_ path: [any CodingKey]) -> String {
      path.isEmpty ? "the top level" : path.map { $0.intValue.map { "[\($0)]" } ?? "'\($0.stringValue)'" }.joined(separator: " ")
    }
    switch e {
    case .dataCorrupted(let c) where c.codingPath.isEmpty: return "\(document) is not valid JSON"
    case .keyNotFound(let key, let c): return "\(document) is not \(expected): \(at(c.codingPath)) has no '\(key.stringValue)'"
    case .typeMismatch(_, let c), .valueNotFound(_, let c), .dataCorrupted(let c):
      return "\(document) is not \(expected): at \(at(c.codingPath)), \(c.debugDescription)"
    @unknown default: return "\(document) is not \(expected): \(e)"
    }
  }
}
