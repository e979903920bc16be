/// The plan's block ops: `attn.block` (one query block against one key/value
/// block, giving the block-normalised output and its log-sum-exp),
/// `attn.scores` (the scaled, masked scores alone) and `attn.apply` (score
/// columns times values), each on the global tokens its `q_tokens` and
/// `k_tokens` name.
enum AttnBlockOps: OpFamily {
  private static let block: [String: AttributeKind] = [
    "causal": .bool, "scale": .float, "q_tokens": .ints, "k_tokens": .ints, "step": .int,
  ]

  static func spec(_ opcode: Opcode) -> OpSpec {
    switch opcode {
    case .attnBlock: OpSpec(operands: 3...3, results: 2...2, required: block, optional: ["window": .int, "documents": .ints])
    case .attnScores: OpSpec(operands: 2...2, required: block, optional: ["window": .int, "documents": .ints])
    default:
      OpSpec(operands: 2...2, required: ["col_start": .int, "q_tokens": .ints, "k_tokens": .ints, "step": .int])
    }
  }

  static func infer(_ op: Op, _ t: [TensorType], _ r: TypeRules) throws(TypeRuleError) -> [TensorType] {
    switch op.opcode {
    case .attnBlock:
      let out = try AttentionOps.output(t, op, r)
      try tokensMatchRows(op, t[0], t[1], r)
      return [out, TensorType(.f32, [t[0].dims[1], t[0].dims[0]])]
    case .attnScores:
      let (q, k) = (t[0], t[1])
      _ = try AttentionOps.output([q, k, k], op, r)
      return [TensorType(.f32, [q.dims[1], q.dims[0], k.dims[0]])]
    default:
      let (p, v) = (t[0], t[1])
      guard p.rank == 3, v.rank == 3, case .int(let start)? = op.attributes["col_start"], start >= 0,
        let cols = r.bindings.value(of: p.dims[2]), let m = r.bindings.value(of: v.dims[0]), start <= cols - m
      else {
        throw TypeRuleError(
          "attn.apply takes probabilities [H, n, cols] and values [m, KVH, Dv] with col_start + m ≤ cols", operand: 0)
      }
      return [TensorType(v.dtype, [p.dims[1], p.dims[0], v.dims[2]])]
    }
  }

  /// `q_tokens` and `k_tokens` list as many tokens as the blocks have rows.
  private static func tokensMatchRows(_ op: Op, _ q: TensorType, _ k: TensorType, _ r: TypeRules) throws(TypeRuleError) {
    let rows = try r.tokenCount(op, "q_tokens")
    let keys = try r.tokenCount(op, "k_tokens")
    if r.bindings.value(of: q.dims[0]) != rows {
      throw TypeRuleError("q_tokens lists \(rows) tokens but the query block has \(q.dims[0]) rows", operand: 0)
    }
    if r.bindings.value(of: k.dims[0]) != keys {
      throw TypeRuleError("k_tokens lists \(keys) tokens but the key block has \(k.dims[0]) rows", operand: 1)
    }
  }
}

/// A typed view of `attn.block` and `attn.scores`: which global query and
/// key tokens the block pairs, under which mask and scale, at which step.
///
///     %o, %l = attn.block %q, %k, %v {causal = true, k_tokens = [4, 4], q_tokens = [8, 4, 20, 4], scale = 0.25, step = 1} : f32[8,4,16], f32[4,8]
///     %s = attn.scores %q, %k {causal = true, k_tokens = [0, 8], q_tokens = [0, 8], scale = 0.25, step = 0} : f32[4,8,8]
///
/// `attn.block` yields the partial output and its log-sum-exp; `attn.scores`
/// the scaled, masked score rows that RSA normalises whole.
public struct AttnBlock: Sendable {
  public var query: String
  public var key: String
  /// Nil for `attn.scores`, which reads no values.
  public var value: String?
  public var queryTokens: TokenRanges
  public var keyTokens: TokenRanges
  public var mask: Mask
  public var scale: Double
  public var step: Int64?

  /// Nil for other ops, operands that are not values, or missing tokens or scale.
  public init?(_ op: Op) {
    guard op.opcode == .attnBlock || op.opcode == .attnScores,
      op.operands.count == (op.opcode == .attnBlock ? 3 : 2),
      case .value(let q) = op.operands[0], case .value(let k) = op.operands[1],
      let qt = TokenRanges(attribute: op.attributes["q_tokens"]),
      let kt = TokenRanges(attribute: op.attributes["k_tokens"])
    else { return nil }
    switch op.attributes["scale"] {
    case .float(let s)?: scale = s
    case .int(let s)?: scale = Double(s)
    default: return nil
    }
    if op.opcode == .attnBlock {
      guard case .value(let v) = op.operands[2] else { return nil }
      value = v
    }
    query = q
    key = k
    queryTokens = qt
    keyTokens = kt
    mask = Mask(op.attributes)
    if case .int(let s)? = op.attributes["step"] { step = s }
  }

  /// The block's arithmetic, with the head counts and widths of its operands.
  public func work(heads: Int64, headDim: Int64, valueDim: Int64?) -> AttentionWork {
    AttentionWork(
      pairs: mask.visiblePairs(queryTokens, keyTokens), heads: heads, headDim: headDim, valueDim: value == nil ? nil : valueDim)
  }
}
