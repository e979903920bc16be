import GraphIR

/// The operands of one attention computation as a lowering sees them: value
/// names and types of q `[n, H, D]`, k `[m, KVH, D]`, v `[m, KVH, Dv]`, and the
/// name and type its output must have.
struct AttentionOperands {
  var q: String
  var k: String
  var v: String
  var queryType: TensorType
  var keyType: TensorType
  var valueType: TensorType
  var out: String
  var outType: TensorType
}

/// A set of ranks that run one ring: their global ranks in ring order, which
/// member this rank is, and the global tokens of each member's rows.
struct RingGroup {
  var members: [Int]
  var index: Int
  var tokens: [TokenRanges]
  /// The sequence cut into the layout's chunks (2 per member for zigzag).
  var chunks: [Range<Int64>]
  /// Run visibility shared by the ranks lowering this attention, and this group's slot in it.
  let memo: RunMemo
  private let slot: Int

  init(members: [Int], index: Int, tokens: [TokenRanges], chunks: [Range<Int64>], memo: RunMemo = RunMemo()) {
    (self.members, self.index, self.tokens, self.chunks, self.memo) = (members, index, tokens, chunks, memo)
    slot = memo.group(members)
  }

  var size: Int { members.count }
  func mod(_ x: Int) -> Int { ((x % size) + size) % size }
  /// The global rank `offset` places along the ring from this member.
  func peer(_ offset: Int) -> Int { members[mod(index + offset)] }
  /// Zigzag halves of member i: chunk i and chunk 2R−1−i.
  func front(_ i: Int) -> Range<Int64> { chunks[i] }
  func back(_ i: Int) -> Range<Int64> { chunks[2 * size - 1 - i] }

  // Under a local mask a member's rows move and compute in runs: its token
  // ranges (the zigzag chunks, joined when adjacent; many under a document
  // layout). A set of runs is a sorted list of indices into `runs(m)`. Key
  // runs are taken exactly (gathered when apart); query runs are always a
  // span of consecutive runs, so their partial merges into one stretch of
  // the accumulator (the runs between see none of the keys, and the kernel
  // skips their hidden tiles).

  func runs(_ m: Int) -> [Range<Int64>] { tokens[m].ranges }
  func rows(_ m: Int, _ runs: [Int]) -> Int64 { runs.reduce(0) { $0 + Int64(self.runs(m)[$1].count) } }
  func tokens(_ m: Int, _ runs: [Int]) -> TokenRanges { TokenRanges(runs.map { self.runs(m)[$0] }) }
  /// Where `runs` start among the rows of `among` (runs ⊆ among).
  func offset(_ m: Int, _ runs: [Int], in among: [Int]) -> Int64 { rows(m, among.filter { $0 < runs[0] }) }

  /// The span from member q's first to its last query run that sees any key
  /// of member k under `mask`, and k's key runs they see.
  /// `mask` is the attention's, the one `memo` remembers answers for.
  func visibleRuns(queries q: Int, keys k: Int, _ mask: Mask) -> (q: [Int], k: [Int]) {
    memo.visibleRuns(group: slot, queries: q, keys: k) {
      let (qs, ks) = (runs(q), runs(k))
      // Runs are sorted and apart: only the key runs meeting a query run's
      // key span can be seen, found by binary search (runs number in the
      // thousands under a document layout of many short documents).
      let sees = qs.map { qr in mask.keyIndices(of: qr, in: ks).filter { mask.anyVisible(qr, ks[$0]) } }
      guard let first = sees.firstIndex(where: { !$0.isEmpty }), let last = sees.lastIndex(where: { !$0.isEmpty }) else { return ([], []) }
      return (Array(first...last), Array(Set(sees.joined())).sorted())
    }
  }

  /// Owner m's runs that travel on after step s: those `needed` says some
  /// later step uses.
  func forwarded(_ what: RunMemo.Travelling, _ m: Int, after s: Int, needed: (Int) -> [Int]) -> [Int] {
    memo.forwarded(group: slot, what, owner: m, after: s, steps: size, needed: needed)
  }
}

/// Emits the ops of a lowered attention with consistent names and types.
/// Names derive from the attention result `%a`: `%a.<what>.s<step>`.
/// The ops an emitter put in place of one attention, and the channels they use.
struct Lowering {
  var ops: [Op]
  var channels: [ChannelDecl]
}

struct PlanBuilder {
  let name: String
  let location: SourceLocation?
  /// The mask and scale every block uses.
  let mask: Attributes
  let scale: Attribute
  private(set) var ops: [Op] = []
  /// The channels the emitted ops use, in order of first use.
  private(set) var channels: [ChannelDecl] = []

  init(attention: Op, keyType: TensorType) {
    name = attention.results[0]
    location = attention.location
    var mask: Attributes = ["causal": attention.attributes["causal"] ?? .bool(false)]
    if let w = attention.attributes["window"] { mask["window"] = w }
    if let d = attention.attributes["documents"] { mask["documents"] = d }
    self.mask = mask
    if let s = attention.attributes["scale"] {
      scale = s
    } else if case .literal(let d) = keyType.dims[2] {
      scale = .float(1 / Double(d).squareRoot())
    } else {
      preconditionFailure("head_dim is not concrete")
    }
  }

  func n(_ base: String, _ step: Int) -> String { "\(name).\(base).s\(step)" }
  /// Declares the channel of this attention that carries `kind` (named
  /// `a.q`, `a.kv`, `a.k`, `a.v`, `a.out`, `a.a2a`) and returns its name.
  /// A channel of `kind` of this attention; `part` names one of several of
  /// that kind (`@a.out.r1`), so messages between one pair in one step stay apart.
  mutating func channel(_ kind: ChannelKind, part: String? = nil) -> String {
    let suffix = switch kind {
    case .query: "q"
    case .kv: "kv"
    case .key: "k"
    case .value: "v"
    case .partial: "out"
    case .heads: "a2a"
    case .state: "state"
    }
    let chan = "\(name).\(suffix)" + (part.map { ".\($0)" } ?? "")
    if !channels.contains(where: { $0.name == chan }) { channels.append(ChannelDecl(chan, carries: kind)) }
    return chan
  }

  /// What the emitter produced: the ops replacing the attention and the
  /// channels they use.
  var lowering: Lowering { Lowering(ops: ops, channels: channels) }

  /// `runs` of member m's rows from `value`, a tensor of `type` holding
  /// `among` of them: `value` itself when they are all of it, else a slice
  /// named `name`, or where they lie apart in `among` a `concat` of slices
  /// (`name.0`, `name.1`, …) named `name`.
  mutating func rows(
    of value: String, _ type: TensorType, _ group: RingGroup, _ m: Int, _ runs: [Int], in among: [Int], as name: String
  ) -> String {
    guard runs != among else { return value }
    // Consecutive stretches of `among` that `runs` fill, as (row offset,
    // rows) in `value`: one walk, as both lists are sorted.
    var stretches: [(offset: Int64, rows: Int64)] = []
    var (at, offset, last) = (0, Int64(0), -2)
    for r in runs {
      while among[at] != r {
        offset += Int64(group.runs(m)[among[at]].count)
        at += 1
      }
      let n = Int64(group.runs(m)[r].count)
      if at == last + 1 { stretches[stretches.count - 1].rows += n } else { stretches.append((offset, n)) }
      (last, offset, at) = (at, offset + n, at + 1)
    }
    if stretches.count == 1 {
      slice(name, value, stretches[0].offset, stretches[0].rows, type)
      return name
    }
    let parts = stretches.enumerated().map { i, stretch in
      let part = "\(name).\(i)"
      slice(part, value, stretch.offset, stretch.rows, type)
      return part
    }
    op(.concat, name, parts, attributes: ["axis": .int(0)], type: Self.rows(type, group.rows(m, runs)))
    return name
  }

  static func rows(_ t: TensorType, _ rows: Int64) -> TensorType {
    TensorType(t.dtype, [.literal(rows)] + t.dims.dropFirst())
  }

  static func lse(heads: Dim, rows: Int64) -> TensorType { TensorType(.f32, [heads, .literal(rows)]) }

  /// Adds `offset` to the `step` of every op from index `first` on (an
  /// inner lowering numbered from 0, placed after other steps); returns the
  /// last step they take (`offset` when none has one).
  mutating func shiftSteps(from first: Int, by offset: Int64) -> Int64 {
    var last = offset
    for i in first..<ops.count {
      guard case .int(let step)? = ops[i].attributes["step"] else { continue }
      ops[i].attributes["step"] = .int(step + offset)
      last = max(last, step + offset)
    }
    return last
  }

  mutating func emit(_ op: Op) {
    var op = op
    op.location = location
    ops.append(op)
  }

  private func comm(_ chan: String, _ peer: Int, _ step: Int) -> Attributes {
    ["chan": .symbol(chan), "peer": .int(Int64(peer)), "step": .int(Int64(step))]
  }

  mutating func sendStart(_ values: [String], _ chan: String, to peer: Int, step: Int) {
    emit(Op(.sendStart, values.map(Operand.value), attributes: comm(chan, peer, step)))
  }

  mutating func sendDone(_ values: [String], _ chan: String, to peer: Int, step: Int) {
    emit(Op(.sendDone, values.map(Operand.value), attributes: comm(chan, peer, step)))
  }

  mutating func recvStart(_ results: [String], _ types: [TensorType], _ chan: String, from peer: Int, step: Int) {
    emit(Op(results: results, .recvStart, attributes: comm(chan, peer, step), types: types))
  }

  mutating func recvDone(_ values: [String]) {
    emit(Op(.recvDone, values.map(Operand.value)))
  }

  mutating func slice(_ result: String, _ x: String, _ start: Int64, _ len: Int64, _ type: TensorType) {
    emit(
      Op(
        results: [result], .slice, [.value(x)], attributes: ["start": .int(start), "len": .int(len)],
        types: [Self.rows(type, len)]))
  }

  /// The mask, scale and global tokens of a block of scores (`attn.block`, `attn.scores`).
  private func blockAttributes(_ qTokens: TokenRanges, _ kTokens: TokenRanges, _ step: Int) -> Attributes {
    var attributes = mask
    attributes["scale"] = scale
    attributes["q_tokens"] = qTokens.attribute
    attributes["k_tokens"] = kTokens.attribute
    attributes["step"] = .int(Int64(step))
    return attributes
  }

  /// `(o, l) = attn.block q, k, v` over the given global tokens.
  mutating func block(
    _ results: (String, String), q: String, k: String, v: String, qTokens: TokenRanges, kTokens: TokenRanges,
    step: Int, outType: TensorType
  ) {
    let attributes = blockAttributes(qTokens, kTokens, step)
    emit(
      Op(
        results: [results.0, results.1], .attnBlock, [.value(q), .value(k), .value(v)], attributes: attributes,
        types: [Self.rows(outType, qTokens.count), Self.lse(heads: outType.dims[1], rows: qTokens.count)]))
  }

  mutating func merge(
    _ results: (String, String), acc: (String, String), part: (String, String), offset: Int64, outType: TensorType
  ) {
    guard case .literal(let rows) = outType.dims[0] else { preconditionFailure("rows are not concrete") }
    emit(
      Op(
        results: [results.0, results.1], .attnMerge,
        [.value(acc.0), .value(acc.1), .value(part.0), .value(part.1)],
        attributes: ["offset": .int(offset)], types: [outType, Self.lse(heads: outType.dims[1], rows: rows)]))
  }

  // MARK: - Collectives and RSA

  mutating func allGather(_ result: String, _ x: String, group: [Int], chan: String, step: Int, type: TensorType) {
    emit(
      Op(
        results: [result], .allGather, [.value(x)],
        attributes: ["group": .ints(group.map(Int64.init)), "chan": .symbol(chan), "step": .int(Int64(step))],
        types: [type]))
  }

  mutating func allToAll(
    _ result: String, _ x: String, group: [Int], split: Int, concat: Int, sizes: [Int64]?, chan: String, step: Int,
    type: TensorType
  ) {
    var attributes: Attributes = [
      "group": .ints(group.map(Int64.init)), "split_axis": .int(Int64(split)), "concat_axis": .int(Int64(concat)),
      "chan": .symbol(chan), "step": .int(Int64(step)),
    ]
    if let sizes { attributes["split_sizes"] = .ints(sizes) }
    emit(Op(results: [result], .allToAll, [.value(x)], attributes: attributes, types: [type]))
  }

  mutating func repeatKV(_ result: String, _ x: String, factor: Int64, type: TensorType) {
    emit(Op(results: [result], .repeatKV, [.value(x)], attributes: ["factor": .int(factor)], types: [type]))
  }

  mutating func scores(_ result: String, q: String, k: String, qTokens: TokenRanges, kTokens: TokenRanges, step: Int, heads: Dim) {
    let attributes = blockAttributes(qTokens, kTokens, step)
    emit(
      Op(
        results: [result], .attnScores, [.value(q), .value(k)], attributes: attributes,
        types: [TensorType(.f32, [heads, .literal(qTokens.count), .literal(kTokens.count)])]))
  }

  mutating func apply(
    _ result: String, p: String, v: String, column: Int64, qTokens: TokenRanges, kTokens: TokenRanges, step: Int,
    outType: TensorType
  ) {
    emit(
      Op(
        results: [result], .attnApply, [.value(p), .value(v)],
        attributes: [
          "col_start": .int(column), "q_tokens": qTokens.attribute, "k_tokens": kTokens.attribute, "step": .int(Int64(step)),
        ],
        types: [outType]))
  }

  mutating func op(_ opcode: Opcode, _ result: String, _ operands: [String], attributes: Attributes = [:], type: TensorType) {
    emit(Op(results: [result], opcode, operands.map(Operand.value), attributes: attributes, types: [type]))
  }
}
