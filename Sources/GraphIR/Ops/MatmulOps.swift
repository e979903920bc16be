/// `matmul`: `x: [..., K]` times `w: [K, N]` (a weight or a value) is `[..., N]`.
enum MatmulOps: OpFamily {
  static func spec(_ opcode: Opcode) -> OpSpec { OpSpec(operands: 2...2) }

  static func infer(_ op: Op, _ t: [TensorType], _ r: TypeRules) throws(TypeRuleError) -> [TensorType] {
    let (a, b) = (t[0], t[1])
    try r.rankAtLeast(a, 1, operand: 0)
    if b.rank != 2 {
      throw TypeRuleError("matmul's right operand must be a matrix [K, N], found \(b)", operand: 1)
    }
    if a.dtype != b.dtype || !a.dtype.isFloat {
      throw TypeRuleError("matmul operands must share a float dtype, found \(a) and \(b)", operand: 1)
    }
    guard let k = a.dims.last, r.eq(k, b.dims[0]) else {
      throw TypeRuleError(
        "matmul contracting dimensions differ: \(a) has \(a.dims.last!) columns, \(b) has \(b.dims[0]) rows",
        operand: 1)
    }
    return [TensorType(a.dtype, a.dims.dropLast() + [b.dims[1]])]
  }
}
