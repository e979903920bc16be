import GraphIR

/// The work a tiled attention kernel does on one masked block. Kernels
/// (FlashAttention's CTAs, the runtime's `BlockAttention`) walk tiles of
/// `queries × keys` rows: a tile the mask hides entirely is skipped, one it
/// shows entirely runs unmasked, and one it cuts is computed whole and then
/// masked. So a causal block costs its partly visible tiles in full — the
/// diagonal's wasted half — plus the masking, which `partialCost` weighs.
/// A tile's rows are classified by the lowest and highest position they
/// hold, as the kernels do.
public struct AttentionTiles: Equatable, Sendable {
  /// Query and key pairs in tiles the mask shows entirely, and in tiles it cuts.
  public var fullPairs: Int64
  public var partialPairs: Int64

  public init(fullPairs: Int64, partialPairs: Int64) {
    self.fullPairs = fullPairs
    self.partialPairs = partialPairs
  }

  /// Counts the tiles of `q × k` (row order; each a list of global positions).
  public init(q: TokenRanges, k: TokenRanges, mask: Mask, queryTile: Int64, keyTile: Int64) {
    let qTiles = Self.extents(q, queryTile)
    let kTiles = Self.extents(k, keyTile)
    guard mask.causal || mask.isLocal else {
      fullPairs = q.count * k.count
      partialPairs = 0
      return
    }
    var full: Int64 = 0
    var any: Int64 = 0
    // Documents cut runs of tiles anywhere: tile by tile.
    let sorted = mask.documents == nil && zip(kTiles, kTiles.dropFirst()).allSatisfy { $0.lo <= $1.lo && $0.hi <= $1.hi }
    if sorted {
      // Key tiles in ascending order: the visible ones, and the entirely
      // visible ones, are each one run of consecutive tiles.
      let lows = kTiles.map(\.lo)
      let highs = kTiles.map(\.hi)
      var rowsBefore: [Int64] = [0]
      for t in kTiles { rowsBefore.append(rowsBefore.last! + t.rows) }
      func keys(_ from: Int, _ to: Int) -> Int64 { to > from ? rowsBefore[to] - rowsBefore[from] : 0 }
      let none = Int64.max
      for t in qTiles {
        // Some pair visible: k.lo ≤ q.hi (causal), k.hi > q.lo − w, k.lo < q.hi + w (two-sided window).
        var anyEnd = Self.countAtMost(lows, mask.causal ? t.hi : none)
        var anyStart = 0
        if let w = mask.window {
          anyStart = Self.countAtMost(highs, t.lo - w)
          if !mask.causal { anyEnd = min(anyEnd, Self.countAtMost(lows, t.hi + w - 1)) }
        }
        // Every pair visible: k.hi ≤ q.lo (causal), k.lo > q.hi − w, k.hi < q.lo + w (two-sided window).
        var allEnd = Self.countAtMost(highs, mask.causal ? t.lo : none)
        var allStart = 0
        if let w = mask.window {
          allStart = Self.countAtMost(lows, t.hi - w)
          if !mask.causal { allEnd = min(allEnd, Self.countAtMost(highs, t.lo + w - 1)) }
        }
        any += t.rows * keys(anyStart, anyEnd)
        full += t.rows * keys(allStart, allEnd)
      }
    } else {
      for t in qTiles {
        for u in kTiles where mask.anyVisible(t.lo..<(t.hi + 1), u.lo..<(u.hi + 1)) {
          any += t.rows * u.rows
          if mask.allVisible(t.lo..<(t.hi + 1), u.lo..<(u.hi + 1)) { full += t.rows * u.rows }
        }
      }
    }
    fullPairs = full
    partialPairs = any - full
  }

  /// Pair-equivalents of work: cut tiles weigh `partialCost` each pair.
  public func work(partialCost: Double) -> Double { Double(fullPairs) + partialCost * Double(partialPairs) }

  /// Each tile of `tile` consecutive rows: its row count and lowest and highest position.
  static func extents(_ tokens: TokenRanges, _ tile: Int64) -> [(rows: Int64, lo: Int64, hi: Int64)] {
    var out: [(rows: Int64, lo: Int64, hi: Int64)] = []
    var current: (rows: Int64, lo: Int64, hi: Int64)?
    for r in tokens.ranges {
      var start = r.lowerBound
      while start < r.upperBound {
        let room = tile - (current?.rows ?? 0)
        let end = min(r.upperBound, start + room)
        if var c = current {
          c.rows += end - start
          c.lo = min(c.lo, start)
          c.hi = max(c.hi, end - 1)
          current = c
        } else {
          current = (end - start, start, end - 1)
        }
        if current!.rows == tile {
          out.append(current!)
          current = nil
        }
        start = end
      }
    }
    if let c = current { out.append(c) }
    return out
  }

  /// How many of the ascending `values` are ≤ `limit`.
  static func countAtMost(_ values: [Int64], _ limit: Int64) -> Int {
    values.partitionIndex { $0 > limit }
  }
}
