import Foundation
import Testing

@Suite struct CheckPrintCommandTests {
  @Test func checkSummarisesEveryBundledModel() throws {
    let models = ["dit-xl.ir", "llama2-7b-attention.ir", "llama2-7b.ir", "llama3-70b.ir", "llama3-8b.ir", "tiny-dit.ir", "tiny.ir"]
    let r = try ringc(["check"] + models.map { "models/" + $0 })
    #expect(r.status == 0, "\(r.stderr)")
    #expect(r.stderr.isEmpty)
    let lines = r.stdout.split(separator: "\n")
    #expect(lines.count == 7)
    #expect(
      lines.contains(
        "models/llama3-70b.ir: @llama3_70b: 80 layers, 70.55B (70553706496) parameters, 80 attention nodes, sequence S = 8192"
      ))
  }

  @Test func seqOverridesTheSequenceLength() throws {
    let r = try ringc(["check", "models/tiny.ir", "--seq", "1000"])
    #expect(r.status == 0)
    #expect(r.stdout.hasSuffix("sequence S = 1000\n"))
  }

  /// print and check keep a documents input and its mask as written;
  /// --documents folds them, as compiling does.
  @Test func printKeepsADocumentsInputUnlessTheFlagBindsIt() throws {
    let path = try temporaryDirectory() + "/packed.ir"
    try """
    module @m {
      dim S = 8 {sequence = true}
      dim N = 2
      graph @main(%q: f32[S,2,4]) -> f32[S,2,4] {
        %d = documents : i32[N]
        %o = attention %q, %q, %q, %d {mask = "document_causal"} : f32[S,2,4]
        return %o
      }
    }

    """.write(toFile: path, atomically: true, encoding: .utf8)
    let check = try ringc(["check", path])
    #expect(check.status == 0, "\(check.stderr)")
    let kept = try ringc(["print", path])
    #expect(kept.status == 0, "\(kept.stderr)")
    #expect(kept.stdout.contains("%d = documents : i32[N]"))
    #expect(kept.stdout.contains(#"%o = attention %q, %q, %q, %d {mask = "document_causal"}"#))
    let bound = try ringc(["print", path, "--documents", "0,3,8"])
    #expect(bound.status == 0, "\(bound.stderr)")
    #expect(bound.stdout.contains("{causal = true, documents = [0, 3, 8]}"))
    #expect(!bound.stdout.contains("= documents :"))
  }

  @Test func badInputExitsWith65AndALocatedError() throws {
    let dir = try temporaryDirectory()
    let path = dir + "/bad.ir"
    try "module @m {\n  dim S = 4\n  graph @main(%x: f32[S]) -> f32[S] {\n    %y = frobnicate %x : f32[S]\n    return %y\n  }\n}\n"
      .write(toFile: path, atomically: true, encoding: .utf8)
    let r = try ringc(["check", path])
    #expect(r.status == 65)
    #expect(r.stderr.hasPrefix("\(path):4:10: error: unknown op 'frobnicate'\n"))
    #expect(r.stderr.contains("         ^~~~~~~~~~\n"))
  }

  @Test func usageErrorsExitWith64() throws {
    let zero = try ringc(["check", "models/tiny.ir", "--seq", "0"])
    #expect(zero.status == 64)
    #expect(zero.stderr.contains("--seq must be a positive number of tokens, found 0"))
    let none = try ringc(["check"])
    #expect(none.status == 64)
  }

  @Test func missingFileExitsWith66() throws {
    let r = try ringc(["check", "models/nope.ir"])
    #expect(r.status == 66)
    #expect(r.stderr.contains("cannot read models/nope.ir"))
  }

  @Test func printIsCanonicalAndReadsStandardInput() throws {
    let first = try ringc(["print", "models/llama3-8b.ir"])
    #expect(first.status == 0)
    let second = try ringc(["print", "-"], stdin: first.stdout)
    #expect(second.status == 0)
    #expect(second.stdout == first.stdout)
  }

  @Test func printWritesItsOutputAtomically() throws {
    let dir = try temporaryDirectory()
    let out = dir + "/tiny.canonical.ir"
    try "precious".write(toFile: out, atomically: true, encoding: .utf8)
    // A failing run leaves the existing file alone.
    let failed = try ringc(["print", "models/nope.ir", "-o", out])
    #expect(failed.status == 66)
    #expect(try String(contentsOfFile: out, encoding: .utf8) == "precious")
    let ok = try ringc(["print", "models/tiny.ir", "-o", out])
    #expect(ok.status == 0)
    #expect(try String(contentsOfFile: out, encoding: .utf8).hasPrefix("module @tiny {"))
    #expect(try FileManager.default.contentsOfDirectory(atPath: dir) == ["tiny.canonical.ir"])
  }

  @Test func helpListsEverySubcommand() throws {
    let r = try ringc(["--help"])
    #expect(r.status == 0)
    #expect(r.stdout.contains("check") && r.stdout.contains("print"))
    let sub = try ringc(["help", "check"])
    #expect(sub.stdout.contains("--seq"))
  }
}
