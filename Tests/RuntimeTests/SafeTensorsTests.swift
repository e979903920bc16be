import Runtime
import Testing

/// The safetensors reader on hostile headers: every bad size or offset is an
/// error that names the tensor, never a trap. The headers are the fuzz
/// target's findings (Fuzz/README.md).
@Suite struct SafeTensorsTests {
  /// A file with one tensor `w` whose header fields are spelled as given.
  static func file(dtype: String = "F32", shape: String, offsets: String, data: [UInt8]) -> [UInt8] {
    let header = Array("{\"w\":{\"dtype\":\"\(dtype)\",\"shape\":\(shape),\"data_offsets\":\(offsets)}}".utf8)
    return (0..<8).map { UInt8(truncatingIfNeeded: header.count >> (8 * $0)) } + header + data
  }

  static func failure(_ bytes: [UInt8], shape: [Int]) -> String? {
    do {
      _ = try SafeTensors(path: "w.safetensors", bytes: bytes).tensor("w", shape: shape)
      return nil
    } catch {
      return "\(error)"
    }
  }

  @Test func aWellFormedTensorReads() throws {
    let one = Float(1).bitPattern, two = Float(-2).bitPattern
    let data = [one, two].flatMap { v in (0..<4).map { UInt8(truncatingIfNeeded: v >> (8 * $0)) } }
    let t = try SafeTensors(path: "w.safetensors", bytes: Self.file(shape: "[2]", offsets: "[0,8]", data: data))
      .tensor("w", shape: [2])
    #expect(t[0] == 1 && t[1] == -2)
    #expect(try SafeTensors(path: "w.safetensors", bytes: Self.file(shape: "[2]", offsets: "[0,8]", data: data)).shapes == ["w": [2]])
  }

  @Test func offsetsNearIntMaxAreRejected() {
    // The start of the data overflowed: the data begins past the end of any file.
    let bytes = Self.file(shape: "[1]", offsets: "[9223372036854775800,9223372036854775804]", data: [0, 0, 0, 0])
    #expect(Self.failure(bytes, shape: [1])?.contains("tensor 'w' data offsets") == true)
  }

  @Test func offsetsWhoseDifferenceOverflowsAreRejected() {
    let bytes = Self.file(shape: "[1]", offsets: "[-9223372036854775808,4]", data: [0, 0, 0, 0])
    #expect(Self.failure(bytes, shape: [1])?.contains("tensor 'w' data offsets") == true)
  }

  @Test func shapesWhoseElementCountOverflowsAreRejected() {
    let bytes = Self.file(shape: "[4611686018427387904,4]", offsets: "[0,0]", data: [])
    #expect(Self.failure(bytes, shape: [4_611_686_018_427_387_904, 4])?.contains("which is no tensor's shape") == true)
  }

  @Test func shapesWhoseByteCountOverflowsAreRejected() {
    let bytes = Self.file(shape: "[4611686018427387904]", offsets: "[0,0]", data: [])
    #expect(Self.failure(bytes, shape: [4_611_686_018_427_387_904])?.contains("tensor 'w' data offsets") == true)
  }

  @Test func negativeDimensionsAreRejected() {
    // −1 elements of 4 bytes matched the offsets [4, 0].
    let bytes = Self.file(shape: "[-1]", offsets: "[4,0]", data: [0, 0, 0, 0])
    #expect(Self.failure(bytes, shape: [-1])?.contains("which is no tensor's shape") == true)
  }
}
