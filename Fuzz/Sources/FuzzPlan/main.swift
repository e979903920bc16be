import CLibFuzzer
import FuzzSupport
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
  guard let module = verifiedModule(bytes, file: file) else { return }
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

var argc = CommandLine.argc
var argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>? = CommandLine.unsafeArgv
exit(
  LLVMFuzzerRunDriver(&argc, &argv) { data, size in
    testOneInput(data.map { Array(UnsafeBufferPointer(start: $0, count: size)) } ?? [])
    return 0
  })
