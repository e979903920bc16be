/// Deterministic inputs and weights that any rank can produce for exactly its
/// own slice, with no communication: element i of tensor `name` (instance
/// `layer`) is a pure function of (seed, name, layer, i) — a counter-based
/// generator (SplitMix64 of a keyed counter), not a stream.
///
/// - matrices `[K, N]`: uniform with variance 1/K (scaled by √(3/K));
/// - vectors (norm gains, biases, modulation): 1 + 0.1·u;
/// - inputs: u, uniform in [−1, 1), indexed by global token so that a shard
///   equals the same rows of the whole; token ids (`i32` inputs) uniform in
///   `0 ..< vocabulary`, likewise by global token.
public struct Initializer: Sendable {
  public var seed: UInt64

  public init(seed: UInt64) { self.seed = seed }

  /// A 64-bit key for a named tensor instance (FNV-1a).
  func key(_ name: String, _ layer: Int?) -> UInt64 {
    var h: UInt64 = 0xcbf2_9ce4_8422_2325 ^ seed
    for b in name.utf8 {
      h ^= UInt64(b)
      h &*= 0x100_0000_01b3
    }
    h ^= UInt64(bitPattern: Int64(layer ?? -1))
    h &*= 0x100_0000_01b3
    return h
  }

  /// Uniform in [−1, 1) for element `index` of the keyed tensor.
  @inline(__always)
  static func uniform(_ key: UInt64, _ index: Int) -> Float {
    var z = key &+ UInt64(bitPattern: Int64(index)) &* 0x9E37_79B9_7F4A_7C15
    z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
    z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
    z ^= z >> 31
    return Float(z >> 40) * (2 / Float(1 << 24)) - 1
  }

  public func weight(_ name: String, layer: Int?, shape: [Int]) -> Tensor {
    let t = Tensor(shape: shape)
    let k = key(name, layer)
    if shape.count >= 2 {
      let scale = (3 / Float(shape[0])).squareRoot()
      for i in 0..<t.count { t[i] = Self.uniform(k, i) * scale }
    } else {
      for i in 0..<t.count { t[i] = 1 + 0.1 * Self.uniform(k, i) }
    }
    return t
  }

  /// Rows of input `name` for the given global token positions.
  public func input(_ name: String, shape: [Int], tokens: [Int64]) -> Tensor {
    let t = Tensor(shape: shape)
    let k = key("input/" + name, nil)
    let row = t.rowSize
    for (r, token) in tokens.enumerated() {
      for c in 0..<row { t[r * row + c] = Self.uniform(k, Int(token) * row + c) }
    }
    return t
  }

  /// Token ids of input `name` for the given global token positions.
  public func tokenIds(_ name: String, vocabulary: Int, tokens: [Int64]) -> Tensor {
    let k = key("input/" + name, nil)
    return Tensor(
      shape: [tokens.count],
      values: tokens.map { token in Float(min(Int((Self.uniform(k, Int(token)) + 1) / 2 * Float(vocabulary)), vocabulary - 1)) })
  }
}
