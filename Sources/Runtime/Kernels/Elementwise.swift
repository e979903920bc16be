#if canImport(Glibc)
  import Glibc
#endif

/// Token-local ops: elementwise math, norms over the last axis, RoPE.
/// Shapes: x is `[rows, width]` viewed flat; norms and softmax work per row.
enum Elementwise {
  /// `a op b` with `b` broadcast over `a`'s leading dimensions.
  static func broadcast(_ a: Tensor, _ b: Tensor, _ f: (Float, Float) -> Float) -> Tensor {
    let out = Tensor(uninitialized: a.shape)
    let inner = b.count
    for i in 0..<a.count { out[i] = f(a[i], b[i % inner]) }
    return out
  }

  static func map(_ x: Tensor, _ f: (Float) -> Float) -> Tensor {
    let out = Tensor(uninitialized: x.shape)
    for i in 0..<x.count { out[i] = f(x[i]) }
    return out
  }

  static func silu(_ v: Float) -> Float { v / (1 + exp(-v)) }

  static func gelu(_ v: Float, tanhApproximation: Bool) -> Float {
    if tanhApproximation {
      let c: Float = 0.797_884_560_802_865_4  // √(2/π)
      return 0.5 * v * (1 + tanh(c * (v + 0.044715 * v * v * v)))
    }
    return 0.5 * v * (1 + erff(v * 0.707_106_781_186_547_5))
  }

  static func swiglu(_ g: Tensor, _ u: Tensor) -> Tensor {
    let out = Tensor(uninitialized: g.shape)
    for i in 0..<g.count { out[i] = silu(g[i]) * u[i] }
    return out
  }

  /// `x / sqrt(mean(x²) + eps) · g` per row.
  static func rmsnorm(_ x: Tensor, _ g: Tensor, eps: Float) -> Tensor {
    let width = x.shape.last!
    let out = Tensor(uninitialized: x.shape)
    for row in 0..<(x.count / width) {
      let base = row * width
      var sum: Float = 0
      for c in 0..<width { sum += x[base + c] * x[base + c] }
      let inv = 1 / (sum / Float(width) + eps).squareRoot()
      for c in 0..<width { out[base + c] = x[base + c] * inv * g[c] }
    }
    return out
  }

  /// `(x − mean) / sqrt(var + eps)` per row, then `· g + b` if given.
  static func layernorm(_ x: Tensor, _ g: Tensor?, _ b: Tensor?, eps: Float) -> Tensor {
    let width = x.shape.last!
    let out = Tensor(uninitialized: x.shape)
    for row in 0..<(x.count / width) {
      let base = row * width
      var mean: Float = 0
      for c in 0..<width { mean += x[base + c] }
      mean /= Float(width)
      var variance: Float = 0
      for c in 0..<width { variance += (x[base + c] - mean) * (x[base + c] - mean) }
      let inv = 1 / (variance / Float(width) + eps).squareRoot()
      for c in 0..<width {
        var y = (x[base + c] - mean) * inv
        if let g, let b { y = y * g[c] + b[c] }
        out[base + c] = y
      }
    }
    return out
  }

  static func softmax(_ x: Tensor) -> Tensor {
    let width = x.shape.last!
    let out = Tensor(uninitialized: x.shape)
    for row in 0..<(x.count / width) {
      let base = row * width
      var m = -Float.infinity
      for c in 0..<width { m = max(m, x[base + c]) }
      var sum: Float = 0
      for c in 0..<width {
        let e = exp(x[base + c] - m)
        out[base + c] = e
        sum += e
      }
      for c in 0..<width { out[base + c] /= sum }
    }
    return out
  }

  /// Rotate-half RoPE on `[S, H, D]` with each row's global position.
  /// `frequencies[i]` is ω_i, radians per position of rotation pair i (`Rope.frequency`).
  static func rope(_ x: Tensor, positions: Tensor, frequencies: [Double]) -> Tensor {
    let (s, h, d) = (x.shape[0], x.shape[1], x.shape[2])
    let half = d / 2
    let out = Tensor(uninitialized: x.shape)
    var cosines = [Float](repeating: 0, count: half)
    var sines = [Float](repeating: 0, count: half)
    for t in 0..<s {
      let pos = Double(positions[t])
      for i in 0..<half {
        // Angles in double: positions reach millions, where f32 loses the phase.
        let f = pos * frequencies[i]
        cosines[i] = Float(cos(f))
        sines[i] = Float(sin(f))
      }
      for head in 0..<h {
        let base = (t * h + head) * d
        for i in 0..<half {
          let a = x[base + i]
          let b = x[base + i + half]
          out[base + i] = a * cosines[i] - b * sines[i]
          out[base + i + half] = b * cosines[i] + a * sines[i]
        }
      }
    }
    return out
  }

  /// Rows `start ..< start + len` of axis 0.
  static func slice(_ x: Tensor, start: Int, len: Int) -> Tensor {
    let out = Tensor(uninitialized: [len] + x.shape.dropFirst())
    let row = x.rowSize
    out.pointer.update(from: x.pointer + start * row, count: len * row)
    return out
  }
}
