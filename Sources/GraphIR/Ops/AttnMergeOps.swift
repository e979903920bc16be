/// `attn.merge %o1, %l1, %o2, %l2 {offset}`: folds partial `(o2, l2)` into
/// rows `offset ..< offset + m` of `(o1, l1)`.
enum AttnMergeOps: OpFamily {
  static func spec(_ opcode: Opcode) -> OpSpec {
    OpSpec(operands: 4...4, results: 2...2, required: ["offset": .int])
  }

  static func infer(_ op: Op, _ t: [TensorType], _ r: TypeRules) throws(TypeRuleError) -> [TensorType] {
    let (o1, l1, o2, l2) = (t[0], t[1], t[2], t[3])
    guard o1.rank == 3, o2.rank == 3, l1.rank == 2, l2.rank == 2, l1.dtype == .f32, l2.dtype == .f32,
      let n = r.bindings.value(of: o1.dims[0]), let m = r.bindings.value(of: o2.dims[0]),
      case .int(let offset)? = op.attributes["offset"]
    else {
      throw TypeRuleError(
        "attn.merge takes (out [n,H,D], lse f32[H,n]) twice, found \(t.map(\.description).joined(separator: ", "))")
    }
    if !r.eq(o1.dims[1], o2.dims[1]) || !r.eq(o1.dims[2], o2.dims[2]) || o1.dtype != o2.dtype {
      throw TypeRuleError("attn.merge partials differ in heads, head_dim or dtype: \(o1) and \(o2)", operand: 2)
    }
    if !r.eq(l1.dims[0], o1.dims[1]) || !r.eq(l1.dims[1], o1.dims[0]) || !r.eq(l2.dims[0], o2.dims[1])
      || !r.eq(l2.dims[1], o2.dims[0])
    {
      throw TypeRuleError("attn.merge lse must be f32[H, rows] of its output", operand: 1)
    }
    if offset < 0 || offset > n - m {
      throw TypeRuleError("attn.merge rows \(offset) ..< \(offset) + \(m) are outside the \(n) accumulator rows", operand: 2)
    }
    return [o1, l1]
  }
}
