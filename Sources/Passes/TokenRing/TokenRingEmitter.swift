import GraphIR

/// Builds one rank's TokenRing program for one attention node. Names derive
/// from the attention result `%a`: `%a.q.sK` is the query block held at step
/// K, `%a.o.sK`/`%a.l.sK` the partial computed at step K, `%a.in.sK` a partial
/// received at step K, `%a.acc.sK` the running merge; the last merge is `%a`.
struct TokenRingEmitter {
  let rank: Int
  let ranks: Int
  let layout: TokenLayout
  /// Global tokens of every rank's rows.
  let tokens: [TokenRanges]
  let attention: Op
  /// The local query, key and value types (`[rows, heads, head_dim]`).
  let queryType: TensorType
  let keyType: TensorType
  let valueType: TensorType
  /// All chunks of the layout, in sequence order.
  let chunks: [Range<Int64>]
  private(set) var ops: [Op] = []

  // MARK: - Shapes and names

  private var name: String { attention.results[0] }
  private var q: String { Self.valueName(attention.operands[0]) }
  private var k: String { Self.valueName(attention.operands[1]) }
  private var v: String { Self.valueName(attention.operands[2]) }
  private var outType: TensorType { attention.resultTypes[0] }
  private var heads: Dim { outType.dims[1] }
  private var qChannel: String { name + ".q" }
  private var outChannel: String { name + ".out" }
  private var loc: SourceLocation? { attention.location }

  static func valueName(_ operand: Operand) -> String {
    switch operand {
    case .value(let n), .symbol(let n): n
    }
  }

  private func n(_ base: String, _ step: Int) -> String { "\(name).\(base).s\(step)" }
  private func mod(_ x: Int) -> Int { ((x % ranks) + ranks) % ranks }

  /// Query-block type with `rows` rows (the query operand's dtype and heads).
  private func qType(_ rows: Int64) -> TensorType { rowsType(queryType, rows) }
  private func oType(_ rows: Int64) -> TensorType { rowsType(outType, rows) }
  private func lseType(_ rows: Int64) -> TensorType { TensorType(.f32, [heads, .literal(rows)]) }
  private func rowsType(_ t: TensorType, _ rows: Int64) -> TensorType {
    TensorType(t.dtype, [.literal(rows)] + t.dims.dropFirst())
  }

  /// The explicit scale, or the default 1/√head_dim.
  private var scale: Attribute {
    if let s = attention.attributes["scale"] { return s }
    guard case .literal(let d) = keyType.dims[2] else { preconditionFailure("head_dim is not concrete") }
    return .float(1 / Double(d).squareRoot())
  }

  // MARK: - Op builders

  private mutating func emit(_ op: Op) {
    var op = op
    op.location = loc
    ops.append(op)
  }

  private func comm(_ chan: String, _ peer: Int, _ step: Int) -> Attributes {
    ["chan": .string(chan), "peer": .int(Int64(peer)), "step": .int(Int64(step))]
  }

  private mutating func sendStart(_ values: [String], _ chan: String, to peer: Int, step: Int) {
    emit(Op(.sendStart, values.map(Operand.value), attributes: comm(chan, peer, step)))
  }

  private mutating func sendDone(_ values: [String], _ chan: String, to peer: Int, step: Int) {
    emit(Op(.sendDone, values.map(Operand.value), attributes: comm(chan, peer, step)))
  }

  private mutating func recvStart(_ results: [String], _ types: [TensorType], _ chan: String, from peer: Int, step: Int) {
    emit(Op(results: results, .recvStart, attributes: comm(chan, peer, step), types: types))
  }

  private mutating func recvDone(_ values: [String]) {
    emit(Op(.recvDone, values.map(Operand.value)))
  }

  private mutating func slice(_ result: String, _ x: String, _ start: Int64, _ len: Int64, _ type: TensorType) {
    emit(Op(results: [result], .slice, [.value(x)], attributes: ["start": .int(start), "len": .int(len)], types: [rowsType(type, len)]))
  }

  private mutating func block(
    _ o: String, _ l: String, q: String, k: String, v: String, qTokens: TokenRanges, kTokens: TokenRanges, step: Int
  ) {
    emit(
      Op(
        results: [o, l], .attnBlock, [.value(q), .value(k), .value(v)],
        attributes: [
          "causal": attention.attributes["causal"] ?? .bool(false), "scale": scale,
          "q_tokens": qTokens.attribute, "k_tokens": kTokens.attribute, "step": .int(Int64(step)),
        ],
        types: [oType(qTokens.count), lseType(qTokens.count)]))
  }

  private mutating func merge(_ results: (String, String), acc: (String, String), part: (String, String), offset: Int64, rows: Int64) {
    emit(
      Op(
        results: [results.0, results.1], .attnMerge,
        [.value(acc.0), .value(acc.1), .value(part.0), .value(part.1)],
        attributes: ["offset": .int(offset)], types: [oType(rows), lseType(rows)]))
  }

  // MARK: - Non-causal: Q moves forward, partials go back s−1 hops

  mutating func nonCausal() -> [Op] {
    let own = tokens[rank]
    let p = ranks
    var qCur = q
    var acc = (name + ".acc.s0", name + ".lacc.s0")
    if p == 1 {
      block(name, name + ".lse", q: q, k: k, v: v, qTokens: own, kTokens: own, step: 0)
      return ops
    }
    for s in 0..<p {
      let owner = mod(rank - s)
      let next = n("q", s + 1)
      if s < p - 1 {
        sendStart([qCur], qChannel, to: mod(rank + 1), step: s)
        recvStart([next], [qType(tokens[mod(rank - s - 1)].count)], qChannel, from: mod(rank - 1), step: s)
      }
      if s >= 2 {
        sendStart([n("o", s - 1), n("l", s - 1)], outChannel, to: mod(rank - s + 1), step: s)
        recvStart([n("in", s), n("inl", s)], [oType(own.count), lseType(own.count)], outChannel, from: mod(rank + s - 1), step: s)
      }
      let o = s == 0 ? acc.0 : n("o", s)
      let l = s == 0 ? acc.1 : n("l", s)
      block(o, l, q: qCur, k: k, v: v, qTokens: tokens[owner], kTokens: own, step: s)
      if s < p - 1 {
        recvDone([next])
        sendDone([qCur], qChannel, to: mod(rank + 1), step: s)
      }
      if s >= 2 {
        recvDone([n("in", s), n("inl", s)])
        let merged = (n("acc", s), n("lacc", s))
        merge(merged, acc: acc, part: (n("in", s), n("inl", s)), offset: 0, rows: own.count)
        acc = merged
        sendDone([n("o", s - 1), n("l", s - 1)], outChannel, to: mod(rank - s + 1), step: s)
      }
      qCur = next
    }
    // Tail: the last partial goes to r+1; ours arrives from r−1. Exposed.
    let s = p
    sendStart([n("o", s - 1), n("l", s - 1)], outChannel, to: mod(rank + 1), step: s)
    recvStart([n("in", s), n("inl", s)], [oType(own.count), lseType(own.count)], outChannel, from: mod(rank - 1), step: s)
    recvDone([n("in", s), n("inl", s)])
    merge((name, name + ".lse"), acc: acc, part: (n("in", s), n("inl", s)), offset: 0, rows: own.count)
    sendDone([n("o", s - 1), n("l", s - 1)], outChannel, to: mod(rank + 1), step: s)
    return ops
  }

  // MARK: - Causal zigzag: Q moves backward, partials go forward s−1 hops

  /// Front and back chunk of rank `r`.
  private func front(_ r: Int) -> Range<Int64> { chunks[r] }
  private func back(_ r: Int) -> Range<Int64> { chunks[2 * ranks - 1 - r] }

  mutating func causalZigzag() -> [Op] {
    let own = tokens[rank]
    let p = ranks
    let frontRows = Int64(front(rank).count)
    var acc = (name + ".acc.s0", name + ".lacc.s0")
    if p == 1 {
      block(name, name + ".lse", q: q, k: k, v: v, qTokens: own, kTokens: own, step: 0)
      return ops
    }
    // Whether rank `holder` holds (or is sent) the full Q of `owner`, or only its back half.
    func full(_ owner: Int, at holder: Int) -> Bool { owner >= holder }
    var qCur = q
    var kFront: (String, String)?
    for s in 0..<p {
      let owner = mod(rank + s)
      let next = n("q", s + 1)
      let receiver = mod(rank - 1)
      var payload = qCur
      if s < p - 1 {
        // The receiver r−1 holds the same owner's Q next step; send only what it can use.
        if full(owner, at: rank), !full(owner, at: receiver) {
          payload = n("qb", s)
          slice(payload, qCur, Int64(front(owner).count), Int64(back(owner).count), qType(tokens[owner].count))
        }
        sendStart([payload], qChannel, to: receiver, step: s)
        let nextOwner = mod(rank + s + 1)
        let rows = full(nextOwner, at: rank) ? tokens[nextOwner].count : Int64(back(nextOwner).count)
        recvStart([next], [qType(rows)], qChannel, from: mod(rank + 1), step: s)
      }
      if s >= 2 { emitPartialExchange(s) }
      computeZigzagBlock(s, owner: owner, qCur: qCur, own: own, frontRows: frontRows, kFront: &kFront, acc: acc)
      if s < p - 1 {
        recvDone([next])
        sendDone([payload], qChannel, to: receiver, step: s)
      }
      if s >= 2 { acc = mergeIncoming(s, acc: acc, frontRows: frontRows, own: own) }
      qCur = next
    }
    // Tail: the last partial goes to its owner r−1; ours arrives from r+1.
    let s = p
    let lastOwner = mod(rank + p - 1)
    sendStart([n("o", s - 1), n("l", s - 1)], outChannel, to: lastOwner, step: s)
    let fromRank = mod(rank + 1)
    let rows = full(rank, at: fromRank) ? own.count : Int64(back(rank).count)
    recvStart([n("in", s), n("inl", s)], [oType(rows), lseType(rows)], outChannel, from: fromRank, step: s)
    recvDone([n("in", s), n("inl", s)])
    merge(
      (name, name + ".lse"), acc: acc, part: (n("in", s), n("inl", s)),
      offset: rows == own.count ? 0 : frontRows, rows: own.count)
    sendDone([n("o", s - 1), n("l", s - 1)], outChannel, to: lastOwner, step: s)
    return ops
  }

  /// Step s ≥ 2: send the partial of step s−1 home to r+s−1; receive ours from r−s+1.
  private mutating func emitPartialExchange(_ s: Int) {
    let own = tokens[rank]
    let owner = mod(rank + s - 1)
    sendStart([n("o", s - 1), n("l", s - 1)], outChannel, to: owner, step: s)
    let from = mod(rank - s + 1)
    let rows = rank >= from ? own.count : Int64(back(rank).count)
    recvStart([n("in", s), n("inl", s)], [oType(rows), lseType(rows)], outChannel, from: from, step: s)
  }

  private mutating func mergeIncoming(_ s: Int, acc: (String, String), frontRows: Int64, own: TokenRanges) -> (String, String) {
    let from = mod(rank - s + 1)
    let fullPartial = rank >= from
    recvDone([n("in", s), n("inl", s)])
    let merged = (n("acc", s), n("lacc", s))
    merge(merged, acc: acc, part: (n("in", s), n("inl", s)), offset: fullPartial ? 0 : frontRows, rows: own.count)
    sendDone([n("o", s - 1), n("l", s - 1)], outChannel, to: mod(rank + s - 1), step: s)
    return merged
  }

  private mutating func computeZigzagBlock(
    _ s: Int, owner: Int, qCur: String, own: TokenRanges, frontRows: Int64,
    kFront: inout (String, String)?, acc: (String, String)
  ) {
    if s == 0 {
      block(acc.0, acc.1, q: qCur, k: k, v: v, qTokens: own, kTokens: own, step: 0)
    } else if owner > rank {
      // Full Q of a later owner sees only our front chunk.
      if kFront == nil {
        kFront = (name + ".kf", name + ".vf")
        slice(kFront!.0, k, 0, frontRows, keyType)
        slice(kFront!.1, v, 0, frontRows, valueType)
      }
      block(
        n("o", s), n("l", s), q: qCur, k: kFront!.0, v: kFront!.1, qTokens: tokens[owner],
        kTokens: TokenRanges([front(rank)]), step: s)
    } else {
      // The back half of an earlier owner's Q sees all our keys.
      block(n("o", s), n("l", s), q: qCur, k: k, v: v, qTokens: TokenRanges([back(owner)]), kTokens: own, step: s)
    }
  }
}
