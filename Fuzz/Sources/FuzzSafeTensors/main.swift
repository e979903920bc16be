import CLibFuzzer
import Runtime

#if canImport(Glibc)
  import Glibc
#endif

/// The safetensors reader: the header (length, JSON) and, for a header that
/// reads, every tensor it lists under the shape the file gives it. Each input
/// is read twice: as a file, and as the numbers of a header that is built
/// from it (`Fields`), so the fuzzer reaches shapes and offsets of any size,
/// which mutating JSON text rarely does. Errors are fine; a trap is a finding.
func testOneInput(_ bytes: [UInt8]) {
  read(bytes)
  var fields = Fields(bytes)
  read(fields.file())
}

func read(_ bytes: [UInt8]) {
  guard let file = try? SafeTensors(path: "fuzz.safetensors", bytes: bytes) else { return }
  for (name, shape) in file.shapes {
    _ = try? file.tensor(name, shape: shape)
  }
}

/// A safetensors file whose header is taken from bytes: per tensor (1 to 4)
/// a dtype, a rank (0 to 3), the dims and the two data offsets; the bytes
/// left are the data. A number is one byte, −8 ... 239, or after a byte of
/// 0xF8 or more, eight little-endian bytes of any Int64.
struct Fields {
  var bytes: [UInt8]
  var at = 0

  init(_ bytes: [UInt8]) { self.bytes = bytes }

  mutating func byte() -> UInt8 {
    guard at < bytes.count else { return 0 }
    defer { at += 1 }
    return bytes[at]
  }

  mutating func number() -> Int64 {
    let b = byte()
    if b < 0xF8 { return Int64(b) - 8 }
    return (0..<8).reduce(0) { v, i in v | Int64(byte()) << (8 * i) }
  }

  mutating func file() -> [UInt8] {
    var entries: [String] = []
    for i in 0..<Int(byte() % 4) + 1 {
      let dtype = ["F32", "F16", "BF16", "I8"][Int(byte() % 4)]
      let shape = (0..<Int(byte() % 4)).map { _ in String(number()) }
      let offsets = [String(number()), String(number())]
      entries.append(
        "\"t\(i)\":{\"dtype\":\"\(dtype)\",\"shape\":[\(shape.joined(separator: ","))],"
          + "\"data_offsets\":[\(offsets.joined(separator: ","))]}")
    }
    let header = Array(("{" + entries.joined(separator: ",") + "}").utf8)
    let length = (0..<8).map { UInt8(truncatingIfNeeded: header.count >> (8 * $0)) }
    return length + header + bytes[min(at, bytes.count)...]
  }
}

var argc = CommandLine.argc
var argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>? = CommandLine.unsafeArgv
exit(
  LLVMFuzzerRunDriver(&argc, &argv) { data, size in
    testOneInput(data.map { Array(UnsafeBufferPointer(start: $0, count: size)) } ?? [])
    return 0
  })
