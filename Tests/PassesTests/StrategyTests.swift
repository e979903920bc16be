import GraphIR
import Passes
import PlanIR
import Testing

/// Every strategy: plans verify (pairing, deadlock freedom, coverage) for
/// causal and non-causal, MHA and GQA models, P = 2…4, even and uneven
/// lengths; bytes match the closed forms.
@Suite struct StrategyTests {
  static let strategies: [Strategy] = [
    .tokenring, .ring, .ringZigzag, .striped(width: nil), .striped(width: 3), .rsa, .ulysses, .allgather, .usp(ulysses: 2, ring: 2, inner: .ring),
    .usp(ulysses: 2, ring: 2, inner: .tokenring),
  ]

  /// tiny: causal, GQA 4/2. tiny-dit: non-causal, MHA 4/4.
  @Test(arguments: strategies, ["tiny.ir", "tiny-dit.ir"])
  func plansVerify(strategy: Strategy, model: String) throws {
    for sp in [2, 3, 4] {
      if case .usp(let u, let r, _) = strategy, u * r != sp { continue }
      if strategy == .ulysses, 4 % sp != 0 { continue }
      for seq: Int64 in [24, 29] {
        let plan = try compile(model, sp: sp, seq: seq, strategy: strategy)
        #expect(planErrors(plan) == [], "\(strategy) \(model) sp \(sp) seq \(seq)")
        #expect(try Parser.parse(Printer().print(plan)) == plan)
      }
    }
  }

  @Test func ulyssesRefusesHeadsItCannotSplit() throws {
    do {
      _ = try compile("tiny.ir", sp: 3, strategy: .ulysses)
      Issue.record("ulysses with 4 heads on 3 ranks compiled")
    } catch let error as CompileError {
      #expect(error.diagnostics.map(\.message) == ["ulysses needs the query heads (4) to be a multiple of the Ulysses degree 3"])
    }
  }

  @Test func ulyssesReplicatesKeyValueHeadsOnlyWhenItMust() throws {
    let replicated = try compile("tiny.ir", sp: 4, strategy: .ulysses)
    #expect(replicated.graph(named: "layer.r0")!.ops.contains { $0.opcode == .repeatKV })
    let split = try compile("tiny.ir", sp: 2, strategy: .ulysses)
    #expect(!split.graph(named: "layer.r0")!.ops.contains { $0.opcode == .repeatKV })
  }

  @Test func uspNeedsItsDegreesToMultiplyToSp() throws {
    do {
      _ = try compile("tiny.ir", sp: 4, strategy: .usp(ulysses: 2, ring: 3, inner: .ring))
      Issue.record("usp:2x3 on 4 ranks compiled")
    } catch let error as CompileError {
      #expect(error.isUsage || error.diagnostics[0].message.contains("multiple of the group size"))
    }
  }

  @Test func stripedBalancesCausalWork() throws {
    let stats = try PlanStats(try compile("llama2-7b.ir", sp: 4, seq: 4096, strategy: .striped(width: 16)))
    let program = stats.programs.first { !$0.stepFlops.isEmpty }!
    for (step, flops) in program.stepFlops {
      // Within 2·W/c = 2·16/1024 ≈ 3 % of each other (stripes of 16 tokens, 64 per rank).
      #expect(Double(flops.max()!) / Double(flops.min()!) < 1.035, "step \(step): \(flops)")
    }
    // Contiguous Ring leaves rank 0 one block and rank 3 four.
    let ring = try PlanStats(try compile("llama2-7b.ir", sp: 4, seq: 4096, strategy: .ring)).programs.first { !$0.stepFlops.isEmpty }!
    #expect(ring.stepFlops[3]![0] == 0 && ring.stepFlops[3]![3] > 0)
  }

  @Test func tooManyStripesIsAUsageError() throws {
    do {
      _ = try compile("llama2-7b.ir", sp: 2, seq: 65536, strategy: .striped(width: 1))
      Issue.record("32768 stripes per rank compiled")
    } catch let error as CompileError {
      #expect(error.isUsage)
      #expect(error.diagnostics[0].message.contains("at most 16384 are allowed"))
    }
  }

  @Test func strategySpellingsRoundTrip() {
    for s in Self.strategies { #expect(Strategy(s.description) == s) }
    #expect(Strategy("usp:2x4") == .usp(ulysses: 2, ring: 4, inner: .ring))
    #expect(Strategy("usp:2x") == nil)
    #expect(Strategy("usp:0x4") == nil)
    #expect(Strategy("rings") == nil)
  }

  // MARK: - Closed forms (tiny-dit, non-causal: 4 heads × 8, f32; tiny: GQA 4/2 × 16)

  static func bytes(_ stats: PlanStats) -> [String: Int64] {
    var out: [String: Int64] = [:]
    for m in stats.programs.first(where: { !$0.messages.isEmpty })!.messages {
      out["\(m.step) \(m.src) \(m.dst) \(m.kind)", default: 0] += m.bytes
    }
    return out
  }

  @Test(arguments: [(2, 24), (3, 23), (4, 26)])
  func ringSendsTheKeysAndValuesItHolds(sp: Int, seq: Int) throws {
    let stats = try PlanStats(try compile("tiny.ir", sp: sp, seq: Int64(seq), strategy: .ring))
    let c = StatsClosedFormTests.chunks(Int64(seq), sp)
    var expected: [String: Int64] = [:]
    for r in 0..<sp {
      for s in 0..<(sp - 1) {
        // K and V of owner r−s, 2 kv heads × 16, f32, to r+1.
        expected["\(s) \(r) \((r + 1) % sp) kv"] = 2 * c[StatsClosedFormTests.mod(r - s, sp)] * 2 * 16 * 4
      }
    }
    #expect(Self.bytes(stats) == expected)
  }

  @Test(arguments: [2, 4])
  func ulyssesAllToAllBytes(sp: Int) throws {
    let seq: Int64 = 24
    let stats = try PlanStats(try compile("tiny-dit.ir", sp: sp, seq: seq, strategy: .ulysses))
    let c = seq / Int64(sp)
    var expected: [String: Int64] = [:]
    for r in 0..<sp {
      for m in 0..<sp where m != r {
        // q, k, v at steps 0–2: my tokens × (heads / P) × 8 × 4 B each; the
        // attention is step 3; the output goes back at step 4.
        for step in 0..<3 { expected["\(step) \(r) \(m) heads"] = c * Int64(4 / sp) * 8 * 4 }
        expected["4 \(r) \(m) heads"] = c * Int64(4 / sp) * 8 * 4
      }
    }
    #expect(Self.bytes(stats) == expected)
  }

  /// LoongTrain 4 × 2 on tiny (2 kv heads): each kv head is repeated twice
  /// so all 4 head-parallel ranks get one; of the 3/4 of the replicated K
  /// and V the all-to-all sends, half exists only because of the copy.
  @Test func replicatedKVHeadsAreCounted() throws {
    let stats = try PlanStats(
      try compile("tiny.ir", sp: 8, seq: 64, strategy: .loongtrain(Strategy.LoongTrain(heads: 4, context: 2))))
    let program = stats.programs.first { !$0.messages.isEmpty }!
    // 8 tokens × 2 kv heads × 16 × 4 B, doubled, 3/4 sent, half of that the copy; K and V.
    let local: Int64 = 8 * 2 * 16 * 4
    let copy: Int64 = 2 * (local * 2 * 3 / 4 / 2)
    #expect(program.replicatedKVBytes == [Int64](repeating: copy, count: 8))
    let plain = try PlanStats(try compile("tiny.ir", sp: 4, seq: 64, strategy: .loongtrain(Strategy.LoongTrain(heads: 2, context: 2))))
    #expect(plain.programs.allSatisfy { $0.replicatedKVBytes.allSatisfy { $0 == 0 } })
  }

  @Test func allGatherSendsEachRanksKeysAndValuesToEveryOther() throws {
    let stats = try PlanStats(try compile("tiny.ir", sp: 3, seq: 31, strategy: .allgather))
    let tokens = TokenLayout.zigzag.tokens(sequence: 31, ranks: 3)
    var expected: [String: Int64] = [:]
    for r in 0..<3 {
      for m in 0..<3 where m != r {
        expected["0 \(r) \(m) key"] = tokens[r].count * 2 * 16 * 4
        expected["0 \(r) \(m) value"] = tokens[r].count * 2 * 16 * 4
      }
    }
    #expect(Self.bytes(stats) == expected)
  }

  @Test func rsaTradesMemoryForItsMaterialisedScores() throws {
    func peak(_ s: Strategy) throws -> Int64 {
      try PlanStats(try compile("llama2-7b.ir", sp: 4, seq: 4096, strategy: s)).programs.first { $0.family == "layer" }!.peakBytes.max()!
    }
    let (rsa, ring, allgather) = (try peak(.rsa), try peak(.ring), try peak(.allgather))
    // RSA holds f32 scores and probabilities for 32 heads × 1024 queries × 4096 keys at once.
    #expect(rsa >= 2 * 32 * 1024 * 4096 * 4)
    #expect(rsa > 10 * ring)
    // All-gather holds the whole K and V (2 × 4096 × 32 × 128 × 2 B) beside the local ones.
    #expect(allgather > ring)
  }

  @Test func runtimePeakCountsEveryElementAtF32() throws {
    // llama2-7b's activations are f16 (its positions i32): the runtime,
    // holding f32, needs up to twice the plan's bytes.
    let plan = try compile("llama2-7b.ir", sp: 4, seq: 4096)
    let memory = DeviceMemory.everyRank(plan)
    for r in 0..<4 {
      let f32 = Liveness.rankPeak(plan, rank: r, elementBytes: 4)
      #expect(f32 == 2 * Liveness.rankPeak(plan, rank: r, elementBytes: 2))
      #expect(f32 > memory[r].activations * 19 / 10 && f32 <= 2 * memory[r].activations)
    }
  }
}
