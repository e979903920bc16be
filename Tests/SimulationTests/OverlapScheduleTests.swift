import GraphIR
import Passes
import PlanIR
import RingcTestSupport
import Simulation
import Testing

@Suite struct OverlapScheduleTests {
  static let strategies: [Strategy] = [
    .tokenring, .ring, .ringZigzag, .rsa, .ulysses, .allgather, .usp(ulysses: 2, ring: 2, inner: .tokenring),
  ]

  /// Both reorderings keep every plan paired, deadlock-free and covering.
  @Test(arguments: strategies, [true, false])
  func reorderedPlansStillVerify(strategy: Strategy, hoist: Bool) throws {
    for model in ["tiny.ir", "tiny-dit.ir"] {
      var m = try plan(model, sp: 4, seq: 29, strategy: strategy)
      var changed = false
      for i in m.graphs.indices where m.graphs[i].rankProgram != nil {
        let order = OverlapSchedulePass.order(m.graphs[i], hoistStarts: hoist)
        #expect(order.sorted() == Array(m.graphs[i].ops.indices), "a permutation of the ops")
        let reordered = order.map { m.graphs[i].ops[$0] }
        changed = changed || reordered != m.graphs[i].ops
        m.graphs[i].ops = reordered
      }
      #expect(PlanVerifier.verify(m).map(\.message) == [], "\(strategy) \(model) hoist \(hoist)")
      if hoist && strategy == .tokenring { #expect(changed, "hoisting moves TokenRing's partial sends") }
    }
  }

  /// A prepared plan reordered predicts exactly what the reordered plan,
  /// resolved afresh, does: steps, per-op times, exposure and timeline.
  @Test(arguments: strategies, [true, false])
  func preparedReorderingsSimulateAsTheReorderedPlan(strategy: Strategy, hoist: Bool) throws {
    let device = try profile("a10-pcie-4")
    var m = try plan("tiny.ir", sp: 4, seq: 29, strategy: strategy)
    Plan.stamp(&m)
    var orders: [RankProgram: [Int]] = [:]
    var reordered = m
    for i in m.graphs.indices {
      guard let p = m.graphs[i].rankProgram else { continue }
      let order = OverlapSchedulePass.order(m.graphs[i], hoistStarts: hoist)
      orders[p] = order
      reordered.graphs[i].ops = order.map { m.graphs[i].ops[$0] }
    }
    let viaPrepared = try Simulator(plan: m, profile: device).prepare().reordered(orders).run()
    let afresh = try Simulator(plan: reordered, profile: device).run()
    #expect(viaPrepared.totalSeconds == afresh.totalSeconds)
    for (a, b) in zip(viaPrepared.programs, afresh.programs) {
      #expect(a.steps.map(\.step) == b.steps.map(\.step), "\(strategy)")
      #expect(a.steps.map(\.seconds) == b.steps.map(\.seconds), "\(strategy)")
      #expect(a.exposed == b.exposed)
      let starts = a.opTimes.map { $0.map(\.start) }
      #expect(starts == b.opTimes.map { $0.map(\.start) })
      let names = a.traces.map { $0.events.map(\.name) }
      #expect(names == b.traces.map { $0.events.map(\.name) })
    }
  }

  @Test func thePassNeverPredictsSlowerAndRecordsEveryOpsInterval() throws {
    for name in ["a10-pcie-4", "ascend-910b-8"] {
      let device = try profile(name)
      var m = try plan("llama2-7b.ir", sp: 4, seq: 8192, strategy: .tokenring)
      let before = try Simulator(plan: m, profile: device).run().totalSeconds
      try OverlapSchedulePass(profile: device).run(&m, PassContext(sp: 4))
      Plan.stamp(&m)
      let after = try Simulator(plan: m, profile: device).run().totalSeconds
      #expect(after <= before * (1 + 1e-9))
      #expect(PlanVerifier.verify(m).isEmpty)
      for g in m.graphs where g.rankProgram != nil {
        for op in g.ops {
          guard case .ints(let t)? = op.attributes[OpSpec.predicted], t.count == 2 else {
            Issue.record("\(g.name): \(op.opcode.rawValue) has no predicted interval")
            return
          }
          #expect(t[0] <= t[1])
        }
      }
      #expect(Verifier.diagnose(m).filter { $0.severity == .error }.isEmpty)
    }
  }

  /// 1 GFLOP/s devices on 50 MB/s links: TokenRing's steps are communication-bound.
  static let slowMesh = fullMeshProfile(name: "slow-mesh", peak: "1\" unit=\"GFLOP/s", link: "50\" unit=\"MB/s", latency: "1")
  static let fastMesh = fullMeshProfile(name: "fast-mesh", peak: "1\" unit=\"GFLOP/s", link: "1000\" unit=\"GB/s", latency: "1")

  func splitPieces(_ m: Module) -> Int {
    m.graphs.reduce(0) { n, g in n + g.ops.filter { $0.opcode == .sendStart && $0.attributes["chan"] == .symbol("a.out.p1") }.count }
  }

  @Test func communicationBoundStepsAreSplitWhenItPays() throws {
    let device = try ProfileLoader.load(path: writeTemporary(Self.slowMesh, "slow-mesh.xml"), schema: schema)
    var m = try plan("tiny.ir", sp: 4, seq: 29, strategy: .tokenring)
    let before = try Simulator(plan: m, profile: device).run().totalSeconds
    try OverlapSchedulePass(profile: device).run(&m, PassContext(sp: 4))
    Plan.stamp(&m)
    #expect(splitPieces(m) > 0)
    #expect(try Simulator(plan: m, profile: device).run().totalSeconds < before * 0.99)
    #expect(PlanVerifier.verify(m).isEmpty)
  }

  @Test func computeBoundStepsAndTightBudgetsStayWhole() throws {
    // Links far faster than compute: the blocks hide the transfers; nothing to gain.
    let fast = try ProfileLoader.load(path: writeTemporary(Self.fastMesh, "fast-mesh.xml"), schema: schema)
    var bound = try plan("tiny.ir", sp: 4, seq: 29, strategy: .tokenring)
    try OverlapSchedulePass(profile: fast).run(&bound, PassContext(sp: 4))
    #expect(splitPieces(bound) == 0)
    // A budget below what the plan holds: no candidate fits, the order stays.
    let device = try ProfileLoader.load(path: writeTemporary(Self.slowMesh, "slow-mesh-budget.xml"), schema: schema)
    let original = try plan("tiny.ir", sp: 4, seq: 29, strategy: .tokenring)
    var m = original
    try OverlapSchedulePass(profile: device, memoryBudget: 1024).run(&m, PassContext(sp: 4))
    #expect(splitPieces(m) == 0)
    for (a, b) in zip(m.graphs, original.graphs) { #expect(a.ops.map(\.results) == b.ops.map(\.results)) }
  }

  @Test func budgetsAreWrittenAsSizes() {
    #expect(ByteSize.parse("40GiB") == 42_949_672_960)
    #expect(ByteSize.parse("1.5MiB") == 1_572_864)
    #expect(ByteSize.parse("80GB") == 80e9)
    #expect(ByteSize.parse("512") == 512)
    for bad in ["", "GiB", "-1GiB", "2Kb", "nan", "1e999"] { #expect(ByteSize.parse(bad) == nil, "\(bad)") }
  }
}
