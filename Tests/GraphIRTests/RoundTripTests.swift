import GraphIR
import RingcTestSupport
import Testing

@Suite struct RoundTripTests {
  @Test func everyBundledModelRoundTrips() throws {
    for (name, text) in try bundledModels() {
      let module = try Parser.parse(text, file: name)
      #expect(Verifier.diagnose(module).isEmpty, "\(name) should verify cleanly")
      let printed = Printer().print(module)
      let reparsed = try Parser.parse(printed, file: name)
      #expect(reparsed == module, "parse(print(m)) == m for \(name)")
      #expect(Printer().print(reparsed) == printed, "print ∘ parse is the identity on canonical \(name)")
    }
  }

  @Test func canonicalTextIsAFixedPoint() throws {
    let canonical = """
      module @c {stage = "graph"} {
        dim S = 16 {sequence = true}

        weight @w : bf16[8,8]

        graph @main(%x: bf16[S,8]) -> bf16[S,8] {
          %a = matmul %x, @w : bf16[S,8]
          %b = gelu %a {approximate = "tanh"} : bf16[S,8]
          return %b
        }
      }

      """
    #expect(Printer().print(try Parser.parse(canonical)) == canonical)
  }

  @Test func attributesPrintSortedAndFloatsStayFloats() throws {
    let text = """
      module @a {
        dim S = 4 {sequence = true}
        graph @main(%q: f32[S,2,4], %k: f32[S,1,4]) -> f32[S,2,4] {
          %o = attention %q, %k, %k {window = 2, scale = 1.0, causal = true} : f32[S,2,4]
          return %o
        }
      }
      """
    let printed = Printer().print(try Parser.parse(text))
    #expect(printed.contains("{causal = true, scale = 1.0, window = 2}"))
    #expect(try Parser.parse(printed) == Parser.parse(text))
  }

  @Test func stringEscapesRoundTrip() throws {
    let text = "module @s {stage = \"a\\\"b\\\\c\\n\\u{1}\"} {\n}\n"
    let module = try Parser.parse(text)
    #expect(module.attributes["stage"] == .string("a\"b\\c\n\u{1}"))
    #expect(try Parser.parse(Printer().print(module)) == module)
  }

  @Test func seqOverrideRebindsTheSequenceDimension() throws {
    var module = try Parser.parse(try bundledModels()[0].1)
    let rebound = module.setSequenceLength(1000)
    #expect(rebound)
    #expect(module.bindings.value(of: .named("S")) == 1000)
    #expect(Verifier.diagnose(module).isEmpty)
  }

  @Test func summaryCountsLayersParametersAndAttention() throws {
    let models = Dictionary(uniqueKeysWithValues: try bundledModels())
    let llama = ModuleSummary(try Parser.parse(models["llama3-8b.ir"]!))
    #expect(llama.layers == 32)
    #expect(llama.attentionNodes == 32)
    // Meta-Llama-3-8B's published total, embedding and LM head included.
    #expect(llama.parameters == 8_030_261_248)
    #expect(llama.sequence?.length == 8192)
    let big = ModuleSummary(try Parser.parse(models["llama3-70b.ir"]!))
    #expect(big.layers == 80)
    #expect(big.parameters == 70_553_706_496)
  }

  /// A tied LM head reads the embedding's checkpoint tensor: it counts once.
  @Test func weightsOfOneCheckpointTensorCountOnce() throws {
    let text = try readText(repositoryRoot + "/Tests/IRTextTests/Inputs/lm-ends.ir")
    let summary = ModuleSummary(try Parser.parse(text))
    let tied: Int64 = 32 * 8, perLayer: Int64 = 8 * 8
    #expect(summary.parameters == tied + 2 * perLayer)
  }
}
