import ModelImport
import Testing

/// Every config ringc would import wrongly is refused with one line naming
/// the file, the key and its value.
@Suite struct ConfigErrorTests {
  static let cases: [(String, String, [String: String?])] = [
    (#"'architectures' names "GPT2LMHeadModel"; ringc imports LlamaForCausalLM, Qwen2ForCausalLM, Qwen3ForCausalLM, MistralForCausalLM"#,
     "", ["architectures": #"["GPT2LMHeadModel"]"#]),
    (#"'architectures' must name one model class, found ["LlamaForCausalLM", "MistralForCausalLM"]"#,
     "", ["architectures": #"["LlamaForCausalLM", "MistralForCausalLM"]"#]),
    ("'architectures' is missing", "", ["architectures": nil]),
    (#"'model_type' is "mistral", but 'architectures' names LlamaForCausalLM (model_type "llama")"#, "", ["model_type": #""mistral""#]),
    (#"'rope_scaling.rope_type' is "yarn"; ringc implements RoPE "default", "linear" and "llama3""#,
     "", ["rope_scaling": #"{"rope_type": "yarn", "factor": 4.0, "original_max_position_embeddings": 32768}"#]),
    (#"'rope_scaling.type' is "dynamic""#, "", ["rope_scaling": #"{"type": "dynamic", "factor": 2.0}"#]),
    (#"'rope_parameters.rope_type' is "longrope""#, "", ["rope_parameters": #"{"rope_type": "longrope"}"#]),
    (#"RoPE "llama3" needs 'rope_scaling.low_freq_factor'"#, "", ["rope_scaling": #"{"rope_type": "llama3", "factor": 8, "high_freq_factor": 4}"#]),
    ("both 'rope_scaling' and 'rope_parameters' are given", "",
     ["rope_scaling": #"{"rope_type": "linear", "factor": 2}"#, "rope_parameters": #"{"rope_type": "default"}"#]),
    ("'partial_rotary_factor' is 0.5: partial rotary embeddings are not imported", "", ["partial_rotary_factor": "0.5"]),
    ("'num_local_experts' is 8: mixture-of-experts layers are not imported", "", ["num_local_experts": "8"]),
    ("'n_routed_experts' is 64", "", ["n_routed_experts": "64"]),
    ("'quantization_config' is set", "", ["quantization_config": #"{"quant_method": "gptq"}"#]),
    ("'hidden_size' is missing; ringc needs it to shape the model", "", ["hidden_size": nil]),
    (#"'hidden_size' must be an integer, found "4096" (a string)"#, "", ["hidden_size": #""4096""#]),
    ("'num_hidden_layers' must be a positive integer, found -2", "", ["num_hidden_layers": "-2"]),
    ("'intermediate_size' must be an integer, found 127.5 (a number)", "", ["intermediate_size": "127.5"]),
    ("'vocab_size' must be an integer, found 1e+20 (a number)", "", ["vocab_size": "100000000000000000000"]),
    ("'tie_word_embeddings' must be true or false, found 1 (an integer)", "", ["tie_word_embeddings": "1"]),
    ("'num_attention_heads' (4) is not a multiple of 'num_key_value_heads' (3)", "", ["num_key_value_heads": "3"]),
    ("'hidden_size' (64) is not a multiple of 'num_attention_heads' (5)", "", ["num_attention_heads": "5", "num_key_value_heads": "5"]),
    ("'head_dim' is 15, odd; RoPE rotates pairs of channels", "", ["head_dim": "15"]),
    ("'vocab_size' is 4611686018427387904; token ids are i32, so at most 2147483647", "", ["vocab_size": "4611686018427387904"]),
    ("'hidden_size' (64) × 'intermediate_size' (1152921504606846976) overflows 64 bits",
     "", ["intermediate_size": "1152921504606846976"]),
    ("'num_hidden_layers' (1152921504606846976) layers and the embeddings have more parameters than 64 bits count",
     "", ["num_hidden_layers": "1152921504606846976"]),
    (#"'hidden_act' is "gelu"; ringc imports SwiGLU MLPs, "silu" (or its alias "swish")"#, "", ["hidden_act": #""gelu""#]),
    (#"'torch_dtype' is "float64"; ringc imports bfloat16, float16 and float32"#, "", ["torch_dtype": #""float64""#]),
    (#"'layer_types[1]' is "sliding_attention": only "full_attention" layers are imported"#,
     "", ["layer_types": #"["full_attention", "sliding_attention"]"#]),
    ("'use_sliding_window' is true: per-layer sliding windows (max_window_layers) are not imported",
     "Qwen2ForCausalLM", ["use_sliding_window": "true"]),
    ("'head_dim' is null, which transformers' Qwen3ForCausalLM cannot use", "Qwen3ForCausalLM", ["head_dim": "null"]),
    ("'num_attention_heads' (28) is not a multiple of 'num_key_value_heads' (32, Qwen2ForCausalLM's default: the config omits it)",
     "Qwen2ForCausalLM", ["num_attention_heads": "28", "hidden_size": "56", "num_key_value_heads": nil]),
    ("'head_dim' is 7 (hidden_size / num_attention_heads), odd", "", ["hidden_size": "28"]),
    ("'rms_norm_eps' must be a finite number, found null", "", ["rms_norm_eps": "null"]),
  ]

  @Test(arguments: cases.indices)
  func isRefusedNamingTheKey(_ i: Int) throws {
    let (message, architecture, overrides) = Self.cases[i]
    let error = try #require(importError(config(Architecture(rawValue: architecture) ?? .llama, overrides)))
    #expect(error.kind == .dataError)
    #expect(error.description.hasPrefix("config.json: error: " + message), "\(error)")
    #expect(!error.description.contains("\n"))
  }

  @Test func fileProblemsAreDataErrors() {
    for (text, message) in [
      ("{\"hidden_size\": 4096,", "not valid JSON"), ("", "not valid JSON"),
      ("[1, 2]", "the top level is an array, not the object a config.json holds"),
      (#"{"architectures": ["LlamaForCausalLM"], "rope_scaling": {"factor": 2, "factor": 4}}"#,
       "'rope_scaling.factor' is given twice; transformers would read the last, so ringc reads neither"),
      (#"{"hidden_size": 64, "hidden\u005fsize": 128}"#, "'hidden_size' is given twice"),
    ] {
      let error = importError(text)
      #expect(error?.kind == .dataError)
      #expect(error?.description.hasPrefix("config.json: error: " + message) == true, "\(String(describing: error))")
    }
  }

  @Test func moreLayersThanTheConfigHasIsAUsageError() {
    let error = importError(config(), .init(layers: 3))
    #expect(error?.kind == .usage)
    #expect(error?.message == "--layers 3 is more than the config's 2 (num_hidden_layers)")
  }

  @Test func aSequenceWhoseLogitsOverflowIsAUsageError() {
    let error = importError(config(.llama, ["vocab_size": "2000000000"]), .init(sequence: 1 << 40))
    #expect(error?.kind == .usage)
    #expect(error?.message.hasPrefix("the imported model does not verify:") == true, "\(String(describing: error))")
  }

  @Test func expertsSetToNoneAreNotRefused() throws {
    let model = try imported(config(.llama, ["num_experts": "0", "num_local_experts": "null"]))
    #expect(model.spec.provenance.ignored.map(\.key).contains("num_experts"))
  }
}
