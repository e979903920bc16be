import Foundation
import GraphIR
import Testing

/// One malformed input: the text and the first error it must produce.
struct MalformedCase: CustomTestStringConvertible, Sendable {
  var name: String
  var text: String
  var line: Int
  var column: Int
  var message: String
  var testDescription: String { name }

  /// The template model with `old` replaced by `new`.
  init(_ name: String, _ old: String, _ new: String, _ line: Int, _ column: Int, _ message: String) {
    precondition(templateModel.contains(old), "template lacks \(old)")
    self.init(name, text: templateModel.replacingOccurrences(of: old, with: new, options: [], range: templateModel.range(of: old)), line, column, message)
  }

  init(_ name: String, text: String, _ line: Int, _ column: Int, _ message: String) {
    self.name = name
    self.text = text
    self.line = line
    self.column = column
    self.message = message
  }
}

let malformedCases: [MalformedCase] = [
  MalformedCase("empty file", text: "", 1, 1, "expected 'module', found end of file"),
  MalformedCase("module without name", text: "module m {\n}\n", 1, 8, "expected a module name"),
  MalformedCase(
    "truncated graph",
    text: templateModel.split(separator: "\n").prefix(7).joined(separator: "\n") + "\n", 8, 1,
    "expected '}' to close graph @main, found end of file"),
  MalformedCase("unknown op", "matmul %x", "matmull %x", 6, 10, "unknown op 'matmull'"),
  MalformedCase("unknown dtype", "@w : f32", "@w : f31", 3, 15, "unknown dtype 'f31'"),
  MalformedCase("negative dim", "f32[16,16]", "f32[-4,16]", 3, 19, "dimension must be positive, found -4"),
  MalformedCase("zero dim", "f32[16,16]", "f32[0,16]", 3, 19, "dimension must be positive, found 0"),
  MalformedCase("unknown named dim", "f32[16,16]", "f32[T,16]", 3, 10, "unknown dimension 'T'"),
  MalformedCase(
    "element count overflows Int64", "weight @g : f32[16]",
    "weight @g : f32[16]\n  weight @big : f32[4294967296,4294967296]", 5, 10,
    "type f32[4294967296,4294967296] is too large"),
  MalformedCase(
    "integer literal too large", "dim S = 8", "dim S = 99999999999999999999", 2, 11,
    "integer literal 99999999999999999999 does not fit in 64 bits"),
  MalformedCase(
    "value defined twice", "%z = rmsnorm %y", "%y = rmsnorm %y", 7, 10, "value %y is defined twice"),
  MalformedCase(
    "use before definition", "matmul %x, @w", "matmul %z, @w", 6, 17,
    "value %z is used before its definition"),
  MalformedCase("undefined value", "matmul %x, @w", "matmul %nope, @w", 6, 17, "use of undefined value %nope"),
  MalformedCase("duplicate weight", "weight @g : f32[16]", "weight @w : f32[16]", 4, 10, "symbol @w is already defined"),
  MalformedCase("undefined weight", "@w : f32[S,16]", "@v : f32[S,16]", 6, 21, "symbol @v is not defined"),
  MalformedCase(
    "result type mismatch", "@w : f32[S,16]", "@w : f32[S,8]", 6, 10,
    "result type f32[S,8] of 'matmul' does not match the inferred type f32[S,16]"),
  MalformedCase(
    "matmul contracting mismatch", "weight @w : f32[16,16]", "weight @w : f32[8,16]", 6, 21,
    "matmul contracting dimensions differ"),
  MalformedCase(
    "query heads not a multiple of kv heads",
    text: """
      module @m {
        dim S = 8 {sequence = true}
        graph @main(%q: f32[S,6,4], %k: f32[S,4,4]) -> f32[S,6,4] {
          %o = attention %q, %k, %k {causal = true} : f32[S,6,4]
          return %o
        }
      }
      """, 4, 24, "query heads (6) must be a multiple of kv heads (4)"),
  MalformedCase(
    "hidden size is not heads times head_dim",
    text: """
      module @m {
        dim S = 8 {sequence = true}
        graph @main(%x: f32[S,64]) -> f32[S,4,15] {
          %q = reshape %x : f32[S,4,15]
          return %q
        }
      }
      """, 4, 18, "width 64 is not heads × head_dim = 4 × 15"),
  MalformedCase(
    "missing required attribute", "{eps = 1e-05} ", "", 7, 10, "'rmsnorm' requires attribute 'eps'"),
  MalformedCase(
    "unknown attribute", "{eps = 1e-05}", "{eps = 1e-05, epsilon = 1.0}", 7, 10,
    "unknown attribute 'epsilon' for 'rmsnorm'; expected 'eps'"),
  MalformedCase(
    "attribute of the wrong kind", "{eps = 1e-05}", "{eps = \"small\"}", 7, 10,
    "attribute 'eps' of 'rmsnorm' must be a float, found a string"),
  MalformedCase("missing return", "    return %z\n", "", 5, 9, "graph @main does not end with 'return'"),
  MalformedCase(
    "return type mismatch", "return %z", "return %x, %z", 8, 5, "return types (f32[S,16], f32[S,16]) do not match"),
  MalformedCase(
    "op after return", "    return %z\n", "    return %z\n    %q = matmul %x, @w : f32[S,16]\n", 9, 10,
    "op 'matmul' follows the graph's return"),
  MalformedCase("no main graph", "@main(", "@other(", 1, 1, "module @m has no graph @main"),
  MalformedCase(
    "unterminated string", "{eps = 1e-05}", "{eps = \"oops}", 7, 32, "unterminated string"),
  MalformedCase("invalid character", "%z = rmsnorm", "%z = $rmsnorm", 7, 10, "expected an op name, found invalid character '$'"),
  MalformedCase(
    "two sequence dims", "dim S = 8 {sequence = true}", "dim S = 8 {sequence = true}\n  dim T = 4 {sequence = true}", 3, 3,
    "only one dimension can be the sequence; S already is"),
  MalformedCase(
    "results and types disagree", "%y = matmul %x, @w : f32[S,16]", "%y, %u = matmul %x, @w : f32[S,16]", 6, 14,
    "'matmul' names 2 result(s) but gives 1 type(s)"),
  MalformedCase(
    "missing type annotation", "%y = matmul %x, @w : f32[S,16]", "%y = matmul %x, @w", 7, 5,
    "expected ':' before the result types of 'matmul', found '%z'"),
  MalformedCase("text after the module", text: templateModel + "garbage\n", 11, 1, "expected end of file after the module"),
  MalformedCase("attribute given twice", "{eps = 1e-05}", "{eps = 1e-05, eps = 1e-06}", 7, 39, "attribute 'eps' is given twice"),
  MalformedCase("unknown escape", "{eps = 1e-05}", "{eps = \"a\\qb\"}", 7, 34, "unknown escape sequence in string"),
  MalformedCase("dim declared as zero", "dim S = 8", "dim S = 0", 2, 3, "dimension S must be positive, found 0"),
  MalformedCase(
    "repeat of a graph that is not (T) -> T",
    text: """
      module @m {
        dim S = 8 {sequence = true}
        graph @f(%x: f32[S,4], %y: f32[S,4]) -> f32[S,4] {
          return %x
        }
        graph @main(%x: f32[S,4]) -> f32[S,4] {
          %y = repeat @f, %x {count = 2} : f32[S,4]
          return %y
        }
      }
      """, 7, 17, "'repeat' needs a graph of type (T) -> T"),
  MalformedCase(
    "repeat count of zero",
    text: """
      module @m {
        dim S = 8 {sequence = true}
        graph @f(%x: f32[S,4]) -> f32[S,4] {
          return %x
        }
        graph @main(%x: f32[S,4]) -> f32[S,4] {
          %y = repeat @f, %x {count = 0} : f32[S,4]
          return %y
        }
      }
      """, 7, 10, "repeat count must be at least 1, found 0"),
  MalformedCase(
    "causal attention with fewer keys than queries",
    text: """
      module @m {
        dim S = 8 {sequence = true}
        graph @main(%q: f32[S,2,4], %k: f32[4,2,4]) -> f32[S,2,4] {
          %o = attention %q, %k, %k {causal = true} : f32[S,2,4]
          return %o
        }
      }
      """, 4, 24, "causal attention needs as many keys as queries, found S and 4"),
  MalformedCase(
    "rope with an odd head_dim",
    text: """
      module @m {
        dim S = 8 {sequence = true}
        graph @main(%x: f32[S,2,5]) -> f32[S,2,5] {
          %p = positions : i32[S]
          %y = rope %x, %p {theta = 10000.0} : f32[S,2,5]
          return %y
        }
      }
      """, 5, 15, "rope needs an even head_dim, found 5"),
  MalformedCase(
    "rope positions of the wrong dtype",
    text: """
      module @m {
        dim S = 8 {sequence = true}
        graph @main(%x: f32[S,2,4], %p: f32[S]) -> f32[S,2,4] {
          %y = rope %x, %p {theta = 10000.0} : f32[S,2,4]
          return %y
        }
      }
      """, 4, 19, "rope positions must be i32[S], found f32[S]"),
]

@Suite struct MalformedInputTests {
  @Test(arguments: malformedCases)
  func givesALocatedDiagnostic(_ c: MalformedCase) {
    let found = errors(in: c.text)
    #expect(!found.isEmpty, "\(c.name): expected an error")
    guard let first = found.first else { return }
    #expect(first.location?.file == "t.ir")
    #expect(first.location?.line == c.line, "\(c.name): \(first.message)")
    #expect(first.location?.column == c.column, "\(c.name): \(first.message)")
    #expect(first.message.contains(c.message), "\(c.name): got '\(first.message)'")
  }

  @Test func reportsSeveralIndependentErrorsInOneRun() {
    let text = templateModel
      .replacingOccurrences(of: "matmul %x", with: "matmull %x")
      .replacingOccurrences(of: "@w : f32[16,16]", with: "@w : f31[16,16]")
    let found = errors(in: text)
    #expect(found.map { $0.location?.line } == [3, 6])
  }

  @Test func verifierReportsEveryBrokenOpButNoCascade() {
    let text = """
      module @m {
        dim S = 8 {sequence = true}
        weight @w : f32[16,16]
        graph @main(%x: f32[S,16]) -> f32[S,16] {
          %a = matmul %x, @w : f32[S,8]
          %b = add %a, %a : f32[S,8]
          %c = silu %nope : f32[S,16]
          return %x
        }
      }
      """
    let found = errors(in: text)
    // %a's type error poisons %a, so %b is not reported; %nope is independent.
    #expect(found.map { $0.location!.line } == [5, 7])
  }

  @Test func notesPointAtTheDefinitionBehindTheError() throws {
    let c = malformedCases.first { $0.name == "query heads not a multiple of kv heads" }!
    let first = try #require(errors(in: c.text).first)
    #expect(first.notes.first?.message == "%k is defined here")
    #expect(first.notes.first?.location?.line == 3)
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
