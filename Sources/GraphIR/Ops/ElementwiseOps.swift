/// `add`, `mul` (the second operand broadcast as a bias or scale), `swiglu`
/// (two operands of one type), `silu`, `gelu`, `softmax`: the result has the
/// first operand's type.
enum ElementwiseOps: OpFamily {
  static func spec(_ opcode: Opcode) -> OpSpec {
    switch opcode {
    case .gelu: OpSpec(operands: 1...1, optional: ["approximate": .string])
    case .silu, .softmax: OpSpec(operands: 1...1)
    default: OpSpec(operands: 2...2)
    }
  }

  static func infer(_ op: Op, _ t: [TensorType], _ r: TypeRules) throws(TypeRuleError) -> [TensorType] {
    switch op.opcode {
    case .add, .mul: return [try broadcast(t[0], t[1], r)]
    case .swiglu:
      try r.sameType(t[0], t[1])
      try r.float(t, 0)
      return [t[0]]
    default:
      try r.float(t, 0)
      try r.rankAtLeast(t[0], 1, operand: 0)
      if op.opcode == .gelu, let a = op.attributes["approximate"], a != .string("tanh"), a != .string("none") {
        throw TypeRuleError("gelu approximate must be \"none\" or \"tanh\", found \(a)")
      }
      return [t[0]]
    }
  }

  /// `b`'s shape must equal a suffix of `a`'s.
  private static func broadcast(_ a: TensorType, _ b: TensorType, _ r: TypeRules) throws(TypeRuleError) -> TensorType {
    if a.dtype != b.dtype {
      throw TypeRuleError("operand dtypes differ: \(a) and \(b)", operand: 1)
    }
    let suffix = a.dims.suffix(b.rank)
    if b.rank > a.rank || !zip(suffix, b.dims).allSatisfy(r.eq) {
      throw TypeRuleError(
        "cannot broadcast \(b) to \(a): its shape must equal a suffix of the first operand's",
        operand: 1)
    }
    return a
  }
}
