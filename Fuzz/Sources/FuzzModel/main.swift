import CLibFuzzer
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
