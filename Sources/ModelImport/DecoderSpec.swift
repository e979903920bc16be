import GraphIR

/// A decoder-only language model as a config describes it, checked: every
/// size positive, divisible where it must be, and small enough that every
/// tensor's bytes and the parameter count fit in 64 bits.
public struct DecoderSpec: Sendable, Equatable {
  /// Where the description came from, for the model's header.
  public struct Provenance: Sendable, Equatable {
    /// The config file as named on the command line.
    public var path: String
    public var modelType: String?
    /// The config's `_name_or_path`, such as "meta-llama/Llama-3.1-8B".
    public var nameOrPath: String?
    /// Keys the config omits, each with the value transformers fills in.
    public var defaults: [(key: String, value: String)]
    /// Keys that do not change the forward pass, each with why.
    public var ignored: [(key: String, reason: String)]
    /// Keys neither read nor known to be irrelevant.
    public var unknown: [String]

    public static func == (a: Provenance, b: Provenance) -> Bool {
      a.path == b.path && a.modelType == b.modelType && a.nameOrPath == b.nameOrPath
        && a.defaults.map(\.key) == b.defaults.map(\.key) && a.defaults.map(\.value) == b.defaults.map(\.value)
        && a.ignored.map(\.key) == b.ignored.map(\.key) && a.unknown == b.unknown
    }
  }

  /// Which projections add a bias (`nn.Linear(..., bias=True)`).
  public struct Biases: Sendable, Equatable {
    public var qkv = false
    public var output = false
    public var mlp = false
  }

  public var architecture: Architecture
  /// `hidden_size`: the residual stream's width.
  public var width: Int64
  /// `num_hidden_layers`.
  public var layers: Int64
  /// `num_attention_heads`.
  public var heads: Int64
  /// `num_key_value_heads`.
  public var kvHeads: Int64
  public var headDim: Int64
  /// `intermediate_size`: the SwiGLU MLP's width.
  public var ffn: Int64
  /// `vocab_size`.
  public var vocab: Int64
  /// `max_position_embeddings`.
  public var maxPositions: Int64
  /// `rms_norm_eps`, for every RMSNorm.
  public var normEps: Double
  public var rope: Rope
  public var biases: Biases
  /// Qwen3's per-head RMSNorm of queries and keys before RoPE.
  public var qkNorm: Bool
  /// Key j is visible to query i when i − j < window (and j ≤ i).
  public var window: Int64?
  /// The LM head is the embedding table (`tie_word_embeddings`).
  public var tiedEmbeddings: Bool
  public var dtype: DType
  /// Where the dtype came from: `torch_dtype "bfloat16"`, or a default.
  public var dtypeOrigin: String
  public var provenance: Provenance
}
