import GraphIR
import Passes
import PlanIR
import RingcTestSupport
import Testing

/// TokenRing plans beyond their golden text (Tests/IRTextTests/Inputs/tokenring.ir):
/// determinism, every length, shared programs, GQA and masked blocks.
@Suite struct TokenRingTests {
  @Test func compilingTwiceGivesByteIdenticalPlans() throws {
    let a = Printer().print(try compile("llama3-8b.ir", sp: 5, seq: 999))
    let b = Printer().print(try compile("llama3-8b.ir", sp: 5, seq: 999))
    #expect(a == b)
  }

  @Test(arguments: [
    ("tiny.ir", 1, 32), ("tiny.ir", 2, 29), ("tiny.ir", 3, 31), ("tiny.ir", 5, 33), ("tiny.ir", 8, 16),
    ("tiny-dit.ir", 1, 24), ("tiny-dit.ir", 2, 23), ("tiny-dit.ir", 3, 3), ("tiny-dit.ir", 7, 24),
    ("dit-xl.ir", 4, 250), ("llama2-7b.ir", 6, 4099),
  ])
  func plansVerifyForEvenAndUnevenLengths(model: String, sp: Int, seq: Int) throws {
    let plan = try compile(model, sp: sp, seq: Int64(seq))
    #expect(planErrors(plan) == [])
    // And the printed plan reads back to the same module.
    #expect(try Parser.parse(Printer().print(plan)) == plan)
  }

  @Test func identicalLayersShareOneProgramPerRank() throws {
    let plan = try compile("llama3-70b.ir", sp: 4)
    // The source graphs (kept for the dense reference) and one program per rank.
    #expect(plan.graphs.map(\.name).sorted() == (["layer", "main"] + (0..<4).flatMap { ["layer.r\($0)", "main.r\($0)"] }).sorted())
    #expect(Plan.sourceModule(plan).graphs.map(\.name) == ["layer", "main"])
  }

  @Test func gqaKeepsKeyValueHeads() throws {
    let plan = try compile("llama3-8b.ir", sp: 2)
    let layer = try #require(plan.graph(named: "layer.r0"))
    let types = Plan.valueTypes(of: layer)
    for b in layer.ops where b.opcode == .attnBlock {
      guard case .value(let k) = b.operands[1] else { continue }
      #expect(types[k]?.dims[1] == .literal(8), "K/V keep 8 kv heads")
    }
    // No message carries keys or values.
    let stats = try PlanStats(plan)
    #expect(Set(stats.allMessages.map(\.kind)) == ["query", "partial", "lse"])
  }

  @Test func noFullyMaskedBlockIsComputedOrSent() throws {
    let plan = try compile("tiny.ir", sp: 4)
    for g in plan.graphs {
      for op in g.ops where op.opcode == .attnBlock {
        let q = try #require(TokenRanges(attribute: op.attributes["q_tokens"]))
        let k = try #require(TokenRanges(attribute: op.attributes["k_tokens"]))
        // Every block is half the pairs of the zigzag step: c²/2 = 32 pairs for c = 8 (step 0: 36).
        let pairs = Mask(causal: true, window: nil).visiblePairs(q, k)
        #expect(pairs == 32 || pairs == 36, "\(g.name) \(q) × \(k): \(pairs)")
      }
    }
  }
}

@Suite struct PipelineTests {
  @Test func parsesNamesAndOptions() throws {
    let p = try PassPipeline(parsing: "shard-sequence{layout=contiguous},token-ring")
    #expect(p.passes.map(\.name) == ["shard-sequence", "token-ring"])
    #expect((p.passes[0] as? ShardSequencePass)?.layout == .contiguous)
  }

  @Test(arguments: [
    ("bogus", "unknown pass 'bogus'"),
    ("token-ring{x=1}", "pass 'token-ring' takes no option 'x'"),
    ("shard-sequence{layout=spiral}", "layout=contiguous|zigzag"),
    ("shard-sequence,", "ends with ','"),
    ("shard-sequence{layout=zigzag", "unclosed '{'"),
  ])
  func rejectsBadPipelines(text: String, message: String) {
    do {
      _ = try PassPipeline(parsing: text)
      Issue.record("accepted \(text)")
    } catch {
      #expect(error.diagnostics.first?.message.contains(message) == true, "\(error.diagnostics)")
    }
  }

  @Test func spTooLargeForTheSequenceIsAUsageError() throws {
    var m = try loadModel("tiny.ir")
    do {
      try PassPipeline(parsing: Strategy.tokenring.pipeline).run(&m, PassContext(sp: 17), verifyEach: true)
      Issue.record("sp 17 on 32 tokens compiled")
    } catch {
      #expect(error.isUsage)
      #expect(error.diagnostics[0].message.contains("--sp 17 with the zigzag layout needs at least 34 tokens"))
    }
  }

  /// A plan is Θ(P²) ops: one that would not fit in memory is refused after
  /// its first rank programs, with the estimate and the limit.
  @Test func aPlanTooLargeToHoldIsRefusedEarly() throws {
    var m = try loadModel("tiny.ir")
    var context = PassContext(sp: 8)
    context.opLimit = 100
    do {
      try PassPipeline(parsing: Strategy.tokenring.pipeline).run(&m, context, verifyEach: true)
      Issue.record("a plan over the op limit compiled")
    } catch {
      #expect(error.isUsage)
      let message = error.diagnostics.first?.message ?? ""
      #expect(message.hasPrefix("--sp 8 with tokenring makes a plan of about "), "\(message)")
      #expect(message.contains("ops, more than the 100 this machine can hold while compiling"), "\(message)")
    }
    var small = try loadModel("tiny.ir")
    try PassPipeline(parsing: Strategy.tokenring.pipeline).run(&small, PassContext(sp: 8), verifyEach: true)
  }

  @Test func causalAttentionNeedsZigzag() throws {
    var m = try loadModel("tiny.ir")
    do {
      try PassPipeline(parsing: "shard-sequence{layout=contiguous},token-ring").run(&m, PassContext(sp: 2), verifyEach: true)
      Issue.record("contiguous causal compiled")
    } catch {
      #expect(error.diagnostics.count == 1)
      #expect(error.diagnostics[0].message.contains("needs the zigzag layout for causal attention"))
      #expect(error.diagnostics[0].location?.line != nil)
    }
  }
}
