import GraphIR

/// Builds the `.ir` model of a `DecoderSpec` — token ids in, logits out, one
/// `@layer` graph repeated — and its text: a header comment saying where it
/// came from and what was left out, then the module in canonical form.
///
/// Every weight names its checkpoint tensor; `nn.Linear` weights are stored
/// `[out, in]`, so they are read transposed.
public struct ModelWriter {
  public var spec: DecoderSpec
  /// The module's name (letters, digits, `_`).
  public var name: String
  /// Tokens S.
  public var sequence: Int64
  /// Decoder layers written: all of the config's, or its first few.
  public var layers: Int64
  public var dtype: DType
  /// Why `dtype` (the config's, or a flag's).
  public var dtypeOrigin: String
  /// Why `sequence` (the default rule, or a flag).
  public var sequenceOrigin: String

  /// The default S: the context the model was trained for, capped at 8192
  /// tokens so that a default compile stays small.
  public static let defaultSequenceCap: Int64 = 8192

  public init(_ spec: DecoderSpec, name: String, sequence: Int64? = nil, layers: Int64? = nil, dtype: DType? = nil) {
    self.spec = spec
    self.name = name
    let capped = min(spec.maxPositions, Self.defaultSequenceCap)
    self.sequence = sequence ?? capped
    self.sequenceOrigin = sequence == nil
      ? "min(max_position_embeddings \(spec.maxPositions), \(Self.defaultSequenceCap))" : "--seq"
    self.layers = layers ?? spec.layers
    self.dtype = dtype ?? spec.dtype
    self.dtypeOrigin = dtype.map { "--dtype \($0); the config says \(spec.dtypeOrigin)" } ?? spec.dtypeOrigin
  }

  /// The module name a file name suggests: `Llama-3.1-8B.json` → `llama_3_1_8b`.
  public static func moduleName(forFile path: String) -> String {
    var stem = path.split(separator: "/").last.map(String.init) ?? path
    for suffix in [".json", ".ir"] where stem.hasSuffix(suffix) { stem.removeLast(suffix.count) }
    let name = String(stem.lowercased().map { $0.isASCII && ($0.isLetter || $0.isNumber) ? $0 : "_" })
    return name.isEmpty ? "model" : name
  }

  // MARK: - The module

  public var module: Module {
    let s = spec
    let (e, q, kv) = (Dim.literal(s.width), Dim.literal(s.heads * s.headDim), Dim.literal(s.kvHeads * s.headDim))
    let (f, v, d) = (Dim.literal(s.ffn), Dim.literal(s.vocab), Dim.literal(s.headDim))
    func t(_ dims: Dim...) -> TensorType { TensorType(dtype, dims) }
    let layer = "model.layers.{l}."
    var weights = [WeightDecl("embed", t(v, e), source: "model.embed_tokens.weight")]
    func linear(_ weight: String, _ tensor: String, in k: Dim, out n: Dim, bias: String?) {
      weights.append(WeightDecl(weight, t(k, n), source: layer + tensor + ".weight", transpose: true))
      if let bias { weights.append(WeightDecl(bias, t(n), source: layer + tensor + ".bias")) }
    }
    weights.append(WeightDecl("attn_norm", t(e), source: layer + "input_layernorm.weight"))
    linear("wq", "self_attn.q_proj", in: e, out: q, bias: s.biases.qkv ? "bq" : nil)
    linear("wk", "self_attn.k_proj", in: e, out: kv, bias: s.biases.qkv ? "bk" : nil)
    linear("wv", "self_attn.v_proj", in: e, out: kv, bias: s.biases.qkv ? "bv" : nil)
    if s.qkNorm {
      weights.append(WeightDecl("q_norm", t(d), source: layer + "self_attn.q_norm.weight"))
      weights.append(WeightDecl("k_norm", t(d), source: layer + "self_attn.k_norm.weight"))
    }
    linear("wo", "self_attn.o_proj", in: q, out: e, bias: s.biases.output ? "bo" : nil)
    weights.append(WeightDecl("mlp_norm", t(e), source: layer + "post_attention_layernorm.weight"))
    linear("w_gate", "mlp.gate_proj", in: e, out: f, bias: s.biases.mlp ? "b_gate" : nil)
    linear("w_up", "mlp.up_proj", in: e, out: f, bias: s.biases.mlp ? "b_up" : nil)
    linear("w_down", "mlp.down_proj", in: f, out: e, bias: s.biases.mlp ? "b_down" : nil)
    weights.append(WeightDecl("final_norm", t(e), source: "model.norm.weight"))
    weights.append(
      WeightDecl("lm_head", t(e, v), source: s.tiedEmbeddings ? "model.embed_tokens.weight" : "lm_head.weight", transpose: true))
    return Module(
      name: name, dims: [DimDecl("S", sequence, attributes: ["sequence": .bool(true)])], weights: weights,
      graphs: [layerGraph(), mainGraph()])
  }

  private var seq: Dim { .named("S") }

  private func layerGraph() -> Graph {
    let s = spec
    let eps: Attributes = ["eps": .float(s.normEps)]
    func t(_ dims: Dim...) -> TensorType { TensorType(dtype, [seq] + dims) }
    let (e, q, kv) = (Dim.literal(s.width), Dim.literal(s.heads * s.headDim), Dim.literal(s.kvHeads * s.headDim))
    let (h, kvh, d, f) = (Dim.literal(s.heads), Dim.literal(s.kvHeads), Dim.literal(s.headDim), Dim.literal(s.ffn))
    var ops: [Op] = []
    func op(_ result: String, _ opcode: Opcode, _ operands: [Operand], _ type: TensorType, _ attributes: Attributes = [:]) {
      ops.append(Op(results: [result], opcode, operands, attributes: attributes, types: [type]))
    }
    /// `x · W (+ b)` into `%out`.
    func linear(_ out: String, _ x: String, _ weight: String, bias: String?, _ type: TensorType) {
      guard let bias else { return op(out, .matmul, [.value(x), .symbol(weight)], type) }
      op(out + "0", .matmul, [.value(x), .symbol(weight)], type)
      op(out, .add, [.value(out + "0"), .symbol(bias)], type)
    }
    op("pos", .positions, [], TensorType(.i32, [seq]))
    op("h", .rmsnorm, [.value("x"), .symbol("attn_norm")], t(e), eps)
    linear("q", "h", "wq", bias: s.biases.qkv ? "bq" : nil, t(q))
    linear("k", "h", "wk", bias: s.biases.qkv ? "bk" : nil, t(kv))
    linear("v", "h", "wv", bias: s.biases.qkv ? "bv" : nil, t(kv))
    op("qh", .reshape, [.value("q")], t(h, d))
    op("kh", .reshape, [.value("k")], t(kvh, d))
    op("vh", .reshape, [.value("v")], t(kvh, d))
    var (qIn, kIn) = ("qh", "kh")
    if s.qkNorm {
      op("qn", .rmsnorm, [.value("qh"), .symbol("q_norm")], t(h, d), eps)
      op("kn", .rmsnorm, [.value("kh"), .symbol("k_norm")], t(kvh, d), eps)
      (qIn, kIn) = ("qn", "kn")
    }
    op("qr", .rope, [.value(qIn), .value("pos")], t(h, d), s.rope.attributes)
    op("kr", .rope, [.value(kIn), .value("pos")], t(kvh, d), s.rope.attributes)
    var mask: Attributes = ["causal": .bool(true)]
    if let w = s.window { mask["window"] = .int(w) }
    op("a", .attention, [.value("qr"), .value("kr"), .value("vh")], t(h, d), mask)
    op("af", .reshape, [.value("a")], t(q))
    linear("o", "af", "wo", bias: s.biases.output ? "bo" : nil, t(e))
    op("x1", .add, [.value("x"), .value("o")], t(e))
    op("h2", .rmsnorm, [.value("x1"), .symbol("mlp_norm")], t(e), eps)
    linear("g", "h2", "w_gate", bias: s.biases.mlp ? "b_gate" : nil, t(f))
    linear("u", "h2", "w_up", bias: s.biases.mlp ? "b_up" : nil, t(f))
    op("gu", .swiglu, [.value("g"), .value("u")], t(f))
    linear("d", "gu", "w_down", bias: s.biases.mlp ? "b_down" : nil, t(e))
    op("y", .add, [.value("x1"), .value("d")], t(e))
    ops.append(Op(.return, [.value("y")]))
    return Graph(name: "layer", arguments: [GraphArgument("x", t(e))], resultTypes: [t(e)], ops: ops)
  }

  private func mainGraph() -> Graph {
    let x = TensorType(dtype, [seq, .literal(spec.width)])
    let logits = TensorType(dtype, [seq, .literal(spec.vocab)])
    let ops = [
      Op(results: ["x"], .embed, [.value("ids"), .symbol("embed")], types: [x]),
      Op(results: ["h"], .repeat, [.symbol("layer"), .value("x")], attributes: ["count": .int(layers)], types: [x]),
      Op(results: ["n"], .rmsnorm, [.value("h"), .symbol("final_norm")], attributes: ["eps": .float(spec.normEps)], types: [x]),
      Op(results: ["logits"], .matmul, [.value("n"), .symbol("lm_head")], types: [logits]),
      Op(.return, [.value("logits")]),
    ]
    return Graph(name: "main", arguments: [GraphArgument("ids", TensorType(.i32, [seq]))], resultTypes: [logits], ops: ops)
  }

  // MARK: - The text

  /// The header comment, then the module in canonical form.
  public var text: String {
    header(parameters: ModuleSummary(module).parameters) + Printer().print(module)
  }

  func header(parameters: Int64) -> String {
    let s = spec
    let p = s.provenance
    let arch = s.architecture.rawValue
    var lines: [String] = []
    func say(_ text: String) { lines += wrap(text) }
    let parts = p.path.split(separator: "/")
    let file = parts.last.map(String.init) ?? p.path
    let stem = file == "config.json" && parts.count > 1 ? String(parts[parts.count - 2]) : file
    let title = p.nameOrPath ?? (stem.hasSuffix(".json") ? String(stem.dropLast(5)) : stem)
    lines.append("\(title): \(arch)\(p.modelType.map { " (model_type \"\($0)\")" } ?? "")")
    lines.append("Imported from \(p.path) by `ringc import`, as transformers' \(arch) computes it:")
    let attention = s.kvHeads == s.heads ? "MHA" : s.kvHeads == 1 ? "MQA" : "GQA \(s.heads)/\(s.kvHeads)"
    var block = "RMSNorm, \(attention) attention"
    if s.qkNorm { block += " with per-head RMSNorm of q and k" }
    block += ", RoPE, causal"
    if let w = s.window { block += ", sliding window \(w)" }
    block += "; RMSNorm, SwiGLU MLP"
    say("token ids → embedding → \(layers) × (\(block)) → final RMSNorm → LM head → logits.")
    if layers < s.layers {
      say("Only the first \(layers) of the checkpoint's \(s.layers) decoder layers (--layers \(layers)): a truncated model for quick runs, not the checkpoint's logits.")
    }
    say("Legend: S tokens; width \(s.width); \(s.heads) query heads, \(s.kvHeads) kv heads, head_dim \(s.headDim); FFN \(s.ffn); vocab \(s.vocab); \(layers) layer\(layers == 1 ? "" : "s").")
    say("S = \(sequence) (\(sequenceOrigin)); `--seq N` overrides. dtype \(dtype.rawValue) (\(dtypeOrigin)).")
    say("RoPE: \(ropeText). RMSNorm eps \(Attribute.float(s.normEps)).")
    var weights = "Weights: \(Self.shortCount(parameters)) (\(parameters)) parameters; every nn.Linear is stored [out, in] (transpose = true)"
    let biased = [s.biases.qkv ? "q, k, v" : nil, s.biases.output ? "o" : nil, s.biases.mlp ? "gate, up, down" : nil].compactMap { $0 }
    weights += biased.isEmpty ? "; no biases" : "; biases on \(biased.joined(separator: ", "))"
    weights += s.tiedEmbeddings ? "; the LM head is the embedding table (tie_word_embeddings)." : "; LM head lm_head.weight."
    say(weights)
    if !p.defaults.isEmpty {
      say("Defaults (keys the config omits, as transformers fills them): " + p.defaults.map { "\($0.key) = \($0.value)" }.joined(separator: ", ") + ".")
    }
    var reasons: [String: [String]] = [:]
    var order: [String] = []
    for (key, reason) in p.ignored {
      if reasons[reason] == nil { order.append(reason) }
      reasons[reason, default: []].append(key)
    }
    if !order.isEmpty {
      say("Not imported, as they do not change the forward pass: " + order.map { "\(reasons[$0]!.joined(separator: ", ")) (\($0))" }.joined(separator: "; ") + ".")
    }
    if !p.unknown.isEmpty {
      say("Not imported, unknown to ringc: " + p.unknown.joined(separator: ", ") + ".")
    }
    return lines.map { "// " + $0 + "\n" }.joined()
  }

  /// 8030261248 → "8.03B", as `ringc check` rounds counts.
  static func shortCount(_ n: Int64) -> String {
    for (scale, unit) in [(1e9, "B"), (1e6, "M"), (1e3, "K")] where Double(n) >= scale {
      return "\((Double(n) / scale * 100).rounded() / 100)\(unit)"
    }
    return "\(n)"
  }

  private var ropeText: String {
    let r = spec.rope
    let theta = "theta \(Attribute.float(r.theta))"
    switch r.scaling {
    case .none: return theta
    case .linear(let factor): return "\(theta), linear scaling factor \(Attribute.float(factor))"
    case .llama3(let factor, let low, let high, let original):
      return "\(theta), llama3 scaling (factor \(Attribute.float(factor)), low_freq_factor \(Attribute.float(low)), "
        + "high_freq_factor \(Attribute.float(high)), original_max_position_embeddings \(original))"
    }
  }

  /// `text` in lines of at most 100 columns after "// ", continuation lines
  /// indented by two.
  private func wrap(_ text: String) -> [String] {
    var lines: [String] = []
    var line = ""
    for word in text.split(separator: " ") {
      if !line.isEmpty && line.count + 1 + word.count > 100 {
        lines.append(line)
        line = "  " + word
      } else {
        line += (line.isEmpty ? "" : " ") + word
      }
    }
    if !line.isEmpty { lines.append(line) }
    return lines
  }
}
