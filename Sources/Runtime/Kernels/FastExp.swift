/// exp(x) for a vector of floats, to about 2 ulp, without a libm call per
/// element: x = n·ln2 + r with |r| ≤ ln2/2, exp(r) by a degree-6 polynomial,
/// 2ⁿ by building the exponent bits. Inputs below −87 give 0 (−∞ included).
///
/// The attention kernel calls it on every score; libm's expf there costs
/// more than the matrix products.
enum FastExp {
  typealias V = SIMD8<Float>

  @inline(__always)
  static func exp(_ x: V) -> V {
    var clamped = x.replacing(with: 88.7, where: x .> 88.7)
    clamped.replace(with: -87.3, where: x .< -87.3)
    // Adding 1.5·2²³ rounds to an integer held in the low mantissa bits
    // (no generic float→int conversion, which Swift does not vectorise).
    let shifter = V(repeating: 12_582_912)
    let t = clamped * 1.442_695_040_888_963_4 + shifter
    let n = t - shifter
    // r = x − n·ln2, in two parts for accuracy (Cody–Waite).
    var r = clamped - n * 0.693_145_751_953_125
    r = r - n * 1.428_606_765_330_187_045e-6
    var p = V(repeating: 1.987_569_150_08e-4)
    p = p * r + 1.398_199_950_7e-3
    p = p * r + 8.333_451_907_3e-3
    p = p * r + 4.166_579_589_4e-2
    p = p * r + 1.666_666_545_9e-1
    p = p * r + 5.000_000_120_1e-1
    p = p * r * r + r + 1
    // t's bit pattern is 0x4B40_0000 + n; 2ⁿ has exponent bits n + 127.
    let bits = unsafeBitCast(t, to: SIMD8<UInt32>.self) &- 0x4B40_0000 &+ 127
    let scale = unsafeBitCast(bits &<< 23, to: V.self)
    return (p * scale).replacing(with: 0, where: x .< -87.3)
  }

  /// The largest of `count` floats (−∞ for none).
  @inline(__always)
  static func maximum(_ buffer: UnsafeMutablePointer<Float>, count: Int) -> Float {
    var top = V(repeating: -.infinity)
    var i = 0
    while i + 8 <= count {
      let v = UnsafeMutableRawPointer(buffer + i).loadUnaligned(as: V.self)
      top = top.replacing(with: v, where: v .> top)
      i += 8
    }
    var result = top.max()
    while i < count {
      result = Swift.max(result, buffer[i])
      i += 1
    }
    return result
  }

  /// Replaces each `buffer[i]` by exp(buffer[i] − shift), returning their sum.
  @inline(__always)
  static func expShiftedSum(_ buffer: UnsafeMutablePointer<Float>, count: Int, shift: Float) -> Float {
    var sum = V(repeating: 0)
    var i = 0
    let s = V(repeating: shift)
    while i + 8 <= count {
      let raw = UnsafeMutableRawPointer(buffer + i)
      let e = exp(raw.loadUnaligned(as: V.self) - s)
      raw.storeBytes(of: e, as: V.self)
      sum += e
      i += 8
    }
    var tail = sum.sum()
    while i < count {
      var v = V(repeating: -.infinity)
      v[0] = buffer[i] - shift
      let e = exp(v)[0]
      buffer[i] = e
      tail += e
      i += 1
    }
    return tail
  }
}
