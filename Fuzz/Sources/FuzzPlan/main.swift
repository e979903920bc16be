import CLibFuzzer
import GraphIR
import PlanIR

#if canImport(Glibc)
  import Glibc
#endif

/// The plan reader, in the order `ringc verify` runs it: parse, IR verify,
/// the plan header checks, the token layout, the plan verifier (pairing,
/// deadlock, coverage) and, for a plan that verifies, its stats. Any trap is
/// a finding, and so is an error without a location in the file.
func testOneInput(_ bytes: [UInt8]) {
  let file = "fuzz.plan"
  let module: Module
  do {
    module = try Parser.parse(bytes, file: file)
  } catch {
    checkLocated(error.diagnostics, file: file, bytes: bytes)
    return
  }
  let diagnostics = Verifier.diagnose(module)
  checkLocated(diagnostics, file: file, bytes: bytes)
  guard !diagnostics.contains(where: { $0.severity == .error }) else { return }
  do {
    _ = try Plan.check(module)
  } catch {
    checkLocated(error.diagnostics, file: file, bytes: bytes)
    return
  }
  do {
    _ = try Plan.tokens(module)
  } catch {
    checkLocated(error.diagnostics, file: file, bytes: bytes)
  }
  let problems = PlanVerifier.verify(module)
  checkLocated(problems, file: file, bytes: bytes)
  guard !problems.contains(where: { $0.severity == .error }) else { return }
  do {
    _ = try PlanStats(module)
  } catch {
    checkLocated(error.diagnostics, file: file, bytes: bytes)
  }
}

/// Every error points into the input, and rendering it does not trap.
func checkLocated(_ diagnostics: [Diagnostic], file: String, bytes: [UInt8]) {
  for d in diagnostics where d.severity == .error {
    guard let loc = d.location, loc.file == file, loc.offset >= 0, loc.offset <= bytes.count, loc.line >= 1, loc.column >= 1
    else { fatalError("error without a location in the input: \(d.message) at \(String(describing: d.location))") }
  }
  _ = DiagnosticRenderer(sources: [file: bytes]).render(diagnostics)
}

var argc = CommandLine.argc
var argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>? = CommandLine.unsafeArgv
exit(
  LLVMFuzzerRunDriver(&argc, &argv) { data, size in
    testOneInput(data.map { Array(UnsafeBufferPointer(start: $0, count: size)) } ?? [])
    return 0
  })
