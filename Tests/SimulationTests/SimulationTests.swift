import GraphIR
import Passes
import PlanIR
import RingcTestSupport
import Simulation
import Testing

#if canImport(Glibc)
  import Glibc
#endif

let schema = repositoryRoot + "/profiles/device-profile.xsd"

func writeTemporary(_ text: String, _ name: String) -> String {
  let path = "/tmp/ringc-sim-\(getpid())-\(name)"
  let f = fopen(path, "wb")!
  _ = text.utf8CString.withUnsafeBufferPointer { fwrite($0.baseAddress, 1, $0.count - 1, f) }
  fclose(f)
  return path
}

func profile(_ name: String) throws -> DeviceProfile {
  try ProfileLoader.load(path: repositoryRoot + "/profiles/\(name).xml", schema: schema)
}

func plan(_ model: String, sp: Int, seq: Int64, strategy: Strategy) throws -> Module {
  var m = try Parser.parse(try readText(repositoryRoot + "/models/" + model), file: model)
  _ = m.setSequenceLength(seq)
  return try Compiler.compile(m, sp: sp, strategy: strategy)
}

/// A two-device full mesh with round numbers: 1 TFLOP/s at efficiency 1,
/// 1 GB/s links, 10 µs latency, no launch overhead worth counting.
let meshProfile = fullMeshProfile(peak: "1\" unit=\"TFLOP/s", link: "1\" unit=\"GB/s")

@Suite struct ProfileTests {
  static let bundled = [
    "h100-sxm-8", "h100-sxm-8-fa3", "h100-sxm-8x4", "h100-sxm-8x8", "h800-sxm-8", "a100-sxm-8", "a100-sxm-8x2", "a10-pcie-4", "l20-pcie-8",
    "ascend-910b-8", "ascend-910b-8x4",
  ]

  @Test(arguments: bundled)
  func bundledProfilesValidate(name: String) throws {
    let p = try profile(name)
    #expect(p.name == name)
    #expect(p.devices >= 4)
  }

  /// Every bundled number names a source that states it or says why it was
  /// assumed; none comes from the sequence-parallel results the profiles
  /// are validated against (the TokenRing README's step times among them).
  @Test(arguments: bundled)
  func everyBundledNumberHasASource(name: String) throws {
    let p = try profile(name)
    #expect(p.entries.count >= 12)
    for e in p.entries {
      #expect(e.origin != .unstated, "\(name): \(e.key) = \(e.value)")
      if case .source(let s) = e.origin { #expect(!s.contains("step time"), "\(name): \(e.key)") }
    }
  }

  @Test func unitsBecomeSI() throws {
    let p = try profile("h100-sxm-8x4")
    #expect(p.peak[.bf16] == 989.4e12)
    #expect(p.network?.bandwidth == 48e9)
    #expect(p.latency == 3e-6)
    #expect(abs(p.launchOverhead - 3.3e-6) < 1e-12)
    #expect(p.overlapSlowdown == 0.189)
    let kernel = try #require(p.attentionKernel)
    #expect(kernel.curves.count == 6)
    #expect(kernel.curve(headDim: 128, mask: .full)?.rate(at: 2048) == 362e12)
    #expect(kernel.curve(headDim: 128, mask: .causal)?.rate(at: 16384) == 335e12)
  }

  /// A whole causal block on one device costs its visible pairs' FLOPs at the
  /// kernel's causal rate for its head_dim and key count, plus a launch.
  @Test func aBlockCostsItsFLOPsAtThePublishedRate() throws {
    let h100 = try profile("h100-sxm-8")
    let report = try Simulator(plan: try plan("llama2-7b-attention.ir", sp: 1, seq: 8192, strategy: .ring), profile: h100).run()
    // 8192 · 8193 / 2 visible pairs × 4 · 32 heads · 128 FLOPs at 333 TFLOP/s (seq 8192, causal, head_dim 128).
    let expected = 8192.0 * 8193 / 2 * 16384 / 333e12 + 3.3e-6
    #expect(abs(report.totalSeconds / expected - 1) < 1e-6, "\(report.totalSeconds) vs \(expected)")
  }


  @Test(arguments: [
    ("unit=\"GB/s\"/>\n    <latency", "unit=\"furlong/s\"/>\n    <latency", ":12:41: error: Element 'full-mesh', attribute 'unit'"),
    ("link-bandwidth=\"1\"", "link-bandwidth=\"-3\"", ":12:32: error: Element 'full-mesh', attribute 'link-bandwidth'"),
    ("    <full-mesh link-bandwidth=\"1\" unit=\"GB/s\"/>\n", "", ":12:5: error: Element 'latency': This element is not expected"),
    ("<nodes count=\"1\"", "<nodes count=\"2\"", ":10:17: error: 2 nodes need a <network> element"),
    ("    <memory", "    <attention-tile queries=\"64\" keys=\"64\" partial-cost=\"0.5\"/>\n    <memory", ":7:58: error: Element 'attention-tile', attribute 'partial-cost'"),
  ])
  func badProfilesAreLocatedErrors(old: String, new: String, message: String) throws {
    let text = meshProfile.replacingFirst(old, new)
    #expect(text != meshProfile)
    // One file per case: the cases run in parallel.
    let path = writeTemporary(text, "bad-\(message.utf8.reduce(0) { ($0 &* 31 &+ Int($1)) & 0xffffff }).xml")
    do {
      _ = try ProfileLoader.load(path: path, schema: schema)
      Issue.record("accepted a bad profile")
    } catch {
      #expect(error.description.contains(path + message), "\(error.description)")
    }
  }
}

extension String {
  func replacingFirst(_ old: String, _ new: String) -> String {
    let parts = components(old)
    guard parts.count > 1 else { return self }
    return parts[0] + new + parts.dropFirst().joined(separator: old)
  }

  private func components(_ separator: String) -> [String] {
    split(separator: separator, omittingEmptySubsequences: false).map(String.init)
  }
}

@Suite struct SimulatorTests {
  /// Ring on a 2-device mesh: every step is the larger of compute and
  /// latency + K/V bytes over the link (closed form CM.3 (i)).
  @Test func ringStepsFollowTheClosedForm() throws {
    let p = try ProfileLoader.load(path: writeTemporary(meshProfile, "mesh.xml"), schema: schema)
    let module = try plan("tiny-dit.ir", sp: 2, seq: 4096, strategy: .ring)
    let report = try Simulator(plan: module, profile: p).run()
    let layer = try #require(report.programs.first { $0.family == "block" })
    // K and V of 2048 tokens × 4 heads × 8 × 4 B each: 524288 B over 1 GB/s, plus 10 µs.
    let transfer = 524_288.0 / 1e9 + 10e-6
    // One block: 2048 × 2048 pairs × 2 (8 + 8) × 4 heads FLOPs at 1 TFLOP/s.
    let compute = 2048.0 * 2048 * 2 * 16 * 4 / 1e12
    let step0 = try #require(layer.steps.first { $0.step == 0 })
    #expect(abs(step0.communication - transfer) < 1e-7)
    #expect(abs(step0.compute - compute) < 1e-6)
    #expect(step0.critical == (transfer > compute ? "communication" : "compute"))
  }

  /// A step's time is its span on the critical path: the spans add up to the
  /// layer's time less what lies in no step, and a step whose all-to-all
  /// every rank waits for holds that wait (USP's numbered all-to-alls).
  @Test(arguments: [
    ("llama2-7b-attention.ir", Strategy.tokenring, 4, "a10-pcie-4"), ("llama2-7b-attention.ir", .ringZigzag, 4, "a10-pcie-4"),
    ("llama2-7b-attention.ir", .usp(ulysses: 4, ring: 2, inner: .ring), 8, "h100-sxm-8"),
    ("llama2-7b-attention.ir", .ulysses, 8, "ascend-910b-8"),
  ])
  func stepSpansAddUpToTheLayer(model: String, strategy: Strategy, sp: Int, profile name: String) throws {
    let report = try Simulator(plan: try plan(model, sp: sp, seq: 24576, strategy: strategy), profile: try profile(name)).run()
    for p in report.programs where !p.steps.isEmpty {
      let total = p.steps.reduce(0) { $0 + $1.seconds }
      #expect(total <= p.seconds * (1 + 1e-9), "\(strategy): \(total) > \(p.seconds)")
      #expect(total > p.seconds * 0.5, "\(strategy): \(total) of \(p.seconds)")
      #expect(p.steps.allSatisfy { $0.seconds >= 0 })
      if case .ulysses = strategy {
        // The all-to-alls in (steps 0-2) and back (the last) each hold their transfer.
        #expect(p.steps.filter { $0.step != 3 }.allSatisfy { $0.seconds > 0 }, "\(p.steps.map(\.seconds))")
      }
    }
  }

  /// Published crossovers (algorithms.md CM.4): TokenRing ahead of Ring for MHA
  /// on a full mesh when communication-bound; Ring ahead for GQA 4:1 on NVSwitch.
  @Test func crossoversFollowTheClosedForms() throws {
    let ascend = StrategyComparison(
      model: try Parser.parse(try readText(repositoryRoot + "/models/llama2-7b.ir")).withSequence(32768), sp: 8,
      profile: try profile("ascend-910b-8"), strategies: [.tokenring, .ringZigzag])
    #expect(ascend.winner?.strategy == .tokenring, "\(ascend.reason)")
    let h100 = StrategyComparison(
      model: try Parser.parse(try readText(repositoryRoot + "/models/llama3-8b.ir")).withSequence(32768), sp: 8,
      profile: try profile("h100-sxm-8"), strategies: [.tokenring, .ringZigzag])
    #expect(h100.winner?.strategy == .ringZigzag, "\(h100.reason)")
  }

  @Test func comparisonSaysWhyAStrategyCannotServe() throws {
    let c = StrategyComparison(
      model: try Parser.parse(try readText(repositoryRoot + "/models/tiny.ir")), sp: 3, profile: try profile("h100-sxm-8"),
      strategies: [.ulysses, .ring])
    #expect(c.rows[0].refusal == "ulysses needs the query heads (4) to be a multiple of the Ulysses degree 3")
    #expect(c.winner?.strategy == .ring)
  }

  @Test func sharedComputeUnitsSlowRanksDown() throws {
    // Fast links, so compute decides.
    let fast = meshProfile.replacingFirst("link-bandwidth=\"1\"", "link-bandwidth=\"1000\"")
    let own = try ProfileLoader.load(path: writeTemporary(fast, "own.xml"), schema: schema)
    let shared = try ProfileLoader.load(
      path: writeTemporary(fast.replacingFirst("<topology>", "<compute-units count=\"1\"/>\n  <topology>"), "shared.xml"),
      schema: schema)
    #expect(own.computeUnits == nil && shared.computeUnits == 1)
    let module = try plan("tiny-dit.ir", sp: 2, seq: 4096, strategy: .allgather)
    let alone = try Simulator(plan: module, profile: own).run().totalSeconds
    let together = try Simulator(plan: module, profile: shared).run().totalSeconds
    #expect(together > 1.8 * alone)
  }
}

extension Module {
  func withSequence(_ n: Int64) -> Module {
    var m = self
    _ = m.setSequenceLength(n)
    return m
  }
}

/// An unverified plan that deadlocks gets the plan verifier's report from
/// the simulator: the ranks, the ops they wait in and the peers, located.
@Suite struct SimulatorDeadlockTests {
  @Test func bothRanksWaitingFirstIsReportedLikeTheVerifier() throws {
    var m = try plan("tiny.ir", sp: 2, seq: 32, strategy: .tokenring)
    // Each rank's first send moves after its first wait for the peer's.
    for r in 0..<2 {
      let gi = try #require(m.graphs.firstIndex { $0.name == "layer.r\(r)" })
      var ops = m.graphs[gi].ops
      let send = ops.remove(at: try #require(ops.firstIndex { $0.opcode == .sendStart }))
      let key = try #require(MessageKey(send, rank: r))
      let done = ops.remove(at: try #require(ops.firstIndex { $0.opcode == .sendDone && MessageKey($0, rank: r) == key }))
      let wait = try #require(ops.firstIndex { $0.opcode == .recvDone })
      ops.insert(contentsOf: [send, done], at: wait + 1)
      m.graphs[gi].ops = ops
    }
    let verifier = PlanVerifier.verify(m).map(\.message)
    #expect(verifier.contains { $0.hasPrefix("deadlock: rank 0 waits in recv.done for rank 1") }, "\(verifier)")
    #expect(throws: Simulator.Failure.self) { try Simulator(plan: m, profile: try profile("h100-sxm-8")).run() }
    do {
      _ = try Simulator(plan: m, profile: try profile("h100-sxm-8")).run()
    } catch let failure as Simulator.Failure {
      #expect(failure.description.contains("deadlock: rank 0 waits in recv.done for rank 1"), "\(failure)")
    }
  }
}
