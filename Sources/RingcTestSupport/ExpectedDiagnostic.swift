/// An `expected-error`, `expected-warning` or `expected-note` directive.
///
/// `// expected-error {{text}}` expects an error on its own line whose message
/// contains `text`; `@+N` and `@-N` move the line (`@+1`: the next line), and
/// `@unknown` expects one without a location. A `:C` after that (or after the
/// name: `expected-error:19`) also requires column C.
///
/// Errors and warnings must all be expected; notes are checked only where a
/// directive expects one, since most errors carry explanatory notes.
public struct ExpectedDiagnostic: Sendable {
  /// The directive's own line.
  public var directiveLine: Int
  public var severity: TestDiagnostic.Severity
  /// The line the diagnostic must be on; nil for `@unknown`.
  public var line: Int?
  public var column: Int?
  public var message: String

  init?(parsing text: String, line: Int) throws(IRTestFileError) {
    guard let match = text.firstMatch(of: Self.syntax) else { return nil }
    directiveLine = line
    severity = TestDiagnostic.Severity(rawValue: String(match.output.1))!
    switch match.output.2 {
    case nil: self.line = line
    case "unknown"?: self.line = nil
    case let offset?: self.line = line + Int(offset)!
    }
    column = match.output.3.map { Int($0)! }
    guard let message = match.output.4 else {
      throw IRTestFileError(line: line, message: "expected-\(severity) needs a message in {{…}}")
    }
    self.message = String(message)
  }

  nonisolated(unsafe) private static let syntax =
    #/// *expected-(error|warning|note)(?:@([+-][0-9]+|unknown))?(?::([0-9]+))?(?: *\{\{(.*?)\}\})?/#

  func matches(_ d: TestDiagnostic) -> Bool {
    d.severity == severity && d.line == line && (column == nil || d.column == column) && d.message.contains(message)
  }

  var place: String {
    let at = line.map { l in column.map { "line \(l), column \($0)" } ?? "line \(l)" } ?? "an unknown location"
    return "\(severity) at \(at)"
  }

  /// What does not agree between `expectations` and what a run reported, one
  /// sentence each, prefixed by `file:line`.
  static func mismatches(_ expectations: [ExpectedDiagnostic], _ diagnostics: [TestDiagnostic], file: String) -> [String] {
    var unmatched = diagnostics
    var problems: [String] = []
    for e in expectations {
      if let i = unmatched.firstIndex(where: e.matches) {
        unmatched.remove(at: i)
      } else {
        let near = diagnostics.filter { $0.severity == e.severity && $0.line == e.line }
        problems.append(
          "\(file):\(e.directiveLine): expected \(e.place) containing '\(e.message)' was not produced"
            + (near.isEmpty ? "" : "; on that line: " + near.map { "'\($0.message)'" + ($0.column.map { " at column \($0)" } ?? "") }.joined(separator: ", ")))
      }
    }
    for d in unmatched where d.severity != .note {
      problems.append("\(file):\(d.line.map(String.init) ?? "?"): unexpected \(d)")
    }
    return problems
  }
}
