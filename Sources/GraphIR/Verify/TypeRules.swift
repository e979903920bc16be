/// A type error found while inferring an op's result types: the message and,
/// when one operand is to blame, its index (the diagnostic points at it).
struct TypeRuleError: Error {
  var message: String
  var operand: Int?
  init(_ message: String, operand: Int? = nil) {
    self.message = message
    self.operand = operand
  }
}

/// Infers result types of the tensor ops from their operand types: each op's
/// family (`Ops/`) holds its rule; the checks they share are here.
///
/// Dimensions are compared by value under `bindings`; results keep the
/// operands' symbolic dimensions (`S` stays `S`).
struct TypeRules {
  var bindings: DimBindings

  func infer(_ op: Op, _ t: [TensorType]) throws(TypeRuleError) -> [TensorType] {
    try op.opcode.family.infer(op, t, self)
  }

  func eq(_ a: Dim, _ b: Dim) -> Bool {
    bindings.value(of: a) == bindings.value(of: b)
  }

  func sameShape(_ a: TensorType, _ b: TensorType) -> Bool {
    a.rank == b.rank && zip(a.dims, b.dims).allSatisfy(eq)
  }

  func sameType(_ a: TensorType, _ b: TensorType) throws(TypeRuleError) {
    if a.dtype != b.dtype || !sameShape(a, b) {
      throw TypeRuleError("operand types differ: \(a) and \(b)", operand: 1)
    }
  }

  func float(_ t: [TensorType], _ i: Int) throws(TypeRuleError) {
    if !t[i].dtype.isFloat {
      throw TypeRuleError("expected a float tensor, found \(t[i])", operand: i)
    }
  }

  func rankAtLeast(_ t: TensorType, _ n: Int, operand: Int) throws(TypeRuleError) {
    if t.rank < n {
      throw TypeRuleError("expected a tensor of rank at least \(n), found \(t)", operand: operand)
    }
  }

  /// Checks `[start, len, start, len, …]` token ranges and returns their total length.
  func tokenCount(_ op: Op, _ key: String) throws(TypeRuleError) -> Int64 {
    guard case .ints(let v)? = op.attributes[key], !v.isEmpty, v.count % 2 == 0 else {
      throw TypeRuleError("\(key) must list [start, len, …] ranges")
    }
    var total: Int64 = 0
    for i in stride(from: 0, to: v.count, by: 2) {
      if v[i] < 0 || v[i + 1] < 1 || v[i + 1] > Int64.max / 4 {
        throw TypeRuleError("\(key) has an invalid range [\(v[i]), \(v[i + 1])]")
      }
      total = total.addingSaturating(v[i + 1])
    }
    return total
  }
}
