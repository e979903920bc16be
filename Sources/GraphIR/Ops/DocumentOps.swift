/// `documents {bounds} : i32[N]`: the packed documents attention keeps apart,
/// as N cumulative lengths; an input `--documents` fills when `bounds` is
/// absent.
enum DocumentOps: OpFamily {
  static func spec(_ opcode: Opcode) -> OpSpec {
    OpSpec(operands: 0...0, optional: ["bounds": .ints])
  }

  static func infer(_ op: Op, _ t: [TensorType], _ r: TypeRules) throws(TypeRuleError) -> [TensorType] {
    let result = op.resultTypes[0]
    guard result.dtype == .i32, result.rank == 1 else {
      throw TypeRuleError("documents must have type i32[N] (N cumulative lengths), found \(result)")
    }
    if let n = r.bindings.value(of: result.dims[0]), n < 2 {
      throw TypeRuleError("documents need at least two cumulative lengths (0 and the sequence length), found i32[\(n)]")
    }
    if let b = op.attributes["bounds"] {
      guard let documents = Documents(attribute: b) else {
        throw TypeRuleError("documents bounds must be cumulative lengths: at least two, the first 0, never decreasing; found \(b)")
      }
      if let n = r.bindings.value(of: result.dims[0]), n != documents.bounds.count {
        throw TypeRuleError("documents bounds list \(documents.bounds.count) lengths, the result has \(n)")
      }
    }
    return op.resultTypes
  }
}
