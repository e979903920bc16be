import CLibFuzzer
import FuzzSupport
import GraphIR

#if canImport(Glibc)
  import Glibc
#endif

/// The model reader: parse, verify, and for a module that verifies, its
/// summary and the printer round trip. Any trap is a finding, and so is an
/// error without a location in the file, or a canonical text that does not
/// parse back to the same module.
func testOneInput(_ bytes: [UInt8]) {
  let file = "fuzz.ir"
  guard let module = verifiedModule(bytes, file: file) else { return }

  _ = ModuleSummary(module)
  let printed = Printer().print(module)
  let reparsed: Module
  do {
    reparsed = try Parser.parse(Array(printed.utf8), file: "printed.ir")
  } catch {
    fatalError("the canonical text does not parse: \(error.diagnostics.map(\.message))\n\(printed)")
  }
  if reparsed != module { fatalError("parse(print(m)) != m\n\(printed)") }
  if Printer().print(reparsed) != printed { fatalError("print(parse(print(m))) != print(m)\n\(printed)") }
  if Verifier.diagnose(reparsed).contains(where: { $0.severity == .error }) {
    fatalError("the canonical text of a verified module does not verify\n\(printed)")
  }
}

var argc = CommandLine.argc
var argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>? = CommandLine.unsafeArgv
exit(
  LLVMFuzzerRunDriver(&argc, &argv) { data, size in
    testOneInput(data.map { Array(UnsafeBufferPointer(start: $0, count: size)) } ?? [])
    return 0
  })
