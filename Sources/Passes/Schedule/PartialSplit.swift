import GraphIR
import PlanIR

/// TokenRing's fine-grained partitioning, as a rewrite of a plan: a block
/// whose partial result goes to another rank is computed in `pieces` slices
/// of its query rows, and each slice's `(out, lse)` leaves as soon as it
/// exists, on a channel of its own; the owner receives the slices where it
/// received the whole and merges each at its rows. The first rows' results
/// then travel while the last rows compute, which shortens a communication-
/// bound step and the exposed tail. Sender (rank 1), two pieces:
///
///     %a.o.s1, %a.l.s1 = attn.block %q, %k, %v {q_tokens = [12, 10], …}
///     …
///     send.start %a.o.s1, %a.l.s1 {chan = @a.out, peer = 2, step = 2}
///
/// becomes
///
///     %a.o.s1.q0 = slice %q {len = 5, start = 0}
///     %a.o.s1.p0, %a.l.s1.p0 = attn.block %a.o.s1.q0, %k, %v {q_tokens = [12, 5], …}
///     send.start %a.o.s1.p0, %a.l.s1.p0 {chan = @a.out.p0, peer = 2, step = 2}
///     %a.o.s1.q1 = slice %q {len = 5, start = 5}
///     …
///
/// and the receiver's one `attn.merge … {offset}` becomes a merge per piece
/// at `offset + first row of the piece`. Sends move earlier and nothing else
/// moves, so a deadlock-free plan stays deadlock-free. Whether it pays (more,
/// smaller blocks and messages, a merge per piece) is the cost model's call:
/// `overlap-schedule` applies it only where the simulator predicts a gain.
public enum PartialSplit {
  /// A partial result one rank sends another, named by its send.
  public struct Message: Hashable, Sendable {
    /// The graph family both programs belong to.
    public var family: String
    public var key: MessageKey
    public var src: Int { key.src }
    public var dst: Int { key.dst }
    public var chan: String { key.chan }
    public var step: Int64 { key.step }
  }

  /// Every partial result whose rewrite applies: the send, on a channel that
  /// carries partials, holds exactly the two results of one `attn.block` that
  /// nothing else reads, and the receiver only waits for the buffers and folds
  /// them in with one merge.
  public static func candidates(_ module: Module) -> [Message] {
    var out: [Message] = []
    for g in module.graphs {
      guard let program = g.rankProgram else { continue }
      for op in g.ops where op.opcode == .sendStart {
        guard let m = message(op, family: program.source, src: program.rank),
          module.channel(named: m.chan)?.carries == .partial,
          let receiver = module.rankProgram(of: program.source, rank: m.dst),
          senderSide(g, m) != nil, receiverSide(receiver, m) != nil
        else { continue }
        out.append(m)
      }
    }
    return out
  }

  /// `module` with each of `messages` split into `pieces` (a block of fewer
  /// rows than pieces is left whole).
  public static func apply(_ module: Module, to messages: [Message], pieces: Int) -> Module {
    var m = module
    for message in messages where pieces > 1 {
      let sender = RankProgram(source: message.family, rank: message.src)
      let receiver = RankProgram(source: message.family, rank: message.dst)
      guard let si = m.graphs.firstIndex(where: { $0.rankProgram == sender }),
        let ri = m.graphs.firstIndex(where: { $0.rankProgram == receiver }),
        let send = senderSide(m.graphs[si], message), let receive = receiverSide(m.graphs[ri], message),
        send.rows >= Int64(pieces)
      else { continue }
      let rows = split(send.rows, pieces)
      let senderOps = splitSender(m.graphs[si], send, rows, message)
      let receiverOps = splitReceiver(m.graphs[ri].ops, receive, rows, message)
      // New names must not shadow values the graphs already have.
      func fresh(_ ops: [Op]) -> Bool {
        let names = ops.flatMap(\.results)
        return Set(names).count == names.count
      }
      guard fresh(senderOps), fresh(receiverOps) else { continue }
      m.graphs[si].ops = senderOps
      m.graphs[ri].ops = receiverOps
      for p in 0..<pieces where m.channel(named: channel(message.chan, piece: p)) == nil {
        m.channels.append(ChannelDecl(channel(message.chan, piece: p), carries: .partial))
      }
    }
    return m
  }

  /// The channel of piece `p` of a partial sent on `chan`: `a.out.p0`.
  public static func channel(_ chan: String, piece p: Int) -> String { "\(chan).p\(p)" }

  /// `(first row, rows)` of each piece; the first `n mod k` get a row more.
  public static func split(_ n: Int64, _ k: Int) -> [(start: Int64, count: Int64)] {
    let base = n / Int64(k)
    let extra = Int(n % Int64(k))
    var start: Int64 = 0
    return (0..<k).map { p in
      let count = base + (p < extra ? 1 : 0)
      defer { start += count }
      return (start, count)
    }
  }

  // MARK: - Finding the ops

  private static func message(_ op: Op, family: String, src: Int) -> Message? {
    MessageKey(op, rank: src).map { Message(family: family, key: $0) }
  }

  /// Whether `op` of rank `rank` is a send or receive of `m`.
  private static func matches(_ op: Op, _ m: Message, rank: Int) -> Bool {
    MessageKey(op, rank: rank) == m.key
  }

  /// Readers of each value, by op index.
  private static func readers(_ ops: [Op]) -> [String: [Int]] {
    var out: [String: [Int]] = [:]
    for (i, op) in ops.enumerated() {
      for case .value(let v) in op.operands { out[v, default: []].append(i) }
    }
    return out
  }

  struct SenderSide {
    var block: Int
    var start: Int
    var done: Int
    var rows: Int64
  }

  private static func senderSide(_ g: Graph, _ m: Message) -> SenderSide? {
    let ops = g.ops
    guard let start = ops.firstIndex(where: { $0.opcode == .sendStart && matches($0, m, rank: m.src) }),
      let done = ops.firstIndex(where: { $0.opcode == .sendDone && matches($0, m, rank: m.src) }),
      ops[start].operands.count == 2, case .value(let o) = ops[start].operands[0],
      case .value(let l) = ops[start].operands[1],
      let block = ops.firstIndex(where: { $0.opcode == .attnBlock && $0.results == [o, l] }),
      AttnBlock(ops[block]) != nil,
      case .literal(let rows)? = ops[block].resultTypes.first?.dims.first
    else { return nil }
    let uses = readers(ops)
    guard Set(uses[o] ?? []).union(uses[l] ?? []) == [start, done] else { return nil }
    return SenderSide(block: block, start: start, done: done, rows: rows)
  }

  struct ReceiverSide {
    var start: Int
    var done: Int
    var merge: Int
  }

  private static func receiverSide(_ g: Graph, _ m: Message) -> ReceiverSide? {
    let ops = g.ops
    guard let start = ops.firstIndex(where: { $0.opcode == .recvStart && matches($0, m, rank: m.dst) }),
      ops[start].results.count == 2
    else { return nil }
    let (o, l) = (ops[start].results[0], ops[start].results[1])
    let uses = readers(ops)
    guard let done = ops.firstIndex(where: { $0.opcode == .recvDone && $0.operands == [.value(o), .value(l)] }),
      let merge = ops.firstIndex(where: { $0.opcode == .attnMerge && Array($0.operands.dropFirst(2)) == [.value(o), .value(l)] }),
      Set(uses[o] ?? []).union(uses[l] ?? []) == [done, merge], case .int = ops[merge].attributes["offset"]
    else { return nil }
    return ReceiverSide(start: start, done: done, merge: merge)
  }

  // MARK: - Rewriting

  private static func pieceTypes(_ types: [TensorType], _ rows: Int64) -> [TensorType] {
    // out is [rows, H, D]; lse is [H, rows].
    [TensorType(types[0].dtype, [.literal(rows)] + types[0].dims.dropFirst()),
     TensorType(types[1].dtype, [types[1].dims[0], .literal(rows)])]
  }

  private static func splitSender(_ g: Graph, _ s: SenderSide, _ rows: [(start: Int64, count: Int64)], _ m: Message) -> [Op] {
    let ops = g.ops
    let block = ops[s.block]
    let send = ops[s.start]
    let (o, l) = (block.results[0], block.results[1])
    guard let view = AttnBlock(block), let qType = Plan.valueTypes(of: g)[view.query] else { return ops }
    let (q, qTokens) = (view.query, view.queryTokens)
    var pieces: [Op] = []
    var dones: [Op] = []
    for (p, r) in rows.enumerated() {
      let qp = "\(o).q\(p)"
      let results = ["\(o).p\(p)", "\(l).p\(p)"]
      pieces.append(
        Op(
          results: [qp], .slice, [.value(q)], attributes: ["start": .int(r.start), "len": .int(r.count)],
          types: [TensorType(qType.dtype, [.literal(r.count)] + qType.dims.dropFirst())], location: block.location))
      var attributes = block.attributes
      attributes["q_tokens"] = qTokens.rows(r.start, r.count).attribute
      pieces.append(
        Op(
          results: results, .attnBlock, [.value(qp)] + block.operands.dropFirst(), attributes: attributes,
          types: pieceTypes(block.resultTypes, r.count), location: block.location))
      var sendAttributes = send.attributes
      sendAttributes["chan"] = .symbol(channel(m.chan, piece: p))
      pieces.append(Op(.sendStart, results.map { .value($0) }, attributes: sendAttributes, location: send.location))
      dones.append(Op(.sendDone, results.map { .value($0) }, attributes: sendAttributes, location: ops[s.done].location))
    }
    return replacing(ops, [s.block: pieces, s.start: [], s.done: dones])
  }

  private static func splitReceiver(_ ops: [Op], _ r: ReceiverSide, _ rows: [(start: Int64, count: Int64)], _ m: Message) -> [Op] {
    let start = ops[r.start]
    let merge = ops[r.merge]
    guard case .int(let offset)? = merge.attributes["offset"] else { return ops }
    var starts: [Op] = []
    var dones: [Op] = []
    var merges: [Op] = []
    var acc = Array(merge.operands.prefix(2))
    for (p, piece) in rows.enumerated() {
      let buffers = start.results.map { "\($0).p\(p)" }
      var attributes = start.attributes
      attributes["chan"] = .symbol(channel(m.chan, piece: p))
      starts.append(
        Op(
          results: buffers, .recvStart, attributes: attributes, types: pieceTypes(start.resultTypes, piece.count),
          location: start.location))
      dones.append(Op(.recvDone, buffers.map { .value($0) }, location: ops[r.done].location))
      let results = p == rows.count - 1 ? merge.results : merge.results.map { "\($0).p\(p)" }
      merges.append(
        Op(
          results: results, .attnMerge, acc + buffers.map { .value($0) },
          attributes: ["offset": .int(offset + piece.start)], types: merge.resultTypes, location: merge.location))
      acc = results.map { .value($0) }
    }
    return replacing(ops, [r.start: starts, r.done: dones, r.merge: merges])
  }

  /// `ops` with the op at each key of `replacements` replaced by its ops.
  private static func replacing(_ ops: [Op], _ replacements: [Int: [Op]]) -> [Op] {
    ops.indices.flatMap { replacements[$0] ?? [ops[$0]] }
  }
}
