import Foundation
import RingcTestSupport
import Testing

/// Sliding windows under `mpirun -np P ringc run --check`: random windows
/// (1, under a chunk, across several chunks, past the sequence), random
/// lengths and P = 2…4, on every strategy that honours windows, causal
/// (tiny) and two-sided (tiny-dit); each plan passes the plan verifier (no
/// block the mask hides is computed) when it is compiled.
@Suite(.serialized, .enabled(if: mpirunPath != nil, "mpirun is not installed"))
struct SlidingWindowRunTests {
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
  static let cases: [(strategy: String, sp: Int, seq: Int, window: Int, model: String)] = {
    var rng = SplitMix64(state: 14)
    let strategies = [
      ("tokenring", [2, 3, 4]), ("ring", [2, 3, 4]), ("ring-zigzag", [2, 3, 4]), ("usp:2x2", [4]), ("usp:2x2:tokenring", [4]),
      ("loongtrain:2x2", [4]), ("allgather", [3]),
    ]
    var out: [(String, Int, Int, Int, String)] = []
    for (strategy, sps) in strategies {
      for model in ["tiny.ir", "tiny-dit.ir"] {
        for _ in 0..<3 {
          let sp = sps[Int(rng.next() % UInt64(sps.count))]
          let seq = 2 * sp + Int(rng.next() % 30)
          // 1 (the diagonal only), within a chunk, across chunks, past the sequence.
          let windows = [1, 1 + Int(rng.next() % UInt64(max(1, seq / (2 * sp)))), seq / 2 + 1, seq + 5]
          out.append((strategy, sp, seq, windows[Int(rng.next() % 4)], model))
        }
      }
    }
    return out
  }()

  @Test(arguments: cases.indices)
  func windowedPlansMatchTheDenseReference(index: Int) throws {
    let c = Self.cases[index]
    let label = "\(c.strategy) \(c.model) sp \(c.sp) seq \(c.seq) window \(c.window)"
    let dir = try temporaryDirectory()
    let model = try Self.windowed(c.model, window: c.window, in: dir)
    let plan = "\(dir)/p.plan"
    let compiled = try ringc(["compile", model, "--sp", "\(c.sp)", "--seq", "\(c.seq)", "--strategy", c.strategy, "-o", plan])
    #expect(compiled.status == 0, "\(label): \(compiled.stderr)")
    let r = try mpirun(c.sp, ["run", plan, "--check", "--json"])
    #expect(r.status == 0, "\(label): \(r.stderr)")
    #expect(r.stdout.contains("\"passed\": true"), "\(label): \(r.stdout)")
  }

  /// The strategies that cannot honour a window yet refuse in one line and
  /// name those that can.
  @Test(arguments: ["striped", "rsa", "passq", "tasp"])
  func othersRefuseWithAReason(strategy: String) throws {
    let dir = try temporaryDirectory()
    let model = try Self.windowed("tiny.ir", window: 5, in: dir)
    let r = try ringc(["compile", model, "--sp", "4", "--seq", "32", "--strategy", strategy, "-o", "\(dir)/p.plan"])
    #expect(r.status == 65, "\(strategy): \(r.stderr)")
    #expect(r.stderr.contains("does not support sliding-window attention yet; use tokenring, ring, ring-zigzag"), "\(strategy): \(r.stderr)")
  }
}
