import Foundation
import GraphIR
import Testing

/// What the located errors look like and how many are kept. The malformed
/// inputs themselves, each with its line, column and message, are cases of
/// Tests/IRTextTests/Inputs/invalid-model.ir.
@Suite struct MalformedInputTests {
  /// A mistake repeated on every line (a wrong sp, a wrong width) gives at
  /// most the parser's error limit and a count of the rest, not megabytes.
  @Test func theVerifierKeepsAtMostTheErrorLimit() throws {
    let ops = (0..<100).map { "    %y\($0) = silu %nope\($0) : f32[8,4]\n" }.joined()
    let text = "module @m {\n  graph @main(%x: f32[8,4]) -> f32[8,4] {\n\(ops)    return %x\n  }\n}\n"
    let found = Verifier.diagnose(try Parser.parse(text)).filter { $0.severity == .error }
    #expect(found.count == Parser.errorLimit + 1)
    #expect(found.last?.message == "\(100 - Parser.errorLimit) more errors not shown")
  }

  @Test func rendersFileLineColumnSourceLineAndCaret() {
    let text = templateModel.replacingOccurrences(of: "matmul %x", with: "matmull %x")
    let found = errors(in: text, file: "model.ir")
    let rendered = DiagnosticRenderer(sources: ["model.ir": Array(text.utf8)]).render(found)
    #expect(
      rendered == """
        model.ir:6:10: error: unknown op 'matmull'
            %y = matmull %x, @w : f32[S,16]
                 ^~~~~~~

        """)
  }

  @Test func stopsAfterTheErrorLimit() {
    let text =
      "module @m {\n  graph @main() -> f32[1] {\n" + String(repeating: "    %a = bogus\n", count: 500) + "  }\n}\n"
    let found = errors(in: text)
    #expect(found.count == Parser.errorLimit)
  }
}
