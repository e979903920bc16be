/// `embed %ids, @table`: token ids `i32[N]` pick rows of a `[V, E]` table,
/// giving `[N, E]` in the table's dtype.
enum EmbedOps: OpFamily {
  static func spec(_ opcode: Opcode) -> OpSpec { OpSpec(operands: 2...2) }

  static func infer(_ op: Op, _ t: [TensorType], _ r: TypeRules) throws(TypeRuleError) -> [TensorType] {
    let (ids, table) = (t[0], t[1])
    if ids.dtype != .i32 || ids.rank != 1 {
      throw TypeRuleError("embed takes token ids i32[N], found \(ids)", operand: 0)
    }
    if table.rank != 2 || !table.dtype.isFloat {
      throw TypeRuleError("embed's table must be a float matrix [vocab, width], found \(table)", operand: 1)
    }
    return [TensorType(table.dtype, [ids.dims[0], table.dims[1]])]
  }
}
