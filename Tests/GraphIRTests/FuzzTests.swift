import GraphIR
import RingcTestSupport
import Testing

/// Feeds mutated models to the parser and verifier: they must never trap, and
/// every error must carry a location inside the file.
@Suite struct FuzzTests {
  enum Mutation: CaseIterable { case truncate, flipByte, deleteLine, duplicateLine, swapLines }

  static func mutate(_ bytes: [UInt8], _ m: Mutation, _ rng: inout SplitMix64) -> [UInt8] {
    var bytes = bytes
    switch m {
    case .truncate:
      bytes.removeLast(Int.random(in: 1...bytes.count, using: &rng))
    case .flipByte:
      for _ in 0..<Int.random(in: 1...4, using: &rng) {
        bytes[Int.random(in: 0..<bytes.count, using: &rng)] = UInt8.random(in: 0...255, using: &rng)
      }
    case .deleteLine, .duplicateLine, .swapLines:
      var lines = bytes.split(separator: 10, omittingEmptySubsequences: false).map(Array.init)
      let i = Int.random(in: 0..<lines.count, using: &rng)
      let j = Int.random(in: 0..<lines.count, using: &rng)
      switch m {
      case .deleteLine: lines.remove(at: i)
      case .duplicateLine: lines.insert(lines[i], at: j)
      default: lines.swapAt(i, j)
      }
      bytes = Array(lines.joined(separator: [10]))
    }
    return bytes
  }

  @Test func mutatedModelsNeverCrashAndErrorsAreLocated() throws {
    var rng = SplitMix64(state: 20_261_123)
    var rejected = 0
    for (name, text) in try bundledModels() {
      let original = Array(text.utf8)
      for round in 0..<300 {
        let m = Mutation.allCases[round % Mutation.allCases.count]
        let bytes = Self.mutate(original, m, &rng)
        var diagnostics: [Diagnostic]
        do {
          diagnostics = Verifier.diagnose(try Parser.parse(bytes, file: name))
        } catch {
          diagnostics = error.diagnostics
        }
        let errors = diagnostics.filter { $0.severity == .error }
        if !errors.isEmpty { rejected += 1 }
        for e in errors {
          let loc = try #require(e.location, "\(name) \(m): unlocated '\(e.message)'")
          #expect(loc.file == name)
          #expect(loc.offset >= 0 && loc.offset <= bytes.count)
          #expect(loc.line >= 1 && loc.column >= 1)
          // Rendering must not trap either.
          _ = DiagnosticRenderer(sources: [name: bytes]).render(e)
        }
      }
    }
    #expect(rejected > 500, "most mutations should be rejected, got \(rejected)")
  }

  @Test func deeplyNestedBracketsAndGarbageAreHandled() {
    let nested = "module @m {\n graph @main(%x: f32[" + String(repeating: "[", count: 1_000_000) + "\n}\n"
    #expect(!errors(in: nested).isEmpty)
    var rng = SplitMix64(state: 7)
    let garbage = (0..<100_000).map { _ in UInt8.random(in: 0...255, using: &rng) }
    do {
      _ = try Parser.parse(garbage, file: "g.ir")
      Issue.record("garbage parsed")
    } catch {
      #expect(error.diagnostics.first?.location != nil)
    }
  }
}
