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

/// Infers result types of the tensor ops from their operand types.
///
/// Dimensions are compared by value under `bindings`; results keep the
/// operands' symbolic dimensions (`S` stays `S`).
struct TypeRules {
  var bindings: DimBindings

  func infer(_ op: Op, _ t: [TensorType]) throws(TypeRuleError) -> [TensorType] {
    switch op.opcode {
    case .matmul: return [try matmul(t[0], t[1])]
    case .add, .mul: return [try broadcast(t[0], t[1])]
    case .swiglu:
      try sameType(t[0], t[1])
      try float(t, 0)
      return [t[0]]
    case .silu, .gelu, .softmax:
      try float(t, 0)
      try rankAtLeast(t[0], 1, operand: 0)
      if op.opcode == .gelu, let a = op.attributes["approximate"],
        a != .string("tanh"), a != .string("none")
      {
        throw TypeRuleError("gelu approximate must be \"none\" or \"tanh\", found \(a)")
      }
      return [t[0]]
    case .rmsnorm: return [try norm(t, affine: 1...1)]
    case .layernorm: return [try norm(t, affine: 0...2)]
    case .rope: return [try rope(t[0], t[1], op)]
    case .attention, .linearAttention: return [try attention(t, op)]
    case .reshape:
      let (from, to) = (bindings.elementCount(of: t[0]), bindings.elementCount(of: op.resultTypes[0]))
      if t[0].dtype != op.resultTypes[0].dtype {
        throw TypeRuleError("reshape cannot change the dtype (\(t[0].dtype) to \(op.resultTypes[0].dtype))")
      }
      if from != to {
        throw TypeRuleError(
          "reshape changes the element count: \(t[0]) has \(from.map(String.init) ?? "?") elements, "
            + "\(op.resultTypes[0]) has \(to.map(String.init) ?? "?")" + reshapeHint(t[0], op.resultTypes[0]),
          operand: 0)
      }
      return op.resultTypes
    case .positions:
      let r = op.resultTypes[0]
      if r.dtype != .i32 || r.rank != 1 {
        throw TypeRuleError("positions must have type i32[N], found \(r)")
      }
      if op.attributes["ranges"] != nil,
        try tokenCount(op, "ranges") != bindings.value(of: r.dims[0])
      {
        throw TypeRuleError("positions ranges list \(try tokenCount(op, "ranges")) tokens, the result has \(r.dims[0])")
      }
      return op.resultTypes
    case .slice: return [try slice(t[0], op)]
    case .attnBlock: return try attnBlock(t, op)
    case .attnMerge: return try attnMerge(t, op)
    case .allGather, .allToAll: return [try collective(t[0], op)]
    case .repeatKV:
      guard case .int(let f)? = op.attributes["factor"], f >= 1, t[0].rank == 3, let h = bindings.value(of: t[0].dims[1])
      else { throw TypeRuleError("repeat_kv needs [n, heads, head_dim] and a factor ≥ 1", operand: 0) }
      return [TensorType(t[0].dtype, [t[0].dims[0], .literal(h * f), t[0].dims[2]])]
    case .attnScores:
      let (q, k) = (t[0], t[1])
      _ = try attention([q, k, k], op)
      return [TensorType(.f32, [q.dims[1], q.dims[0], k.dims[0]])]
    case .attnApply:
      let (p, v) = (t[0], t[1])
      guard p.rank == 3, v.rank == 3, case .int(let start)? = op.attributes["col_start"], start >= 0,
        let cols = bindings.value(of: p.dims[2]), let m = bindings.value(of: v.dims[0]), start <= cols - m
      else { throw TypeRuleError("attn.apply takes probabilities [H, n, cols] and values [m, KVH, Dv] with col_start + m ≤ cols", operand: 0) }
      return [TensorType(v.dtype, [p.dims[1], p.dims[0], v.dims[2]])]
    case .concat: return [try concat(t, op)]
    case .repeat, .return, .sendStart, .sendDone, .recvStart, .recvDone:
      preconditionFailure("\(op.opcode) is checked by the verifier")
    }
  }

  private func eq(_ a: Dim, _ b: Dim) -> Bool {
    bindings.value(of: a) == bindings.value(of: b)
  }

  private func sameShape(_ a: TensorType, _ b: TensorType) -> Bool {
    a.rank == b.rank && zip(a.dims, b.dims).allSatisfy(eq)
  }

  private func sameType(_ a: TensorType, _ b: TensorType) throws(TypeRuleError) {
    if a.dtype != b.dtype || !sameShape(a, b) {
      throw TypeRuleError("operand types differ: \(a) and \(b)", operand: 1)
    }
  }

  private func float(_ t: [TensorType], _ i: Int) throws(TypeRuleError) {
    if !t[i].dtype.isFloat {
      throw TypeRuleError("expected a float tensor, found \(t[i])", operand: i)
    }
  }

  private func rankAtLeast(_ t: TensorType, _ n: Int, operand: Int) throws(TypeRuleError) {
    if t.rank < n {
      throw TypeRuleError("expected a tensor of rank at least \(n), found \(t)", operand: operand)
    }
  }

  private func matmul(_ a: TensorType, _ b: TensorType) throws(TypeRuleError) -> TensorType {
    try rankAtLeast(a, 1, operand: 0)
    if b.rank != 2 {
      throw TypeRuleError("matmul's right operand must be a matrix [K, N], found \(b)", operand: 1)
    }
    if a.dtype != b.dtype || !a.dtype.isFloat {
      throw TypeRuleError("matmul operands must share a float dtype, found \(a) and \(b)", operand: 1)
    }
    guard let k = a.dims.last, eq(k, b.dims[0]) else {
      throw TypeRuleError(
        "matmul contracting dimensions differ: \(a) has \(a.dims.last!) columns, \(b) has \(b.dims[0]) rows",
        operand: 1)
    }
    return TensorType(a.dtype, a.dims.dropLast() + [b.dims[1]])
  }

  private func broadcast(_ a: TensorType, _ b: TensorType) throws(TypeRuleError) -> TensorType {
    if a.dtype != b.dtype {
      throw TypeRuleError("operand dtypes differ: \(a) and \(b)", operand: 1)
    }
    let suffix = a.dims.suffix(b.rank)
    if b.rank > a.rank || !zip(suffix, b.dims).allSatisfy(eq) {
      throw TypeRuleError(
        "cannot broadcast \(b) to \(a): its shape must equal a suffix of the first operand's",
        operand: 1)
    }
    return a
  }

  private func norm(_ t: [TensorType], affine: ClosedRange<Int>) throws(TypeRuleError) -> TensorType {
    let x = t[0]
    try float(t, 0)
    try rankAtLeast(x, 1, operand: 0)
    if !affine.contains(t.count - 1) {
      throw TypeRuleError("layernorm takes either no affine weights or both a scale and a bias")
    }
    for i in t.indices.dropFirst() {
      let w = t[i]
      if w.dtype != x.dtype || w.rank != 1 || !eq(w.dims[0], x.dims.last!) {
        throw TypeRuleError(
          "normalisation weight must be \(x.dtype)[\(x.dims.last!)], found \(w)", operand: i)
      }
    }
    return x
  }

  private func rope(_ x: TensorType, _ pos: TensorType, _ op: Op) throws(TypeRuleError) -> TensorType {
    if x.rank != 3 || !x.dtype.isFloat {
      throw TypeRuleError("rope expects [S, heads, head_dim] floats, found \(x)", operand: 0)
    }
    if let d = bindings.value(of: x.dims[2]), d % 2 != 0 {
      throw TypeRuleError("rope needs an even head_dim, found \(d)", operand: 0)
    }
    if pos.dtype != .i32 || pos.rank != 1 || !eq(pos.dims[0], x.dims[0]) {
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

  private func attention(_ t: [TensorType], _ op: Op) throws(TypeRuleError) -> TensorType {
    let (q, k, v) = (t[0], t[1], t[2])
    let name = op.opcode.rawValue
    for (i, x) in t.enumerated() where x.rank != 3 || !x.dtype.isFloat {
      throw TypeRuleError("\(name) operands must be [tokens, heads, head_dim] floats, found \(x)", operand: i)
    }
    if q.dtype != k.dtype || k.dtype != v.dtype {
      throw TypeRuleError("\(name) operands must share a dtype, found \(q), \(k), \(v)", operand: 1)
    }
    if !eq(q.dims[2], k.dims[2]) {
      throw TypeRuleError("query head_dim (\(q.dims[2])) differs from key head_dim (\(k.dims[2]))", operand: 1)
    }
    if !eq(k.dims[0], v.dims[0]) || !eq(k.dims[1], v.dims[1]) {
      throw TypeRuleError("keys \(k) and values \(v) must have the same tokens and heads", operand: 2)
    }
    let h = bindings.value(of: q.dims[1]) ?? 0
    let kvh = bindings.value(of: k.dims[1]) ?? 0
    if kvh == 0 || h % kvh != 0 {
      throw TypeRuleError("query heads (\(h)) must be a multiple of kv heads (\(kvh))", operand: 1)
    }
    if op.opcode == .attention, op.attributes["causal"] == .bool(true), !eq(q.dims[0], k.dims[0]) {
      throw TypeRuleError(
        "causal \(name) needs as many keys as queries, found \(q.dims[0]) and \(k.dims[0])", operand: 1)
    }
    if case .int(let w)? = op.attributes["window"], w <= 0 {
      throw TypeRuleError("attention window must be positive, found \(w)")
    }
    if let s = op.attributes["scale"] {
      let value: Double? = switch s { case .float(let f): f; case .int(let i): Double(i); default: nil }
      if let value, !(value > 0) || !value.isFinite {
        throw TypeRuleError("attention scale must be a positive finite number, found \(s)")
      }
    }
    return TensorType(q.dtype, [q.dims[0], q.dims[1], v.dims[2]])
  }

  private func slice(_ x: TensorType, _ op: Op) throws(TypeRuleError) -> TensorType {
    guard case .int(let start)? = op.attributes["start"], case .int(let len)? = op.attributes["len"],
      x.rank >= 1, let rows = bindings.value(of: x.dims[0])
    else { throw TypeRuleError("slice needs a tensor of rank ≥ 1", operand: 0) }
    if start < 0 || len < 1 || start > rows - len {
      throw TypeRuleError("slice rows \(start) ..< \(start) + \(len) are outside \(x)'s \(rows) rows", operand: 0)
    }
    return TensorType(x.dtype, [.literal(len)] + x.dims.dropFirst())
  }

  private func collective(_ x: TensorType, _ op: Op) throws(TypeRuleError) -> TensorType {
    let result = op.resultTypes[0]
    guard case .ints(let group)? = op.attributes["group"], !group.isEmpty, Set(group).count == group.count,
      group.allSatisfy({ $0 >= 0 })
    else { throw TypeRuleError("'\(op.opcode.rawValue)' needs a group of distinct ranks") }
    if result.dtype != x.dtype || result.rank != x.rank {
      throw TypeRuleError("'\(op.opcode.rawValue)' keeps dtype and rank: \(x) cannot become \(result)", operand: 0)
    }
    if op.opcode == .allToAll {
      guard case .int(let split)? = op.attributes["split_axis"], case .int(let cat)? = op.attributes["concat_axis"],
        split >= 0, split < x.rank, cat >= 0, cat < x.rank
      else { throw TypeRuleError("all_to_all axes must be within the operand's rank \(x.rank)") }
      let parts = Int64(group.count)
      if case .ints(let sizes)? = op.attributes["split_sizes"] {
        if sizes.count != group.count || sizes.reduce(0, +) != bindings.value(of: x.dims[Int(split)]) {
          throw TypeRuleError("all_to_all split_sizes \(sizes) do not cut \(x) along axis \(split) into \(parts) parts", operand: 0)
        }
      } else if let n = bindings.value(of: x.dims[Int(split)]), n % parts != 0 {
        throw TypeRuleError("all_to_all cannot cut \(n) along axis \(split) into \(parts) equal parts", operand: 0)
      }
    }
    return result
  }

  private func concat(_ t: [TensorType], _ op: Op) throws(TypeRuleError) -> TensorType {
    guard case .int(let axis)? = op.attributes["axis"], axis >= 0, axis < t[0].rank else {
      throw TypeRuleError("concat axis must be within the operands' rank")
    }
    var total: Int64 = 0
    for (i, x) in t.enumerated() {
      let same = x.rank == t[0].rank && x.dtype == t[0].dtype
        && (0..<x.rank).allSatisfy { $0 == Int(axis) || eq(x.dims[$0], t[0].dims[$0]) }
      guard same, let n = bindings.value(of: x.dims[Int(axis)]) else {
        throw TypeRuleError("concat operands must agree except along axis \(axis): \(t[0]) and \(x)", operand: i)
      }
      total += n
    }
    var dims = t[0].dims
    dims[Int(axis)] = .literal(total)
    return TensorType(t[0].dtype, dims)
  }

  /// Checks `[start, len, start, len, …]` token ranges and returns their total length.
  private func tokenCount(_ op: Op, _ key: String) throws(TypeRuleError) -> Int64 {
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

  private func attnBlock(_ t: [TensorType], _ op: Op) throws(TypeRuleError) -> [TensorType] {
    let out = try attention(t, op)
    let rows = try tokenCount(op, "q_tokens")
    let keys = try tokenCount(op, "k_tokens")
    if bindings.value(of: t[0].dims[0]) != rows {
      throw TypeRuleError("q_tokens lists \(rows) tokens but the query block has \(t[0].dims[0]) rows", operand: 0)
    }
    if bindings.value(of: t[1].dims[0]) != keys {
      throw TypeRuleError("k_tokens lists \(keys) tokens but the key block has \(t[1].dims[0]) rows", operand: 1)
    }
    return [out, TensorType(.f32, [t[0].dims[1], t[0].dims[0]])]
  }

  private func attnMerge(_ t: [TensorType], _ op: Op) throws(TypeRuleError) -> [TensorType] {
    let (o1, l1, o2, l2) = (t[0], t[1], t[2], t[3])
    guard o1.rank == 3, o2.rank == 3, l1.rank == 2, l2.rank == 2, l1.dtype == .f32, l2.dtype == .f32,
      let n = bindings.value(of: o1.dims[0]), let m = bindings.value(of: o2.dims[0]),
      case .int(let offset)? = op.attributes["offset"]
    else {
      throw TypeRuleError("attn.merge takes (out [n,H,D], lse f32[H,n]) twice, found \(t.map(\.description).joined(separator: ", "))")
    }
    if !eq(o1.dims[1], o2.dims[1]) || !eq(o1.dims[2], o2.dims[2]) || o1.dtype != o2.dtype {
      throw TypeRuleError("attn.merge partials differ in heads, head_dim or dtype: \(o1) and \(o2)", operand: 2)
    }
    if !eq(l1.dims[0], o1.dims[1]) || !eq(l1.dims[1], o1.dims[0]) || !eq(l2.dims[0], o2.dims[1])
      || !eq(l2.dims[1], o2.dims[0])
    {
      throw TypeRuleError("attn.merge lse must be f32[H, rows] of its output", operand: 1)
    }
    if offset < 0 || offset > n - m {
      throw TypeRuleError("attn.merge rows \(offset) ..< \(offset) + \(m) are outside the \(n) accumulator rows", operand: 2)
    }
    return [o1, l1]
  }

  /// "… (did you mean heads × head_dim = E?)" for the common multi-head reshape.
  private func reshapeHint(_ from: TensorType, _ to: TensorType) -> String {
    guard from.rank == 2, to.rank == 3, let e = bindings.value(of: from.dims[1]),
      let h = bindings.value(of: to.dims[1]), let d = bindings.value(of: to.dims[2])
    else { return "" }
    return " (width \(e) is not heads × head_dim = \(h) × \(d))"
  }
}
