import GraphIR
import PlanIR
import RingcTestSupport
import Simulation
import Testing

/// The simulated clock always moves on or stops with an error: once it
/// reads thousands of seconds, nanosecond events no longer change it
/// (now + dt == now), which used to loop forever.
@Suite struct SimulatorClockTests {
  /// The slowest compute and the fastest links a profile may have: compute
  /// takes hours, then each transfer is below the clock's resolution.
  @Test func slowComputeOnFastLinksFinishes() throws {
    let slowest = fullMeshProfile(name: "slowest", peak: "1\" unit=\"GFLOP/s", link: "100000\" unit=\"GB/s", latency: "0.001")
      .replacingFirst("<matmul-efficiency value=\"1\"", "<matmul-efficiency value=\"0.001\"")
      .replacingFirst("efficiency=\"1\"", "efficiency=\"0.001\"")
    let p = try ProfileLoader.load(path: writeTemporary(slowest, "slowest.xml"), schema: schema)
    let report = try Simulator(plan: try plan("tiny-dit.ir", sp: 2, seq: 4096, strategy: .tokenring), profile: p).run()
    #expect(report.totalSeconds.isFinite && report.totalSeconds > 1000, "\(report.totalSeconds)")
  }

  /// A profile built in code skips the loader's ranges: times past what a
  /// Double holds stop the run with the rank, the op and the value.
  @Test(arguments: [
    ("peak", "its time comes from the profile's f32 peak 1e-305 FLOP/s"),
    ("link", "its narrowest link, n0 link 0->1, carries 1e-305 B/s"),
    ("latency", "after its route's latency of 1e+308 s"),
  ])
  func timesPastTheClockAreNamed(value: String, message: String) throws {
    var p = try ProfileLoader.load(path: writeTemporary(meshProfile, "clock-\(value).xml"), schema: schema)
    switch value {
    case "peak": p.peak[.f32] = 1e-305
    case "link": p.topology = .fullMesh(link: 1e-305)
    default: p.latency = 1e308
    }
    let module = try plan("tiny.ir", sp: 2, seq: 32, strategy: .tokenring)
    do {
      _ = try Simulator(plan: module, profile: p).run()
      Issue.record("simulated with \(value) out of range")
    } catch let failure as Simulator.Failure {
      #expect(failure.description.contains("the simulated clock stops advancing at"), "\(failure)")
      #expect(failure.description.contains("rank "), "\(failure)")
      #expect(failure.description.contains(message), "\(failure)")
    }
  }

  /// Pair counts of blocks past 2^31 tokens a side would overflow 64 bits.
  @Test func attentionBlocksPastTheTokenLimitAreRefused() throws {
    var m = try plan("tiny.ir", sp: 2, seq: 32, strategy: .tokenring)
    let g = try #require(m.graphs.firstIndex { $0.name == "layer.r0" })
    let i = try #require(m.graphs[g].ops.firstIndex { $0.opcode == .attnBlock })
    m.graphs[g].ops[i].attributes["q_tokens"] = .ints([0, 1 << 33])
    m.graphs[g].ops[i].attributes["k_tokens"] = .ints([0, 1 << 33])
    do {
      _ = try Simulator(plan: m, profile: try profile("h100-sxm-8")).run()
      Issue.record("simulated a block of 2^33 tokens")
    } catch let failure as Simulator.Failure {
      #expect(
        failure.diagnostic.message
          == "attn.block covers tokens [0, 8589934592); the simulator takes attention blocks of at most 2147483648 tokens a side, at positions below 2147483648")
    }
  }
}
