import GraphIR
import ModelImport
import Testing

/// Each architecture imports into a model that verifies, reads back from its
/// text, and has the weights and ops transformers' modeling code has.
@Suite struct ArchitectureTests {
  @Test(arguments: Architecture.allCases)
  func importsVerifyAndReadBack(_ architecture: Architecture) throws {
    let model = try imported(config(architecture))
    #expect(!Verifier.diagnose(model.module).contains { $0.severity == .error })
    #expect(try Parser.parse(model.text) == model.module)
    #expect(model.text.hasPrefix("// config: \(architecture.rawValue) (model_type \"\(architecture.modelType)\")\n"))
    let main = try #require(model.module.graph(named: "main"))
    #expect(main.arguments.map(\.type.description) == ["i32[S]"])
    #expect(main.resultTypes.map(\.description) == ["f32[S,100]"])
    #expect(model.module.ops("main", .embed).count == 1)
    #expect(model.module.ops("main", .repeat).first?.attributes["count"] == .int(2))
  }

  @Test func llamaReadsEveryLinearTransposedFromItsCheckpointName() throws {
    let m = try imported(config(.llama)).module
    let sources = m.weightSources()
    #expect(sources["embed"] == "model.embed_tokens.weight")
    #expect(sources["wq"] == "model.layers.{l}.self_attn.q_proj.weight")
    #expect(sources["w_down"] == "model.layers.{l}.mlp.down_proj.weight")
    #expect(sources["attn_norm"] == "model.layers.{l}.input_layernorm.weight")
    #expect(sources["mlp_norm"] == "model.layers.{l}.post_attention_layernorm.weight")
    #expect(sources["final_norm"] == "model.norm.weight")
    #expect(sources["lm_head"] == "lm_head.weight")
    #expect(!sources.keys.contains { $0.hasPrefix("b") }, "no biases by default")
    let transposed = Set(m.weights.filter(\.transpose).map(\.name))
    #expect(transposed == ["wq", "wk", "wv", "wo", "w_gate", "w_up", "w_down", "lm_head"])
    #expect(m.weight(named: "wk")?.type.description == "f32[64,32]")
    #expect(m.weight(named: "embed")?.type.description == "f32[100,64]")
    #expect(m.ops("layer", .attention).first?.attributes == ["causal": .bool(true)])
  }

  @Test func aTiedHeadReadsTheEmbeddingTableAndCountsOnce() throws {
    let untied = try imported(config(.llama))
    let tied = try imported(config(.llama, ["tie_word_embeddings": "true"]))
    #expect(!tied.module.weightSources().values.contains("lm_head.weight"))
    #expect(tied.module.weight(named: "lm_head")?.source == "model.embed_tokens.weight")
    #expect(tied.module.weight(named: "lm_head")?.transpose == true)
    #expect(ModuleSummary(untied.module).parameters - ModuleSummary(tied.module).parameters == 100 * 64)
  }

  @Test func llamaBiasesFollowAttentionBiasAndMLPBias() throws {
    let m = try imported(config(.llama, ["attention_bias": "true", "mlp_bias": "true"])).module
    let sources = m.weightSources()
    for (weight, tensor) in [
      ("bq", "self_attn.q_proj"), ("bk", "self_attn.k_proj"), ("bv", "self_attn.v_proj"), ("bo", "self_attn.o_proj"),
      ("b_gate", "mlp.gate_proj"), ("b_up", "mlp.up_proj"), ("b_down", "mlp.down_proj"),
    ] {
      #expect(sources[weight] == "model.layers.{l}.\(tensor).bias")
    }
    #expect(m.weight(named: "bk")?.type.description == "f32[32]")
    #expect(m.ops("layer", .add).count == 2 + 7)
  }

  @Test func qwen2BiasesQueriesKeysAndValuesOnly() throws {
    let m = try imported(config(.qwen2, ["attention_bias": "false"])).module
    let biases = Set(m.weights.map(\.name).filter { $0.hasPrefix("b") })
    #expect(biases == ["bq", "bk", "bv"])
  }

  @Test func qwen3NormalisesEachHeadBeforeRoPE() throws {
    let m = try imported(config(.qwen3, ["head_dim": "32", "attention_bias": "true"])).module
    #expect(m.weight(named: "q_norm")?.type.description == "f32[32]")
    #expect(m.weightSources()["k_norm"] == "model.layers.{l}.self_attn.k_norm.weight")
    #expect(m.weight(named: "wq")?.type.description == "f32[64,128]", "q_proj is [heads·head_dim, hidden]")
    #expect(Set(m.weights.map(\.name).filter { $0.hasPrefix("b") }) == ["bq", "bk", "bv", "bo"])
    let ops = try #require(m.graph(named: "layer")).ops
    let qNorm = try #require(ops.firstIndex { $0.operands.contains(.symbol("q_norm")) })
    let qRope = try #require(ops.firstIndex { $0.opcode == .rope && $0.operands.first == .value(ops[qNorm].results[0]) })
    #expect(ops[qNorm].opcode == .rmsnorm && qNorm < qRope)
    #expect(ops[qNorm].resultTypes[0].description == "f32[S,4,32]")
  }

  @Test func mistralsSlidingWindowIsTransformersW() throws {
    let windowed = try imported(config(.mistral, ["sliding_window": "48"])).module
    #expect(windowed.ops("layer", .attention).first?.attributes["window"] == .int(48))
    let omitted = try imported(config(.mistral, ["sliding_window": nil]))
    #expect(omitted.module.ops("layer", .attention).first?.attributes["window"] == .int(4096))
    #expect(omitted.spec.provenance.defaults.contains { $0.key == "sliding_window" && $0.value == "4096" })
    let none = try imported(config(.mistral, ["sliding_window": "null"])).module
    #expect(none.ops("layer", .attention).first?.attributes["window"] == nil)
  }

  @Test func ropeSpellingsOfTransformers4And5AreOne() throws {
    let legacy = try spec(config(.llama, [
      "rope_theta": "500000.0",
      "rope_scaling": #"{"type": "llama3", "factor": 8, "low_freq_factor": 1, "high_freq_factor": 4, "original_max_position_embeddings": 8192}"#,
    ]))
    let current = try spec(config(.llama, [
      "rope_parameters": #"{"rope_type": "llama3", "rope_theta": 500000.0, "factor": 8.0, "low_freq_factor": 1.0, "high_freq_factor": 4.0, "original_max_position_embeddings": 8192}"#,
    ]))
    #expect(legacy.rope == current.rope)
    #expect(legacy.rope == Rope(theta: 500_000, scaling: .llama3(factor: 8, lowFreqFactor: 1, highFreqFactor: 4, originalMaxPositions: 8192)))
    let linear = try spec(config(.llama, ["rope_scaling": #"{"rope_type": "linear", "factor": 4.0}"#]))
    #expect(linear.rope == Rope(theta: 10_000, scaling: .linear(factor: 4)))
    let plain = try spec(config(.llama, ["rope_parameters": #"{"rope_type": "default", "rope_theta": 1000000.0}"#]))
    #expect(plain.rope == Rope(theta: 1_000_000))
    // Without original_max_position_embeddings, llama3 falls back to max_position_embeddings.
    let fallback = try spec(config(.llama, ["rope_scaling": #"{"rope_type": "llama3", "factor": 8, "low_freq_factor": 1, "high_freq_factor": 4}"#]))
    #expect(fallback.rope.scaling == .llama3(factor: 8, lowFreqFactor: 1, highFreqFactor: 4, originalMaxPositions: 256))
  }

  @Test func omittedKeysTakeTheConfigClassDefaults() throws {
    let llama = try spec(config(.llama, ["num_key_value_heads": nil, "rms_norm_eps": nil, "torch_dtype": nil]))
    #expect(llama.kvHeads == 4 && llama.normEps == 1e-6 && llama.dtype == .f32)
    #expect(llama.rope.theta == 10_000)
    let defaulted = Set(llama.provenance.defaults.map(\.key))
    #expect(defaulted.isSuperset(of: ["num_key_value_heads", "rms_norm_eps", "rope_theta", "head_dim", "torch_dtype"]))
    // Qwen's config class defaults to 32 kv heads whatever the query heads.
    let qwen = try spec(config(.qwen2, ["num_key_value_heads": nil, "num_attention_heads": "32"]))
    #expect(qwen.kvHeads == 32 && qwen.headDim == 2)
    #expect(try spec(config(.qwen2, ["num_key_value_heads": "null"])).kvHeads == 4)
    #expect(try spec(config(.qwen3, ["head_dim": nil])).headDim == 128)
    #expect(try spec(config(.llama, ["dtype": "\"bfloat16\"", "torch_dtype": "\"float16\""])).dtype == .bf16)
  }

  @Test func theHeaderSaysWhatWasNotImported() throws {
    let model = try imported(config(.llama, ["use_cache": "true", "rope_wobble": "3"]))
    #expect(header(model).contains("attention_dropout (training only)"))
    #expect(header(model).contains("bos_token_id (tokenizer)"))
    #expect(header(model).contains("use_cache (generation)"))
    #expect(header(model).contains("Not imported, unknown to ringc: rope_wobble."))
    #expect(model.warnings == ["config.json: warning: 'rope_wobble' is not a key ringc knows for LlamaForCausalLM; it was not imported"])
    #expect(header(model).contains("Legend: S tokens; width 64; 4 query heads, 2 kv heads, head_dim 16; FFN 128; vocab 100; 2 layers."))
  }

  @Test func flagsSetTokensLayersDtypeAndName() throws {
    let model = try imported(config(.llama), .init(sequence: 512, layers: 1, dtype: .bf16, name: "short"))
    #expect(model.module.name == "short")
    #expect(model.module.sequenceDim?.value == 512)
    #expect(model.module.ops("main", .repeat).first?.attributes["count"] == .int(1))
    #expect(model.module.weight(named: "wq")?.type.dtype == .bf16)
    #expect(header(model).contains("Only the first 1 of the checkpoint's 2 decoder layers (--layers 1)"))
    #expect(header(model).contains("dtype bf16 (--dtype bf16; the config says torch_dtype \"float32\")"))
    // The default S: the trained context, at most 8192.
    #expect(try imported(config(.llama)).module.sequenceDim?.value == 256)
    #expect(try imported(config(.llama, ["max_position_embeddings": "131072"])).module.sequenceDim?.value == 8192)
    #expect(ModelWriter.moduleName(forFile: "models/configs/Llama-3.1-8B.json") == "llama_3_1_8b")
    #expect(ModelWriter.moduleName(forFile: "out/llama3-70b.ir") == "llama3_70b")
  }
}
