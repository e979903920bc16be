/// `attention %q, %k, %v [, %docs] {mask, causal, scale, window, documents}` (and the shapes of
/// `linear_attention`): `q: [S, H, D]`, `k: [S, KVH, D]`, `v: [S, KVH, Dv]` give `[S, H, Dv]`.
enum AttentionOps: OpFamily {
  static func spec(_ opcode: Opcode) -> OpSpec {
    OpSpec(
      operands: 3...4,
      optional: ["mask": .string, "causal": .bool, "scale": .float, "window": .int, "documents": .ints])
  }

  static func infer(_ op: Op, _ t: [TensorType], _ r: TypeRules) throws(TypeRuleError) -> [TensorType] {
    [try output(t, op, r)]
  }

  /// The output type, after checking heads, widths, dtypes, mask and scale;
  /// the plan's block ops check their operands with it too.
  static func output(_ t: [TensorType], _ op: Op, _ r: TypeRules) throws(TypeRuleError) -> TensorType {
    let (q, k, v) = (t[0], t[1], t[2])
    let name = op.opcode.rawValue
    if t.count == 4, t[3].dtype != .i32 || t[3].rank != 1 {
      throw TypeRuleError("attention documents must be i32[N] cumulative lengths, found \(t[3])", operand: 3)
    }
    for (i, x) in t.prefix(3).enumerated() where x.rank != 3 || !x.dtype.isFloat {
      throw TypeRuleError("\(name) operands must be [tokens, heads, head_dim] floats, found \(x)", operand: i)
    }
    if q.dtype != k.dtype || k.dtype != v.dtype {
      throw TypeRuleError("\(name) operands must share a dtype, found \(q), \(k), \(v)", operand: 1)
    }
    if !r.eq(q.dims[2], k.dims[2]) {
      throw TypeRuleError("query head_dim (\(q.dims[2])) differs from key head_dim (\(k.dims[2]))", operand: 1)
    }
    if !r.eq(k.dims[0], v.dims[0]) || !r.eq(k.dims[1], v.dims[1]) {
      throw TypeRuleError("keys \(k) and values \(v) must have the same tokens and heads", operand: 2)
    }
    let h = r.bindings.value(of: q.dims[1]) ?? 0
    let kvh = r.bindings.value(of: k.dims[1]) ?? 0
    if kvh == 0 || h % kvh != 0 {
      throw TypeRuleError("query heads (\(h)) must be a multiple of kv heads (\(kvh))", operand: 1)
    }
    if op.opcode == .attention, try MaskKind(of: op).causal, !r.eq(q.dims[0], k.dims[0]) {
      throw TypeRuleError(
        "causal \(name) needs as many keys as queries, found \(q.dims[0]) and \(k.dims[0])", operand: 1)
    }
    if case .int(let w)? = op.attributes["window"], w <= 0 {
      throw TypeRuleError("attention window must be positive, found \(w)")
    }
    if let d = op.attributes["documents"], Documents(attribute: d) == nil {
      throw TypeRuleError("attention documents must be cumulative lengths: at least two, the first 0, never decreasing; found \(d)")
    }

    if let s = op.attributes["scale"] {
      let value: Double? = switch s { case .float(let f): f; case .int(let i): Double(i); default: nil }
      if let value, !(value > 0) || !value.isFinite {
        throw TypeRuleError("attention scale must be a positive finite number, found \(s)")
      }
    }
    return TensorType(q.dtype, [q.dims[0], q.dims[1], v.dims[2]])
  }
}

/// How an attention spells which pairs it keeps before a window: `mask =
/// "full" | "causal" | "document_full" | "document_causal"`, or the older
/// `causal = true` with documents given or not.
public enum MaskKind: String, CaseIterable, Sendable {
  case full, causal
  case documentFull = "document_full"
  case documentCausal = "document_causal"

  public var causal: Bool { self == .causal || self == .documentCausal }
  public var keepsDocuments: Bool { self == .documentFull || self == .documentCausal }

  /// The attention's mask, checked against its `causal` attribute and its
  /// documents (a fourth operand or `documents = [...]`).
  init(of op: Op) throws(TypeRuleError) {
    let documents = op.operands.count == 4 || op.attributes["documents"] != nil
    if op.operands.count == 4, op.attributes["documents"] != nil {
      throw TypeRuleError("attention takes its documents once: a documents operand or documents = [...], not both", operand: 3)
    }
    guard let spelled = op.attributes["mask"] else {
      let causal = op.attributes["causal"] == .bool(true)
      self = documents ? (causal ? .documentCausal : .documentFull) : (causal ? .causal : .full)
      return
    }
    let names = Self.allCases.map { "\"\($0.rawValue)\"" }.joined(separator: ", ")
    guard case .string(let s) = spelled, let kind = MaskKind(rawValue: s) else {
      throw TypeRuleError("attention mask \(spelled) is not one of \(names)")
    }
    if case .bool(let c)? = op.attributes["causal"], c != kind.causal {
      throw TypeRuleError("attention mask \"\(s)\" is \(kind.causal ? "" : "not ")causal, but causal = \(c); drop causal")
    }
    if kind.keepsDocuments && !documents {
      throw TypeRuleError("attention mask \"\(s)\" needs documents: a fourth operand from 'documents' or documents = [...]")
    }
    if !kind.keepsDocuments && documents {
      throw TypeRuleError(
        "attention has documents, but mask \"\(s)\" lets pairs cross them; write mask = \"document_\(kind.causal ? "causal" : "full")\"")
    }
    self = kind
  }
}
