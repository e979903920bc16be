import CKernels
import GraphIR

#if canImport(Glibc)
  import Glibc
#endif

/// Attention of a query block against a key/value block, returning the block
/// output normalised within the block and its log-sum-exp (the `attn.block`
/// op). Tiles of `queryTile × keyTile` scores per query head are the most
/// ever held: scores come from `TileProducts` (AVX-512 loops or
/// `cblas_sgemm`), softmax is online (running max and sum per row), and the
/// output accumulates through a second product.
///
/// Shapes: q `[n, H, D]`, k `[m, KVH, D]`, v `[m, KVH, Dv]`; out `[n, H, Dv]`,
/// lse `[H, n]`. Query head h reads kv head h / (H / KVH); the query heads of
/// one kv head are stacked into one tile (scaled as they are copied), so each
/// K/V tile is read once per group, not once per head. The mask is applied by
/// the global positions of the rows (`qPositions`, `kPositions`); tiles the
/// mask hides entirely are skipped, tiles it shows entirely are not masked.
/// Under a plain causal mask with positions in order (every block the plans
/// make), a tile's keys past its last query are not computed at all and each
/// row's visible keys are a prefix, so masked scores cost no exp. A row that
/// sees no key gets output 0 and lse −∞. `Reference.attention` is the slow
/// reference the tests hold this against.
public enum BlockAttention {
  /// The standard tile (the one `ringc calibrate` describes to the
  /// simulator, which counts the masked tiles).
  public static let queryTile = 256
  public static let keyTile = 512

  /// Query rows (per head) and keys per tile.
  public struct Tiles: Sendable {
    public let query: Int
    public let key: Int
    public init(query: Int, key: Int) {
      (self.query, self.key) = (max(1, query), max(1, key))
    }
    /// The tiles for `n` query rows of heads stacked `group` to a kv head
    /// (measured with `ringc bench-kernels --query-tile`, medians of 3–6
    /// alternations). With `.panels`, 256 query rows per head, and 32 on
    /// causal blocks, whose diagonal tiles then compute few masked scores
    /// (8 × 128 heads, n = 256 / 1024 / 2048: 63.9 / 84.8 / 92.0 GFLOP/s
    /// against 42.7 / 71.5 / 83.6 with 128 rows; 32/8 heads, n = 1024: 93.1
    /// against 86.1); full blocks measure the same from 64 to 512 rows. With
    /// `.blas` (8 × 128 and 32/8 × 128 heads, n = 256…4096), 256 query rows
    /// per head, except
    /// - 128 on causal blocks of 512 rows or fewer and on causal stacked
    ///   heads, where a taller tile computes nearly as many masked scores as
    ///   visible ones (32/8 heads, n = 1024: 72 against 66 GFLOP/s);
    /// - 512 on full blocks of 2048 rows or more of unstacked heads, which
    ///   pack each key and value tile half as often (n = 2048: 88.9 against
    ///   85.8 GFLOP/s, n = 4096: 89.5 against 85.3; n = 1024 the same;
    ///   causal n = 2048 0.91×, 32/8 heads 0.97×).
    public static func choose(rows n: Int, causal: Bool, group: Int = 1, products: TileProducts) -> Tiles {
      switch products {
      case .panels:
        return Tiles(query: causal ? queryTile / 8 : queryTile, key: keyTile)
      case .blas:
        if causal && (n <= 512 || group > 1) { return Tiles(query: queryTile / 2, key: keyTile) }
        if !causal && group == 1 && n >= 2048 { return Tiles(query: 2 * queryTile, key: keyTile) }
        return Tiles(query: queryTile, key: keyTile)
      }
    }
  }

  /// `threads` > 1 deals (kv head, query tile) pairs over that many threads
  /// (each writes its own rows of the output); MPI ranks use 1, one core each.
  public static func run(
    q: Tensor, k: Tensor, v: Tensor, qPositions: [Int64], kPositions: [Int64], mask: Mask, scale: Float,
    threads: Int = 1, tiles chosen: Tiles? = nil, products requested: TileProducts? = nil
  ) -> (out: Tensor, lse: Tensor) {
    let (n, h, m) = (q.shape[0], q.shape[1], k.shape[0])
    let products = requested.flatMap { TileProducts.available.contains($0) ? $0 : nil } ?? .choose(keys: m)
    let picked = chosen ?? .choose(rows: n, causal: mask.causal, group: h / max(1, k.shape[1]), products: products)
    // No tile larger than the block: scratch is sized by the tiles.
    let tiles = Tiles(query: min(picked.query, n), key: min(products.keyTile(picked.key), m))
    // Every element of both is written below.
    let out = Tensor(uninitialized: [n, h, v.shape[2]])
    let lse = Tensor(uninitialized: [h, n])
    let sorted = { (p: [Int64]) in zip(p, p.dropFirst()).allSatisfy { $0 < $1 } }
    let prefix = mask.causal && mask.window == nil && mask.documents == nil && sorted(qPositions) && sorted(kPositions)
    let job = Job(
      q: q, k: k, v: v, qPositions: qPositions, kPositions: kPositions, mask: mask, scale: scale, tiles: tiles, prefix: prefix,
      products: products, out: out, lse: lse)
    let items = k.shape[1] * job.queryTiles
    let workers = max(1, min(threads, items))
    Parallel.run(workers) { w in
      var scratch = Scratch(job)
      defer { scratch.release() }
      for item in stride(from: w, to: items, by: workers) {
        job.attend(kvHead: item / job.queryTiles, tile: item % job.queryTiles, &scratch)
      }
    }
    return (out, lse)
  }

  /// One call's operands and shapes.
  private struct Job: @unchecked Sendable {
    let q: Tensor, k: Tensor, v: Tensor
    let qPositions: [Int64], kPositions: [Int64]
    let mask: Mask
    let scale: Float
    let tiles: Tiles
    /// Causal with positions in order: each row sees a prefix of each key tile.
    let prefix: Bool
    let products: TileProducts
    /// The softmax loops' instruction set.
    let isa = FastExp.best
    let out: Tensor, lse: Tensor
    var n: Int { q.shape[0] }
    var heads: Int { q.shape[1] }
    var d: Int { q.shape[2] }
    var m: Int { k.shape[0] }
    var kvh: Int { k.shape[1] }
    var dv: Int { v.shape[2] }
    var group: Int { heads / kvh }
    var queryTiles: Int { (n + tiles.query - 1) / tiles.query }
    /// Whether each thread copies its kv head's values (and, for `.blas`,
    /// keys) into rows of their own before its tiles read them; `.panels`
    /// always packs the keys. In place, a tile's rows are kvh · d apart (4 KiB
    /// for 8 × 128 heads: every row in the same cache sets), and sgemm packs
    /// such an operand slower: 256 × 512 × 128 with K transposed 88.6 against
    /// 99.2 GFLOP/s, 256 × 128 × 512 93.5 against 100.7 (OpenBLAS 0.3.21, one
    /// core). At most 16384 keys (8 MiB per thread at d = 128), so a long
    /// block's copy stays small (`TileProducts.choose`).
    var copiesHeads: Bool { kvh > 1 && m <= TileProducts.copiedKeys }

    /// Keys and values of `kvHead` as the products read them, and the
    /// distance between their rows: the thread's copies (made once per kv
    /// head it works on) or in place. A tile's first key j0 is at keys + j0 · ldk.
    func keysAndValues(_ kvHead: Int, _ s: inout Scratch) -> (k: UnsafePointer<Float>, ldk: Int, v: UnsafePointer<Float>, ldv: Int) {
      let inPlace = (k: UnsafePointer(k.pointer + kvHead * d), ldk: kvh * d, v: UnsafePointer(v.pointer + kvHead * dv), ldv: kvh * dv)
      if s.copiedHead != kvHead {
        if let keys = s.keys {
          switch products {
          case .blas: for j in 0..<m { (keys + j * d).update(from: inPlace.k + j * inPlace.ldk, count: d) }
          case .panels: ringc_pack_key_panels(inPlace.k, m, d, inPlace.ldk, keys)
          }
        }
        if let values = s.values {
          for j in 0..<m { (values + j * dv).update(from: inPlace.v + j * inPlace.ldv, count: dv) }
        }
        s.copiedHead = kvHead
      }
      let (keys, ldk) = s.keys.map { (UnsafePointer($0), d) } ?? (inPlace.k, inPlace.ldk)
      let (values, ldv) = s.values.map { (UnsafePointer($0), dv) } ?? (inPlace.v, inPlace.ldv)
      return (keys, ldk, values, ldv)
    }

    init(
      q: Tensor, k: Tensor, v: Tensor, qPositions: [Int64], kPositions: [Int64], mask: Mask, scale: Float, tiles: Tiles,
      prefix: Bool, products: TileProducts, out: Tensor, lse: Tensor
    ) {
      (self.q, self.k, self.v, self.qPositions, self.kPositions) = (q, k, v, qPositions, kPositions)
      (self.mask, self.scale, self.tiles, self.prefix, self.products, self.out, self.lse) =
        (mask, scale, tiles, prefix, products, out, lse)
    }

    /// Query tile `tile` of every query head of `kvHead`, stacked: row
    /// g·rows + r is head kvHead·group + g at query i0 + r.
    func attend(kvHead: Int, tile: Int, _ s: inout Scratch) {
      let i0 = tile * tiles.query
      let rows = min(tiles.query, n - i0)
      let stacked = group * rows
      for g in 0..<group {
        for r in 0..<rows {
          let src = q.pointer + ((i0 + r) * heads + kvHead * group + g) * d
          let dst = s.queries + (g * rows + r) * d
          for c in 0..<d { dst[c] = src[c] * scale }
        }
      }
      for r in 0..<stacked {
        s.rowMax[r] = -.infinity
        s.rowSum[r] = 0
      }
      let (keys, ldk, values, ldv) = keysAndValues(kvHead, &s)
      let qLo = qPositions[i0..<(i0 + rows)].min()!
      let qHi = qPositions[i0..<(i0 + rows)].max()!
      // The first key tile computed writes the accumulator (beta = 0), so it
      // is never cleared nor rescaled before it holds anything.
      var first = true
      for j0 in stride(from: 0, to: m, by: tiles.key) {
        var cols = min(tiles.key, m - j0)
        let kLo = kPositions[j0..<(j0 + cols)].min()!
        var kHi = kPositions[j0..<(j0 + cols)].max()!
        if !mask.anyVisible(qLo..<(qHi + 1), kLo..<(kHi + 1)) { continue }
        if prefix {
          // Keys after the tile's last query are hidden from every row.
          cols = kPositions[j0..<(j0 + cols)].partitionIndex { $0 > qHi } - j0
          kHi = kPositions[j0 + cols - 1]
        }
        let whole = mask.allVisible(qLo..<(qHi + 1), kLo..<(kHi + 1))
        // scores = (scale · Q_tile) · K_tileᵀ
        products.scores(queries: s.queries, rows: stacked, d: d, keys: keys + j0 * ldk, ldk: ldk, cols: cols, into: s.scores)
        for row in 0..<stacked {
          let line = s.scores + row * cols
          let qp = qPositions[i0 + row % rows]
          var width = cols
          if !whole {
            if prefix {
              width = kPositions[j0..<(j0 + cols)].partitionIndex { $0 > qp } - j0
              (line + width).update(repeating: 0, count: cols - width)
            } else {
              for c in 0..<cols where !mask.visible(qp, kPositions[j0 + c]) { line[c] = -.infinity }
            }
          }
          let newMax = Swift.max(s.rowMax[row], FastExp.maximum(line, count: width, isa: isa))
          if newMax == -.infinity {
            line.update(repeating: 0, count: cols)
            continue
          }
          let alpha = s.rowMax[row] == -.infinity ? 0 : expf(s.rowMax[row] - newMax)
          let sum = FastExp.expShiftedSum(line, count: width, shift: newMax, isa: isa)
          s.rowSum[row] = s.rowSum[row] * alpha + sum
          s.rowMax[row] = newMax
          if alpha != 1 && !first {
            let o = s.acc + row * dv
            for c in 0..<dv { o[c] *= alpha }
          }
        }
        // acc += P · V_tile
        products.outputs(
          weights: s.scores, rows: stacked, cols: cols, values: values + j0 * ldv, ldv: ldv, dv: dv, into: s.acc, accumulate: !first)
        first = false
      }
      for row in 0..<stacked {
        let (g, r) = (row / rows, row % rows)
        let head = kvHead * group + g
        let o = out.pointer + ((i0 + r) * heads + head) * dv
        if s.rowSum[row] > 0 {
          let (a, inv) = (s.acc + row * dv, 1 / s.rowSum[row])
          for c in 0..<dv { o[c] = a[c] * inv }
          lse[head * n + i0 + r] = s.rowMax[row] + logf(s.rowSum[row])
        } else {
          o.update(repeating: 0, count: dv)
          lse[head * n + i0 + r] = -.infinity
        }
      }
    }
  }

  /// One thread's buffers: the stacked queries, a tile of scores, the
  /// accumulator and the running max and sum of each stacked row.
  private struct Scratch {
    let queries: UnsafeMutablePointer<Float>
    let scores: UnsafeMutablePointer<Float>
    let acc: UnsafeMutablePointer<Float>
    let rowMax: UnsafeMutablePointer<Float>
    let rowSum: UnsafeMutablePointer<Float>
    /// One kv head's keys (in rows of their own, `Job.copiesHeads`, or in
    /// panels) and values (rows of their own), and the head they hold (−1:
    /// none yet).
    let keys: UnsafeMutablePointer<Float>?
    let values: UnsafeMutablePointer<Float>?
    var copiedHead = -1

    init(_ job: Job) {
      let rows = job.group * job.tiles.query
      queries = .allocate(capacity: rows * job.d)
      scores = .allocate(capacity: rows * job.tiles.key)
      acc = .allocate(capacity: rows * job.dv)
      rowMax = .allocate(capacity: rows)
      rowSum = .allocate(capacity: rows)
      switch job.products {
      case .blas: keys = job.copiesHeads ? .allocate(capacity: job.m * job.d) : nil
      case .panels: keys = .allocate(capacity: TileProducts.panelFloats(keys: job.m, d: job.d))
      }
      values = job.copiesHeads ? .allocate(capacity: job.m * job.dv) : nil
    }

    func release() {
      for p in [queries, scores, acc, rowMax, rowSum] { p.deallocate() }
      keys?.deallocate()
      values?.deallocate()
    }
  }
}
