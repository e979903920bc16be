import GraphIR
import Passes
import PlanIR
import RingcTestSupport
import Simulation
import Testing

/// Whole-device memory per rank: weights (replicated), activations, the KV
/// cache; `compare` and `--strategy auto` never pick what does not fit, and
/// say what would.
@Suite struct DeviceMemoryTests {
  func model(_ name: String, seq: Int64? = nil) throws -> Module {
    let m = try Parser.parse(try readText(repositoryRoot + "/models/" + name), file: name)
    return seq.map { m.withSequence($0) } ?? m
  }

  /// tiny: 74048 f32 parameters; 2 layers of K and V, 2 kv heads × 16.
  @Test func tinyClosedForms() throws {
    let p = try plan("tiny.ir", sp: 4, seq: 32, strategy: .ring)
    for r in 0..<4 {
      let m = DeviceMemory(p, rank: r)
      #expect(m.weights == 74048 * 4)
      #expect(m.kvCache == 2 * 2 * 8 * 2 * 16 * 4, "2 layers × (K, V) × 8 tokens × 2 kv heads × 16 × 4 bytes")
      #expect(m.activations >= m.attention && m.attention > 0)
      #expect(m.total == m.weights + m.activations)
    }
  }

  /// Llama-3-70B's bf16 weights (131 GiB) on 80 GB devices: nothing fits, and
  /// the reason says more ranks cannot help.
  @Test func replicatedWeightsThatCannotFit() throws {
    let c = StrategyComparison(
      model: try model("llama3-70b.ir", seq: 32768), sp: 8, profile: try profile("h100-sxm-8"),
      strategies: [.ringZigzag, .ulysses])
    #expect(c.winner == nil)
    #expect(c.rows.allSatisfy { !$0.fits && ($0.memory?.weights ?? 0) == 70_553_706_496 * 2 })
    #expect(c.reason.contains("the weights alone exceed it"), "\(c.reason)")
    #expect(c.reason.contains("of the 80 layers' weights fit"), "\(c.reason)")
  }

  /// Activations that more ranks would split: the reason names a --sp.
  @Test func activationsThatMoreRanksWouldFit() throws {
    let mesh = try ProfileLoader.load(path: writeTemporary(meshProfile, "memory.xml"), schema: schema)
    let c = StrategyComparison(
      model: try model("llama2-7b-attention.ir", seq: 1 << 20), sp: 4, profile: mesh, strategies: [.ring, .ulysses])
    #expect(c.winner == nil)
    #expect(c.reason.contains("activations shrink with more ranks: about --sp "), "\(c.reason)")
  }

  /// Within 3 % two strategies tie and no cause is asserted.
  @Test func closePredictionsAreATie() throws {
    let c = StrategyComparison(
      model: try model("llama3-8b.ir", seq: 1_048_576), sp: 8, profile: try profile("h100-sxm-8"),
      strategies: [.ringZigzag, .tokenring])
    #expect(c.reason.contains("tie (within 3 %"), "\(c.reason)")
    #expect(!c.reason.contains(": it exposes") && !c.reason.contains("has less work"), "\(c.reason)")
  }
}
