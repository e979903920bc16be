/// Moving blocks of row-major tensors: split along an axis, concatenate along
/// an axis, repeat heads. Used by the collectives and by RSA's score rows.
enum Layout {
  /// (elements before the axis, elements after it) of `shape`.
  private static func around(_ shape: [Int], _ axis: Int) -> (outer: Int, inner: Int) {
    (shape[..<axis].reduce(1, *), shape[(axis + 1)...].reduce(1, *))
  }

  /// Cuts `x` along `axis` into parts of `sizes`, each packed contiguously.
  static func split(_ x: Tensor, axis: Int, sizes: [Int]) -> [[Float]] {
    let (outer, inner) = around(x.shape, axis)
    let extent = x.shape[axis]
    var start = 0
    return sizes.map { size in
      var part = [Float](repeating: 0, count: outer * size * inner)
      part.withUnsafeMutableBufferPointer { out in
        for o in 0..<outer {
          (out.baseAddress! + o * size * inner).update(from: x.pointer + (o * extent + start) * inner, count: size * inner)
        }
      }
      start += size
      return part
    }
  }

  /// Joins `parts` (packed, each of `shape` with its own extent along `axis`) into `shape`.
  static func concat(_ parts: [[Float]], axis: Int, shape: [Int]) -> Tensor {
    let out = Tensor(uninitialized: shape)
    let (outer, inner) = around(shape, axis)
    let extent = shape[axis]
    var start = 0
    for part in parts {
      let size = part.count / max(outer * inner, 1)
      part.withUnsafeBufferPointer { p in
        for o in 0..<outer {
          (out.pointer + (o * extent + start) * inner).update(from: p.baseAddress! + o * size * inner, count: size * inner)
        }
      }
      start += size
    }
    return out
  }

  /// `[n, KVH, D]` → `[n, KVH·f, D]`: head j is head ⌊j / f⌋.
  static func repeatHeads(_ x: Tensor, factor: Int) -> Tensor {
    let (n, h, d) = (x.shape[0], x.shape[1], x.shape[2])
    let out = Tensor(uninitialized: [n, h * factor, d])
    for t in 0..<n {
      for j in 0..<(h * factor) {
        (out.pointer + (t * h * factor + j) * d).update(from: x.pointer + (t * h + j / factor) * d, count: d)
      }
    }
    return out
  }

  /// The transpose of a matrix `[r, c]`: `[c, r]`.
  static func transpose(_ x: Tensor) -> Tensor {
    let (r, c) = (x.shape[0], x.shape[1])
    let out = Tensor(uninitialized: [c, r])
    // In tiles of 32 × 32, so both sides stay in cache.
    for i0 in stride(from: 0, to: r, by: 32) {
      for j0 in stride(from: 0, to: c, by: 32) {
        for i in i0..<min(i0 + 32, r) {
          for j in j0..<min(j0 + 32, c) { out[j * r + i] = x[i * c + j] }
        }
      }
    }
    return out
  }
}
