import GraphIR
import Passes
import PlanIR
import RingcTestSupport

/// The commands RUN lines name, run in-process on today's public API. Every
/// call into GraphIR and Passes is here, so a reorganised API is re-pointed
/// in this one file.
///
/// Every command parses and verifies its input first (`--seq N` sets the
/// sequence length, as `ringc --seq` does) and stops there on an error.
///
/// - `check`: parse and verify; no output.
/// - `print`: parse and verify, then print the canonical form.
/// - `compile --sp N [--strategy S] [--passes P]`: what
///   `ringc compile` does: run the pipeline
///   (verifying after every pass), stamp the plan and verify it; prints it.
/// - `lower --sp N --passes P`: run a pipeline (verifying after every pass)
///   and print the module, which need not be a plan yet.
/// - `verify-plan`: parse a plan, then the IR and plan verifiers; no output.
/// - `split-partials --pieces K`: parse a plan and split every partial that
///   goes straight home into K messages; prints the result.
func runCommand(_ command: RunCommand, input: String, file: String) throws -> CommandResult {
  var options = try Options(command)
  var module: Module
  do {
    module = try Parser.parse(input, file: file)
  } catch {
    return CommandResult(output: "", diagnostics: testDiagnostics(error.diagnostics))
  }
  if let seq = try options.int("seq"), !module.setSequenceLength(Int64(seq)) {
    throw CommandError("--seq: the model has no sequence dimension")
  }
  let problems = Verifier.diagnose(module)
  if problems.contains(where: { $0.severity == .error }) {
    return CommandResult(output: "", diagnostics: testDiagnostics(problems))
  }
  switch command.name {
  case "check":
    try options.done()
    return CommandResult(output: "", diagnostics: testDiagnostics(problems))
  case "print":
    try options.done()
    return CommandResult(output: Printer().print(module), diagnostics: testDiagnostics(problems))
  case "compile":
    let sp = try options.int("sp") ?? 1
    let strategy = try options.value("strategy").map { text in
      guard let s = Strategy(text) else { throw CommandError("unknown --strategy '\(text)'") }
      return s
    } ?? .tokenring
    let passes = options.value("passes")
    try options.done()
    switch compilePlan(module, sp: sp, strategy: strategy, passes: passes) {
    case .success(let plan): return CommandResult(output: Printer().print(plan), diagnostics: testDiagnostics(problems))
    case .failure(let error): return CommandResult(output: "", diagnostics: testDiagnostics(problems + error.diagnostics))
    }
  case "lower":
    var lowered = module
    let sp = try options.int("sp") ?? 1
    guard let pipeline = options.value("passes") else { throw CommandError("lower needs --passes P") }
    try options.done()
    do {
      try PassPipeline(parsing: pipeline).run(&lowered, PassContext(sp: sp), verifyEach: true)
    } catch {
      return CommandResult(output: "", diagnostics: testDiagnostics(problems + error.diagnostics))
    }
    return CommandResult(output: Printer().print(lowered), diagnostics: testDiagnostics(problems))
  case "verify-plan":
    try options.done()
    return CommandResult(output: "", diagnostics: testDiagnostics(problems + PlanVerifier.verify(module)))
  case "split-partials":
    guard let pieces = try options.int("pieces") else { throw CommandError("split-partials needs --pieces K") }
    try options.done()
    let split = PartialSplit.apply(module, to: PartialSplit.candidates(module), pieces: pieces)
    return CommandResult(output: Printer().print(split), diagnostics: testDiagnostics(problems + PlanVerifier.verify(split)))
  default:
    throw CommandError("unknown command '\(command.name)'")
  }
}

/// Diagnostics and their notes, flattened, as the runner sees them.
private func testDiagnostics(_ diagnostics: [Diagnostic]) -> [TestDiagnostic] {
  diagnostics.flatMap { d in
    [d] + d.notes
  }.map { d in
    let severity: TestDiagnostic.Severity =
      switch d.severity {
      case .error: .error
      case .warning: .warning
      case .note: .note
      }
    return TestDiagnostic(severity, line: d.location?.line, column: d.location?.column, d.message)
  }
}

/// `Compiler.compile` with the IR verifier after every pass.
private func compilePlan(_ module: Module, sp: Int, strategy: Strategy, passes: String?) -> Result<Module, CompileError> {
  var instrumentation = PassInstrumentation()
  instrumentation.verifyEach = true
  return Result { () throws(CompileError) -> Module in
    var pipeline: PassPipeline?
    if let passes { pipeline = try PassPipeline(parsing: passes) }
    return try Compiler.compile(module, sp: sp, strategy: strategy, pipeline: pipeline, instrumentation: instrumentation)
  }
}
