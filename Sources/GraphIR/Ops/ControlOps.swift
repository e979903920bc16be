/// `repeat @g, %x {count}` and `return`: their types depend on other graphs
/// (the callee, the enclosing signature), so the verifier checks them itself.
enum ControlOps: OpFamily {
  static func spec(_ opcode: Opcode) -> OpSpec {
    opcode == .repeat
      ? OpSpec(operands: 2...2, required: ["count": .int])
      : OpSpec(operands: 0...Int.max, results: 0...0)
  }

  static func infer(_ op: Op, _ t: [TensorType], _ r: TypeRules) throws(TypeRuleError) -> [TensorType] {
    preconditionFailure("\(op.opcode) is checked by the verifier")
  }
}
