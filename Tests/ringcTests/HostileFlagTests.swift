import Foundation
import Testing

/// Flag values a hostile or careless user gives: each is a usage error (64)
/// naming the flag and value, or an input error (65) naming the file, and no
/// plan is written.
@Suite struct HostileFlagTests {
  static let cases: [(arguments: [String], status: Int32, message: String)] = [
    (["--sp", "-2"], 64, "--sp must be at least 1, found -2"),
    (["--sp", "2", "--seq", "-1"], 64, "--seq must be a positive number of tokens, found -1"),
    (["--sp", "2", "--passes", ""], 64, "--passes is empty"),
    (["--sp", "2", "--strategy", "usp:4294967296x4294967296"], 64, "unknown --strategy 'usp:4294967296x4294967296'"),
    (["--sp", "2", "--strategy", "striped:9223372036854775807"], 64, "with stripes of 9223372036854775807 tokens needs 2 stripes"),
    (["--sp", "2", "--seq", "9223372036854775807"], 65, "type f32[S,64] is too large"),
    (["--sp", "2", "--seq", "4294967296"], 65, "the plan's FLOP counts overflow 64 bits (sequence 4294967296)"),
  ]

  @Test(arguments: cases.indices)
  func compileRefusesWithoutWritingAPlan(_ i: Int) throws {
    let c = Self.cases[i]
    let dir = try temporaryDirectory()
    let plan = dir + "/out.plan"
    let r = try ringc(["compile", "models/tiny.ir"] + c.arguments + ["-o", plan])
    #expect(r.status == c.status, "\(c.arguments): \(r.stderr)")
    #expect(r.stderr.contains(c.message), "\(c.arguments): \(r.stderr)")
    #expect(!FileManager.default.fileExists(atPath: plan), "\(c.arguments)")
  }
}
