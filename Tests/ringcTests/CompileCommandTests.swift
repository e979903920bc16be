import Foundation
import Testing

@Suite struct CompileCommandTests {
  @Test func compileWritesAVerifiedPlanThatStatsAndDumpRead() throws {
    let dir = try temporaryDirectory()
    let plan = dir + "/tiny.plan"
    let compiled = try ringc(["compile", "models/tiny.ir", "--sp", "3", "-o", plan])
    #expect(compiled.status == 0, "\(compiled.stderr)")
    #expect(compiled.stdout.hasPrefix("\(plan): tokenring, sp 3, zigzag layout, sequence 32, 2 layers"))
    let text = try String(contentsOfFile: plan, encoding: .utf8)
    #expect(text.hasPrefix("// ringc plan v2: tiny.ir compiled with --sp 3 --strategy tokenring\n"))

    let verified = try ringc(["verify", plan])
    #expect(verified.status == 0)
    #expect(verified.stdout.hasPrefix("\(plan): ok: tokenring, sp 3"))

    let stats = try ringc(["stats", plan, "--json"])
    #expect(stats.status == 0)
    let json = try #require(JSONSerialization.jsonObject(with: Data(stats.stdout.utf8)) as? [String: Any])
    #expect(json["sp"] as? Int == 3)
    #expect(json["strategy"] as? String == "tokenring")
    let messages = try #require(json["messages"] as? [[String: Any]])
    #expect(Set(messages.compactMap { $0["kind"] as? String }) == ["query", "partial", "lse"])
    #expect((json["layers"] as? [Any])?.count == 2)

    let dot = try ringc(["dump", plan, "--format", "dot", "--layer", "1"])
    #expect(dot.status == 0)
    #expect(dot.stdout.hasPrefix("digraph plan {"))
    #expect(dot.stdout.contains("subgraph \"cluster_layer_r2\""))
    #expect(dot.stdout.contains("[color=blue, label=\"a.q s0:"))

    let rank = try ringc(["dump", plan, "--rank", "1"])
    #expect(rank.stdout.contains("graph @layer.r1(") && !rank.stdout.contains("graph @layer.r0("))
    let dumpJSON = try ringc(["dump", plan, "--format", "json", "--rank", "0"])
    #expect((try JSONSerialization.jsonObject(with: Data(dumpJSON.stdout.utf8)) as? [String: Any])?["ranks"] != nil)
  }

  @Test func sameInputAndFlagsGiveByteIdenticalPlansAndDumps() throws {
    let dir = try temporaryDirectory()
    for name in ["a", "b"] {
      let r = try ringc(["compile", "models/llama3-8b.ir", "--sp", "4", "--seq", "1000", "-o", "\(dir)/\(name).plan", "--dump-dir", "\(dir)/\(name)"])
      #expect(r.status == 0)
    }
    #expect(FileManager.default.contentsEqual(atPath: "\(dir)/a.plan", andPath: "\(dir)/b.plan"))
    let files = try FileManager.default.contentsOfDirectory(atPath: "\(dir)/a").sorted()
    #expect(files == ["00-input.ir", "01-shard-sequence.ir", "02-token-ring.ir"])
    for f in files {
      #expect(FileManager.default.contentsEqual(atPath: "\(dir)/a/\(f)", andPath: "\(dir)/b/\(f)"))
    }
  }

  @Test func printAfterAndTimePassesGoToStandardError() throws {
    let dir = try temporaryDirectory()
    let r = try ringc(["compile", "models/tiny.ir", "--sp", "2", "-o", dir + "/p", "--print-after", "shard-sequence", "--time-passes"])
    #expect(r.status == 0)
    #expect(r.stderr.contains("// -----// IR Dump After shard-sequence //----- //\nmodule @tiny {layout = \"zigzag\", sp = 2, stage = \"partitioned\"}"))
    #expect(!r.stderr.contains("IR Dump After token-ring"))
    #expect(r.stderr.contains("s  token-ring"))
  }

  @Test(arguments: [
    (["--sp", "0"], "--sp must be at least 1, found 0"),
    (["--sp", "17"], "--sp 17 with the zigzag layout needs at least 34 tokens"),
    (["--sp", "2", "--strategy", "ringish"], "unknown --strategy 'ringish'; known: tokenring, tokenring:tasp[:nodeM], passq, tasp[:nodeM], ring, ring-zigzag"),
    (["--sp", "3", "--strategy", "usp:2x2"], "--strategy usp:2x2 needs --sp 4 (ulysses 2 × ring 2), found --sp 3"),
    (["--sp", "2", "--passes", "token-ring{x=1}"], "--passes: pass 'token-ring' takes no option 'x'"),
    (["--sp", "2", "--seq=-5"], "--seq must be a positive number of tokens, found -5"),
    (["--sp", "2", "--print-after", "bogus"], "--print-after bogus: the pipeline has no such pass (it runs shard-sequence, token-ring)"),
    (["--sp", "2", "--passes", "shard-sequence"], "the pipeline ends at stage partitioned; a plan is scheduled"),
    (["--sp", "2", "--passes", "token-ring"], "pass 'token-ring' reads a module at stage partitioned, but the pipeline gives it one at stage graph"),
  ])
  func badFlagsAreOneLineUsageErrors(flags: [String], message: String) throws {
    let dir = try temporaryDirectory()
    let r = try ringc(["compile", "models/tiny.ir", "-o", dir + "/p"] + flags)
    #expect(r.status == 64, "\(r.stderr)")
    #expect(r.stderr.contains(message), "\(r.stderr)")
    #expect(try FileManager.default.contentsOfDirectory(atPath: dir).isEmpty, "nothing is written")
  }

  /// Every candidate order the scheduler weighs is kept or dropped with its reason.
  @Test func timePassesShowsWhyTheSchedulerDroppedEachCandidate() throws {
    let dir = try temporaryDirectory()
    let r = try ringc([
      "compile", "models/llama2-7b-attention.ir", "--sp", "4", "--seq", "24000", "--profile", "a10-pcie-4", "--time-passes",
      "-o", dir + "/p",
    ])
    #expect(r.status == 0, "\(r.stderr)")
    #expect(r.stderr.contains("remark: overlap-schedule: late dones dropped: predicted "), "\(r.stderr)")
    #expect(r.stderr.contains("remark: overlap-schedule: 4 partials in 2 pieces, as written "), "\(r.stderr)")
    #expect(r.stderr.contains(" kept: predicted ") || r.stderr.contains(" to replace "), "\(r.stderr)")
    #expect(r.stderr.contains("s  overlap-schedule"))
  }

  @Test func aStrategyThatCannotServeTheModelSaysWhy() throws {
    let dir = try temporaryDirectory()
    let r = try ringc(["compile", "models/tiny.ir", "--sp", "3", "--strategy", "ulysses", "-o", dir + "/p"])
    #expect(r.status == 65)
    #expect(r.stderr.contains("models/tiny.ir:30:10: error: ulysses needs the query heads (4) to be a multiple of the Ulysses degree 3"))
  }

  @Test func modelWithoutAttentionCompilesAndSaysSo() throws {
    let dir = try temporaryDirectory()
    let model = dir + "/mlp.ir"
    try """
      module @mlp {
        dim S = 16 {sequence = true}
        weight @w : f32[8,8]
        graph @main(%x: f32[S,8]) -> f32[S,8] {
          %y = matmul %x, @w : f32[S,8]
          %z = silu %y : f32[S,8]
          return %z
        }
      }
      """.write(toFile: model, atomically: true, encoding: .utf8)
    let r = try ringc(["compile", model, "--sp", "4", "-o", dir + "/mlp.plan"])
    #expect(r.status == 0, "\(r.stderr)")
    #expect(r.stderr.contains("note: the model has no attention; the plan only splits token-local ops"))
    #expect(try ringc(["verify", dir + "/mlp.plan"]).status == 0)
  }

  @Test func verifyRejectsABrokenPlanNamingRankOpAndPeer() throws {
    let dir = try temporaryDirectory()
    let plan = dir + "/tiny.plan"
    #expect(try ringc(["compile", "models/tiny.ir", "--sp", "2", "-o", plan]).status == 0)
    // Rank 1 sends its query to itself instead of rank 0.
    var text = try String(contentsOfFile: plan, encoding: .utf8)
    let r1 = try #require(text.range(of: "graph @layer.r1"))
    let fixed = text[r1.lowerBound...].replacingOccurrences(
      of: "send.start %qr {chan = @a.q, peer = 0, step = 0}", with: "send.start %qr {chan = @a.q, peer = 7, step = 0}")
    text = String(text[..<r1.lowerBound]) + fixed
    try text.write(toFile: plan, atomically: true, encoding: .utf8)
    let r = try ringc(["verify", plan])
    #expect(r.status == 65)
    #expect(r.stderr.contains("error: rank 1: send.start names peer 7, which is not another rank of 2"), "\(r.stderr)")
  }

  @Test func statsRejectsAModelThatIsNotAPlan() throws {
    let r = try ringc(["stats", "models/tiny.ir"])
    #expect(r.status == 65)
    #expect(r.stderr.contains("is not a plan (no plan_version); compile it with 'ringc compile'"))
  }
}
