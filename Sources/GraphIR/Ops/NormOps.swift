/// `rmsnorm %x, @g` and `layernorm %x[, @g, @b]` over the last axis; the
/// weights are vectors of the last axis' size.
enum NormOps: OpFamily {
  static func spec(_ opcode: Opcode) -> OpSpec {
    opcode == .rmsnorm
      ? OpSpec(operands: 2...2, required: ["eps": .float])
      : OpSpec(operands: 1...3, required: ["eps": .float])
  }

  static func infer(_ op: Op, _ t: [TensorType], _ r: TypeRules) throws(TypeRuleError) -> [TensorType] {
    let affine = op.opcode == .rmsnorm ? 1...1 : 0...2
    let x = t[0]
    try r.float(t, 0)
    try r.rankAtLeast(x, 1, operand: 0)
    if !affine.contains(t.count - 1) {
      throw TypeRuleError("layernorm takes either no affine weights or both a scale and a bias")
    }
    for i in t.indices.dropFirst() {
      let w = t[i]
      if w.dtype != x.dtype || w.rank != 1 || !r.eq(w.dims[0], x.dims.last!) {
        throw TypeRuleError("normalisation weight must be \(x.dtype)[\(x.dims.last!)], found \(w)", operand: i)
      }
    }
    return [x]
  }
}
