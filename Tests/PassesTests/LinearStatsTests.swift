import GraphIR
import Passes
import PlanIR
import Testing

/// `PlanStats` of LASP-2 and LASP-1 against their closed forms (LASP-2,
/// arXiv 2502.07563 §3; LASP-1, arXiv 2404.02882 §3), written out here:
/// a state is `KVH·Dk·W` f32, independent of the sequence length.
@Suite struct LinearStatsTests {
  // tiny-linear: 4 query heads, 2 kv heads, head_dim 16, no normalisation (W = Dv = 16).
  static let (h, kvh, d, w): (Int64, Int64, Int64, Int64) = (4, 2, 16, 16)
  static let stateBytes = kvh * d * w * 4

  static func messages(_ stats: PlanStats) -> [String: Int64] {
    let program = stats.programs.first { !$0.messages.isEmpty }!
    var out: [String: Int64] = [:]
    for m in program.messages { out["\(m.step) \(m.src) \(m.dst) \(m.kind)", default: 0] += m.bytes }
    return out
  }

  /// LASP-2: one all-gather of states at step 0, whatever the length.
  @Test(arguments: [(2, 29), (3, 40), (4, 29), (4, 4096)])
  func lasp2GathersEveryState(sp: Int, seq: Int) throws {
    let stats = try PlanStats(try compile("tiny-linear.ir", sp: sp, seq: Int64(seq), strategy: Strategy("lasp2")!))
    var expected: [String: Int64] = [:]
    for src in 0..<sp { for dst in 0..<sp where dst != src { expected["0 \(src) \(dst) state"] = Self.stateBytes } }
    #expect(Self.messages(stats) == expected)
  }

  /// LASP-1, causal: the running state walks the ring once, r → r+1 at step r.
  @Test(arguments: [(2, 29), (3, 40), (4, 4096)])
  func lasp1PassesOneStateDown(sp: Int, seq: Int) throws {
    let stats = try PlanStats(try compile("tiny-linear.ir", sp: sp, seq: Int64(seq), strategy: Strategy("lasp1")!))
    var expected: [String: Int64] = [:]
    for r in 0..<(sp - 1) { expected["\(r) \(r) \(r + 1) state"] = Self.stateBytes }
    #expect(Self.messages(stats) == expected)
  }

  /// The compute of a causal rank of n tokens: the masked chunk products
  /// (n·min(64, n) pairs, half of them, at 2·H·(Dk + W) each), the
  /// inter-chunk state reads (2·n·H·Dk·W) and updates (2·n·KVH·Dk·W), its own
  /// state (2·n·KVH·Dk·W), and reading the prefix unless it is rank 0.
  @Test func lasp2FlopsPerRank() throws {
    let (sp, seq): (Int, Int64) = (3, 200)
    let stats = try PlanStats(try compile("tiny-linear.ir", sp: sp, seq: seq, strategy: Strategy("lasp2")!))
    let program = stats.programs.first { !$0.stepFlops.isEmpty }!
    let (h, kvh, d, w) = (Self.h, Self.kvh, Self.d, Self.w)
    for r in 0..<sp {
      let n = seq / Int64(sp) + (Int64(r) < seq % Int64(sp) ? 1 : 0)
      let chunk = n * min(64, n) * h * (d + w)
      let inter = 2 * n * h * d * w + 2 * n * kvh * d * w
      let state = 2 * n * kvh * d * w
      let prefix = r > 0 ? 2 * n * h * d * w : 0
      #expect(program.stepFlops[0]?[r] == chunk + inter + state + prefix, "rank \(r)")
    }
  }
}
