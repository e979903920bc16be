#if canImport(Glibc)
  import Glibc
#endif

/// `positions {ranges}` (each token's global position) and `rope %x, %pos
/// {theta, scaling…}` (rotary embedding of `[S, heads, head_dim]` at those
/// positions).
enum PositionOps: OpFamily {
  static func spec(_ opcode: Opcode) -> OpSpec {
    opcode == .rope
      ? OpSpec(
        operands: 2...2, required: ["theta": .float],
        optional: [
          "scaling": .string, "factor": .float, "low_freq_factor": .float, "high_freq_factor": .float,
          "original_max_position_embeddings": .int,
        ])
      : OpSpec(operands: 0...0, optional: ["ranges": .ints])
  }

  static func infer(_ op: Op, _ t: [TensorType], _ r: TypeRules) throws(TypeRuleError) -> [TensorType] {
    op.opcode == .rope ? [try rope(t[0], t[1], op, r)] : try positions(op, r)
  }

  private static func positions(_ op: Op, _ r: TypeRules) throws(TypeRuleError) -> [TensorType] {
    let result = op.resultTypes[0]
    if result.dtype != .i32 || result.rank != 1 {
      throw TypeRuleError("positions must have type i32[N], found \(result)")
    }
    if op.attributes["ranges"] != nil {
      let count = try r.tokenCount(op, "ranges")
      if count != r.bindings.value(of: result.dims[0]) {
        throw TypeRuleError("positions ranges list \(count) tokens, the result has \(result.dims[0])")
      }
    }
    return op.resultTypes
  }

  private static func rope(_ x: TensorType, _ pos: TensorType, _ op: Op, _ r: TypeRules) throws(TypeRuleError) -> TensorType {
    if x.rank != 3 || !x.dtype.isFloat {
      throw TypeRuleError("rope expects [S, heads, head_dim] floats, found \(x)", operand: 0)
    }
    if let d = r.bindings.value(of: x.dims[2]), d % 2 != 0 {
      throw TypeRuleError("rope needs an even head_dim, found \(d)", operand: 0)
    }
    if pos.dtype != .i32 || pos.rank != 1 || !r.eq(pos.dims[0], x.dims[0]) {
      throw TypeRuleError("rope positions must be i32[\(x.dims[0])], found \(pos)", operand: 1)
    }
    _ = try Rope(checking: op)
    return x
  }
}

/// The typed view of a `rope` op: its base and how its frequencies are
/// rescaled for long contexts, as Hugging Face transformers computes them
/// (`ROPE_INIT_FUNCTIONS` in `modeling_rope_utils.py`).
public struct Rope: Sendable, Equatable {
  public enum Scaling: Sendable, Equatable {
    /// `ω_i = theta^(−2i/D)`.
    case none
    /// `{scaling = "linear", factor = F}`: `ω_i / F` (positions divided by F).
    case linear(factor: Double)
    /// `{scaling = "llama3", factor, low_freq_factor, high_freq_factor,
    /// original_max_position_embeddings = N}`: with wavelength λ = 2π/ω,
    /// λ > N/low keeps ω/factor, λ < N/high keeps ω, and between them
    /// `(1 − s)·ω/factor + s·ω` with `s = (N/λ − low)/(high − low)`.
    case llama3(factor: Double, lowFreqFactor: Double, highFreqFactor: Double, originalMaxPositions: Int64)
  }

  public var theta: Double
  public var scaling: Scaling

  public init(theta: Double, scaling: Scaling = .none) {
    self.theta = theta
    self.scaling = scaling
  }

  /// The view of a verified `rope` op; nil for anything else.
  public init?(_ op: Op) {
    guard op.opcode == .rope, let rope = try? Rope(checking: op) else { return nil }
    self = rope
  }

  /// Reads and checks the op's attributes: one error per mistake.
  init(checking op: Op) throws(TypeRuleError) {
    func number(_ key: String) throws(TypeRuleError) -> Double? {
      switch op.attributes[key] {
      case .float(let v)?: v
      case .int(let v)?: Double(v)
      case nil: nil
      default: throw TypeRuleError("rope '\(key)' must be a number")
      }
    }
    func positive(_ key: String) throws(TypeRuleError) -> Double {
      guard let v = try number(key) else { throw TypeRuleError("rope scaling \"\(scalingName)\" needs '\(key)'") }
      guard v > 0, v.isFinite else { throw TypeRuleError("rope '\(key)' must be a positive finite number, found \(v)") }
      return v
    }
    let scalingName: String
    switch op.attributes["scaling"] {
    case .string(let s)?: scalingName = s
    default: scalingName = "none"
    }
    guard let theta = try number("theta"), theta > 0, theta.isFinite else {
      throw TypeRuleError("rope theta must be a positive finite number, found \(op.attributes["theta"].map { "\($0)" } ?? "nothing")")
    }
    let llama3Keys = ["low_freq_factor", "high_freq_factor", "original_max_position_embeddings"]
    let allowed: [String]
    switch scalingName {
    case "none":
      allowed = []
      scaling = .none
    case "linear":
      allowed = ["factor"]
      scaling = .linear(factor: try positive("factor"))
    case "llama3":
      allowed = ["factor"] + llama3Keys
      let (factor, low, high) = (try positive("factor"), try positive("low_freq_factor"), try positive("high_freq_factor"))
      guard high > low else {
        throw TypeRuleError("rope high_freq_factor (\(high)) must exceed low_freq_factor (\(low))")
      }
      guard case .int(let original)? = op.attributes["original_max_position_embeddings"], original > 0 else {
        throw TypeRuleError("rope scaling \"llama3\" needs a positive integer 'original_max_position_embeddings'")
      }
      scaling = .llama3(factor: factor, lowFreqFactor: low, highFreqFactor: high, originalMaxPositions: original)
    default:
      throw TypeRuleError("rope scaling \"\(scalingName)\" is not one ringc implements (\"linear\", \"llama3\")")
    }
    for key in ["factor"] + llama3Keys where op.attributes[key] != nil && !allowed.contains(key) {
      throw TypeRuleError("rope '\(key)' belongs to no scaling given (scaling = \"\(scalingName)\")")
    }
    self.theta = theta
  }

  /// The attributes that spell this view (beside the op's other ones).
  public var attributes: [String: Attribute] {
    var a: [String: Attribute] = ["theta": .float(theta)]
    switch scaling {
    case .none: break
    case .linear(let factor):
      a["scaling"] = .string("linear")
      a["factor"] = .float(factor)
    case .llama3(let factor, let low, let high, let original):
      a["scaling"] = .string("llama3")
      a["factor"] = .float(factor)
      a["low_freq_factor"] = .float(low)
      a["high_freq_factor"] = .float(high)
      a["original_max_position_embeddings"] = .int(original)
    }
    return a
  }

  /// ω_i for `i < headDim / 2`: radians per position of rotation pair i.
  public func frequency(_ i: Int, headDim: Int) -> Double {
    let base = 1 / pow(theta, Double(2 * i) / Double(headDim))
    switch scaling {
    case .none: return base
    case .linear(let factor): return base / factor
    case .llama3(let factor, let low, let high, let original):
      let wavelength = 2 * Double.pi / base
      let n = Double(original)
      if wavelength > n / low { return base / factor }
      if wavelength < n / high { return base }
      let s = (n / wavelength - low) / (high - low)
      return (1 - s) * base / factor + s * base
    }
  }
}
