import GraphIR

/// The two halves of attention that Ring Self-Attention runs apart: whole
/// score rows first, then probabilities times values, block by block.
enum ScoreAttention {
  /// `f32[H, n, m]` scaled scores of q `[n, H, D]` against k `[m, KVH, D]`;
  /// entries the mask hides are −∞.
  static func scores(
    q: Tensor, k: Tensor, qPositions: [Int64], kPositions: [Int64], mask: Mask, scale: Float
  ) -> Tensor {
    let (n, h, d) = (q.shape[0], q.shape[1], q.shape[2])
    let (m, kvh) = (k.shape[0], k.shape[1])
    let out = Tensor(uninitialized: [h, n, m])
    for head in 0..<h {
      let plane = out.pointer + head * n * m
      MatMul.gemm(
        m: n, n: m, k: d, alpha: scale, a: q.pointer + head * d, lda: h * d, b: k.pointer + (head / (h / kvh)) * d,
        ldb: kvh * d, transB: true, c: plane, ldc: m)
      for i in 0..<n {
        for j in 0..<m where !mask.visible(qPositions[i], kPositions[j]) { plane[i * m + j] = -.infinity }
      }
    }
    return out
  }

  /// `p[h, :, column ..< column + m] · v` for every head: `[n, H, Dv]`.
  static func apply(p: Tensor, v: Tensor, column: Int) -> Tensor {
    let (h, n, cols) = (p.shape[0], p.shape[1], p.shape[2])
    let (m, kvh, dv) = (v.shape[0], v.shape[1], v.shape[2])
    let out = Tensor(uninitialized: [n, h, dv])
    for head in 0..<h {
      MatMul.gemm(
        m: n, n: dv, k: m, a: p.pointer + head * n * cols + column, lda: cols,
        b: v.pointer + (head / (h / kvh)) * dv, ldb: kvh * dv, c: out.pointer + head * dv, ldc: h * dv)
    }
    return out
  }
}
