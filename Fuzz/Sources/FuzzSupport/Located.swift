import GraphIR

/// Every error points into the input, and rendering it does not trap.
public func checkLocated(_ diagnostics: [Diagnostic], file: String, bytes: [UInt8]) {
  for d in diagnostics where d.severity == .error {
    guard let loc = d.location, loc.file == file, loc.offset >= 0, loc.offset <= bytes.count, loc.line >= 1, loc.column >= 1
    else { fatalError("error without a location in the input: \(d.message) at \(String(describing: d.location))") }
  }
  _ = DiagnosticRenderer(sources: [file: bytes]).render(diagnostics)
}

/// `bytes` parsed and IR-verified as `file`; nil (after checking that every
/// error is located) when either fails.
public func verifiedModule(_ bytes: [UInt8], file: String) -> Module? {
  let module: Module
  do {
    module = try Parser.parse(bytes, file: file)
  } catch {
    checkLocated(error.diagnostics, file: file, bytes: bytes)
    return nil
  }
  let diagnostics = Verifier.diagnose(module)
  checkLocated(diagnostics, file: file, bytes: bytes)
  return diagnostics.contains(where: { $0.severity == .error }) ? nil : module
}
