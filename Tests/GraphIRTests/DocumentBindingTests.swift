import GraphIR
import Testing

/// `Module.bindDocuments`: a model's documents input and its `mask`
/// spellings fold into the one form passes read (`causal`, `documents`).
@Suite struct DocumentBindingTests {
  static func model(_ attention: String, documents: String? = "%d = documents : i32[N]", dims: String = "dim N = 2") -> String {
    """
    module @m {
      dim S = 8 {sequence = true}
      \(dims)
      graph @main(%q: f32[S,2,4]) -> f32[S,2,4] {
        \(documents ?? "")
        %o = \(attention) : f32[S,2,4]
        %p = attention %q, %q, %q {causal = true} : f32[S,2,4]
        %r = add %o, %p : f32[S,2,4]
        return %r
      }
    }

    """
  }

  static func parsed(_ text: String) throws -> Module {
    let module = try Parser.parse(text, file: "t.ir")
    #expect(Verifier.diagnose(module).filter { $0.severity == .error }.isEmpty)
    // What the parser reads, the printer writes back.
    #expect(try Parser.parse(Printer().print(module), file: "u.ir") == module)
    return module
  }

  static func attentions(_ m: Module) -> [Attributes] {
    m.graphs[0].ops.filter { $0.opcode == .attention }.map(\.attributes)
  }

  @Test func anInputTakesTheGivenDocumentsAndRebindsItsLength() throws {
    var m = try Self.parsed(Self.model(#"attention %q, %q, %q, %d {mask = "document_causal"}"#))
    try m.bindDocuments(Documents(bounds: [0, 1, 5, 8])!)
    #expect(!m.graphs[0].ops.contains { $0.opcode == .documents })
    #expect(m.graphs[0].ops.allSatisfy { $0.opcode != .attention || $0.operands.count == 3 })
    let a = Self.attentions(m)
    #expect(a[0] == ["causal": .bool(true), "documents": .ints([0, 1, 5, 8])])
    // The other attention reads no documents: it keeps its mask.
    #expect(a[1] == ["causal": .bool(true)])
    #expect(m.dims.first { $0.name == "N" }?.value == 4)
    #expect(Verifier.diagnose(m).filter { $0.severity == .error }.isEmpty)
  }

  @Test func constantDocumentsFoldWithoutAFlag() throws {
    var m = try Self.parsed(
      Self.model(#"attention %q, %q, %q, %d {mask = "document_full"}"#, documents: "%d = documents {bounds = [0, 3, 8]} : i32[3]"))
    try m.bindDocuments(nil)
    #expect(Self.attentions(m)[0] == ["causal": .bool(false), "documents": .ints([0, 3, 8])])
  }

  @Test func masksSpelledWithoutDocumentsBecomeCausalFlags() throws {
    for (mask, causal) in [("full", false), ("causal", true)] {
      var m = try Self.parsed(Self.model("attention %q, %q, %q {mask = \"\(mask)\"}", documents: nil))
      try m.bindDocuments(nil)
      #expect(Self.attentions(m)[0] == ["causal": .bool(causal)])
    }
  }

  @Test func anUnboundInputIsAUsageErrorAtItsDefinition() throws {
    var m = try Self.parsed(Self.model(#"attention %q, %q, %q, %d {mask = "document_causal"}"#))
    #expect {
      try m.bindDocuments(nil)
    } throws: { error in
      guard let e = error as? Module.DocumentBindingError else { return false }
      return e.isUsage && e.location?.line == 5 && e.message.contains("--documents")
    }
  }

  @Test func theFlagNeverReplacesBoundsTheModelHolds() throws {
    var m = try Self.parsed(
      Self.model(#"attention %q, %q, %q, %d {mask = "document_full"}"#, documents: "%d = documents {bounds = [0, 3, 8]} : i32[3]"))
    #expect {
      try m.bindDocuments(Documents(bounds: [0, 5, 8])!)
    } throws: { error in
      guard let e = error as? Module.DocumentBindingError else { return false }
      return e.isUsage && e.location?.line == 5 && e.message.contains("bounds in the model")
    }
  }

  @Test func withoutASequenceDimensionTheFlagMustCoverTheAttentionRows() throws {
    let text = Self.model(#"attention %q, %q, %q {causal = true}"#, documents: nil).replacingOccurrences(of: " {sequence = true}", with: "")
    var m = try Self.parsed(text)
    #expect(m.sequenceDim == nil)
    #expect {
      try m.bindDocuments(Documents(bounds: [0, 5, 100])!)
    } throws: { error in
      guard let e = error as? Module.DocumentBindingError else { return false }
      return e.isUsage && e.message.contains("8 rows")
    }
    try m.bindDocuments(Documents(bounds: [0, 5, 8])!)
    #expect(Self.attentions(m)[0]["documents"] == .ints([0, 5, 8]))
  }

  @Test func aFixedLengthMustMatchTheFlag() throws {
    var m = try Self.parsed(Self.model(#"attention %q, %q, %q, %d {mask = "document_causal"}"#, documents: "%d = documents : i32[3]"))
    #expect(throws: Module.DocumentBindingError.self) { try m.bindDocuments(Documents(bounds: [0, 1, 5, 8])!) }
    try m.bindDocuments(Documents(bounds: [0, 5, 8])!)
    #expect(Self.attentions(m)[0]["documents"] == .ints([0, 5, 8]))
  }

  @Test func documentsMustCoverTheSequence() throws {
    var flag = try Self.parsed(Self.model(#"attention %q, %q, %q, %d {mask = "document_causal"}"#))
    #expect(throws: Module.DocumentBindingError.self) { try flag.bindDocuments(Documents(bounds: [0, 5, 9])!) }
    var constant = try Self.parsed(Self.model("attention %q, %q, %q {documents = [0, 4]}", documents: nil))
    #expect(throws: Module.DocumentBindingError.self) { try constant.bindDocuments(nil) }
  }

  /// Without an input the flag goes to the attentions that keep documents,
  /// or to all of them when none does.
  @Test func withoutAnInputTheFlagGoesWhereDocumentsAre() throws {
    let given = Documents(bounds: [0, 2, 8])!
    var none = try Self.parsed(Self.model("attention %q, %q, %q {causal = true}", documents: nil))
    try none.bindDocuments(given)
    #expect(Self.attentions(none).allSatisfy { $0["documents"] == given.attribute })
    var some = try Self.parsed(Self.model("attention %q, %q, %q {causal = true, documents = [0, 4, 8]}", documents: nil))
    try some.bindDocuments(given)
    #expect(Self.attentions(some).map { $0["documents"] } == [given.attribute, nil])
  }
}
