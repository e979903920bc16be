/// `positions {ranges}` (each token's global position) and `rope %x, %pos
/// {theta}` (rotary embedding of `[S, heads, head_dim]` at those positions).
enum PositionOps: OpFamily {
  static func spec(_ opcode: Opcode) -> OpSpec {
    opcode == .rope
      ? OpSpec(operands: 2...2, required: ["theta": .float])
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
    if case .float(let theta)? = op.attributes["theta"], !(theta > 0) || !theta.isFinite {
      throw TypeRuleError("rope theta must be a positive finite number, found \(theta)")
    }
    if case .int(let theta)? = op.attributes["theta"], theta <= 0 {
      throw TypeRuleError("rope theta must be positive, found \(theta)")
    }
    return x
  }
}
