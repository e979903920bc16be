import GraphIR
import Testing

@Suite struct MaskTests {
  /// Causal and full, with windows, and with packed documents: lengths 1,
  /// an empty one, one longer than the ranges below, and one past their end.
  static let masks: [Mask] = {
    let documents = [[0, 1, 9, 9, 10, 47, 48, 100], [0, 30, 31, 100], [0, 100]].map { Documents(bounds: $0)! }
    let plain = [Mask(causal: true, window: nil), Mask(causal: false, window: nil)]
      + [1, 3, 7, 50].flatMap { [Mask(causal: true, window: $0), Mask(causal: false, window: $0)] }
    return plain + documents.flatMap { d in [nil, 4].flatMap { w in [true, false].map { Mask(causal: $0, window: w, documents: d) } } }
  }()

  /// The closed forms against a count over every pair.
  @Test func visiblePairsMatchACountOfEveryPair() {
    let masks = Self.masks
    let ranges: [Range<Int64>] = [0..<10, 3..<4, 5..<25, 20..<30, 40..<41, 9..<9, 0..<64, 33..<90, 8..<11, 47..<49]
    for mask in masks {
      for q in ranges {
        for k in ranges {
          var count: Int64 = 0
          for i in q { for j in k where mask.visible(i, j) { count += 1 } }
          #expect(mask.visiblePairs(q, k) == count, "\(mask) \(q) × \(k)")
          if !q.isEmpty {
            // Every key some query of q sees lies in q's key span.
            let span = mask.keySpan(of: q)
            #expect(k.allSatisfy { j in span.contains(j) || !q.contains { mask.visible($0, j) } }, "\(mask) \(q) × \(k)")
          }
          if !q.isEmpty, !k.isEmpty {
            #expect(mask.anyVisible(q, k) == (count > 0), "\(mask) \(q) × \(k)")
            #expect(mask.allVisible(q, k) == (count == Int64(q.count * k.count)), "\(mask) \(q) × \(k)")
          }
        }
      }
    }
  }

  /// Lists of ranges (stripes, zigzag halves, unsorted rows) in closed form
  /// against a count over every pair, for every mask.
  @Test func rangeListsMatchACountOfEveryPair() {
    let masks = Self.masks
    var seed: UInt64 = 0x9E37_79B9_7F4A_7C15
    func next(_ n: Int64) -> Int64 {
      seed = seed &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
      return Int64((seed >> 33) % UInt64(n))
    }
    /// Disjoint ranges in a shuffled order, as a tensor's rows may hold them.
    func list() -> TokenRanges {
      var ranges: [Range<Int64>] = []
      var start = next(5)
      for _ in 0..<(1 + next(6)) {
        let length = 1 + next(9)
        ranges.append(start..<(start + length))
        start += length + next(7)
      }
      for i in stride(from: ranges.count - 1, to: 0, by: -1) { ranges.swapAt(i, Int(next(Int64(i + 1)))) }
      return TokenRanges(ranges)
    }
    for mask in masks {
      for _ in 0..<60 {
        let (q, k) = (list(), list())
        var count: Int64 = 0
        for i in q.positions { for j in k.positions where mask.visible(i, j) { count += 1 } }
        #expect(mask.visiblePairs(q, k) == count, "\(mask) \(q) × \(k)")
      }
    }
    // Striped rows: 8 ranks, stripes of 1 token, rank 3 against rank 5.
    func stripes(_ rank: Int64) -> TokenRanges {
      TokenRanges((0..<Int64(512)).map { (i: Int64) -> Range<Int64> in
        let start = i * 8 + rank
        return start..<(start + 1)
      })
    }
    let (q, k) = (stripes(3), stripes(5))
    // Key stripe j is visible to query stripe i iff 8j + 5 ≤ 8i + 3, i.e. j < i.
    let expected: Int64 = 512 * 511 / 2
    #expect(Mask(causal: true, window: nil).visiblePairs(q, k) == expected)
  }

  @Test func countsBeyondSixtyFourBitsSaturateInsteadOfTrapping() {
    let s: Int64 = 1 << 40
    #expect(Mask(causal: true, window: nil).visiblePairs(0..<s, 0..<s) == .max)
    #expect(Mask(causal: false, window: nil).visiblePairs(0..<s, 0..<s) == .max)
    // A window's count is closed-form too: no loop over 2⁴⁰ rows.
    #expect(Mask(causal: true, window: 4).visiblePairs(0..<s, 0..<s) == 4 * s - 6)
  }
}

@Suite struct PartitionIndexTests {
  @Test func theFirstElementPastThePrefix() {
    let values: [Int64] = [1, 3, 3, 7, 9]
    for limit: Int64 in -1...10 {
      #expect(values.partitionIndex { $0 > limit } == values.filter { $0 <= limit }.count, "\(limit)")
    }
    #expect([Int]().partitionIndex { $0 > 0 } == 0)
    #expect(values.dropFirst(2).partitionIndex { $0 >= 7 } == 3)  // indices of the slice itself
  }
}

@Suite struct DocumentsTests {
  @Test func boundsMustStartAtZeroAndNeverDecrease() {
    #expect(Documents(bounds: [0, 5, 5, 9]) != nil)
    #expect(Documents(bounds: [0]) == nil)
    #expect(Documents(bounds: [1, 5]) == nil)
    #expect(Documents(bounds: [0, 5, 4]) == nil)
  }

  @Test func tokensFindTheirDocumentAndRangesSplitAtBoundaries() {
    let d = Documents(bounds: [0, 1, 9, 9, 10])!
    #expect([0, 1, 8, 9].map { d.index(of: $0) } == [0, 1, 1, 3])
    #expect(d.parts(of: 0..<10).map(\.range) == [0..<1, 1..<9, 9..<10])
    #expect(d.parts(of: 4..<6).map(\.document) == [1])
  }
}
