import GraphIR

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
