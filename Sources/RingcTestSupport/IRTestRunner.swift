/// Runs one command of a RUN line: its input text (the case's, or the
/// previous command's output) and the file's path, for diagnostics.
public typealias IRCommandRunner = (_ command: RunCommand, _ input: String, _ file: String) throws -> CommandResult

extension IRTestFile {
  /// Runs every case with each of its RUN lines and checks the directives;
  /// nil when all hold, else a report of what failed.
  public func run(_ runCommand: IRCommandRunner) -> IRTestReport? {
    var failures: [IRTestReport.Failure] = []
    for c in cases {
      if !c.expectations.isEmpty, !c.runs.contains(where: \.verifiesDiagnostics) {
        failures.append(.init(caseLine: c.firstLine, run: nil, problems: ["\(path):\(c.expectations[0].directiveLine): expected-* directives, but no RUN line has --verify-diagnostics"]))
      }
      for run in c.runs {
        var result = CommandResult(output: c.text)
        var problems: [String] = []
        for command in run.commands {
          do {
            let next = try runCommand(command, result.output, path)
            result = CommandResult(output: next.output, diagnostics: result.diagnostics + next.diagnostics)
          } catch {
            problems.append("'\(command)' failed: \(error)")
          }
          if !problems.isEmpty || result.diagnostics.contains(where: { $0.severity == .error }) { break }
        }
        if problems.isEmpty {
          problems = check(c, run, result)
        }
        if !problems.isEmpty {
          failures.append(.init(caseLine: c.firstLine, run: run, problems: problems, output: result.output, diagnostics: result.diagnostics))
        }
      }
    }
    return failures.isEmpty ? nil : IRTestReport(file: path, failures: failures)
  }

  private func check(_ c: IRTestCase, _ run: RunLine, _ result: CommandResult) -> [String] {
    var problems: [String] = []
    if run.verifiesDiagnostics {
      problems += ExpectedDiagnostic.mismatches(c.expectations, result.diagnostics, file: path)
    } else {
      problems += result.diagnostics.filter { $0.severity == .error }.map { "\(path):\($0.line.map(String.init) ?? "?"): unexpected \($0)" }
    }
    let directives = c.checks.filter { $0.prefix == run.checkPrefix }
    if directives.isEmpty, run.checkPrefix != "CHECK" {
      problems.append("\(path):\(run.line): no \(run.checkPrefix): directive in this case")
    }
    do {
      try FileCheck(directives: directives).match(result.output, file: path)
    } catch {
      problems.append(error.message)
    }
    return problems
  }
}

/// What failed in a file, readably: each failing case and run, the problems,
/// the output and the diagnostics.
public struct IRTestReport: CustomStringConvertible, Sendable {
  public struct Failure: Sendable {
    /// The case's first line in the file.
    public var caseLine: Int
    /// The RUN line, or nil for a problem of the case itself.
    public var run: RunLine?
    public var problems: [String]
    public var output = ""
    public var diagnostics: [TestDiagnostic] = []
  }

  public var file: String
  public var failures: [Failure]

  public var description: String {
    failures.map { f in
      var text = "\(file): case at line \(f.caseLine)"
      if let run = f.run { text += ", RUN line \(run.line) (\(run.commands.map(\.description).joined(separator: " | ")))" }
      text += ":\n" + f.problems.map { "  " + $0 + "\n" }.joined()
      if !f.diagnostics.isEmpty { text += "  diagnostics:\n" + f.diagnostics.map { "  | \($0)\n" }.joined() }
      if f.run != nil {
        let lines = f.output.split(separator: "\n", omittingEmptySubsequences: false).drop(while: \.isEmpty)
        text += "  output:\n" + lines.map { "  | \($0)\n" }.joined()
      }
      return text
    }.joined(separator: "\n")
  }
}
