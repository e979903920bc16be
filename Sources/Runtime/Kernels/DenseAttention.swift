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

  /// Linear attention by its recurrence, one token at a time per head:
  /// `S_i = λ S_{i−1} + φ(k_i) v'_iᵀ`, `o_i = φ(q_i) S_i` (causal; without
  /// causal S is the sum over all keys), then normalised by the last column
  /// when `normalize`. Independent of the chunked `LinearAttentionKernel`.
  public static func linear(q: Tensor, k: Tensor, v: Tensor, params: LinearAttention) -> Tensor {
    let (s, h, d) = (q.shape[0], q.shape[1], q.shape[2])
    let (kvh, dv) = (k.shape[1], v.shape[2])
    let w = dv + (params.normalize ? 1 : 0)
    let phi = params.featureMap
    let out = Tensor(shape: [s, h, dv])
    var state = [Float](repeating: 0, count: d * w)
    var row = [Float](repeating: 0, count: w)
    for head in 0..<h {
      let g = head / (h / kvh)
      let lambda = Float(params.lambda(kvHead: g))
      for i in state.indices { state[i] = 0 }
      if !params.causal {
        for j in 0..<s { accumulate(&state, k, v, j, g, kvh, d, dv, w, phi) }
      }
      for i in 0..<s {
        if params.causal {
          if lambda != 1 { for x in state.indices { state[x] *= lambda } }
          accumulate(&state, k, v, i, g, kvh, d, dv, w, phi)
        }
        let qi = q.pointer + (i * h + head) * d
        for c in 0..<w {
          var sum: Float = 0
          for a in 0..<d { sum += phi(qi[a]) * state[a * w + c] }
          row[c] = sum
        }
        let oi = out.pointer + (i * h + head) * dv
        for c in 0..<dv { oi[c] = params.normalize ? (row[dv] > 0 ? row[c] / row[dv] : 0) : row[c] }
      }
    }
    return out
  }

  private static func accumulate(
    _ state: inout [Float], _ k: Tensor, _ v: Tensor, _ j: Int, _ g: Int, _ kvh: Int, _ d: Int, _ dv: Int, _ w: Int,
    _ phi: LinearAttention.FeatureMap
  ) {
    let kj = k.pointer + (j * kvh + g) * d
    let vj = v.pointer + (j * kvh + g) * dv
    for a in 0..<d {
      let key = phi(kj[a])
      for c in 0..<dv { state[a * w + c] += key * vj[c] }
      if w > dv { state[a * w + dv] += key }
    }
  }
}
