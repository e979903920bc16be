#if canImport(Glibc)
  import Glibc
#endif

/// `linear_attention` and the plan ops its sequence-parallel lowerings write
/// (LASP-2, LASP-1): `linattn.state`, `linattn.prefix`, `linattn.intra`,
/// `linattn.finish`. Semantics in `Opcode`; the parameters are read once, by
/// `LinearAttention`.
enum LinearAttentionOps: OpFamily {
  static let parameters: [String: AttributeKind] = [
    "causal": .bool, "feature_map": .string, "decay": .floats, "normalize": .bool,
  ]

  static func spec(_ opcode: Opcode) -> OpSpec {
    switch opcode {
    case .linearAttention: OpSpec(operands: 3...3, optional: parameters)
    case .linattnState, .linattnIntra: OpSpec(operands: opcode == .linattnState ? 2...2 : 3...3, required: ["tokens": .ints], optional: parameters)
    case .linattnPrefix: OpSpec(operands: 1...Int.max, required: ["spans": .ints, "at": .int], optional: parameters)
    default: OpSpec(operands: 2...3, required: ["tokens": .ints], optional: parameters)
    }
  }

  static func infer(_ op: Op, _ t: [TensorType], _ r: TypeRules) throws(TypeRuleError) -> [TensorType] {
    let params = try LinearAttention(checking: op)
    switch op.opcode {
    case .linearAttention:
      let out = try AttentionOps.output(t, op, r)
      try params.check(kvHeads: r.bindings.value(of: t[1].dims[1]))
      return [out]
    case .linattnState:
      let (k, v) = (t[0], t[1])
      _ = try AttentionOps.output([k, k, v], op, r)
      try params.check(kvHeads: r.bindings.value(of: k.dims[1]))
      try rows(op, k, r)
      return [params.stateType(keys: k, values: v)]
    case .linattnIntra:
      let out = try AttentionOps.output(t, op, r)
      try params.check(kvHeads: r.bindings.value(of: t[1].dims[1]))
      try rows(op, t[0], r)
      return [TensorType(.f32, [out.dims[0], out.dims[1], params.stateWidth(out.dims[2])])]
    case .linattnPrefix:
      guard case .ints(let spans)? = op.attributes["spans"], spans.count == 2 * t.count,
        stride(from: 0, to: spans.count, by: 2).allSatisfy({ spans[$0] >= 0 && spans[$0 + 1] >= 0 })
      else { throw TypeRuleError("linattn.prefix needs one [start, len] span per state, \(t.count) in all") }
      for (i, s) in t.enumerated() where s != t[0] || s.dtype != .f32 || s.rank != 3 {
        throw TypeRuleError("linattn.prefix sums f32[KVH, Dk, W] states of one type, found \(s)", operand: i)
      }
      return [t[0]]
    default:
      let (q, partial) = (t[0], t[1])
      guard q.rank == 3, partial.rank == 3, partial.dtype == .f32, r.eq(q.dims[0], partial.dims[0]), r.eq(q.dims[1], partial.dims[1])
      else { throw TypeRuleError("linattn.finish takes queries [n, H, Dk] and their f32 intra part [n, H, W], found \(q) and \(partial)", operand: 1) }
      try rows(op, q, r)
      if t.count == 3 {
        let s = t[2]
        guard s.rank == 3, s.dtype == .f32, r.eq(s.dims[1], q.dims[2]), r.eq(s.dims[2], partial.dims[2]) else {
          throw TypeRuleError("linattn.finish's prefix state must be f32[KVH, \(q.dims[2]), \(partial.dims[2])], found \(s)", operand: 2)
        }
      }
      guard let w = r.bindings.value(of: partial.dims[2]), w > (params.normalize ? 1 : 0) else {
        throw TypeRuleError("linattn.finish's intra part has no value columns", operand: 1)
      }
      return [TensorType(q.dtype, [q.dims[0], q.dims[1], .literal(params.normalize ? w - 1 : w)])]
    }
  }

  /// `tokens = [start, len]`: one contiguous run covering the operand's rows.
  private static func rows(_ op: Op, _ x: TensorType, _ r: TypeRules) throws(TypeRuleError) {
    guard case .ints(let tokens)? = op.attributes["tokens"], tokens.count == 2, tokens[0] >= 0, tokens[1] >= 0,
      r.bindings.value(of: x.dims[0]).map({ $0 == tokens[1] }) ?? true
    else { throw TypeRuleError("'\(op.opcode.rawValue)' needs tokens = [start, len] with len = the operand's \(x.dims[0]) rows", operand: 0) }
  }
}

/// The parameters of a linear attention, read as fields:
///
///     %o = linear_attention %q, %k, %v {causal = true, feature_map = "elu1", decay = [0.99, 0.999], normalize = true} : f32[S,4,16]
///
/// `o_i = Σ_j λ^{i−j} (φ(q_i)·φ(k_j)) v_j` over the keys `j ≤ i` (causal) or
/// all keys; with `normalize`, divided by `Σ_j λ^{i−j} φ(q_i)·φ(k_j)`. The
/// state a chunk of keys leaves is `M = Σ_j λ^{end−j} φ(k_j) [v_j, 1]ᵀ`, f32
/// `[KVH, Dk, W]` with `W = Dv + 1` when normalising (the extra column is the
/// denominator's `Σ φ(k_j)`).
public struct LinearAttention: Sendable, Equatable {
  public enum FeatureMap: String, Sendable, CaseIterable {
    /// φ(x) = x.
    case identity
    /// φ(x) = elu(x) + 1 (Katharopoulos et al. 2020), always positive.
    case elu1
    /// φ(x) = max(x, 0).
    case relu

    public func callAsFunction(_ x: Float) -> Float {
      switch self {
      case .identity: x
      case .elu1: x > 0 ? x + 1 : expf(x)
      case .relu: max(x, 0)
      }
    }
  }

  public var causal: Bool
  public var featureMap: FeatureMap
  /// λ per kv head (query heads of a group share their kv head's state);
  /// nil: no decay (λ = 1).
  public var decay: [Double]?
  public var normalize: Bool

  public init(causal: Bool, featureMap: FeatureMap = .identity, decay: [Double]? = nil, normalize: Bool = false) {
    self.causal = causal
    self.featureMap = featureMap
    self.decay = decay
    self.normalize = normalize
  }

  /// The view of a verified linear-attention op (graph or plan); nil otherwise.
  public init?(_ op: Op) {
    guard op.opcode.isLinearAttention, let view = try? LinearAttention(checking: op) else { return nil }
    self = view
  }

  init(checking op: Op) throws(TypeRuleError) {
    causal = op.attributes["causal"] == .bool(true)
    switch op.attributes["feature_map"] {
    case nil: featureMap = .identity
    case .string(let s)?:
      guard let f = FeatureMap(rawValue: s) else {
        throw TypeRuleError("unknown feature_map \"\(s)\"; expected one of \(FeatureMap.allCases.map { "\"\($0.rawValue)\"" }.joined(separator: ", "))")
      }
      featureMap = f
    default: throw TypeRuleError("feature_map must be a string")
    }
    switch op.attributes["decay"] {
    case nil: decay = nil
    case .floats(let d)?: decay = d
    case .ints(let d)?: decay = d.map(Double.init)
    default: throw TypeRuleError("decay must be a list of numbers, one per kv head")
    }
    normalize = op.attributes["normalize"] == .bool(true)
    if let decay {
      if let bad = decay.first(where: { !($0 > 0 && $0 <= 1) }) {
        throw TypeRuleError("decay factors must lie in (0, 1], found \(bad)")
      }
      if !causal { throw TypeRuleError("decay needs causal: λ^(i−j) is defined for keys j ≤ i") }
    }
    if normalize && featureMap != .elu1 {
      throw TypeRuleError("normalize needs a positive feature map (feature_map = \"elu1\"); with \"\(featureMap.rawValue)\" the denominator can be zero")
    }
  }

  func check(kvHeads: Int64?) throws(TypeRuleError) {
    if let decay, let kvHeads, decay.count != kvHeads {
      throw TypeRuleError("decay lists \(decay.count) factors; it needs one per kv head (\(kvHeads))")
    }
  }

  /// λ of kv head `g` (1 without decay).
  public func lambda(kvHead g: Int) -> Double { decay?[g] ?? 1 }

  /// W: the value columns of a state, plus the denominator's when normalising.
  public func stateWidth(_ dv: Dim) -> Dim {
    guard normalize else { return dv }
    if case .literal(let n) = dv { return .literal(n + 1) }
    return dv
  }

  func stateType(keys k: TensorType, values v: TensorType) -> TensorType {
    TensorType(.f32, [k.dims[1], k.dims[2], stateWidth(v.dims[2])])
  }

  /// The attributes every op of one lowering repeats.
  public var attributes: [String: Attribute] {
    var a: [String: Attribute] = [:]
    if causal { a["causal"] = .bool(true) }
    if featureMap != .identity { a["feature_map"] = .string(featureMap.rawValue) }
    if let decay { a["decay"] = .floats(decay) }
    if normalize { a["normalize"] = .bool(true) }
    return a
  }

  /// Rows per chunk of the blockwise kernel (its intra-chunk masked product
  /// is chunk × chunk per head); the simulator costs the same work.
  public static let chunk = 64

  /// FLOPs of the blockwise kernel on `n` local tokens (intra part: the masked
  /// chunk products, the inter-chunk state reads and updates).
  public func intraFlops(tokens n: Int64, heads h: Int64, kvHeads kvh: Int64, headDim d: Int64, width w: Int64) -> Double {
    let (n, h, kvh, d, w, c) = (Double(n), Double(h), Double(kvh), Double(d), Double(w), Double(Self.chunk))
    let chunkPart = 2 * n * min(c, n) * h * (d + w) / (causal ? 2 : 1)
    return causal ? chunkPart + 2 * n * h * d * w + 2 * n * kvh * d * w : 2 * n * kvh * d * w + 2 * n * h * d * w
  }
}

extension LinearAttention {
  /// FLOPs of a linear-attention op (graph or plan) from its operands' and
  /// first result's extents: the chunked product for `linear_attention` and
  /// `linattn.intra`, `2·n·KVH·Dk·W` to build a state, `2·n·H·Dk·W` to read
  /// a prefix in `linattn.finish`; a prefix sum is memory-bound (0 here).
  public func flops(_ opcode: Opcode, operands: [[Int64]], result: [Int64]) -> Double {
    func at(_ i: Int, _ axis: Int) -> Int64 { i < operands.count && axis < operands[i].count ? operands[i][axis] : 0 }
    let extra: Int64 = normalize ? 1 : 0
    switch opcode {
    case .linearAttention:
      return intraFlops(tokens: at(0, 0), heads: at(0, 1), kvHeads: at(1, 1), headDim: at(0, 2), width: at(2, 2) + extra)
    case .linattnIntra:
      return intraFlops(tokens: at(0, 0), heads: at(0, 1), kvHeads: at(1, 1), headDim: at(0, 2), width: result.count > 2 ? result[2] : 0)
    case .linattnState:
      return 2 * Double(at(0, 0)) * Double(at(0, 1)) * Double(at(0, 2)) * Double(result.count > 2 ? result[2] : 0)
    case .linattnFinish where operands.count > 2:
      return 2 * Double(at(0, 0)) * Double(at(0, 1)) * Double(at(0, 2)) * Double(at(1, 2))
    default:
      return 0
    }
  }
}

extension Opcode {
  /// `linear_attention` and its plan ops.
  public var isLinearAttention: Bool {
    switch self {
    case .linearAttention, .linattnState, .linattnPrefix, .linattnIntra, .linattnFinish: true
    default: false
    }
  }
}
