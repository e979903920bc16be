import GraphIR

#if canImport(Glibc)
  import Glibc
#endif

/// Attention of a query block against a key/value block, returning the block
/// output normalised within the block and its log-sum-exp (the `attn.block`
/// op). Tiles of `queryTile × keyTile` scores are the most ever held: scores
/// come from `cblas_sgemm`, softmax is online (running max and sum per row),
/// and the output accumulates through a second `cblas_sgemm`.
///
/// Shapes: q `[n, H, D]`, k `[m, KVH, D]`, v `[m, KVH, Dv]`; out `[n, H, Dv]`,
/// lse `[H, n]`. Query head h reads kv head h / (H / KVH). The mask is applied
/// by the global positions of the rows (`qPositions`, `kPositions`); tiles the
/// mask hides entirely are skipped, tiles it shows entirely are not masked.
/// A row that sees no key gets output 0 and lse −∞.
public enum BlockAttention {
  public static let queryTile = 128
  public static let keyTile = 512

  /// `threads` > 1 splits the heads over that many threads (each head writes
  /// its own rows of the output); MPI ranks use 1, one core each.
  public static func run(
    q: Tensor, k: Tensor, v: Tensor, qPositions: [Int64], kPositions: [Int64], mask: Mask, scale: Float,
    threads: Int = 1
  ) -> (out: Tensor, lse: Tensor) {
    let h = q.shape[1]
    let out = Tensor(shape: [q.shape[0], h, v.shape[2]])
    let lse = Tensor(shape: [h, q.shape[0]])
    let workers = max(1, min(threads, h))
    Parallel.run(workers) { w in
      let heads = stride(from: w, to: h, by: workers)
      attend(heads: Array(heads), q: q, k: k, v: v, qPositions: qPositions, kPositions: kPositions, mask: mask, scale: scale, out: out, lse: lse)
    }
    return (out, lse)
  }

  private static func attend(
    heads: [Int], q: Tensor, k: Tensor, v: Tensor, qPositions: [Int64], kPositions: [Int64], mask: Mask, scale: Float,
    out: Tensor, lse: Tensor
  ) {
    let (n, h, d) = (q.shape[0], q.shape[1], q.shape[2])
    let (m, kvh, dv) = (k.shape[0], k.shape[1], v.shape[2])
    let group = h / kvh
    let scores = UnsafeMutablePointer<Float>.allocate(capacity: queryTile * keyTile)
    let acc = UnsafeMutablePointer<Float>.allocate(capacity: queryTile * dv)
    var rowMax = [Float](repeating: 0, count: queryTile)
    var rowSum = [Float](repeating: 0, count: queryTile)
    defer {
      scores.deallocate()
      acc.deallocate()
    }
    for head in heads {
      let kvHead = head / group
      for i0 in stride(from: 0, to: n, by: queryTile) {
        let rows = min(queryTile, n - i0)
        let qLo = qPositions[i0..<(i0 + rows)].min()!
        let qHi = qPositions[i0..<(i0 + rows)].max()!
        acc.initialize(repeating: 0, count: rows * dv)
        for r in 0..<rows {
          rowMax[r] = -.infinity
          rowSum[r] = 0
        }
        for j0 in stride(from: 0, to: m, by: keyTile) {
          let cols = min(keyTile, m - j0)
          let kLo = kPositions[j0..<(j0 + cols)].min()!
          let kHi = kPositions[j0..<(j0 + cols)].max()!
          if !mask.anyVisible(qLo..<(qHi + 1), kLo..<(kHi + 1)) { continue }
          let whole = mask.allVisible(qLo..<(qHi + 1), kLo..<(kHi + 1))
          // scores = scale · Q_tile · K_tileᵀ
          MatMul.gemm(
            m: rows, n: cols, k: d, alpha: scale, a: q.pointer + (i0 * h + head) * d, lda: h * d,
            b: k.pointer + (j0 * kvh + kvHead) * d, ldb: kvh * d, transB: true, c: scores, ldc: cols)
          for r in 0..<rows {
            let line = scores + r * cols
            if !whole {
              let qp = qPositions[i0 + r]
              for c in 0..<cols where !mask.visible(qp, kPositions[j0 + c]) { line[c] = -.infinity }
            }
            let newMax = max(rowMax[r], FastExp.maximum(line, count: cols))
            if newMax == -.infinity {
              for c in 0..<cols { line[c] = 0 }
              continue
            }
            let alpha = rowMax[r] == -.infinity ? 0 : expf(rowMax[r] - newMax)
            let sum = FastExp.expShiftedSum(line, count: cols, shift: newMax)
            rowSum[r] = rowSum[r] * alpha + sum
            rowMax[r] = newMax
            if alpha != 1 {
              let o = acc + r * dv
              for c in 0..<dv { o[c] *= alpha }
            }
          }
          // acc += P · V_tile
          MatMul.gemm(
            m: rows, n: dv, k: cols, a: scores, lda: cols, b: v.pointer + (j0 * kvh + kvHead) * dv,
            ldb: kvh * dv, beta: 1, c: acc, ldc: dv)
        }
        for r in 0..<rows {
          let o = out.pointer + ((i0 + r) * h + head) * dv
          if rowSum[r] > 0 {
            let inv = 1 / rowSum[r]
            for c in 0..<dv { o[c] = acc[r * dv + c] * inv }
            lse[head * n + i0 + r] = rowMax[r] + logf(rowSum[r])
          } else {
            lse[head * n + i0 + r] = -.infinity
          }
        }
      }
    }
  }
}
