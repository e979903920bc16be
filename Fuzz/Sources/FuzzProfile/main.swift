import CLibFuzzer
import Simulation

#if canImport(Glibc)
  import Glibc
#endif

/// The device profile reader: libxml2 parses the input, validates it against
/// profiles/device-profile.xsd, then ringc's own checks and unit conversions
/// run. The loader reads a path, so each input goes to one temporary file
/// first. Errors are fine; a trap is a finding.
func testOneInput(_ bytes: [UInt8]) {
  let input = Input.shared
  let written = bytes.withUnsafeBytes { pwrite(input.fd, $0.baseAddress, $0.count, 0) }
  guard ftruncate(input.fd, off_t(bytes.count)) == 0, written == bytes.count else {
    fatalError("cannot write \(input.path)")
  }
  guard let profile = try? ProfileLoader.load(path: input.path, schema: input.schema) else { return }
  _ = profile.devices
  // What a loaded kernel answers the cost model must be a number: every
  // curve at the sizes a plan may ask, every grid at extreme blocks.
  if let kernel = profile.attentionKernel {
    for curve in kernel.curves {
      for seq in [0.0, 1, 100, 4096, 1e6, 4.3e9] where !curve.rate(at: seq).isFinite { fatalError("rate at \(seq)") }
      for (heads, rows) in [(Int64(1), Int64(1)), (32, 1 << 31), (Int64.max, Int64.max)] {
        let o = kernel.occupancy(heads: heads, rows: rows, curveHeadDim: curve.headDim)
        guard o > 0, o <= 1 else { fatalError("occupancy \(o)") }
      }
    }
  }
}

/// The temporary file each input is written to, and the schema.
final class Input: Sendable {
  static let shared = Input()
  let path: String
  let fd: Int32
  let schema: String

  init() {
    guard let schema = ProfileLocator.schema else {
      fatalError("no profiles/device-profile.xsd found: run from the repository root or set RINGC_PROFILES")
    }
    self.schema = schema
    let dir = access("/dev/shm", W_OK) == 0 ? "/dev/shm" : "/tmp"
    var template = Array("\(dir)/ringc-fuzz-profile-XXXXXX.xml".utf8CString)
    let fd = mkstemps(&template, 4)
    guard fd >= 0 else { fatalError("cannot create a temporary file in \(dir)") }
    // Unlinked at once, so nothing is left behind whatever way the run ends;
    // libxml2 opens it again through /proc.
    unlink(template)
    self.fd = fd
    self.path = "/proc/self/fd/\(fd)"
  }
}

var argc = CommandLine.argc
var argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>? = CommandLine.unsafeArgv
exit(
  LLVMFuzzerRunDriver(&argc, &argv) { data, size in
    testOneInput(data.map { Array(UnsafeBufferPointer(start: $0, count: size)) } ?? [])
    return 0
  })
