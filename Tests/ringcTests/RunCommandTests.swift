import Foundation
import RingcTestSupport
import Testing

/// `mpirun -np P ringc run …`, end to end. Serialized: the machine has two
/// cores and each case starts up to four ranks.
@Suite(.serialized, .enabled(if: mpirunPath != nil, "mpirun is not installed"))
struct RunCommandTests {
  static func compile(_ model: String, sp: Int, seq: Int, in dir: String) throws -> String {
    let plan = "\(dir)/\(model).sp\(sp).s\(seq).plan"
    let r = try ringc(["compile", "models/\(model)", "--sp", "\(sp)", "--seq", "\(seq)", "-o", plan])
    #expect(r.status == 0, "\(r.stderr)")
    return plan
  }

  @Test(arguments: [
    ("tiny.ir", 2, 32), ("tiny.ir", 3, 32), ("tiny.ir", 4, 32), ("tiny.ir", 2, 29), ("tiny.ir", 3, 31), ("tiny.ir", 4, 43),
    ("tiny-dit.ir", 2, 24), ("tiny-dit.ir", 3, 24), ("tiny-dit.ir", 4, 24), ("tiny-dit.ir", 3, 23), ("tiny-dit.ir", 4, 26),
  ])
  func checkPasses(model: String, sp: Int, seq: Int) throws {
    let dir = try temporaryDirectory()
    let plan = try Self.compile(model, sp: sp, seq: seq, in: dir)
    let r = try mpirun(sp, ["run", plan, "--check", "--json"])
    #expect(r.status == 0, "\(r.stderr)")
    let json = try #require(JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as? [String: Any], "\(r.stdout)")
    #expect(json["ranks"] as? Int == sp)
    #expect(json["passed"] as? Bool == true)
    #expect((json["max_rel_error"] as? Double ?? 1) < 1e-5)
    #expect((json["layers"] as? [Any])?.count == 2, "both attention layers are compared")
  }

  /// Head width and kv-head count given as named dims (`dim D = 16`,
  /// `f32[S,KV,D]`): every strategy compiles and matches at P = 2.
  @Test(arguments: ["tokenring", "passq", "ring", "ring-zigzag", "striped", "rsa", "ulysses", "usp:1x2", "usp:2x1:tokenring", "allgather"])
  func namedDimsCompileAndRunForEveryStrategy(strategy: String) throws {
    let dir = try temporaryDirectory()
    let plan = "\(dir)/named.plan"
    let compiled = try ringc(["compile", "models/tiny-named-dims.ir", "--sp", "2", "--strategy", strategy, "-o", plan])
    #expect(compiled.status == 0, "\(compiled.stderr)")
    let r = try mpirun(2, ["run", plan, "--check", "--json"])
    #expect(r.status == 0, "\(r.stderr)")
    let json = try #require(JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as? [String: Any], "\(r.stdout)")
    #expect(json["passed"] as? Bool == true)
  }

  /// Every strategy, causal GQA (tiny) and non-causal MHA (tiny-dit), P = 2…4
  /// where the strategy allows it, on an uneven length.
  @Test(arguments: ["passq", "ring", "ring-zigzag", "striped:2", "rsa", "ulysses", "allgather", "usp:2x2", "usp:2x2:tokenring"], ["tiny.ir", "tiny-dit.ir"])
  func everyStrategyMatchesTheDenseReference(strategy: String, model: String) throws {
    let dir = try temporaryDirectory()
    for sp in strategy.hasPrefix("usp") ? [4] : strategy == "ulysses" ? [2, 4] : [2, 3, 4] {
      let plan = "\(dir)/p\(sp).plan"
      let compiled = try ringc(["compile", "models/\(model)", "--sp", "\(sp)", "--seq", "29", "--strategy", strategy, "-o", plan])
      #expect(compiled.status == 0, "\(compiled.stderr)")
      let r = try mpirun(sp, ["run", plan, "--check", "--json"])
      #expect(r.status == 0, "\(strategy) \(model) sp \(sp): \(r.stderr)")
      #expect(r.stdout.contains("\"passed\": true"), "\(strategy) \(model) sp \(sp): \(r.stdout)")
    }
  }

  @Test func textReportAndTraceAndTensorDumps() throws {
    let dir = try temporaryDirectory()
    let plan = try Self.compile("tiny.ir", sp: 2, seq: 30, in: dir)
    let r = try mpirun(2, ["run", plan, "--check", "--trace", "\(dir)/trace.json", "--dump-tensors", "\(dir)/tensors"])
    #expect(r.status == 0, "\(r.stderr)")
    #expect(r.stdout.contains("on 2 ranks"))
    #expect(r.stdout.contains("exposed s"))
    #expect(r.stdout.contains("check: output max_abs_error"))
    let trace = try #require(JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: "\(dir)/trace.json"))) as? [String: Any])
    let events = try #require(trace["traceEvents"] as? [[String: Any]])
    #expect(Set(events.compactMap { $0["pid"] as? Int }) == [0, 1])
    #expect(events.contains { $0["name"] as? String == "attn.block s1" && $0["tid"] as? Int == 0 })
    #expect(events.contains { ($0["tid"] as? Int) == 1 && (($0["args"] as? [String: Any])?["bytes"] as? Int ?? 0) > 0 })
    let files = try FileManager.default.contentsOfDirectory(atPath: "\(dir)/tensors").sorted()
    #expect(files == ["layer0.k.npy", "layer0.out.npy", "layer0.q.npy", "layer0.v.npy", "layer1.k.npy", "layer1.out.npy", "layer1.q.npy", "layer1.v.npy"])
    let q = try Data(contentsOf: URL(fileURLWithPath: "\(dir)/tensors/layer0.q.npy"))
    #expect(String(decoding: q[10..<80], as: UTF8.self).contains("'shape': (30, 4, 16)"))
    #expect(q.count == 128 + 30 * 4 * 16 * 4)
  }

  @Test func seqRecompilesThePlansModel() throws {
    let dir = try temporaryDirectory()
    let plan = try Self.compile("tiny.ir", sp: 3, seq: 32, in: dir)
    let r = try mpirun(3, ["run", plan, "--seq", "37", "--check", "--json"])
    #expect(r.status == 0, "\(r.stderr)")
    #expect(r.stdout.contains("\"passed\": true"))
  }

  @Test func worldSizeMismatchIsOneLineFromRankZero() throws {
    let dir = try temporaryDirectory()
    let plan = try Self.compile("tiny.ir", sp: 4, seq: 32, in: dir)
    let r = try mpirun(2, ["run", plan])
    #expect(r.status == 64)
    let line = "ringc run: \(plan) is a plan for 4 ranks but mpirun started 2; run it with mpirun -np 4\n"
    #expect(r.stderr.components(separatedBy: line).count == 2, "\(r.stderr)")
  }

  @Test func usageErrorsArePrintedOnceByRankZero() throws {
    let r = try mpirun(3, ["run", "some.plan", "--timeout", "0"])
    #expect(r.status == 64)
    #expect(r.stderr.components(separatedBy: "Error: --timeout must be positive, found 0.0\n").count == 2, "\(r.stderr)")
    #expect(r.stderr.components(separatedBy: "Usage: ringc run").count == 2, "\(r.stderr)")
  }

  @Test func aFailingRankAbortsTheJobWithoutHanging() throws {
    let dir = try temporaryDirectory()
    let plan = try Self.compile("tiny.ir", sp: 3, seq: 32, in: dir)
    let start = Date()
    let r = try mpirun(3, ["run", plan, "--fail-rank", "1"])
    #expect(r.status != 0)
    #expect(r.stderr.contains("ringc: rank 1 on host \(hostName): attn.block (\(plan):"), "\(r.stderr)")
    #expect(r.stderr.contains(") in @layer.r1: deliberate failure (--fail-rank)\n"), "\(r.stderr)")
    #expect(Date().timeIntervalSince(start) < 30)
  }

  @Test func aPlanWithAMissingMessageIsRefusedBeforeAnyRankWaits() throws {
    let dir = try temporaryDirectory()
    let plan = try Self.compile("tiny.ir", sp: 2, seq: 32, in: dir)
    // Rank 1 never sends its query: run must refuse the plan, not wait for it.
    var text = try String(contentsOfFile: plan, encoding: .utf8)
    let r1 = try #require(text.range(of: "graph @layer.r1"))
    var tail = String(text[r1.lowerBound...])
    for line in ["    send.start %qr {chan = @a.q, peer = 0, step = 0}\n", "    send.done %qr {chan = @a.q, peer = 0, step = 0}\n"] {
      tail = tail.replacingOccurrences(of: line, with: "")
    }
    text = String(text[..<r1.lowerBound]) + tail
    try text.write(toFile: plan, atomically: true, encoding: .utf8)
    let start = Date()
    let r = try mpirun(2, ["run", plan, "--timeout", "600"])
    #expect(r.status == 65, "\(r.stderr)")
    #expect(r.stderr.contains("error: rank 0: recv.start from rank 1 (chan @a.q, step 0) has no matching send.start on rank 1"), "\(r.stderr)")
    #expect(Date().timeIntervalSince(start) < 30)
  }

  /// A model whose rank programs use one weight of `columns` × 64 floats.
  static func wideModel(columns: Int) -> String {
    """
    module @huge {
      dim S = 32 {sequence = true}
      weight @wq : f32[64,64]
      weight @wide : f32[64,\(columns)]
      graph @main(%x: f32[S,64]) -> f32[S,\(columns)] {
        %q = matmul %x, @wq : f32[S,64]
        %qh = reshape %q : f32[S,4,16]
        %a = attention %qh, %qh, %qh {causal = true} : f32[S,4,16]
        %af = reshape %a : f32[S,64]
        %y = matmul %af, @wide : f32[S,\(columns)]
        return %y
      }
    }
    """
  }

  static func compileWide(columns: Int, in dir: String) throws -> String {
    try wideModel(columns: columns).write(toFile: "\(dir)/huge.ir", atomically: true, encoding: .utf8)
    let plan = "\(dir)/huge.plan"
    let compiled = try ringc(["compile", "\(dir)/huge.ir", "--sp", "2", "-o", plan])
    #expect(compiled.status == 0, "\(compiled.stderr)")
    return plan
  }

  /// A plan whose largest tensor cannot fit in a rank's share of the host is
  /// refused before anything is allocated (a 256 GiB weight).
  @Test func aTensorLargerThanTheRanksMemoryIsRefusedBeforeTheRun() throws {
    let plan = try Self.compileWide(columns: 1 << 30, in: try temporaryDirectory())
    let r = try mpirun(2, ["run", plan])
    #expect(r.status == 69, "\(r.stderr)")
    #expect(
      r.stderr.contains("the plan needs 274877906944 bytes for weight @wide f32[64,1073741824] (\(plan):"),
      "\(r.stderr)")
    #expect(r.stderr.contains("more than this rank's share of the host's memory"), "\(r.stderr)")
  }

  /// A tensor that cannot be allocated ends the job naming rank, what it
  /// was for and bytes (a 1 GiB weight under a 1 GiB address-space limit
  /// fails whatever the machine, here while it is read ahead of the run).
  @Test func aFailedAllocationNamesRankOpAndBytes() throws {
    let plan = try Self.compileWide(columns: 1 << 22, in: try temporaryDirectory())
    let session = sessionDirectory()
    defer { try? FileManager.default.removeItem(atPath: session) }
    let r = try run(
      "/bin/sh", ["-c", "ulimit -v 1048576 && exec \"$0\" \"$@\"", mpirunPath ?? "mpirun"] + mpirunFlags(2, session: session) + ["run", plan],
      in: repositoryRoot)
    #expect(r.status == 70)
    #expect(
      r.stderr.contains(
        "on host \(hostName): out of memory allocating 1073741824 bytes for a tensor in weight @wide f32[64,4194304] (\(plan):"),
      "\(r.stderr)")
    #expect(!r.stderr.contains("Fatal error"), "\(r.stderr)")
  }

  @Test func weightsLoadFromSafetensorsAndMissingOnesAreNamed() throws {
    let dir = try temporaryDirectory()
    let plan = try Self.compile("tiny-dit.ir", sp: 2, seq: 8, in: dir)
    // A file with every weight of tiny-dit, all 0.01.
    let shapes: [(String, [Int])] = [
      ("scale_msa", [32]), ("shift_msa", [32]), ("gate_msa", [32]), ("w_q", [32, 32]), ("w_k", [32, 32]), ("w_v", [32, 32]),
      ("w_proj", [32, 32]), ("b_proj", [32]), ("w_fc1", [32, 64]), ("b_fc1", [64]), ("w_fc2", [64, 32]), ("b_fc2", [32]),
    ]
    var tensors: [(String, [Int])] = []
    for layer in 0..<2 { for (n, s) in shapes { tensors.append(("layers.\(layer).\(n)", s)) } }
    try writeSafetensors(tensors, to: "\(dir)/w.safetensors")
    let ok = try mpirun(2, ["run", plan, "--check", "--weights", "\(dir)/w.safetensors", "--json"])
    #expect(ok.status == 0, "\(ok.stderr)")
    #expect(ok.stdout.contains("\"passed\": true"))
    try writeSafetensors(Array(tensors.dropLast()), to: "\(dir)/partial.safetensors")
    let missing = try mpirun(2, ["run", plan, "--weights", "\(dir)/partial.safetensors"])
    #expect(missing.status != 0)
    #expect(missing.stderr.contains("tensor 'layers.1.b_fc2' is missing"), "\(missing.stderr)")
    #expect(missing.status == 65, "\(missing.stderr)")
    let absent = try mpirun(2, ["run", plan, "--weights", "\(dir)/absent.safetensors"])
    #expect(absent.status == 66, "\(absent.stderr)")
    // An infinite weight makes the reference infinite: --check must fail,
    // saying where, though every relative error reads 0.
    try writeSafetensors(tensors, to: "\(dir)/inf.safetensors", value: .infinity)
    let infinite = try mpirun(2, ["run", plan, "--check", "--weights", "\(dir)/inf.safetensors"])
    #expect(infinite.status == 1, "\(infinite.stderr)")
    #expect(infinite.stdout.contains("FAILED"), "\(infinite.stdout)")
    #expect(infinite.stdout.contains("not finite: the "), "\(infinite.stdout)")
  }

  func writeSafetensors(_ tensors: [(String, [Int])], to path: String, value: Float = 0.01) throws {
    var offset = 0
    var entries: [String] = []
    var data = Data()
    for (name, shape) in tensors {
      let n = shape.reduce(1, *)
      entries.append("\"\(name)\": {\"dtype\": \"F32\", \"shape\": \(shape), \"data_offsets\": [\(offset), \(offset + 4 * n)]}")
      for _ in 0..<n { withUnsafeBytes(of: value.bitPattern.littleEndian) { data.append(contentsOf: $0) } }
      offset += 4 * n
    }
    let header = Data(("{\"__metadata__\": {\"format\": \"pt\"}, " + entries.joined(separator: ", ") + "}").utf8)
    var file = Data()
    withUnsafeBytes(of: UInt64(header.count).littleEndian) { file.append(contentsOf: $0) }
    file.append(header)
    file.append(data)
    try file.write(to: URL(fileURLWithPath: path))
  }

  /// q, k and v that are the graph's own inputs are dumped too, not only the output.
  @Test func dumpTensorsWritesQKVAndOutputOfEveryAttention() throws {
    let dir = try temporaryDirectory()
    let plan = dir + "/attn.plan"
    let compiled = try ringc(["compile", "models/llama2-7b-attention.ir", "--sp", "2", "--seq", "64", "-o", plan])
    #expect(compiled.status == 0, "\(compiled.stderr)")
    let r = try mpirun(2, ["run", plan, "--dump-tensors", dir + "/dump"])
    #expect(r.status == 0, "\(r.stderr)")
    let files = try FileManager.default.contentsOfDirectory(atPath: dir + "/dump").sorted()
    #expect(files == ["layer0.k.npy", "layer0.out.npy", "layer0.q.npy", "layer0.v.npy"])
  }
}
