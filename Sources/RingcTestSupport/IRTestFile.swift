/// An IR test file: text with directives in `//` comments, split into
/// independent cases at lines that read `// -----`.
///
/// Every case keeps the whole file's line numbering: its text is the file up
/// to the case's last line, with the lines before the case blanked, so a
/// diagnostic's line in a case is its line in the file (and the end of the
/// case's text is the end of its last line).
///
/// RUN lines belong to the case they are written in; a case without any runs
/// the RUN lines of the file's first case, so RUN lines at the top of a file
/// apply to all its cases.
public struct IRTestFile: Sendable {
  /// The file's path, as reports name it.
  public var path: String
  public var cases: [IRTestCase]

  public init(path: String, text: String) throws(IRTestFileError) {
    self.path = path
    let lines = text.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
    var ranges: [Range<Int>] = []
    var start = 0
    for (i, line) in lines.enumerated() where line.trimmingSpaces() == "// -----" {
      ranges.append(start..<i)
      start = i + 1
    }
    ranges.append(start..<lines.count)
    var cases: [IRTestCase] = []
    for range in ranges {
      let text = (0..<range.upperBound).map { range.contains($0) ? lines[$0] : "" }.joined(separator: "\n")
      cases.append(try IRTestCase(text: text, lines: range, inheriting: cases.first?.runs ?? []))
    }
    if cases[0].runs.isEmpty { throw IRTestFileError(line: 1, message: "the file has no RUN line") }
    self.cases = cases
  }
}

/// A malformed directive: where and what.
public struct IRTestFileError: Error, CustomStringConvertible, Sendable {
  public var line: Int
  public var message: String
  public var description: String { "line \(line): \(message)" }
}

/// One case of a file: its text (in whole-file lines) and its directives.
public struct IRTestCase: Sendable {
  /// The 1-based line of the case's first line in the file.
  public var firstLine: Int
  /// The file up to the case's end, earlier cases' lines blanked.
  public var text: String
  public var runs: [RunLine]
  public var checks: [CheckDirective]
  public var expectations: [ExpectedDiagnostic]

  init(text: String, lines range: Range<Int>, inheriting inherited: [RunLine]) throws(IRTestFileError) {
    self.firstLine = range.lowerBound + 1
    self.text = text
    let lines = text.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
    var runs: [RunLine] = []
    var expectations: [ExpectedDiagnostic] = []
    for i in range {
      if let run = try RunLine(parsing: lines[i], line: i + 1) { runs.append(run) }
      if let e = try ExpectedDiagnostic(parsing: lines[i], line: i + 1) { expectations.append(e) }
    }
    self.runs = runs.isEmpty ? inherited : runs
    self.expectations = expectations
    let prefixes = Set(self.runs.map(\.checkPrefix))
    var checks: [CheckDirective] = []
    for i in range {
      if let d = try CheckDirective(parsing: lines[i], line: i + 1, prefixes: prefixes) { checks.append(d) }
    }
    self.checks = checks
  }
}

extension StringProtocol {
  /// Without leading and trailing spaces and tabs.
  func trimmingSpaces() -> String {
    let isSpace: (Character) -> Bool = { $0 == " " || $0 == "\t" }
    return String(drop(while: isSpace).reversed().drop(while: isSpace).reversed())
  }
}
