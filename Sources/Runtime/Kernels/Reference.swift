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
