import GraphIR
import ModelImport

/// A small config of `architecture`: `overrides` replace or add keys (raw
/// JSON values), a nil value removes the key.
func config(_ architecture: Architecture = .llama, _ overrides: [String: String?] = [:]) -> String {
  var keys: [String: String] = [
    "architectures": "[\"\(architecture.rawValue)\"]", "model_type": "\"\(architecture.modelType)\"",
    "hidden_size": "64", "intermediate_size": "128", "num_hidden_layers": "2", "num_attention_heads": "4",
    "num_key_value_heads": "2", "vocab_size": "100", "max_position_embeddings": "256", "rms_norm_eps": "1e-05",
    "torch_dtype": "\"float32\"", "bos_token_id": "1", "attention_dropout": "0.0",
  ]
  for (key, value) in overrides { keys[key] = value }
  return "{\n" + keys.sorted { $0.key < $1.key }.map { "  \"\($0.key)\": \($0.value)" }.joined(separator: ",\n") + "\n}\n"
}

func spec(_ json: String, file: String = "config.json") throws(ImportError) -> DecoderSpec {
  try ConfigReader.parse(Array(json.utf8), file: file)
}

func imported(_ json: String, _ options: ModelImporter.Options = .init()) throws(ImportError) -> ModelImporter.Imported {
  try ModelImporter.build(try spec(json), options: options)
}

/// The error importing `json` gives (nil if it imports).
func importError(_ json: String, _ options: ModelImporter.Options = .init()) -> ImportError? {
  do {
    _ = try imported(json, options)
    return nil
  } catch {
    return error
  }
}

/// The header's text with its wrapped lines joined.
func header(_ model: ModelImporter.Imported) -> String {
  model.text.replacing("\n//   ", with: " ")
}

extension Module {
  func weightSources() -> [String: String] {
    Dictionary(uniqueKeysWithValues: weights.map { ($0.name, $0.source ?? "") })
  }

  func ops(_ graph: String, _ opcode: Opcode) -> [Op] {
    self.graph(named: graph)?.ops.filter { $0.opcode == opcode } ?? []
  }
}

/// Public `config.json` files (Hugging Face hub), as published.
enum PublicConfig {
  static let llama31_8b = """
    {
      "architectures": ["LlamaForCausalLM"], "attention_bias": false, "attention_dropout": 0.0,
      "bos_token_id": 128000, "eos_token_id": 128001, "hidden_act": "silu", "hidden_size": 4096,
      "initializer_range": 0.02, "intermediate_size": 14336, "max_position_embeddings": 131072, "mlp_bias": false,
      "model_type": "llama", "num_attention_heads": 32, "num_hidden_layers": 32, "num_key_value_heads": 8,
      "pretraining_tp": 1, "rms_norm_eps": 1e-05,
      "rope_scaling": {"factor": 8.0, "low_freq_factor": 1.0, "high_freq_factor": 4.0,
                       "original_max_position_embeddings": 8192, "rope_type": "llama3"},
      "rope_theta": 500000.0, "tie_word_embeddings": false, "torch_dtype": "bfloat16",
      "transformers_version": "4.43.0.dev0", "use_cache": true, "vocab_size": 128256
    }
    """

  static let llama3_70b = """
    {
      "architectures": ["LlamaForCausalLM"], "attention_bias": false, "attention_dropout": 0.0,
      "bos_token_id": 128000, "eos_token_id": 128001, "hidden_act": "silu", "hidden_size": 8192,
      "initializer_range": 0.02, "intermediate_size": 28672, "max_position_embeddings": 8192, "model_type": "llama",
      "num_attention_heads": 64, "num_hidden_layers": 80, "num_key_value_heads": 8, "pretraining_tp": 1,
      "rms_norm_eps": 1e-05, "rope_scaling": null, "rope_theta": 500000.0, "tie_word_embeddings": false,
      "torch_dtype": "bfloat16", "transformers_version": "4.40.0.dev0", "use_cache": true, "vocab_size": 128256
    }
    """

  static let llama2_7b = """
    {
      "_name_or_path": "meta-llama/Llama-2-7b-hf", "architectures": ["LlamaForCausalLM"], "bos_token_id": 1,
      "eos_token_id": 2, "hidden_act": "silu", "hidden_size": 4096, "initializer_range": 0.02,
      "intermediate_size": 11008, "max_position_embeddings": 4096, "model_type": "llama", "num_attention_heads": 32,
      "num_hidden_layers": 32, "num_key_value_heads": 32, "pretraining_tp": 1, "rms_norm_eps": 1e-05,
      "rope_scaling": null, "tie_word_embeddings": false, "torch_dtype": "float16",
      "transformers_version": "4.31.0.dev0", "use_cache": true, "vocab_size": 32000
    }
    """

  static let llama32_1b = """
    {
      "architectures": ["LlamaForCausalLM"], "attention_bias": false, "attention_dropout": 0.0,
      "bos_token_id": 128000, "eos_token_id": 128001, "head_dim": 64, "hidden_act": "silu", "hidden_size": 2048,
      "initializer_range": 0.02, "intermediate_size": 8192, "max_position_embeddings": 131072, "mlp_bias": false,
      "model_type": "llama", "num_attention_heads": 32, "num_hidden_layers": 16, "num_key_value_heads": 8,
      "pretraining_tp": 1, "rms_norm_eps": 1e-05,
      "rope_scaling": {"factor": 32.0, "high_freq_factor": 4.0, "low_freq_factor": 1.0,
                       "original_max_position_embeddings": 8192, "rope_type": "llama3"},
      "rope_theta": 500000.0, "tie_word_embeddings": true, "torch_dtype": "bfloat16",
      "transformers_version": "4.45.0.dev0", "use_cache": true, "vocab_size": 128256
    }
    """

  static let qwen25_7b = """
    {
      "architectures": ["Qwen2ForCausalLM"], "attention_dropout": 0.0, "bos_token_id": 151643,
      "eos_token_id": 151643, "hidden_act": "silu", "hidden_size": 3584, "initializer_range": 0.02,
      "intermediate_size": 18944, "max_position_embeddings": 131072, "max_window_layers": 28, "model_type": "qwen2",
      "num_attention_heads": 28, "num_hidden_layers": 28, "num_key_value_heads": 4, "rms_norm_eps": 1e-06,
      "rope_theta": 1000000.0, "sliding_window": 131072, "tie_word_embeddings": false, "torch_dtype": "bfloat16",
      "transformers_version": "4.40.1", "use_cache": true, "use_mrope": false, "use_sliding_window": false,
      "vocab_size": 152064
    }
    """

  static let mistral_7b = """
    {
      "architectures": ["MistralForCausalLM"], "bos_token_id": 1, "eos_token_id": 2, "hidden_act": "silu",
      "hidden_size": 4096, "initializer_range": 0.02, "intermediate_size": 14336, "max_position_embeddings": 32768,
      "model_type": "mistral", "num_attention_heads": 32, "num_hidden_layers": 32, "num_key_value_heads": 8,
      "rms_norm_eps": 1e-05, "rope_theta": 10000.0, "sliding_window": 4096, "tie_word_embeddings": false,
      "torch_dtype": "bfloat16", "transformers_version": "4.34.0.dev0", "use_cache": true, "vocab_size": 32000
    }
    """

  static let qwen3_8b = """
    {
      "architectures": ["Qwen3ForCausalLM"], "attention_bias": false, "attention_dropout": 0.0,
      "bos_token_id": 151643, "eos_token_id": 151645, "head_dim": 128, "hidden_act": "silu", "hidden_size": 4096,
      "initializer_range": 0.02, "intermediate_size": 12288, "max_position_embeddings": 40960,
      "max_window_layers": 36, "model_type": "qwen3", "num_attention_heads": 32, "num_hidden_layers": 36,
      "num_key_value_heads": 8, "rms_norm_eps": 1e-06, "rope_scaling": null, "rope_theta": 1000000,
      "sliding_window": null, "tie_word_embeddings": false, "torch_dtype": "bfloat16",
      "transformers_version": "4.51.0", "use_cache": true, "use_sliding_window": false, "vocab_size": 151936
    }
    """
}
