/// The decoder classes ringc imports, with what each one's transformers
/// code fixes or fills in (transformers 5.x `configuration_*.py` and
/// `modeling_*.py` of llama, qwen2, qwen3, mistral).
public enum Architecture: String, CaseIterable, Sendable {
  case llama = "LlamaForCausalLM"
  case qwen2 = "Qwen2ForCausalLM"
  case qwen3 = "Qwen3ForCausalLM"
  case mistral = "MistralForCausalLM"

  /// The config's `model_type` for this class.
  public var modelType: String {
    switch self {
    case .llama: "llama"
    case .qwen2: "qwen2"
    case .qwen3: "qwen3"
    case .mistral: "mistral"
    }
  }

  /// `num_key_value_heads` when the config omits it: the config class's
  /// default (32 for Qwen, 8 for Mistral), or the query heads (Llama).
  func defaultKVHeads(heads: Int64) -> Int64 {
    switch self {
    case .llama: heads
    case .qwen2, .qwen3: 32
    case .mistral: 8
    }
  }

  /// `head_dim` when the config omits it: Qwen3's is 128, the others divide
  /// the width among the heads.
  func defaultHeadDim(width: Int64, heads: Int64) -> Int64 {
    self == .qwen3 ? 128 : width / heads
  }

  /// A null `head_dim` is derived from the width (Llama's and Mistral's
  /// `__post_init__`); Qwen's code would use the null itself.
  var derivesNullHeadDim: Bool { self == .llama || self == .mistral }

  /// `max_position_embeddings` when the config omits it.
  var defaultMaxPositions: Int64 {
    switch self {
    case .llama: 2048
    case .qwen2, .qwen3: 32768
    case .mistral: 131072
    }
  }

  /// LlamaConfig refuses a width that the heads do not divide even when
  /// `head_dim` is given; the others only need it to derive `head_dim`.
  var widthMustDivideAmongHeads: Bool { self == .llama }

  /// The config keys that switch biases on, as this class reads them.
  var biasKeys: [String] {
    switch self {
    case .llama: ["attention_bias", "mlp_bias"]
    case .qwen3: ["attention_bias"]
    case .qwen2, .mistral: []
    }
  }

  /// Keys a config may carry that this class's code never reads.
  var unreadKeys: [String] {
    switch self {
    case .llama: []
    case .qwen3: ["mlp_bias", "use_mrope"]
    case .qwen2: ["attention_bias", "mlp_bias", "use_mrope"]
    case .mistral: ["attention_bias", "mlp_bias"]
    }
  }

  /// Qwen2's q, k and v projections always have biases (its o projection
  /// and MLP never do).
  var alwaysBiasesQKV: Bool { self == .qwen2 }

  /// Qwen3 normalises each query and key head (RMSNorm over head_dim)
  /// before RoPE.
  var normalisesQKHeads: Bool { self == .qwen3 }

  /// Mistral's sliding window applies to every layer, 4096 when the config
  /// omits `sliding_window` (null means none); Qwen's applies per layer and
  /// only with `use_sliding_window`.
  var slidingWindow: SlidingWindowRule {
    switch self {
    case .llama: .none
    case .mistral: .everyLayer(default: 4096)
    case .qwen2, .qwen3: .perLayer
    }
  }

  enum SlidingWindowRule {
    case none
    case everyLayer(default: Int64)
    case perLayer
  }
}
