import Foundation
import GraphIR
import PlanIR
import RingcTestSupport
import Testing

/// The document-balancing layouts: each a partition of the sequence, shaped
/// as its definition says, and more even in visible pairs per rank than the
/// zigzag layout on long-tailed documents.
@Suite struct DocumentBalanceTests {
  static func work(_ tokens: [TokenRanges], _ mask: Mask, _ s: Int64) -> [Int64] {
    tokens.map { mask.visiblePairs($0, TokenRanges([0..<s])) }
  }

  /// Long-tailed lengths from a fixed seed: many short documents, a few long.
  static func longTailed(_ s: Int64, seed: UInt64) -> Documents {
    var rng = SplitMix64(state: seed)
    var bounds: [Int64] = [0]
    while bounds.last! < s {
      let u = Double(rng.next() % 1_000_000 + 1) / 1_000_001
      bounds.append(min(s, bounds.last! + max(1, Int64(16 / pow(u, 1 / 1.2)))))
    }
    return Documents(bounds: bounds)!
  }

  @Test(arguments: [(2, 37, UInt64(1)), (3, 100, 2), (4, 1000, 3), (8, 4096, 4), (5, 11, 5)])
  func bothPartitionTheSequence(sp: Int, seq: Int64, seed: UInt64) {
    let documents = Self.longTailed(seq, seed: seed)
    for kind in [TokenLayout.Kind.documentZigzag, .documentGreedy] {
      let tokens = TokenLayout(kind, documents: documents).tokens(sequence: seq, ranks: sp)
      #expect(tokens.count == sp)
      let positions = tokens.flatMap(\.positions).sorted()
      #expect(positions == Array(0..<seq), "\(kind) sp \(sp) seq \(seq)")
      #expect(tokens.allSatisfy { $0.positions == $0.positions.sorted() && $0.count >= 1 }, "\(kind): rows in sequence order, none empty")
      let counts = tokens.map(\.count)
      // Zigzag: remainders dealt in turn (at most two apart); greedy: equal chunk counts.
      let spread = kind == .documentZigzag ? 2 : DocumentBalance.chunksPerRank
      #expect(counts.max()! - counts.min()! <= spread, "\(kind) token counts \(counts)")
    }
  }

  /// A document of 2P·k tokens: rank r holds its chunks r and 2P−1−r, k tokens each.
  @Test func perDocumentZigzagTakesHeadAndTail() {
    let (p, k): (Int, Int64) = (3, 4)
    let documents = Documents(bounds: [0, 24, 48])!
    let tokens = TokenLayout(.documentZigzag, documents: documents).tokens(sequence: 48, ranks: p)
    for r in 0..<p {
      let (head, tail) = (Int64(r) * k, Int64(2 * p - 1 - r) * k)
      var expected: [Range<Int64>] = []
      for start: Int64 in [0, 24] {
        expected.append((start + head)..<(start + head + k))
        expected.append((start + tail)..<(start + tail + k))
      }
      #expect(tokens[r] == TokenRanges(expected), "rank \(r)")
    }
  }

  /// One long document among short ones: the zigzag layout loads the ranks
  /// holding it; both balancers even the visible pairs out.
  @Test(arguments: [(8, 16384, UInt64(14)), (4, 8192, 7), (8, 32768, 21)])
  func balancersEvenOutTheWork(sp: Int, seq: Int64, seed: UInt64) {
    let documents = Self.longTailed(seq, seed: seed)
    let mask = Mask(causal: true, window: nil, documents: documents)
    func imbalance(_ layout: TokenLayout) -> Double {
      let w = Self.work(layout.tokens(sequence: seq, ranks: sp), mask, seq)
      return Double(w.max()!) / Double(max(1, w.min()!))
    }
    let zigzag = imbalance(.zigzag)
    let perDocument = imbalance(TokenLayout(.documentZigzag, documents: documents))
    let greedy = imbalance(TokenLayout(.documentGreedy, documents: documents))
    #expect(perDocument < zigzag && greedy < zigzag, "zigzag \(zigzag), per-document \(perDocument), greedy \(greedy)")
    #expect(perDocument < 1.1, "per-document zigzag max/min work \(perDocument)")
  }
}
