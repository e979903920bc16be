import GraphIR
import Testing

@Suite struct MaskTests {
  /// The closed forms against a count over every pair.
  @Test func visiblePairsMatchACountOfEveryPair() {
    let masks = [Mask(causal: true, window: nil), Mask(causal: false, window: nil)]
      + [1, 3, 7, 50].flatMap { [Mask(causal: true, window: $0), Mask(causal: false, window: $0)] }
    let ranges: [Range<Int64>] = [0..<10, 3..<4, 5..<25, 20..<30, 40..<41, 9..<9, 0..<64, 33..<90]
    for mask in masks {
      for q in ranges {
        for k in ranges {
          var count: Int64 = 0
          for i in q { for j in k where mask.visible(i, j) { count += 1 } }
          #expect(mask.visiblePairs(q, k) == count, "\(mask) \(q) × \(k)")
          if !q.isEmpty, !k.isEmpty {
            #expect(mask.anyVisible(q, k) == (count > 0), "\(mask) \(q) × \(k)")
            #expect(mask.allVisible(q, k) == (count == Int64(q.count * k.count)), "\(mask) \(q) × \(k)")
          }
        }
      }
    }
  }

  @Test func countsBeyondSixtyFourBitsSaturateInsteadOfTrapping() {
    let s: Int64 = 1 << 40
    #expect(Mask(causal: true, window: nil).visiblePairs(0..<s, 0..<s) == .max)
    #expect(Mask(causal: false, window: nil).visiblePairs(0..<s, 0..<s) == .max)
    // A window's count is closed-form too: no loop over 2⁴⁰ rows.
    #expect(Mask(causal: true, window: 4).visiblePairs(0..<s, 0..<s) == 4 * s - 6)
  }
}
