import GraphIR

/// Pairing: every send has its receive on the peer, with the same channel,
/// step and types; every start its done; collectives agree on their group.
extension PlanVerifier {
  /// Static pairing of sends and receives; true if clean.
  mutating func checkPairing(_ graphs: [Graph]) -> Bool {
    let before = diagnostics.count
    let expected = graphs.reduce(0) { $0 + $1.ops.count } / 2
    var collectives: [CollectiveKey: [(rank: Int, group: [Int64], location: SourceLocation?)]] = [:]
    var sends: [MessageKey: (rank: Int, types: [TensorType], location: SourceLocation?)] = .init(minimumCapacity: expected)
    var recvs: [MessageKey: (rank: Int, types: [TensorType], location: SourceLocation?)] = .init(minimumCapacity: expected)
    for (r, g) in graphs.enumerated() {
      let types = Plan.valueTypes(of: g)
      var openSends: [MessageKey: Op] = [:]
      var openRecvs: [String: Op] = [:]
      for op in g.ops {
        switch op.opcode {
        case .attention:
          error(r, "attention is still collective in a scheduled plan; lower it with a strategy pass", at: op.location)
        case .documents:
          error(r, "documents are an input of the model, folded into its attentions before compiling; a plan holds none", at: op.location)
        case .sendStart, .recvStart:
          let sending = op.opcode == .sendStart
          guard let key = MessageKey(op, rank: r) else { continue }
          if (sending ? key.dst : key.src) >= ranks || (sending ? key.dst : key.src) == r {
            error(r, "\(op.opcode.rawValue) names peer \(sending ? key.dst : key.src), which is not another rank of \(ranks)", at: op.location)
            continue
          }
          let payload = sending ? op.operands.compactMap { operand -> TensorType? in
            if case .value(let v) = operand { return types[v] } else { return nil }
          } : op.resultTypes
          if sending {
            if sends[key] != nil { error(r, "sends twice to rank \(key.dst) on \(key)", at: op.location) }
            sends[key] = (r, payload, op.location)
            openSends[key] = op
          } else {
            if recvs[key] != nil { error(r, "receives twice from rank \(key.src) on \(key)", at: op.location) }
            recvs[key] = (r, payload, op.location)
            for name in op.results { openRecvs[name] = op }
          }
        case .allGather, .allToAll:
          guard case .ints(let group)? = op.attributes["group"], let key = Collective(op)?.key else { continue }
          if !group.contains(Int64(r)) {
            error(r, "\(op.opcode.rawValue) on \(key) has a group \(group) without this rank", at: op.location)
          } else if let bad = group.first(where: { $0 >= Int64(ranks) }) {
            error(r, "\(op.opcode.rawValue) on \(key) names rank \(bad), which is not one of \(ranks)", at: op.location)
          }
          collectives[key, default: []].append((r, group, op.location))
        case .sendDone:
          if let key = MessageKey(op, rank: r), openSends.removeValue(forKey: key) == nil {
            error(r, "send.done to rank \(key.dst) on \(key) has no earlier send.start", at: op.location)
          }
        case .recvDone:
          for case .value(let name) in op.operands where openRecvs.removeValue(forKey: name) == nil {
            error(r, "recv.done %\(name) is not a pending receive buffer", at: op.location)
          }
        default: break
        }
      }
      for (key, op) in openSends.sorted(by: { $0.value.location?.offset ?? 0 < $1.value.location?.offset ?? 0 }) {
        error(r, "send.start to rank \(key.dst) on \(key) has no send.done", at: op.location)
      }
      for (name, op) in openRecvs.sorted(by: { $0.key < $1.key }) {
        error(r, "recv.start of %\(name) has no recv.done", at: op.location)
      }
    }
    for (key, s) in sends.sorted(by: { ($0.key.src, $0.key.step, $0.key.chan) < ($1.key.src, $1.key.step, $1.key.chan) }) {
      guard let r = recvs[key] else {
        error(s.rank, "send.start to rank \(key.dst) (\(key)) has no matching recv.start on rank \(key.dst)", at: s.location)
        continue
      }
      if r.types.map(\.description) != s.types.map(\.description) {
        error(
          key.dst, "recv.start from rank \(key.src) (\(key)) expects \(r.types.map(\.description).joined(separator: ", ")) but rank \(key.src) sends \(s.types.map(\.description).joined(separator: ", "))",
          at: r.location)
      }
    }
    for (key, r) in recvs.sorted(by: { ($0.key.dst, $0.key.step, $0.key.chan) < ($1.key.dst, $1.key.step, $1.key.chan) }) where sends[key] == nil {
      error(r.rank, "recv.start from rank \(key.src) (\(key)) has no matching send.start on rank \(key.src)", at: r.location)
    }
    for (key, calls) in collectives.sorted(by: { $0.key < $1.key }) {
      let group = calls[0].group
      let callers = calls.map(\.rank)
      for c in calls where c.group != group {
        error(c.rank, "collective \(key) has group \(c.group), but rank \(calls[0].rank) uses \(group)", at: c.location)
      }
      for missing in group where !callers.contains(Int(missing)) {
        error(calls[0].rank, "collective \(key) of group \(group) is never reached by rank \(missing)", at: calls[0].location)
      }
      if Set(callers).count != callers.count {
        error(calls[0].rank, "collective \(key) is called twice by one rank", at: calls[0].location)
      }
    }
    return diagnostics.count == before
  }
}
