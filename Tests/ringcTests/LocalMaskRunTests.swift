import Foundation
import RingcTestSupport
import Testing

/// Sliding windows and packed documents under `mpirun -np P ringc run
/// --check`: random windows (1, under a chunk, across several chunks, past
/// the sequence), random document lengths (length-1 documents, one longer
/// than a rank's chunk), random lengths and P = 2…4, on every strategy that
/// honours them, causal (tiny) and full (tiny-dit); each plan passes the
/// plan verifier (no block the mask hides is computed) when it is compiled.
@Suite(.serialized, .enabled(if: mpirunPath != nil, "mpirun is not installed"))
struct LocalMaskRunTests {
  /// `models/NAME` with a window on its attention, written to `dir`.
  static func windowed(_ name: String, window: Int, in dir: String) throws -> String {
    let text = try String(contentsOfFile: repositoryRoot + "/models/" + name, encoding: .utf8)
    let attention = text.contains("{causal = true}") ? "{causal = true}" : "{causal = false}"
    let edited = text.replacingOccurrences(of: attention, with: attention.dropLast() + ", window = \(window)}")
    #expect(edited != text, "\(name) has an attention to put a window on")
    let path = "\(dir)/w\(window).\(name)"
    try edited.write(toFile: path, atomically: true, encoding: .utf8)
    return path
  }

  /// Drawn once from a fixed seed, so a failure names a case that reruns.
  static let cases: [(strategy: String, sp: Int, seq: Int, window: Int?, documents: [Int]?, model: String, layout: String?)] = {
    var rng = SplitMix64(state: 14)
    let strategies = [
      ("tokenring", [2, 3, 4]), ("ring", [2, 3, 4]), ("ring-zigzag", [2, 3, 4]), ("usp:2x2", [4]), ("usp:2x2:tokenring", [4]),
      ("loongtrain:2x2", [4]), ("allgather", [3]),
    ]
    var out: [(String, Int, Int, Int?, [Int]?, String, String?)] = []
    // The document-balancing layouts, always with documents.
    let balanced = ["tokenring", "ring", "allgather"].flatMap { s in ["document-zigzag", "document-greedy"].map { (s, $0) } }
    for (strategy, layout) in [(String, String?)](strategies.map { ($0.0, nil) }) + balanced.map({ ($0.0, $0.1) }) {
      let sps = strategies.first { $0.0 == strategy }!.1
      for model in ["tiny.ir", "tiny-dit.ir"] {
        for _ in 0..<(layout == nil ? 3 : 1) {
          let sp = sps[Int(rng.next() % UInt64(sps.count))]
          let seq = 2 * sp + Int(rng.next() % 30)
          // 1 (the diagonal only), within a chunk, across chunks, past the sequence.
          let windows = [1, 1 + Int(rng.next() % UInt64(max(1, seq / (2 * sp)))), seq / 2 + 1, seq + 5]
          let window = windows[Int(rng.next() % 4)]
          // Documents: runs of 1 token and longer ones, one at least a chunk long.
          var bounds = [0]
          while bounds.last! < seq {
            let length = rng.next() % 3 == 0 ? 1 : 1 + Int(rng.next() % UInt64(max(1, seq / sp + 2)))
            bounds.append(min(seq, bounds.last! + length))
          }
          switch rng.next() % 3 {
          case 0 where layout == nil: out.append((strategy, sp, seq, window, nil, model, nil))
          case 0, 1: out.append((strategy, sp, seq, nil, bounds, model, layout))
          default: out.append((strategy, sp, seq, window, bounds, model, layout))
          }
        }
      }
    }
    return out
  }()

  @Test(arguments: cases.indices)
  func maskedPlansMatchTheDenseReference(index: Int) throws {
    let c = Self.cases[index]
    let documents = c.documents.map { $0.map(String.init).joined(separator: ",") }
    let label = "\(c.strategy)\(c.layout.map { " (\($0))" } ?? "") \(c.model) sp \(c.sp) seq \(c.seq) window \(c.window.map(String.init) ?? "none") documents \(documents ?? "none")"
    let dir = try temporaryDirectory()
    let model = try c.window.map { try Self.windowed(c.model, window: $0, in: dir) } ?? "models/\(c.model)"
    let plan = "\(dir)/p.plan"
    let compiled = try ringc(
      ["compile", model, "--sp", "\(c.sp)", "--seq", "\(c.seq)", "--strategy", c.strategy, "-o", plan]
        + (documents.map { ["--documents", $0] } ?? []) + (c.layout.map { ["--layout", $0] } ?? []))
    #expect(compiled.status == 0, "\(label): \(compiled.stderr)")
    let r = try mpirun(c.sp, ["run", plan, "--check", "--json"])
    #expect(r.status == 0, "\(label): \(r.stderr)")
    #expect(r.stdout.contains("\"passed\": true"), "\(label): \(r.stdout)")
  }

  /// The strategies that cannot honour a window or documents yet refuse in
  /// one line and name those that can.
  @Test(arguments: ["striped", "rsa", "passq", "tasp"])
  func othersRefuseWithAReason(strategy: String) throws {
    let dir = try temporaryDirectory()
    let model = try Self.windowed("tiny.ir", window: 5, in: dir)
    let r = try ringc(["compile", model, "--sp", "4", "--seq", "32", "--strategy", strategy, "-o", "\(dir)/p.plan"])
    #expect(r.status == 65, "\(strategy): \(r.stderr)")
    #expect(r.stderr.contains("does not support sliding-window attention yet; use tokenring, ring, ring-zigzag"), "\(strategy): \(r.stderr)")
    let documents = try ringc(
      ["compile", "models/tiny.ir", "--sp", "4", "--seq", "32", "--documents", "0,5,6,32", "--strategy", strategy, "-o", "\(dir)/d.plan"])
    #expect(documents.status == 65, "\(strategy): \(documents.stderr)")
    #expect(documents.stderr.contains("does not support document masks yet; use tokenring, ring, ring-zigzag"), "\(strategy): \(documents.stderr)")
  }

  /// The document layouts serve tokenring, ring and allgather, only with documents.
  @Test(arguments: [
    (["--strategy", "ulysses", "--layout", "document-zigzag", "--documents", "0,5,32"], 64,
     "--layout document-zigzag is for tokenring, ring and allgather; ulysses keeps its own layout"),
    (["--strategy", "ring", "--layout", "document-greedy"], 64, "--layout document-greedy balances packed documents; give --documents"),
    (["--strategy", "ring", "--layout", "zigzag", "--documents", "0,5,32"], 64, "--layout zigzag: known layouts are document-zigzag and document-greedy"),
    (["--passes", "shard-sequence{layout=document-zigzag,group=2},usp{ulysses=2,ring=2}", "--documents", "0,5,32"], 64, "the document-zigzag layout is one-level"),
    (["--passes", "shard-sequence{layout=document-zigzag},ulysses", "--documents", "0,5,32"], 64,
     "the document-zigzag layout is for tokenring, ring and allgather; ulysses keeps its own layout"),
  ])
  func documentLayoutsRefuseWhatTheyCannotServe(arguments: [String], status: Int32, message: String) throws {
    let dir = try temporaryDirectory()
    let r = try ringc(["compile", "models/tiny.ir", "--sp", "4", "--seq", "32", "-o", "\(dir)/p.plan"] + arguments)
    #expect(r.status == status, "\(arguments): \(r.stderr)")
    #expect(r.stderr.contains(message), "\(arguments): \(r.stderr)")
  }

  /// Documents that are no cumulative lengths, or do not cover the sequence,
  /// are usage errors naming the flag and its value.
  @Test(arguments: [
    ("0,5,x", "--documents 0,5,x: expected comma-separated whole numbers"),
    ("5,32", "--documents 5,32: cumulative lengths need at least two entries, the first 0, never decreasing"),
    ("0,9,5,32", "--documents 0,9,5,32: cumulative lengths need"),
    ("0,5,31", "--documents cover 31 tokens, but the sequence has 32"),
    ("missing.npy", "--documents missing.npy:"),
  ])
  func badDocumentsAreUsageErrors(value: String, message: String) throws {
    let dir = try temporaryDirectory()
    let r = try ringc(["compile", "models/tiny.ir", "--sp", "2", "--seq", "32", "--documents", value, "-o", "\(dir)/p.plan"])
    #expect(r.status == 64, "\(value): \(r.stderr)")
    #expect(r.stderr.contains(message), "\(value): \(r.stderr)")
    #expect(!FileManager.default.fileExists(atPath: "\(dir)/p.plan"))
  }

  /// `models/tiny.ir` with its documents as an input: `%docs = documents :
  /// i32[N]` read by the attention under `mask = "document_causal"`.
  static func packed(in dir: String) throws -> String {
    var text = try String(contentsOfFile: repositoryRoot + "/models/tiny.ir", encoding: .utf8)
    for (old, new) in [
      ("  dim S = 32 {sequence = true}", "  dim N = 2\n  dim S = 32 {sequence = true}"),
      ("    %pos = positions : i32[S]", "    %pos = positions : i32[S]\n    %docs = documents : i32[N]"),
      ("attention %qr, %kr, %vh {causal = true}", "attention %qr, %kr, %vh, %docs {mask = \"document_causal\"}"),
    ] {
      #expect(text.contains(old), "tiny.ir has \(old)")
      text = text.replacingOccurrences(of: old, with: new)
    }
    let path = "\(dir)/packed.ir"
    try text.write(toFile: path, atomically: true, encoding: .utf8)
    return path
  }

  /// A documents input is filled by --documents at compile time (the same
  /// plan as documents given to a model without one) and refilled by run.
  @Test func aDocumentsInputIsBoundByTheFlag() throws {
    let dir = try temporaryDirectory()
    let model = try Self.packed(in: dir)
    let unbound = try ringc(["compile", model, "--sp", "2", "--strategy", "ring", "-o", "\(dir)/u.plan"])
    #expect(unbound.status == 64, "\(unbound.stderr)")
    #expect(unbound.stderr.contains("packed.ir:22:13: error: documents %docs is an input of the model; give its cumulative lengths with --documents"), "\(unbound.stderr)")
    let plan = "\(dir)/p.plan"
    #expect(try ringc(["compile", model, "--sp", "2", "--strategy", "ring", "--documents", "0,5,6,32", "-o", plan]).status == 0)
    #expect(try ringc(["compile", "models/tiny.ir", "--sp", "2", "--strategy", "ring", "--documents", "0,5,6,32", "-o", "\(dir)/q.plan"]).status == 0)
    let programs = { (path: String) in
      try String(contentsOfFile: path, encoding: .utf8).split(separator: "\n").filter { !$0.hasPrefix("//") && !$0.contains("dim N") }
    }
    #expect(try programs(plan) == programs("\(dir)/q.plan"))
    for extra in [[], ["--documents", "0,1,20,32"], ["--seq", "48", "--documents", "0,40,41,48"]] {
      let r = try mpirun(2, ["run", plan, "--check", "--json"] + extra)
      #expect(r.status == 0 && r.stdout.contains("\"passed\": true"), "\(extra): \(r.stderr)")
    }
    let stale = try mpirun(2, ["run", plan, "--seq", "48"])
    #expect(stale.status == 64, "\(stale.stderr)")
    #expect(stale.stderr.contains("the plan's attentions keep packed documents of 32 tokens apart; give --documents covering 48"), "\(stale.stderr)")
  }

  /// stats sets what a masked plan sends beside what its strategy sends
  /// without the window and documents (the plain plan's own total).
  @Test func statsShowsBytesBesidePlainPassing() throws {
    let dir = try temporaryDirectory()
    func sent(_ arguments: [String]) throws -> (bytes: Int, unmasked: Int?) {
      #expect(try ringc(["compile", "models/tiny.ir", "--sp", "4", "--seq", "64", "--strategy", "ring-zigzag", "-o", "\(dir)/p.plan"] + arguments).status == 0)
      let r = try ringc(["stats", "\(dir)/p.plan", "--json"])
      let report = try JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as! [String: Any]
      return (report["bytes_sent"] as! Int, report["unmasked_bytes_sent"] as? Int)
    }
    let plain = try sent([])
    #expect(plain.unmasked == nil)
    let masked = try sent(["--documents", "0,3,20,21,40,64"])
    #expect(masked.unmasked == plain.bytes)
    #expect(masked.bytes < plain.bytes)
    let text = try ringc(["stats", "\(dir)/p.plan"])
    #expect(text.stdout.contains("without the window and documents (plain passing, ring-zigzag's own layout):"), "\(text.stdout)")
  }
}
