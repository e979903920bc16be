import CLibFuzzer
import Runtime

#if canImport(Glibc)
  import Glibc
#endif

/// The safetensors reader: the header (length, JSON) and, for a header that
/// reads, every tensor it lists under the shape the file gives it. Errors
/// are fine; a trap is a finding.
func testOneInput(_ bytes: [UInt8]) {
  guard let file = try? SafeTensors(path: "fuzz.safetensors", bytes: bytes) else { return }
  for (name, shape) in file.shapes {
    _ = try? file.tensor(name, shape: shape)
  }
}

var argc = CommandLine.argc
var argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>? = CommandLine.unsafeArgv
exit(
  LLVMFuzzerRunDriver(&argc, &argv) { data, size in
    testOneInput(data.map { Array(UnsafeBufferPointer(start: $0, count: size)) } ?? [])
    return 0
  })
