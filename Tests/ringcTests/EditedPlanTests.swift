import Foundation
import Testing

/// A plan is untrusted input: `verify` and `run` refuse one edited apart
/// from what its header says, with a located error and exit 65, before any
/// rank sizes a buffer or waits for a message.
@Suite struct EditedPlanTests {
  static let edits: [(name: String, from: String, to: String, message: String)] = [
    ("a larger dim S", "dim S = 32 ", "dim S = 4096 ", "argument 0 of @layer.r0 is f32[16,64], but the zigzag layout gives rank 0 2048 of the 4096 tokens"),
    ("sp 1", "sp = 2,", "sp = 1,", "graph @layer.r1 is rank 1's program, but the module has 1 ranks"),
    ("a huge stripe", "layout = \"zigzag\"", "layout = \"striped:9223372036854775807\"", "do not fit the striped:9223372036854775807 layout"),
    ("a huge USP group", "layout = \"zigzag\"", "layout = \"zigzag/9223372036854775807\"", "has no layout ringc reads"),
    ("peer −1", "peer = 1, step = 0}", "peer = -1, step = 0}", "'send.start' peer -1 is not a rank index"),
    ("peer 7", "peer = 1, step = 0}", "peer = 7, step = 0}", "send.start names peer 7, which is not another rank of 2"),
    ("step 2^63 − 1", "peer = 1, step = 0}", "peer = 1, step = 9223372036854775807}", "'send.start' step 9223372036854775807 is outside 0 ... 1048576"),
    ("step −5", "peer = 1, step = 0}", "peer = 1, step = -5}", "'send.start' step -5 is outside 0 ... 1048576"),
  ]

  @Test(arguments: edits.indices)
  func anEditedPlanIsRefusedByVerifyAndRun(_ i: Int) throws {
    let edit = Self.edits[i]
    let dir = try temporaryDirectory()
    let plan = try RunCommandTests.compile("tiny.ir", sp: 2, seq: 32, in: dir)
    let text = try String(contentsOfFile: plan, encoding: .utf8)
    let range = try #require(text.range(of: edit.from), "\(edit.name)")
    try text.replacingCharacters(in: range, with: edit.to).write(toFile: plan, atomically: true, encoding: .utf8)

    let verified = try ringc(["verify", plan])
    #expect(verified.status == 65, "\(edit.name): \(verified.stderr)")
    #expect(verified.stderr.contains(plan + ":"), "\(edit.name): the error names the plan")
    #expect(verified.stderr.contains(edit.message), "\(edit.name): \(verified.stderr)")

    let start = Date()
    let run = try mpirun(2, ["run", plan])
    #expect(run.status == 65, "\(edit.name): \(run.stderr)")
    #expect(run.stderr.contains(edit.message), "\(edit.name): \(run.stderr)")
    #expect(Date().timeIntervalSince(start) < 30)
  }

  /// `run --seq` recompiles the plan's model; a sequence whose tensors cannot
  /// fit a rank is refused before anything is allocated.
  @Test func aSequenceNoRankCanHoldIsRefused() throws {
    let plan = try RunCommandTests.compile("tiny.ir", sp: 2, seq: 32, in: try temporaryDirectory())
    let r = try mpirun(2, ["run", plan, "--seq", "1099511627776"])
    #expect(r.status == 69, "\(r.stderr)")
    #expect(r.stderr.contains("more than this rank's share of the host's memory"), "\(r.stderr)")
  }

  /// A `--seq` whose tensors overflow 64 bits is a located error in the
  /// plan's model, exit 65, on rank 0 only.
  @Test func aSequenceWhoseSizesOverflowIsALocatedError() throws {
    let plan = try RunCommandTests.compile("tiny.ir", sp: 2, seq: 32, in: try temporaryDirectory())
    let r = try mpirun(2, ["run", plan, "--seq", "9223372036854775807"])
    #expect(r.status == 65, "\(r.stderr)")
    #expect(r.stderr.contains("\(plan):19:16: error: type f32[S,64] is too large"), "\(r.stderr)")
  }
}
