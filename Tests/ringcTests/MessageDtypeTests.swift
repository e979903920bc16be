import Foundation
import RingcTestSupport
import Testing

/// `ringc run` sends every message in its plan dtype: a bf16 or f16 plan's
/// messages are half the bytes of an f32 plan's, its `--check` passes
/// within the tolerance of its dtype, and the trace counts the bytes sent.
@Suite(.serialized, .enabled(if: mpirunPath != nil, "mpirun is not installed"))
struct MessageDtypeTests {
  /// models/tiny.ir with every f32 type spelled `dtype`.
  static func tiny(_ dtype: String, in dir: String) throws -> String {
    let text = try String(contentsOfFile: repositoryRoot + "/models/tiny.ir", encoding: .utf8)
    let path = "\(dir)/tiny-\(dtype).ir"
    try text.replacingOccurrences(of: "f32[", with: "\(dtype)[").write(toFile: path, atomically: true, encoding: .utf8)
    return path
  }

  /// The bytes of `bf16[16,4,16]`: its elements times its dtype's width.
  static func bytes(_ type: Substring) -> Int {
    let dtype = type.prefix { $0 != "[" }
    let extents = type.drop { $0 != "[" }.dropFirst().dropLast().split(separator: ",").map { Int($0)! }
    return extents.reduce(1, *) * (dtype == "bf16" || dtype == "f16" ? 2 : 4)
  }

  /// The bytes of every message `recv.start` posts in rank `rank`'s layer
  /// program, read from the types the plan prints.
  static func receivedBytes(_ plan: String, rank: Int) throws -> [Int] {
    let text = try String(contentsOfFile: plan, encoding: .utf8)
    let start = try #require(text.range(of: "graph @layer.r\(rank)("))
    let body = text[start.upperBound...]
    let program = body[..<(body.range(of: "\n  }\n")?.lowerBound ?? body.endIndex)]
    return program.split(separator: "\n").filter { $0.contains("= recv.start") }.flatMap { line in
      line[line.range(of: " : ")!.upperBound...].split(separator: ", ").map(bytes)
    }
  }

  @Test(arguments: [("bf16", "2.34e-2"), ("f16", "2.93e-3"), ("f32", "1.0e-5")], ["tokenring", "ulysses"])
  func messagesTravelInThePlanDtype(dtype: (name: String, tolerance: String), strategy: String) throws {
    let dir = try temporaryDirectory()
    let plan = "\(dir)/tiny.plan"
    let compiled = try ringc([
      "compile", try Self.tiny(dtype.name, in: dir), "--sp", "2", "--seq", "32", "--strategy", strategy, "-o", plan,
    ])
    #expect(compiled.status == 0, "\(compiled.stderr)")
    let r = try mpirun(2, ["run", plan, "--check", "--trace", "\(dir)/trace.json"])
    #expect(r.status == 0, "\(r.stderr)")
    #expect(r.stdout.contains("(tolerance \(dtype.tolerance)): ok"), "\(r.stdout)")
    guard strategy == "tokenring" else { return }  // collectives record no transfers in the trace

    let trace = try #require(
      JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: "\(dir)/trace.json"))) as? [String: Any])
    let events = try #require(trace["traceEvents"] as? [[String: Any]])
    func traced(rank: Int, track: Int) -> [Int] {
      events.filter { $0["pid"] as? Int == rank && $0["tid"] as? Int == track && $0["ph"] as? String == "X" }
        .compactMap { ($0["args"] as? [String: Any])?["bytes"] as? Int }.sorted()
    }
    for rank in 0..<2 {
      // Both layers post the same receives; a rank sends what the other receives.
      let received = try Self.receivedBytes(plan, rank: rank)
      let sent = try Self.receivedBytes(plan, rank: 1 - rank)
      #expect(traced(rank: rank, track: 2) == (received + received).sorted(), "rank \(rank) receives")
      #expect(traced(rank: rank, track: 1) == (sent + sent).sorted(), "rank \(rank) sends")
    }
    // Rank 1's query block, 16 tokens × 4 heads × 16, reaches rank 0 at the dtype's width.
    #expect(traced(rank: 0, track: 2).contains(16 * 4 * 16 * (dtype.name == "f32" ? 4 : 2)))
  }
}
