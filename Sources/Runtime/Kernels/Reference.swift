#if canImport(Glibc)
  import Glibc
#endif
import GraphIR

/// Slow, obvious versions of the kernels, in Double, to test the fast ones
/// against (llm.c's CPU reference idea).
public enum Reference {
  public static func matmul(_ a: Tensor, _ b: Tensor) -> Tensor {
    let (k, n) = (b.shape[0], b.shape[1])
    let m = a.count / k
    let out = Tensor(shape: Array(a.shape.dropLast()) + [n])
    for i in 0..<m {
      for j in 0..<n {
        var s = 0.0
        for x in 0..<k { s += Double(a[i * k + x]) * Double(b[x * n + j]) }
        out[i * n + j] = Float(s)
      }
    }
    return out
  }

  /// Attention of q rows against k rows by global positions: (out, lse).
  public static func attention(
    q: Tensor, k: Tensor, v: Tensor, qPositions: [Int64], kPositions: [Int64], mask: Mask, scale: Double
  ) -> (out: Tensor, lse: Tensor) {
    let (n, h, d) = (q.shape[0], q.shape[1], q.shape[2])
    let (m, kvh, dv) = (k.shape[0], k.shape[1], v.shape[2])
    let out = Tensor(shape: [n, h, dv])
    let lse = Tensor(shape: [h, n])
    for head in 0..<h {
      let g = head / (h / kvh)
      for i in 0..<n {
        var scores = [Double](repeating: -.infinity, count: m)
        for j in 0..<m where mask.visible(qPositions[i], kPositions[j]) {
          var s = 0.0
          for x in 0..<d { s += Double(q[(i * h + head) * d + x]) * Double(k[(j * kvh + g) * d + x]) }
          scores[j] = s * scale
        }
        let top = scores.max() ?? -.infinity
        if top == -.infinity {
          lse[head * n + i] = -.infinity
          continue
        }
        let weights = scores.map { exp($0 - top) }
        let sum = weights.reduce(0, +)
        lse[head * n + i] = Float(top + log(sum))
        for c in 0..<dv {
          var acc = 0.0
          for j in 0..<m { acc += weights[j] * Double(v[(j * kvh + g) * dv + c]) }
          out[(i * h + head) * dv + c] = Float(acc / sum)
        }
      }
    }
    return (out, lse)
  }
}

extension Reference {
  /// Rotate-half RoPE written out per element, in Double.
  public static func rope(_ x: Tensor, positions: [Int64], rope: Rope) -> Tensor {
    let (s, h, d) = (x.shape[0], x.shape[1], x.shape[2])
    let out = Tensor(shape: x.shape)
    for t in 0..<s {
      for head in 0..<h {
        for i in 0..<d {
          let pair = i < d / 2 ? i + d / 2 : i - d / 2
          let f = Double(positions[t]) * rope.frequency(i % (d / 2), headDim: d)
          let a = Double(x[(t * h + head) * d + i])
          let b = Double(x[(t * h + head) * d + pair])
          out[(t * h + head) * d + i] = Float(i < d / 2 ? a * cos(f) - b * sin(f) : a * cos(f) + b * sin(f))
        }
      }
    }
    return out
  }

  public static func rmsnorm(_ x: Tensor, _ g: Tensor, eps: Double) -> Tensor {
    let w = x.shape.last!
    let out = Tensor(shape: x.shape)
    for row in 0..<(x.count / w) {
      let ms = (0..<w).reduce(0.0) { $0 + Double(x[row * w + $1]) * Double(x[row * w + $1]) } / Double(w)
      for c in 0..<w { out[row * w + c] = Float(Double(x[row * w + c]) / (ms + eps).squareRoot() * Double(g[c])) }
    }
    return out
  }

  public static func layernorm(_ x: Tensor, eps: Double) -> Tensor {
    let w = x.shape.last!
    let out = Tensor(shape: x.shape)
    for row in 0..<(x.count / w) {
      let mean = (0..<w).reduce(0.0) { $0 + Double(x[row * w + $1]) } / Double(w)
      let variance = (0..<w).reduce(0.0) { $0 + pow(Double(x[row * w + $1]) - mean, 2) } / Double(w)
      for c in 0..<w { out[row * w + c] = Float((Double(x[row * w + c]) - mean) / (variance + eps).squareRoot()) }
    }
    return out
  }

  public static func gelu(_ v: Double, tanhApproximation: Bool) -> Double {
    tanhApproximation
      ? 0.5 * v * (1 + tanh((2 / Double.pi).squareRoot() * (v + 0.044715 * v * v * v)))
      : 0.5 * v * (1 + erf(v / 2.0.squareRoot()))
  }
}

extension Reference {
  /// Linear attention written out pair by pair, in Double:
  /// `o_i = Σ_j λ^{i−j} (φ(q_i)·φ(k_j)) v_j` over keys at positions ≤ i
  /// (causal) or all, divided by `Σ_j λ^{i−j} φ(q_i)·φ(k_j)` when normalising.
  public static func linearAttention(q: Tensor, k: Tensor, v: Tensor, params: LinearAttention) -> Tensor {
    let (n, h, d) = (q.shape[0], q.shape[1], q.shape[2])
    let (m, kvh, dv) = (k.shape[0], k.shape[1], v.shape[2])
    let phi = { (x: Float) in Double(params.featureMap(x)) }
    let out = Tensor(shape: [n, h, dv])
    for head in 0..<h {
      let g = head / (h / kvh)
      for i in 0..<n {
        var acc = [Double](repeating: 0, count: dv)
        var denominator = 0.0
        for j in 0..<m where !params.causal || j <= i {
          var score = 0.0
          for a in 0..<d { score += phi(q[(i * h + head) * d + a]) * phi(k[(j * kvh + g) * d + a]) }
          score *= pow(params.lambda(kvHead: g), Double(i - j))
          denominator += score
          for c in 0..<dv { acc[c] += score * Double(v[(j * kvh + g) * dv + c]) }
        }
        for c in 0..<dv { out[(i * h + head) * dv + c] = Float(params.normalize ? acc[c] / denominator : acc[c]) }
      }
    }
    return out
  }
}
