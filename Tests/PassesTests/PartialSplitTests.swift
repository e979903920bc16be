import GraphIR
import Passes
import PlanIR
import Testing

/// TokenRing's fine-grained partitioning as a plan rewrite: split plans stay
/// paired, deadlock-free and covering, and move the same bytes and FLOPs in
/// more, smaller messages.
@Suite struct PartialSplitTests {
  @Test func piecesCoverTheRowsAndTheFirstGetTheRemainder() {
    #expect(PartialSplit.split(10, 4).map { [$0.start, $0.count] } == [[0, 3], [3, 3], [6, 2], [8, 2]])
    #expect(PartialSplit.split(4, 4).map(\.count) == [1, 1, 1, 1])
  }

  @Test func aPieceHasItsOwnChannelOfTheSameKind() {
    #expect(PartialSplit.channel("a.out", piece: 0) == "a.out.p0")
    #expect(PartialSplit.channel("blk.3.attn.out", piece: 2) == "blk.3.attn.out.p2")
  }

  @Test(arguments: ["tiny.ir", "tiny-dit.ir"], [2, 3, 4])
  func splitPlansVerifyAndMoveTheSameWork(model: String, sp: Int) throws {
    let plan = try compile(model, sp: sp, seq: 29)
    let messages = PartialSplit.candidates(plan)
    // Every partial a rank computes for another goes home once: P − 1 per rank and program.
    let programs = Set(messages.map(\.family)).count
    #expect(messages.count == programs * sp * (sp - 1))
    let before = try PlanStats(plan)
    for pieces in [2, 3] {
      let split = PartialSplit.apply(plan, to: messages, pieces: pieces)
      #expect(planErrors(split) == [], "\(model) sp \(sp) pieces \(pieces)")
      #expect(Verifier.diagnose(split).filter { $0.severity == .error }.map(\.message) == [])
      let after = try PlanStats(split)
      for (b, a) in zip(before.programs, after.programs) {
        #expect(a.stepFlops == b.stepFlops)
        func sent(_ p: PlanStats.Program) -> [Int: Int64] {
          p.messages.reduce(into: [:]) { $0[$1.src, default: 0] += $1.bytes }
        }
        #expect(sent(a) == sent(b))
      }
      #expect(after.allMessages.count > before.allMessages.count)
    }
  }

  @Test func onlyPartialsThatGoStraightHomeAreCandidates() throws {
    // Ring attention merges its partials where they are computed: nothing to split.
    #expect(PartialSplit.candidates(try compile("tiny.ir", sp: 4, seq: 29, strategy: .ring)).isEmpty)
    #expect(!PartialSplit.candidates(try compile("tiny.ir", sp: 4, seq: 29, strategy: .usp(ulysses: 2, ring: 2, inner: .tokenring))).isEmpty)
  }
}
