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

  /// A module with each rank graph indexed once, for `candidates` and any
  /// number of `apply`s: indexing is most of what either costs.
  public struct Indexed: Sendable {
    public let module: Module
    /// Per graph of the module, its index (nil for a graph that is no rank program).
    let graphs: [GraphIndex?]
    /// The first graph of each rank program.
    let graphOf: [RankProgram: Int]

    public init(_ module: Module) {
      self.module = module
      graphs = module.graphs.parallelMap { g in g.rankProgram.map { _ in GraphIndex(g) } }
      graphOf = Dictionary(
        module.graphs.indices.compactMap { i in module.graphs[i].rankProgram.map { ($0, i) } }, uniquingKeysWith: { a, _ in a })
    }

    func index(_ program: RankProgram) -> GraphIndex? { graphOf[program].flatMap { graphs[$0] } }
  }

  /// Every partial result whose rewrite applies: the send, on a channel that
  /// carries partials, holds exactly the two results of one `attn.block` that
  /// nothing else reads, and the receiver only waits for the buffers and folds
  /// them in with one merge.
  public static func candidates(_ module: Module) -> [Message] { candidates(Indexed(module)) }

  public static func candidates(_ indexed: Indexed) -> [Message] {
    let module = indexed.module
    let partials = Set(module.channels.filter { $0.carries == .partial }.map(\.name))
    var out: [Message] = []
    for g in module.graphs {
      guard let program = g.rankProgram, let index = indexed.index(program) else { continue }
      for op in g.ops where op.opcode == .sendStart {
        guard let m = message(op, family: program.source, src: program.rank), partials.contains(m.chan),
          let receiver = indexed.index(RankProgram(source: program.source, rank: m.dst)),
          senderSide(index, m) != nil, receiverSide(receiver, m) != nil
        else { continue }
        out.append(m)
      }
    }
    return out
  }

  /// `module` with each of `messages` split into `pieces` (a block of fewer
  /// rows than pieces is left whole). Each graph is rewritten once, however
  /// many of its messages split.
  public static func apply(_ module: Module, to messages: [Message], pieces: Int) -> Module {
    apply(Indexed(module), to: messages, pieces: pieces)
  }

  public static func apply(_ indexed: Indexed, to messages: [Message], pieces: Int) -> Module {
    var m = indexed.module
    guard pieces > 1 else { return m }
    let graphOf = indexed.graphOf
    func index(_ g: Int) -> GraphIndex { indexed.graphs[g]! }
    var replacements: [Int: [Int: [Op]]] = [:]
    var names: [Int: Set<String>] = [:]
    var channels: [String] = []
    for message in messages {
      guard message.src != message.dst, let si = graphOf[RankProgram(source: message.family, rank: message.src)],
        let ri = graphOf[RankProgram(source: message.family, rank: message.dst)],
        let send = senderSide(index(si), message), let receive = receiverSide(index(ri), message),
        send.rows >= Int64(pieces)
      else { continue }
      let rows = split(send.rows, pieces)
      guard let sender = splitSender(index(si), send, rows, message),
        let receiver = splitReceiver(index(ri).ops, receive, rows, message)
      else { continue }
      // New names must not shadow values the graphs already have (the last
      // merge keeps the name of the merge it replaces).
      let senderNames = sender.block.flatMap(\.results)
      let receiverNames = (receiver.starts + receiver.merges.dropLast()).flatMap(\.results)
      func fresh(_ g: Int, _ new: [String]) -> Bool {
        Set(new).count == new.count && (names[g] ?? index(g).names).isDisjoint(with: new)
      }
      // Each op is rewritten for one message at most.
      let senderOps = [send.block, send.start, send.done]
      let receiverOps = [receive.start, receive.done, receive.merge]
      guard fresh(si, senderNames), fresh(ri, receiverNames),
        senderOps.allSatisfy({ replacements[si]?[$0] == nil }), receiverOps.allSatisfy({ replacements[ri]?[$0] == nil })
      else { continue }
      names[si, default: index(si).names].formUnion(senderNames)
      names[ri, default: index(ri).names].formUnion(receiverNames)
      replacements[si, default: [:]].merge([send.block: sender.block, send.start: [], send.done: sender.dones]) { a, _ in a }
      replacements[ri, default: [:]].merge(
        [receive.start: receiver.starts, receive.done: receiver.dones, receive.merge: receiver.merges]) { a, _ in a }
      channels.append(contentsOf: (0..<pieces).map { channel(message.chan, piece: $0) })
    }
    for (g, r) in replacements { m.graphs[g].ops = replacing(m.graphs[g].ops, r) }
    var declared = Set(m.channels.map(\.name))
    for c in channels where declared.insert(c).inserted { m.channels.append(ChannelDecl(c, carries: .partial)) }
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

  /// One rank graph, indexed once: its ops, who reads each value, where each
  /// message is posted and waited for, and the names it defines.
  struct GraphIndex: Sendable {
    var graph: Graph
    var ops: [Op] { graph.ops }
    var readers: [String: [Int]] = [:]
    var sendStart: [MessageKey: Int] = [:]
    var sendDone: [MessageKey: Int] = [:]
    var recvStart: [MessageKey: Int] = [:]
    /// The op defining each value.
    var definer: [String: Int] = [:]
    var names: Set<String> = []
    var types: [String: TensorType]

    init(_ g: Graph) {
      graph = g
      types = Plan.valueTypes(of: g)
      guard let rank = g.rankProgram?.rank else { return }
      for (i, op) in g.ops.enumerated() {
        for case .value(let v) in op.operands { readers[v, default: []].append(i) }
        for r in op.results {
          definer[r] = definer[r] ?? i
          names.insert(r)
        }
        guard let key = MessageKey(op, rank: rank) else { continue }
        switch op.opcode {
        case .sendStart: sendStart[key] = sendStart[key] ?? i
        case .sendDone: sendDone[key] = sendDone[key] ?? i
        case .recvStart: recvStart[key] = recvStart[key] ?? i
        default: break
        }
      }
    }

    /// Ops reading `v`, by index.
    func uses(_ v: String) -> [Int] { readers[v] ?? [] }
  }

  private static func message(_ op: Op, family: String, src: Int) -> Message? {
    MessageKey(op, rank: src).map { Message(family: family, key: $0) }
  }

  struct SenderSide {
    var block: Int
    var start: Int
    var done: Int
    var rows: Int64
  }

  private static func senderSide(_ g: GraphIndex, _ m: Message) -> SenderSide? {
    let ops = g.ops
    guard let start = g.sendStart[m.key], let done = g.sendDone[m.key],
      ops[start].operands.count == 2, case .value(let o) = ops[start].operands[0],
      case .value(let l) = ops[start].operands[1],
      let block = g.definer[o], ops[block].opcode == .attnBlock, ops[block].results == [o, l],
      AttnBlock(ops[block]) != nil,
      case .literal(let rows)? = ops[block].resultTypes.first?.dims.first,
      Set(g.uses(o)).union(g.uses(l)) == [start, done]
    else { return nil }
    return SenderSide(block: block, start: start, done: done, rows: rows)
  }

  struct ReceiverSide {
    var start: Int
    var done: Int
    var merge: Int
  }

  private static func receiverSide(_ g: GraphIndex, _ m: Message) -> ReceiverSide? {
    let ops = g.ops
    guard let start = g.recvStart[m.key], ops[start].results.count == 2 else { return nil }
    let (o, l) = (ops[start].results[0], ops[start].results[1])
    let uses = Set(g.uses(o)).union(g.uses(l))
    guard uses.count == 2,
      let done = uses.first(where: { ops[$0].opcode == .recvDone && ops[$0].operands == [.value(o), .value(l)] }),
      let merge = uses.first(where: { ops[$0].opcode == .attnMerge && Array(ops[$0].operands.dropFirst(2)) == [.value(o), .value(l)] }),
      case .int = ops[merge].attributes["offset"]
    else { return nil }
    return ReceiverSide(start: start, done: done, merge: merge)
  }

  // MARK: - Rewriting

  private static func pieceTypes(_ types: [TensorType], _ rows: Int64) -> [TensorType] {
    // out is [rows, H, D]; lse is [H, rows].
    [TensorType(types[0].dtype, [.literal(rows)] + types[0].dims.dropFirst()),
     TensorType(types[1].dtype, [types[1].dims[0], .literal(rows)])]
  }

  /// What replaces the sender's block (slices, piece blocks and their
  /// sends) and its send.done (one per piece).
  struct SplitSender {
    var block: [Op] = []
    var dones: [Op] = []
  }

  private static func splitSender(_ g: GraphIndex, _ s: SenderSide, _ rows: [(start: Int64, count: Int64)], _ m: Message) -> SplitSender? {
    let ops = g.ops
    let block = ops[s.block]
    let send = ops[s.start]
    let (o, l) = (block.results[0], block.results[1])
    guard let view = AttnBlock(block), let qType = g.types[view.query] else { return nil }
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
    return SplitSender(block: pieces, dones: dones)
  }

  /// What replaces the receiver's recv.start, recv.done and merge: one of
  /// each per piece.
  struct SplitReceiver {
    var starts: [Op] = []
    var dones: [Op] = []
    var merges: [Op] = []
  }

  private static func splitReceiver(_ ops: [Op], _ r: ReceiverSide, _ rows: [(start: Int64, count: Int64)], _ m: Message) -> SplitReceiver? {
    let start = ops[r.start]
    let merge = ops[r.merge]
    guard case .int(let offset)? = merge.attributes["offset"] else { return nil }
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
    return SplitReceiver(starts: starts, dones: dones, merges: merges)
  }

  /// `ops` with the op at each key of `replacements` replaced by its ops.
  private static func replacing(_ ops: [Op], _ replacements: [Int: [Op]]) -> [Op] {
    ops.indices.flatMap { replacements[$0] ?? [ops[$0]] }
  }
}
