import GraphIR
import Passes
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
      for i in m.graphs.indices where Plan.family(of: m.graphs[i].name) != nil {
        let reordered = OverlapSchedulePass.reorder(m.graphs[i], hoistStarts: hoist)
        #expect(reordered.count == m.graphs[i].ops.count)
        changed = changed || reordered != m.graphs[i].ops
        m.graphs[i].ops = reordered
      }
      #expect(PlanVerifier.verify(m).map(\.message) == [], "\(strategy) \(model) hoist \(hoist)")
      if hoist && strategy == .tokenring { #expect(changed, "hoisting moves TokenRing's partial sends") }
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
      for g in m.graphs where Plan.family(of: g.name) != nil {
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
}
