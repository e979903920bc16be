/// A tensor to write into a test checkpoint: F32, F16, BF16 (rounded toward
/// zero) or F64, little-endian as safetensors stores them.
public struct TestTensor: Sendable {
  public var name: String
  public var dtype: String
  public var shape: [Int]
  public var values: [Float]

  public init(_ name: String, _ shape: [Int], dtype: String = "F32", values: [Float]) {
    precondition(values.count == shape.reduce(1, *), "\(name): \(values.count) values for shape \(shape)")
    self.name = name
    self.dtype = dtype
    self.shape = shape
    self.values = values
  }

  /// `shape` filled with small values that differ element by element and
  /// tensor by tensor, so a transposed or misplaced tensor changes results.
  public init(_ name: String, _ shape: [Int], dtype: String = "F32", seed: UInt64) {
    var random = SplitMix64(state: seed)
    let count = shape.reduce(1, *)
    self.init(name, shape, dtype: dtype, values: (0..<count).map { _ in Float(Int(random.next() % 65) - 32) / 128 })
  }

  var data: [UInt8] {
    func bytes<T: FixedWidthInteger>(_ v: T) -> [UInt8] { (0..<T.bitWidth / 8).map { UInt8(truncatingIfNeeded: v >> (8 * $0)) } }
    return values.flatMap { v -> [UInt8] in
      switch dtype {
      case "F16": bytes(Float16(v).bitPattern)
      case "BF16": bytes(UInt16(v.bitPattern >> 16))
      case "F64": bytes(Double(v).bitPattern)
      default: bytes(v.bitPattern)
      }
    }
  }
}

/// Safetensors files written byte by byte: the 8-byte header length, the
/// JSON header padded with spaces to 8 bytes, the data.
public enum SafeTensorsWriter {
  public static func file(_ tensors: [TestTensor]) -> [UInt8] {
    var entries = ["\"__metadata__\":{\"format\":\"pt\"}"]
    var data: [UInt8] = []
    for t in tensors {
      let bytes = t.data
      entries.append(
        "\"\(t.name)\":{\"dtype\":\"\(t.dtype)\",\"shape\":\(t.shape),\"data_offsets\":[\(data.count),\(data.count + bytes.count)]}")
      data += bytes
    }
    var header = Array(("{" + entries.joined(separator: ",") + "}").utf8)
    header += Array(repeating: UInt8(ascii: " "), count: (8 - header.count % 8) % 8)
    return (0..<8).map { UInt8(truncatingIfNeeded: header.count >> (8 * $0)) } + header + data
  }

  /// `model.safetensors.index.json` for shards (file name → tensors).
  public static func index(_ shards: [(file: String, tensors: [TestTensor])]) -> String {
    let map = shards.flatMap { shard in shard.tensors.map { "\"\($0.name)\": \"\(shard.file)\"" } }
    return "{\"metadata\": {\"total_size\": 0}, \"weight_map\": {\(map.joined(separator: ", "))}}"
  }
}

/// The checkpoint of `Tests/IRTextTests/Inputs/lm-ends.ir`: its embedding
/// table (which the tied head reads too) and both layers' q projections,
/// one tensor per shard of a three-shard directory.
public enum LMEndsCheckpoint {
  public static let embed = TestTensor("model.embed_tokens.weight", [32, 8], seed: 1)
  public static let q0 = TestTensor("model.layers.0.self_attn.q_proj.weight", [8, 8], seed: 2)
  public static let q1 = TestTensor("model.layers.1.self_attn.q_proj.weight", [8, 8], seed: 3)
  public static let shards = [
    (file: "model-00001-of-00003.safetensors", tensors: [embed]),
    (file: "model-00002-of-00003.safetensors", tensors: [q0]),
    (file: "model-00003-of-00003.safetensors", tensors: [q1]),
  ]
}
