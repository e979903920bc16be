import GraphIR

/// Where the ranks of one graph family meet: which sends and receives have
/// been posted and which members have reached each collective. Blocking
/// semantics, shared by the plan verifier's lockstep execution and the
/// simulator: a `recv.done` waits for its senders' `send.start`, a
/// `send.done` for the receiver's `recv.start`, a collective for every
/// member. A run that ends with ranks still waiting is reported by
/// `deadlock`, the one deadlock report of both.
public struct Rendezvous: Sendable {
  /// Messages whose `send.start` ran.
  public private(set) var posted: Set<MessageKey> = []
  /// Messages whose `recv.start` ran.
  public private(set) var receiving: Set<MessageKey> = []
  /// Per rank: receive buffer → its message and its index among the message's tensors.
  public private(set) var buffers: [[String: (key: MessageKey, index: Int)]]
  /// Members that reached each collective.
  public private(set) var arrived: [CollectiveKey: Set<Int>] = [:]

  public init(ranks: Int) { buffers = Array(repeating: [:], count: ranks) }

  /// Rank `rank` ran `op`: a start posts its message, a collective records
  /// the arrival.
  public mutating func record(_ op: Op, rank: Int) {
    if let t = Transfer(op, rank: rank) {
      switch t.kind {
      case .sendStart: posted.insert(t.key)
      case .recvStart:
        receiving.insert(t.key)
        for (index, name) in op.results.enumerated() { buffers[rank][name] = (t.key, index) }
      case .sendDone: break
      }
    } else if let c = Collective(op) {
      arrived[c.key, default: []].insert(rank)
    }
  }

  /// The messages a `recv.done` of rank `rank` waits for.
  public func messages(awaitedBy op: Op, rank: Int) -> [MessageKey] {
    var keys: [MessageKey] = []
    for case .value(let v) in op.operands {
      if let key = buffers[rank][v]?.key, !keys.contains(key) { keys.append(key) }
    }
    return keys
  }

  /// Whether `op` of rank `rank` can complete now (a collective: once it is
  /// recorded for every member).
  public func canComplete(_ op: Op, rank: Int) -> Bool {
    switch op.opcode {
    case .recvDone: return messages(awaitedBy: op, rank: rank).allSatisfy { posted.contains($0) }
    case .sendDone: return MessageKey(op, rank: rank).map { receiving.contains($0) } ?? true
    case .allGather, .allToAll:
      guard let c = Collective(op) else { return true }
      return (arrived[c.key]?.count ?? 0) >= c.group.count
    default: return true
    }
  }

  /// The deadlock report: each waiting rank, the op it waits in and the
  /// ranks it waits for, located at the first waiting rank's op. `pcs[r]` is
  /// the op rank r waits in, or past the end of its program if it finished.
  public func deadlock(_ graphs: [Graph], pcs: [Int]) -> Diagnostic? {
    let blocked = graphs.indices.filter { pcs[$0] < graphs[$0].ops.count }
    guard let first = blocked.first else { return nil }
    let parts = blocked.map { r -> String in
      let op = graphs[r].ops[pcs[r]]
      return "rank \(r) waits in \(op.opcode.rawValue) for rank \(awaited(op, rank: r))"
    }
    return .error(
      "deadlock: \(parts.prefix(8).joined(separator: "; "))\(parts.count > 8 ? "; …" : "")",
      at: graphs[first].ops[pcs[first]].location)
  }

  private func awaited(_ op: Op, rank: Int) -> String {
    if let c = Collective(op) {
      return c.group.filter { !(arrived[c.key]?.contains($0) ?? false) }.map(String.init).joined(separator: ", ")
    }
    if let t = Transfer(op, rank: rank) { return "\(t.peer)" }
    let sources = messages(awaitedBy: op, rank: rank).map { String($0.src) }
    return sources.isEmpty ? "?" : sources.joined(separator: ", ")
  }
}
