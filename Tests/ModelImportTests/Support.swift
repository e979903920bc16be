import GraphIR
import ModelImport
import RingcTestSupport

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

/// Public `config.json` files (Hugging Face hub), as published: those
/// under models/configs/, and Qwen3-8B's.
enum PublicConfig {
  /// models/configs/NAME.json, or Qwen3-8B's config for "Qwen3-8B".
  static func text(_ name: String) throws -> String {
    name == "Qwen3-8B" ? qwen3_8b : try readText(repositoryRoot + "/models/configs/\(name).json")
  }

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
