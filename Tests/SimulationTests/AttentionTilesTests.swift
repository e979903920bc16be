import GraphIR
import RingcTestSupport
import Simulation
import Testing

/// The tile counts against a direct walk over every tile pair, as the
/// runtime's kernel does it.
@Suite struct AttentionTilesTests {
  func walk(_ q: TokenRanges, _ k: TokenRanges, _ mask: Mask, _ qt: Int64, _ kt: Int64) -> (full: Int64, partial: Int64) {
    let qp = q.positions
    let kp = k.positions
    var full: Int64 = 0
    var partial: Int64 = 0
    for i in stride(from: 0, to: qp.count, by: Int(qt)) {
      let rows = qp[i..<min(i + Int(qt), qp.count)]
      for j in stride(from: 0, to: kp.count, by: Int(kt)) {
        let cols = kp[j..<min(j + Int(kt), kp.count)]
        let a = rows.min()!..<(rows.max()! + 1)
        let b = cols.min()!..<(cols.max()! + 1)
        guard mask.anyVisible(a, b) else { continue }
        if mask.allVisible(a, b) { full += Int64(rows.count * cols.count) } else { partial += Int64(rows.count * cols.count) }
      }
    }
    return (full, partial)
  }

  @Test func causalSquareHasOneCutTilePerQueryTile() {
    // 1024 causal rows in 128 × 512 tiles: each query tile cuts one key tile;
    // rows 512… see the first key tile whole.
    let t = AttentionTiles(
      q: TokenRanges([0..<1024]), k: TokenRanges([0..<1024]), mask: Mask(causal: true, window: nil), queryTile: 128, keyTile: 512)
    #expect(t.partialPairs == 8 * 128 * 512)
    #expect(t.fullPairs == 4 * 128 * 512)
    #expect(t.work(partialCost: 1.5) == Double(4 * 128 * 512) + 1.5 * Double(8 * 128 * 512))
  }

  @Test func unmaskedBlocksAreAllFullTiles() {
    let t = AttentionTiles(
      q: TokenRanges([0..<100]), k: TokenRanges([500..<777]), mask: Mask(causal: false, window: nil), queryTile: 64, keyTile: 64)
    #expect(t == AttentionTiles(fullPairs: 100 * 277, partialPairs: 0))
  }

  @Test(arguments: [
    (Mask(causal: true, window: nil), 0),
    (Mask(causal: true, window: 300), 1),
    (Mask(causal: false, window: 200), 2),
  ])
  func countsMatchAWalkOverEveryTile(mask: Mask, seed: Int) {
    var rng = SplitMix64(state: UInt64(seed + 1))
    // Zigzag, striped and scattered layouts; tiles that straddle runs.
    let layouts: [TokenRanges] = [
      TokenRanges([0..<700, 2300..<3000]),
      TokenRanges((0..<12).map { Int64($0 * 256)..<Int64($0 * 256 + 64) }),
      TokenRanges([1000..<1500, 0..<300, 4000..<4100]),  // not ascending: the walk's fallback
    ]
    for q in layouts {
      for k in layouts {
        for (qt, kt) in [(Int64(128), Int64(512)), (64, 64), (Int64(rng.next() % 200 + 1), Int64(rng.next() % 300 + 1))] {
          let t = AttentionTiles(q: q, k: k, mask: mask, queryTile: qt, keyTile: kt)
          let w = walk(q, k, mask, qt, kt)
          #expect(t.fullPairs == w.full && t.partialPairs == w.partial, "q \(q) k \(k) tiles \(qt)×\(kt)")
          #expect(t.fullPairs + t.partialPairs >= mask.visiblePairs(q, k))
        }
      }
    }
  }
}
