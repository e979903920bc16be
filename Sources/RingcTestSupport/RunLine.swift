/// A `// RUN:` line: commands joined by `|`, each given the previous one's
/// output as its input (the first gets the case's text), and two options for
/// the runner itself, which may appear anywhere on the line:
///
/// - `--check-prefix=X`: the check directives of this run are `X:`,
///   `X-NEXT:` and so on (default `CHECK`), so one case can check several runs;
/// - `--verify-diagnostics`: every error and warning the commands report must
///   be announced by an `expected-*` directive, and every directive must be
///   met. Without it, any error fails the run.
///
/// `%s` names the case's text; it is every first command's input, so it may be
/// written for the reader and is otherwise implied. Arguments are separated by
/// spaces; one wrapped in single quotes loses them.
public struct RunLine: Sendable {
  public var line: Int
  public var commands: [RunCommand]
  public var checkPrefix: String
  public var verifiesDiagnostics: Bool

  init?(parsing text: String, line: Int) throws(IRTestFileError) {
    let trimmed = text.trimmingSpaces()
    guard trimmed.hasPrefix("// RUN:") else { return nil }
    self.line = line
    checkPrefix = "CHECK"
    verifiesDiagnostics = false
    commands = []
    for stage in trimmed.dropFirst("// RUN:".count).split(separator: "|") {
      var words: [String] = []
      for word in stage.split(separator: " ") {
        if word.hasPrefix("--check-prefix=") {
          checkPrefix = String(word.dropFirst("--check-prefix=".count))
        } else if word == "--verify-diagnostics" {
          verifiesDiagnostics = true
        } else if word != "%s" {
          words.append(word.count > 1 && word.hasPrefix("'") && word.hasSuffix("'") ? String(word.dropFirst().dropLast()) : String(word))
        }
      }
      guard let name = words.first else { throw IRTestFileError(line: line, message: "empty command in RUN line") }
      commands.append(RunCommand(name: name, arguments: Array(words.dropFirst())))
    }
    if checkPrefix.isEmpty || !checkPrefix.allSatisfy({ $0.isUppercase || $0.isNumber || $0 == "_" }) {
      throw IRTestFileError(line: line, message: "check prefix '\(checkPrefix)' must be upper-case letters, digits or '_'")
    }
  }
}

/// One command of a RUN line, which the test target runs in-process.
public struct RunCommand: Sendable, CustomStringConvertible {
  public var name: String
  public var arguments: [String]
  public init(name: String, arguments: [String]) {
    self.name = name
    self.arguments = arguments
  }
  public var description: String { ([name] + arguments).joined(separator: " ") }
}

/// What a command gives back: its output text and its diagnostics.
public struct CommandResult: Sendable {
  public var output: String
  public var diagnostics: [TestDiagnostic]
  public init(output: String, diagnostics: [TestDiagnostic] = []) {
    self.output = output
    self.diagnostics = diagnostics
  }
}

/// A diagnostic as the runner sees it; `line` is nil for one without a
/// location, `column` nil where the producer gives none.
public struct TestDiagnostic: Sendable, Equatable, CustomStringConvertible {
  public enum Severity: String, Sendable { case error, warning, note }
  public var severity: Severity
  public var line: Int?
  public var column: Int?
  public var message: String

  public init(_ severity: Severity, line: Int?, column: Int? = nil, _ message: String) {
    self.severity = severity
    self.line = line
    self.column = column
    self.message = message
  }

  public var description: String {
    let place = line.map { l in column.map { "\(l):\($0)" } ?? "\(l)" } ?? "unknown location"
    return "\(place): \(severity): \(message)"
  }
}
