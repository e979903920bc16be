#if canImport(Glibc)
  import Glibc
#endif
import GraphIR

/// Plain dense attention for the single-process reference: the whole score
/// matrix of a head at once, masked, softmaxed with libm's exp, times V.
/// Independent of `BlockAttention`, so `--check` tests the blockwise path.
public enum DenseAttention {
  public static func run(q: Tensor, k: Tensor, v: Tensor, mask: Mask, scale: Float) -> Tensor {
    let (s, h, d) = (q.shape[0], q.shape[1], q.shape[2])
    let (m, kvh, dv) = (k.shape[0], k.shape[1], v.shape[2])
    let out = Tensor(shape: [s, h, dv])
    let scores = UnsafeMutablePointer<Float>.allocate(capacity: s * m)
    let o = UnsafeMutablePointer<Float>.allocate(capacity: s * dv)
    defer {
      scores.deallocate()
      o.deallocate()
    }
    for head in 0..<h {
      let g = head / (h / kvh)
      MatMul.gemm(
        m: s, n: m, k: d, alpha: scale, a: q.pointer + head * d, lda: h * d,
        b: k.pointer + g * d, ldb: kvh * d, transB: true, c: scores, ldc: m)
      for i in 0..<s {
        let line = scores + i * m
        var top = -Float.infinity
        for j in 0..<m {
          if !mask.visible(Int64(i), Int64(j)) { line[j] = -.infinity }
          top = max(top, line[j])
        }
        var sum: Float = 0
        for j in 0..<m {
          line[j] = top == -.infinity ? 0 : expf(line[j] - top)
          sum += line[j]
        }
        if sum > 0 { for j in 0..<m { line[j] /= sum } }
      }
      MatMul.gemm(m: s, n: dv, k: m, a: scores, lda: m, b: v.pointer + g * dv, ldb: kvh * dv, c: o, ldc: dv)
      for i in 0..<s { (out.pointer + (i * h + head) * dv).update(from: o + i * dv, count: dv) }
    }
    return out
  }

  /// Linear attention `o_i = Σ_{j allowed} (q_i·k_j) v_j`, as `q (kᵀv)` with a
  /// running prefix state per head when causal.
  public static func linear(q: Tensor, k: Tensor, v: Tensor, params: LinearAttention) -> Tensor {
    let causal = params.causal
    let (s, h, d) = (q.shape[0], q.shape[1], q.shape[2])
    let (kvh, dv) = (k.shape[1], v.shape[2])
    let out = Tensor(shape: [s, h, dv])
    var state = [Float](repeating: 0, count: d * dv)
    for head in 0..<h {
      let g = head / (h / kvh)
      for i in state.indices { state[i] = 0 }
      if !causal {
        for j in 0..<s { accumulate(&state, k, v, j, g, kvh, d, dv) }
      }
      for i in 0..<s {
        if causal { accumulate(&state, k, v, i, g, kvh, d, dv) }
        let qi = q.pointer + (i * h + head) * d
        let oi = out.pointer + (i * h + head) * dv
        for c in 0..<dv {
          var sum: Float = 0
          for a in 0..<d { sum += qi[a] * state[a * dv + c] }
          oi[c] = sum
        }
      }
    }
    return out
  }

  private static func accumulate(
    _ state: inout [Float], _ k: Tensor, _ v: Tensor, _ j: Int, _ g: Int, _ kvh: Int, _ d: Int, _ dv: Int
  ) {
    let kj = k.pointer + (j * kvh + g) * d
    let vj = v.pointer + (j * kvh + g) * dv
    for a in 0..<d { for c in 0..<dv { state[a * dv + c] += kj[a] * vj[c] } }
  }
}
