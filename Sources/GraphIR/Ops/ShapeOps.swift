/// Ops that move elements without arithmetic: `reshape` (new shape, same
/// elements), `slice {start, len}` (rows of axis 0), `concat {axis}` and
/// `repeat_kv {factor}` (each head repeated in place).
enum ShapeOps: OpFamily {
  static func spec(_ opcode: Opcode) -> OpSpec {
    switch opcode {
    case .slice: OpSpec(operands: 1...1, required: ["start": .int, "len": .int])
    case .concat: OpSpec(operands: 1...Int.max, required: ["axis": .int])
    case .repeatKV: OpSpec(operands: 1...1, required: ["factor": .int])
    default: OpSpec(operands: 1...1)
    }
  }

  static func infer(_ op: Op, _ t: [TensorType], _ r: TypeRules) throws(TypeRuleError) -> [TensorType] {
    switch op.opcode {
    case .slice: return [try slice(t[0], op, r)]
    case .concat: return [try concat(t, op, r)]
    case .repeatKV:
      guard case .int(let f)? = op.attributes["factor"], f >= 1, t[0].rank == 3,
        let h = r.bindings.value(of: t[0].dims[1])
      else { throw TypeRuleError("repeat_kv needs [n, heads, head_dim] and a factor ≥ 1", operand: 0) }
      let (heads, overflow) = h.multipliedReportingOverflow(by: f)
      if overflow { throw TypeRuleError("repeat_kv factor \(f) times \(h) heads overflows a 64-bit count") }
      return [TensorType(t[0].dtype, [t[0].dims[0], .literal(heads), t[0].dims[2]])]
    default: return try reshape(t[0], op, r)
    }
  }

  private static func reshape(_ x: TensorType, _ op: Op, _ r: TypeRules) throws(TypeRuleError) -> [TensorType] {
    let to = op.resultTypes[0]
    let (from, count) = (r.bindings.elementCount(of: x), r.bindings.elementCount(of: to))
    if x.dtype != to.dtype {
      throw TypeRuleError("reshape cannot change the dtype (\(x.dtype) to \(to.dtype))")
    }
    if from != count {
      throw TypeRuleError(
        "reshape changes the element count: \(x) has \(from.map(String.init) ?? "?") elements, "
          + "\(to) has \(count.map(String.init) ?? "?")" + hint(x, to, r),
        operand: 0)
    }
    return op.resultTypes
  }

  /// "… (width E is not heads × head_dim)" for the common multi-head reshape.
  private static func hint(_ from: TensorType, _ to: TensorType, _ r: TypeRules) -> String {
    guard from.rank == 2, to.rank == 3, let e = r.bindings.value(of: from.dims[1]),
      let h = r.bindings.value(of: to.dims[1]), let d = r.bindings.value(of: to.dims[2])
    else { return "" }
    return " (width \(e) is not heads × head_dim = \(h) × \(d))"
  }

  private static func slice(_ x: TensorType, _ op: Op, _ r: TypeRules) throws(TypeRuleError) -> TensorType {
    guard case .int(let start)? = op.attributes["start"], case .int(let len)? = op.attributes["len"],
      x.rank >= 1, let rows = r.bindings.value(of: x.dims[0])
    else { throw TypeRuleError("slice needs a tensor of rank ≥ 1", operand: 0) }
    if start < 0 || len < 1 || start > rows - len {
      throw TypeRuleError("slice rows \(start) ..< \(start) + \(len) are outside \(x)'s \(rows) rows", operand: 0)
    }
    return TensorType(x.dtype, [.literal(len)] + x.dims.dropFirst())
  }

  private static func concat(_ t: [TensorType], _ op: Op, _ r: TypeRules) throws(TypeRuleError) -> TensorType {
    guard case .int(let axis)? = op.attributes["axis"], axis >= 0, axis < t[0].rank else {
      throw TypeRuleError("concat axis must be within the operands' rank")
    }
    var total: Int64 = 0
    for (i, x) in t.enumerated() {
      let same = x.rank == t[0].rank && x.dtype == t[0].dtype
        && (0..<x.rank).allSatisfy { $0 == Int(axis) || r.eq(x.dims[$0], t[0].dims[$0]) }
      guard same, let n = r.bindings.value(of: x.dims[Int(axis)]) else {
        throw TypeRuleError("concat operands must agree except along axis \(axis): \(t[0]) and \(x)", operand: i)
      }
      let (sum, overflow) = total.addingReportingOverflow(n)
      if overflow { throw TypeRuleError("concat length along axis \(axis) overflows a 64-bit count", operand: i) }
      total = sum
    }
    var dims = t[0].dims
    dims[Int(axis)] = .literal(total)
    return TensorType(t[0].dtype, dims)
  }
}
