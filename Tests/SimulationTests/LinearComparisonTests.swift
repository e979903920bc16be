import GraphIR
import Passes
import PlanIR
import RingcTestSupport
import Simulation
import Testing

/// `compare` and `--strategy auto` on linear and hybrid models.
@Suite struct LinearComparisonTests {
  func model(_ name: String) throws -> Module { try Parser.parse(try readText(repositoryRoot + "/models/" + name), file: name) }

  @Test func candidatesFollowTheModelsAttention() throws {
    #expect(StrategyComparison.candidates(sp: 4, model: try model("tiny-linear.ir")) == [Strategy("lasp2")!, Strategy("lasp1")!])
    let softmax = StrategyComparison.candidates(sp: 4, model: try model("tiny.ir"))
    #expect(softmax == StrategyComparison.candidates(sp: 4))
    let hybrid = StrategyComparison.candidates(sp: 4, model: try model("tiny-hybrid.ir"))
    #expect(hybrid.count == 2 * softmax.count)
    #expect(hybrid.contains(Strategy("lasp2h")!) && hybrid.contains(Strategy("lasp1+tokenring")!))
  }

  /// LASP-1's P − 1 dependent hops against LASP-2's one gather, across nodes.
  @Test func lasp2BeatsTheChainAcrossNodes() throws {
    let c = StrategyComparison(
      model: try model("linear-llama3-8b.ir").withSequence(131072), sp: 16, profile: try profile("h100-sxm-8x4"))
    #expect(c.rows.map(\.strategy) == [Strategy("lasp2")!, Strategy("lasp1")!])
    #expect(c.winner?.strategy == Strategy("lasp2")!, "\(c.reason)")
    let (lasp2, lasp1) = (c.rows[0], c.rows[1])
    #expect(lasp2.softmaxSeconds == nil)
    #expect(try #require(lasp1.linearSeconds) > #require(lasp2.linearSeconds))
    #expect(lasp1.exposedSeconds > lasp2.exposedSeconds)
  }

  /// A hybrid's rows time each kind of layer; the LASP part's time does not
  /// depend on which softmax strategy shares its (contiguous) layout.
  @Test func hybridRowsTimeEachKind() throws {
    let c = StrategyComparison(
      model: try model("hybrid-llama3-8b.ir").withSequence(65536), sp: 8, profile: try profile("h100-sxm-8"),
      strategies: [Strategy("lasp2+ring")!, Strategy("lasp2+ulysses")!, Strategy("lasp1+ring")!])
    let (ring, ulysses) = (c.rows[0], c.rows[1])
    let (a, b) = (try #require(ring.linearSeconds), try #require(ulysses.linearSeconds))
    #expect(abs(a - b) < 0.05 * a)
    #expect(try #require(ring.softmaxSeconds) > 0)
    #expect(c.kindRanking?.contains("per linear layer: lasp2") == true, "\(c.reason)")
    #expect(c.reason.contains("per softmax layer: "))
  }
}
