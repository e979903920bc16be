import Foundation
import RingcTestSupport
import Testing

/// pass-Q, LoongTrain, TASP and TokenRing over TASP's rings under `mpirun -np P ringc run --check`: causal GQA
/// (tiny: 4 query heads, 2 kv heads, so H = 4 replicates kv heads) and
/// non-causal MHA (tiny-dit), at a length (29) no 2P divides; P = 6 and 8
/// oversubscribed where the double ring needs them.
@Suite(.serialized, .enabled(if: mpirunPath != nil, "mpirun is not installed"))
struct TopologyStrategyRunTests {
  @Test(arguments: [
    ("passq", 3), ("passq", 4), ("loongtrain:2x2", 4), ("loongtrain:1x4:w2", 4), ("loongtrain:2x2:context-first", 4),
    ("loongtrain:4x2:context-first", 8), ("loongtrain:2x4:w2", 8), ("loongtrain:2x4:w2:context-first", 8),
    ("loongtrain:1x6:w3", 6), ("loongtrain:1x6:w2:context-first", 6), ("tasp", 3), ("tasp", 4), ("tasp", 6), ("tasp", 8),
    ("tokenring:tasp", 3), ("tokenring:tasp", 4), ("tokenring:tasp", 6), ("tokenring:tasp", 8),
    ("tasp:node2", 4), ("tasp:node4", 8), ("tokenring:tasp:node2", 6), ("tokenring:tasp:node4", 8),
  ], ["tiny.ir", "tiny-dit.ir"])
  func matchesTheDenseReference(strategy: (String, Int), model: String) throws {
    let (name, sp) = strategy
    let dir = try temporaryDirectory()
    let plan = "\(dir)/p.plan"
    // TASP cuts each rank's keys into a part per ring: P = 8 needs 7 rows a rank.
    let seq = name.contains("tasp") && sp == 8 ? "101" : "29"
    let compiled = try ringc(["compile", "models/\(model)", "--sp", "\(sp)", "--seq", seq, "--strategy", name, "-o", plan])
    #expect(compiled.status == 0, "\(name) \(model): \(compiled.stderr)")
    let r = try mpirun(sp, ["run", plan, "--check", "--json"])
    #expect(r.status == 0, "\(name) \(model) sp \(sp): \(r.stderr)")
    #expect(r.stdout.contains("\"passed\": true"), "\(name) \(model) sp \(sp): \(r.stdout)")
  }

  /// Degrees, windows and heads that cannot serve are one-line refusals.
  @Test(arguments: [
    (["--sp", "4", "--strategy", "loongtrain:1x4:w3"], 64, "the inner-ring window 3 must divide the context-parallel degree 4"),
    (["--sp", "4", "--strategy", "loongtrain:3x2"], 64, "needs --sp 6 (heads 3 × context 2), found --sp 4"),
    (["--sp", "6", "--strategy", "loongtrain:3x2"], 65, "loongtrain needs the query heads (4) to be a multiple of the Ulysses degree 3"),
    (["--sp", "4", "--strategy", "loongtrain:2x2:sideways"], 64, "unknown --strategy 'loongtrain:2x2:sideways'"),
    (["--sp", "6", "--strategy", "tasp:node4"], 64, "--strategy tasp:node4: 6 ranks are not whole nodes of 4"),
    (["--sp", "6", "--strategy", "tokenring:tasp:node3"], 64, "its per-node paths need an even number of ranks per node, not 3"),
    (["--sp", "8", "--seq", "40", "--strategy", "tasp"], 65, "tasp cuts each rank's keys into 7 parts, one per Hamiltonian ring of 8 ranks, but a rank holds only 5 tokens"),
  ])
  func refusesWithAReason(arguments: [String], status: Int32, message: String) throws {
    let dir = try temporaryDirectory()
    let r = try ringc(["compile", "models/tiny.ir"] + arguments + ["-o", "\(dir)/p.plan"])
    #expect(r.status == status, "\(r.stderr)")
    #expect(r.stderr.contains(message), "\(r.stderr)")
  }
}
