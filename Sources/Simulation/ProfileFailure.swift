import GraphIR

extension ProfileLoader {
  /// Why a profile cannot be used: located errors (the file, and the line
  /// and column of the offending value), and whether the file was wrong or
  /// could not be opened.
  public struct Failure: Error, CustomStringConvertible, Sendable {
    public enum Kind: Sendable {
      /// The profile is malformed or holds a value out of range (exit 65).
      case malformed
      /// The file is missing, unreadable or no regular file (exit 66).
      case unreadable
    }

    public var diagnostics: [Diagnostic]
    public var kind: Kind

    public init(_ diagnostics: [Diagnostic], kind: Kind = .malformed) {
      self.diagnostics = diagnostics
      self.kind = kind
    }

    public init(_ message: String, at location: SourceLocation? = nil, kind: Kind = .malformed) {
      self.init([.error(message, at: location)], kind: kind)
    }

    /// One `FILE:LINE:COL: error: …` line per diagnostic.
    public var description: String {
      diagnostics.map { d in "\(d.location.map { "\($0): " } ?? "")error: \(d.message)" }.joined(separator: "\n")
    }
  }
}
