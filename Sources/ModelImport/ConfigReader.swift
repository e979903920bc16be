import FoundationEssentials
import GraphIR
import HostIO

#if canImport(Glibc)
  import Glibc
#endif

/// Reads a Hugging Face `config.json` into a `DecoderSpec`, filling in what
/// it omits as transformers' config class does and refusing whatever would
/// make transformers compute something ringc's model does not.
///
/// The file is treated as hostile: its size is bounded, every key's kind is
/// checked, a key given twice is refused, and products of sizes are checked
/// for overflow.
public enum ConfigReader {
  /// The most bytes read: a config is a few KiB.
  public static let byteLimit = 1 << 22

  /// The config file `path` names: itself, or `path/config.json` for a
  /// directory.
  public static func configPath(_ path: String) -> String {
    var info = stat()
    guard stat(path, &info) == 0, info.st_mode & S_IFMT == S_IFDIR else { return path }
    return (path.hasSuffix("/") ? path : path + "/") + "config.json"
  }

  public static func read(_ path: String) throws(ImportError) -> DecoderSpec {
    let file = configPath(path)
    let bytes: [UInt8]
    do {
      bytes = try FileIO.read(file, limit: byteLimit)
    } catch {
      throw ImportError(.noInput, file: file, "\(error)")
    }
    return try parse(bytes, file: file)
  }

  public static func parse(_ bytes: [UInt8], file: String) throws(ImportError) -> DecoderSpec {
    let root: JSONNode
    do {
      root = try JSONDecoder().decode(JSONNode.self, from: Data(bytes))
    } catch {
      throw ImportError(.dataError, file: file, "not valid JSON (the decoder reports no position)")
    }
    if let key = JSONNode.duplicateKey(in: bytes) {
      throw ImportError(.dataError, file: file, "'\(key)' is given twice; transformers would read the last, so ringc reads neither")
    }
    guard case .object(let values) = root else {
      throw ImportError(.dataError, file: file, "the top level is \(root.kindName), not the object a config.json holds")
    }
    var reader = Reader(keys: ConfigKeys(file: file, values: values))
    return try reader.spec(path: file)
  }
}

/// One pass over a config's keys, in the order the spec needs them.
private struct Reader {
  var keys: ConfigKeys
  var ignored: [(key: String, reason: String)] = []
  var unknown: [String] = []

  func fail(_ message: String) -> ImportError { keys.fail(message) }

  mutating func ignore(_ key: String, _ reason: String) {
    if keys.contains(key) {
      _ = keys.node(key)
      ignored.append((key, reason))
    }
  }

  mutating func spec(path: String) throws(ImportError) -> DecoderSpec {
    let arch = try architecture()
    let modelType = try keys.string("model_type")
    if let modelType, modelType != arch.modelType {
      throw fail("'model_type' is \"\(modelType)\", but 'architectures' names \(arch.rawValue) (model_type \"\(arch.modelType)\")")
    }
    let nameOrPath = try keys.string("_name_or_path")
    try refuseUnimported()

    let width = try keys.required("hidden_size")
    let layers = try keys.required("num_hidden_layers")
    let heads = try keys.required("num_attention_heads")
    let ffn = try keys.required("intermediate_size")
    let vocab = try keys.required("vocab_size")
    let kvHeads = try kvHeads(arch, heads: heads)
    let headDim = try headDim(arch, width: width, heads: heads)
    if heads % kvHeads != 0 {
      let omitted = keys.contains("num_key_value_heads") ? "" : ", \(arch.rawValue)'s default: the config omits it"
      throw fail("'num_attention_heads' (\(heads)) is not a multiple of 'num_key_value_heads' (\(kvHeads)\(omitted))")
    }
    if headDim % 2 != 0 {
      let derived = keys.contains("head_dim") ? "" : " (hidden_size / num_attention_heads)"
      throw fail("'head_dim' is \(headDim)\(derived), odd; RoPE rotates pairs of channels")
    }
    if vocab > Int64(Int32.max) { throw fail("'vocab_size' is \(vocab); token ids are i32, so at most \(Int32.max)") }
    let maxPositions = try keys.positive("max_position_embeddings")
      ?? keys.defaulted("max_position_embeddings", arch.defaultMaxPositions)
    let normEps = try keys.number("rms_norm_eps") ?? keys.defaulted("rms_norm_eps", 1e-6)
    if normEps < 0 { throw fail("'rms_norm_eps' must not be negative, found \(normEps)") }
    let act = try keys.string("hidden_act") ?? keys.defaulted("hidden_act", "silu")
    if act != "silu" && act != "swish" {
      throw fail("'hidden_act' is \"\(act)\"; ringc imports SwiGLU MLPs, \"silu\" (or its alias \"swish\")")
    }
    let rope = try rope(maxPositions: maxPositions)
    let biases = try biases(arch)
    let window = try window(arch)
    let tied = try keys.bool("tie_word_embeddings") ?? keys.defaulted("tie_word_embeddings", false)
    let (dtype, dtypeOrigin) = try dtype()
    try checkSizes(
      width: width, layers: layers, heads: heads, kvHeads: kvHeads, headDim: headDim, ffn: ffn, vocab: vocab)

    for key in arch.unreadKeys { ignore(key, "not read by transformers' \(arch.rawValue)") }
    for key in keys.unread {
      if let reason = IgnoredKeys.reason(key) { ignore(key, reason) } else { unknown.append(key) }
    }
    return DecoderSpec(
      architecture: arch, width: width, layers: layers, heads: heads, kvHeads: kvHeads, headDim: headDim,
      ffn: ffn, vocab: vocab, maxPositions: maxPositions, normEps: normEps, rope: rope, biases: biases,
      qkNorm: arch.normalisesQKHeads, window: window, tiedEmbeddings: tied, dtype: dtype, dtypeOrigin: dtypeOrigin,
      provenance: .init(
        path: path, modelType: modelType, nameOrPath: nameOrPath, defaults: keys.defaults,
        ignored: ignored, unknown: unknown.sorted()))
  }

  private mutating func architecture() throws(ImportError) -> Architecture {
    let known = Architecture.allCases.map(\.rawValue).joined(separator: ", ")
    guard let node = keys.node("architectures") else {
      throw fail("'architectures' is missing; ringc imports \(known)")
    }
    guard case .array(let list) = node, list.count == 1, case .string(let name) = list[0] else {
      throw fail("'architectures' must name one model class, found \(node); ringc imports \(known)")
    }
    guard let arch = Architecture(rawValue: name) else {
      throw fail("'architectures' names \"\(name)\"; ringc imports \(known)")
    }
    return arch
  }

  /// Keys that, when set, change the computation in ways ringc's model does
  /// not: experts, quantized weights, soft-capping, partial rotary, an
  /// encoder, per-layer attention kinds.
  private mutating func refuseUnimported() throws(ImportError) {
    for key in ["num_experts", "num_local_experts", "n_routed_experts", "num_experts_per_tok", "n_shared_experts", "moe_intermediate_size"] {
      switch keys.node(key) {
      case nil: continue
      case .null?, .int(0)?: ignored.append((key, "no experts"))
      case .int(let n)? where n > 0: throw fail("'\(key)' is \(n): mixture-of-experts layers are not imported")
      case let other?: throw fail("'\(key)' must be an integer, found \(other.quoted)")
      }
    }
    if let q = keys.node("quantization_config"), q != .null {
      throw fail("'quantization_config' is set: quantized checkpoints are not imported")
    }
    if try keys.bool("is_encoder_decoder") == true {
      throw fail("'is_encoder_decoder' is true: ringc imports decoder-only models")
    }
    for key in ["attn_logit_softcapping", "final_logit_softcapping"] {
      if let v = keys.node(key), v != .null { throw fail("'\(key)' is \(v): soft-capped logits are not imported") }
    }
    if let types = keys.node("layer_types") {
      guard case .array(let list) = types else {
        throw fail("'layer_types' must be an array of strings, found \(types.quoted)")
      }
      for (i, t) in list.enumerated() where t != .string("full_attention") {
        throw fail("'layer_types[\(i)]' is \(t): only \"full_attention\" layers are imported")
      }
    }
  }

  /// `num_key_value_heads`: null means as many as the query heads
  /// (`__post_init__`), absent the config class's default.
  private mutating func kvHeads(_ arch: Architecture, heads: Int64) throws(ImportError) -> Int64 {
    if keys.isNull("num_key_value_heads") {
      _ = keys.node("num_key_value_heads")
      return heads
    }
    return try keys.positive("num_key_value_heads")
      ?? keys.defaulted("num_key_value_heads", arch.defaultKVHeads(heads: heads))
  }

  private mutating func headDim(_ arch: Architecture, width: Int64, heads: Int64) throws(ImportError) -> Int64 {
    let explicit = try keys.positive("head_dim")
    let divides = width % heads == 0
    if !divides && (explicit == nil || arch.widthMustDivideAmongHeads) {
      throw fail("'hidden_size' (\(width)) is not a multiple of 'num_attention_heads' (\(heads))")
    }
    if let explicit { return explicit }
    if keys.isNull("head_dim") && !arch.derivesNullHeadDim {
      throw fail("'head_dim' is null, which transformers' \(arch.rawValue) cannot use; give it or leave it out")
    }
    return keys.isNull("head_dim")
      ? width / heads : keys.defaulted("head_dim", arch.defaultHeadDim(width: width, heads: heads))
  }

  /// RoPE from `rope_scaling` (transformers 4) or `rope_parameters` (5),
  /// with `rope_theta` inside or beside it.
  private mutating func rope(maxPositions: Int64) throws(ImportError) -> Rope {
    let legacy = try keys.object("rope_scaling")
    let current = try keys.object("rope_parameters")
    if legacy != nil && current != nil {
      throw fail("both 'rope_scaling' and 'rope_parameters' are given; give one")
    }
    let topTheta = try keys.number("rope_theta")
    let topPartial = try keys.number("partial_rotary_factor")
    let topOriginal = try keys.positive("original_max_position_embeddings")
    guard var r = legacy ?? current else {
      if let p = topPartial, p != 1 { throw fail("'partial_rotary_factor' is \(p): partial rotary embeddings are not imported") }
      let theta = topTheta ?? keys.defaulted("rope_theta", 10_000.0)
      if topOriginal != nil { ignored.append(("original_max_position_embeddings", "read only by scaled RoPE")) }
      return try checked(Rope(theta: theta))
    }
    for (key, value) in r.values {
      if case .object = value { throw fail("'\(r.name(key))' is an object: RoPE settings per layer type are not imported") }
    }
    let typeKey = r.contains("rope_type") ? "rope_type" : "type"
    let (ropeType, legacyType) = (try r.string("rope_type"), try r.string("type"))
    let type = ropeType ?? legacyType ?? "default"
    let partial = try r.number("partial_rotary_factor")
    if let p = partial ?? topPartial, p != 1 {
      throw fail("'partial_rotary_factor' is \(p): partial rotary embeddings are not imported")
    }
    let inner = try r.number("rope_theta")
    let theta = inner ?? topTheta ?? keys.defaulted("rope_theta", 10_000.0)
    func factor(_ key: String) throws(ImportError) -> Double {
      guard let v = try r.number(key) else { throw fail("RoPE \"\(type)\" needs '\(r.name(key))'") }
      guard v > 0 else { throw fail("'\(r.name(key))' must be positive, found \(v)") }
      return v
    }
    let scaling: Rope.Scaling
    switch type {
    case "default":
      scaling = .none
    case "linear":
      scaling = .linear(factor: try factor("factor"))
    case "llama3":
      let (f, low, high) = (try factor("factor"), try factor("low_freq_factor"), try factor("high_freq_factor"))
      if high <= low {
        throw fail("'\(r.name("high_freq_factor"))' (\(high)) must exceed '\(r.name("low_freq_factor"))' (\(low))")
      }
      // A top-level original_max_position_embeddings wins, as in
      // transformers' standardize_rope_params.
      let inside = try r.positive("original_max_position_embeddings")
      let original = topOriginal ?? inside ?? r.defaulted("original_max_position_embeddings", maxPositions)
      scaling = .llama3(factor: f, lowFreqFactor: low, highFreqFactor: high, originalMaxPositions: original)
    default:
      throw fail("'\(r.name(typeKey))' is \"\(type)\"; ringc implements RoPE \"default\", \"linear\" and \"llama3\"")
    }
    if case .llama3 = scaling {} else if topOriginal != nil {
      ignored.append(("original_max_position_embeddings", "read only by scaled RoPE"))
    }
    unknown += r.unread.map(r.name)
    keys.adopt(defaultsOf: r)
    return try checked(Rope(theta: theta, scaling: scaling))
  }

  private func checked(_ rope: Rope) throws(ImportError) -> Rope {
    guard rope.theta > 0 else { throw fail("'rope_theta' must be positive, found \(rope.theta)") }
    return rope
  }

  private mutating func biases(_ arch: Architecture) throws(ImportError) -> DecoderSpec.Biases {
    var b = DecoderSpec.Biases()
    if arch.alwaysBiasesQKV { b.qkv = true }
    for key in arch.biasKeys {
      let on = try keys.bool(key) ?? keys.defaulted(key, false)
      if key == "attention_bias" {
        b.qkv = on
        b.output = on
      } else {
        b.mlp = on
      }
    }
    return b
  }

  private mutating func window(_ arch: Architecture) throws(ImportError) -> Int64? {
    switch arch.slidingWindow {
    case .none:
      ignore("sliding_window", "not read by transformers' \(arch.rawValue)")
      return nil
    case .everyLayer(let fallback):
      if keys.isNull("sliding_window") {
        _ = keys.node("sliding_window")
        return nil
      }
      return try keys.positive("sliding_window") ?? keys.defaulted("sliding_window", fallback)
    case .perLayer:
      if try keys.bool("use_sliding_window") == true {
        throw fail("'use_sliding_window' is true: per-layer sliding windows (max_window_layers) are not imported")
      }
      for key in ["sliding_window", "max_window_layers"] { ignore(key, "unused: use_sliding_window is false") }
      return nil
    }
  }

  /// `dtype`, else `torch_dtype` (transformers keeps `dtype` when both are
  /// given); float32 when neither is.
  private mutating func dtype() throws(ImportError) -> (DType, String) {
    let key = keys.contains("dtype") && !keys.isNull("dtype") ? "dtype" : "torch_dtype"
    let other = key == "dtype" ? "torch_dtype" : "dtype"
    if keys.contains(other) { ignore(other, "\(key) is given") }
    guard let name = try keys.string(key) else { return (keys.defaulted(key, DType.f32), "float32: the config gives no dtype") }
    let types: [String: DType] = ["bfloat16": .bf16, "float16": .f16, "float32": .f32]
    guard let dtype = types[name] else {
      throw fail("'\(key)' is \"\(name)\"; ringc imports bfloat16, float16 and float32")
    }
    return (dtype, "\(key) \"\(name)\"")
  }

  /// Every weight's bytes (at 4 per element, the widest dtype) and the
  /// parameters' bytes fit in 64 bits.
  private func checkSizes(
    width: Int64, layers: Int64, heads: Int64, kvHeads: Int64, headDim: Int64, ffn: Int64, vocab: Int64
  ) throws(ImportError) {
    func product(_ a: (String, Int64), _ b: (String, Int64)) throws(ImportError) -> Int64 {
      let (p, overflow) = a.1.multipliedReportingOverflow(by: b.1)
      guard !overflow, !p.multipliedReportingOverflow(by: 4).overflow else {
        throw fail("'\(a.0)' (\(a.1)) × '\(b.0)' (\(b.1)) overflows 64 bits")
      }
      return p
    }
    let q = try product(("num_attention_heads", heads), ("head_dim", headDim))
    let kv = try product(("num_key_value_heads", kvHeads), ("head_dim", headDim))
    let (wq, wkv, wf) = (
      try product(("hidden_size", width), ("num_attention_heads × head_dim", q)),
      try product(("hidden_size", width), ("num_key_value_heads × head_dim", kv)),
      try product(("hidden_size", width), ("intermediate_size", ffn))
    )
    let table = try product(("vocab_size", vocab), ("hidden_size", width))
    let overflow = fail("'num_hidden_layers' (\(layers)) layers and the embeddings have more parameters than 64 bits count")
    func sum(_ terms: [Int64]) throws(ImportError) -> Int64 {
      var total: Int64 = 0
      for n in terms {
        let (s, o) = total.addingReportingOverflow(n)
        guard !o else { throw overflow }
        total = s
      }
      return total
    }
    // One layer at most: its matrices, norms and every possible bias.
    let layer = try sum([wq, wq, wkv, wkv, wf, wf, wf, width, width, width, width, q, kv, kv, ffn, ffn, headDim, headDim])
    let (all, o) = layer.multipliedReportingOverflow(by: layers)
    guard !o, !(try sum([all, table, table, width])).multipliedReportingOverflow(by: 4).overflow else { throw overflow }
  }
}
