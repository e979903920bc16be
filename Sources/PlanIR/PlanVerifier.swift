import GraphIR

/// Checks a compiled plan across all its ranks, beyond what the IR verifier
/// checks per graph:
///
/// 1. **Pairing**: every `send.start` has exactly one `recv.start` on its peer
///    with the same channel and step, and the same tensor types (so the same
///    bytes), and vice versa; every start has its done.
/// 2. **Deadlock freedom**: all ranks' programs, executed together with
///    blocking semantics (a `recv.done` waits for the peer's `send.start`, a
///    `send.done` for the peer's `recv.start`), run to the end.
/// 3. **Coverage**: following which global tokens every tensor's rows hold,
///    each rank's attention output merges, exactly once, the partial of every
///    (query, key) block the mask allows, and no block the mask hides
///    entirely is computed.
///
/// Each error names the rank, the op (its line in the plan) and the peer.
/// Graphs of one family (`@layer.r0 … @layer.r{P−1}`) are checked together;
/// families are closed (their messages stay inside one call), so one
/// iteration of a repeated layer stands for all of them.
public struct PlanVerifier {
  let module: Module
  let ranks: Int
  let tokens: [TokenRanges]
  let sequence: Int64
  private(set) var diagnostics: [Diagnostic] = []
  /// Errors reported at most, so a badly broken plan gives a readable list.
  static let errorLimit = 20

  public static func verify(_ module: Module) -> [Diagnostic] {
    do {
      let ranks = try Plan.check(module)
      var v = PlanVerifier(module: module, ranks: ranks, tokens: try Plan.tokens(module), sequence: module.sequenceDim!.value)
      v.run()
      return v.diagnostics
    } catch {
      return error.diagnostics
    }
  }

  private mutating func error(_ rank: Int, _ message: String, at loc: SourceLocation?) {
    if diagnostics.count < Self.errorLimit {
      diagnostics.append(.error("rank \(rank): \(message)", at: loc))
    }
  }

  mutating func run() {
    let families = Plan.families(module)
    for (name, graphs) in families {
      if graphs.count != ranks || graphs.enumerated().contains(where: { Plan.family(of: $0.element.name)?.rank != $0.offset }) {
        diagnostics.append(.error("graph family @\(name) must have one graph per rank, @\(name).r0 … @\(name).r\(ranks - 1)", at: graphs.first?.location))
        continue
      }
      checkCalls(name, graphs)
      if checkPairing(graphs) { simulate(graphs) }
    }
  }

  /// Every rank must call the same families the same number of times.
  private mutating func checkCalls(_ family: String, _ graphs: [Graph]) {
    func calls(_ g: Graph) -> [String] {
      g.ops.compactMap { op in
        guard op.opcode == .repeat, case .symbol(let callee) = op.operands[0] else { return nil }
        return "\(Plan.family(of: callee)?.name ?? callee)×\(op.attributes["count"] ?? .int(0))"
      }
    }
    let reference = calls(graphs[0])
    for (r, g) in graphs.enumerated() where calls(g) != reference {
      error(r, "@\(g.name) calls \(calls(g)), but rank 0 calls \(reference)", at: g.location)
    }
    for (r, g) in graphs.enumerated() {
      for op in g.ops where op.opcode == .repeat {
        if case .symbol(let callee) = op.operands[0], Plan.family(of: callee)?.rank != r {
          error(r, "@\(g.name) calls @\(callee) of another rank", at: op.location)
        }
      }
    }
  }

  // MARK: - Pairing

  /// Static pairing of sends and receives; true if clean.
  private mutating func checkPairing(_ graphs: [Graph]) -> Bool {
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

  // MARK: - Execution with token provenance

  /// A (query tokens, key tokens) block folded into a partial result.
  struct Contribution {
    var q: TokenRanges
    var k: TokenRanges
  }

  /// The blocks folded into a partial result; merging is O(1) (a tree), so
  /// a P-step ring costs O(P) per rank, not O(P²).
  indirect enum Blocks {
    case block(Contribution)
    case merged(Blocks, Blocks)

    var all: [Contribution] {
      var out: [Contribution] = []
      var stack = [self]
      while let b = stack.popLast() {
        switch b {
        case .block(let c): out.append(c)
        case .merged(let l, let r): stack += [r, l]
        }
      }
      return out
    }
  }

  /// What the verifier knows about a value.
  struct Fact {
    /// Global tokens of the rows (axis 0), if the value is per-token.
    var rows: TokenRanges?
    /// For attention partials: the blocks merged into it, and the mask.
    var partial: Blocks?
    /// For score blocks: the global tokens of the columns (the keys).
    var columns: TokenRanges?
    var mask = Mask(causal: false, window: nil)
    /// False for a receive buffer before its recv.done.
    var ready = true
  }

  struct RankState {
    var pc = 0
    var facts: [String: Fact] = [:]
    var finished = false
  }

  private mutating func simulate(_ graphs: [Graph]) {
    var states = graphs.indices.map { r in
      var s = RankState()
      for a in graphs[r].arguments { s.facts[a.name] = Fact(rows: tokens[r]) }
      return s
    }
    var posted: Set<MessageKey> = []  // send.start executed
    var receiving: Set<MessageKey> = []  // recv.start executed
    var payloads: [MessageKey: [Fact]] = [:]
    /// Receive buffer → (its message, its index among the message's tensors).
    var recvKeys: [[String: (key: MessageKey, index: Int)]] = Array(repeating: [:], count: ranks)
    var checked: [Set<String>] = Array(repeating: [], count: ranks)
    /// Collective → the facts of the operands of the ranks that reached it.
    var arrivals: [CollectiveKey: [Int: Fact]] = [:]
    var progress = true
    while progress {
      progress = false
      for r in graphs.indices where !states[r].finished {
        let g = graphs[r]
        while states[r].pc < g.ops.count {
          let op = g.ops[states[r].pc]
          // Blocking points.
          if op.opcode == .recvDone {
            let buffers = op.operands.compactMap { o -> (key: MessageKey, index: Int)? in
              if case .value(let v) = o { return recvKeys[r][v] } else { return nil }
            }
            if buffers.contains(where: { !posted.contains($0.key) }) { break }
            for case .value(let v) in op.operands {
              guard let (key, index) = recvKeys[r][v], let facts = payloads[key], index < facts.count else { continue }
              states[r].facts[v] = facts[index]
            }
          } else if op.opcode == .sendDone, let key = MessageKey(op, rank: r), !receiving.contains(key) {
            break
          } else if op.opcode.isCollective, let key = Collective(op)?.key, case .ints(let group)? = op.attributes["group"] {
            if case .value(let v) = op.operands[0] { arrivals[key, default: [:]][r] = states[r].facts[v] ?? Fact() }
            if arrivals[key]!.count < group.count { break }
            collective(op, rank: r, group: group.map(Int.init), facts: arrivals[key]!, state: &states[r])
            states[r].pc += 1
            progress = true
            continue
          }
          execute(op, rank: r, state: &states[r], checked: &checked[r])
          switch op.opcode {
          case .sendStart:
            if let key = MessageKey(op, rank: r) {
              posted.insert(key)
              payloads[key] = op.operands.map { o in
                if case .value(let v) = o { return states[r].facts[v] ?? Fact() } else { return Fact() }
              }
            }
          case .recvStart:
            if let key = MessageKey(op, rank: r) {
              receiving.insert(key)
              for (index, name) in op.results.enumerated() {
                recvKeys[r][name] = (key, index)
                states[r].facts[name] = Fact(ready: false)
              }
            }
          default: break
          }
          states[r].pc += 1
          progress = true
        }
        if states[r].pc == g.ops.count { states[r].finished = true }
      }
    }
    let blocked = graphs.indices.filter { !states[$0].finished }
    if !blocked.isEmpty {
      var parts: [String] = []
      for r in blocked {
        let op = graphs[r].ops[states[r].pc]
        let peer = op.attributes["peer"].map { "\($0)" }
          ?? op.operands.compactMap { o -> String? in
            if case .value(let v) = o, let k = recvKeys[r][v] { return "\(k.key.src)" } else { return nil }
          }.first ?? "?"
        if op.opcode.isCollective, case .ints(let group)? = op.attributes["group"], let key = Collective(op)?.key {
          let absent = group.filter { arrivals[key]?[Int($0)] == nil }.map(String.init).joined(separator: ", ")
          parts.append("rank \(r) waits in \(op.opcode.rawValue) for rank \(absent)")
          continue
        }
        parts.append("rank \(r) waits in \(op.opcode.rawValue) for rank \(peer)")
      }
      let first = blocked[0]
      diagnostics.append(
        .error(
          "deadlock: \(parts.prefix(8).joined(separator: "; "))\(parts.count > 8 ? "; …" : "")",
          at: graphs[first].ops[states[first].pc].location))
    }
  }

  /// Executes one op abstractly: propagates token facts and checks them.
  private mutating func execute(_ op: Op, rank r: Int, state: inout RankState, checked: inout Set<String>) {
    func fact(_ i: Int) -> Fact? {
      guard i < op.operands.count, case .value(let v) = op.operands[i] else { return nil }
      return state.facts[v]
    }
    for (i, operand) in op.operands.enumerated() where op.opcode != .recvDone {
      guard case .value(let v) = operand, let f = state.facts[v] else { continue }
      if !f.ready {
        error(r, "'\(op.opcode.rawValue)' reads %\(v) before its recv.done", at: op.location(ofOperand: i))
      }
      // A finished attention output (or a whole score row) flowing into
      // ordinary ops: check its coverage once.
      let summing = op.opcode == .add && op.operands.allSatisfy { o in
        if case .value(let n) = o { state.facts[n]?.partial != nil } else { false }
      }
      if f.partial != nil, !Self.attentionOps.contains(op.opcode), !summing, checked.insert(v).inserted {
        checkCoverage(v, f, rank: r, at: op.location(ofOperand: i))
      }
    }
    switch op.opcode {
    case .positions:
      let rows = TokenRanges(attribute: op.attributes["ranges"]) ?? TokenRanges([0..<sequence])
      state.facts[op.results[0]] = Fact(rows: rows)
    case .slice:
      if case .int(let start)? = op.attributes["start"], case .int(let len)? = op.attributes["len"],
        let rows = fact(0)?.rows
      {
        state.facts[op.results[0]] = Fact(rows: rows.rows(start, len))
      }
    case .attnBlock:
      let q = TokenRanges(attribute: op.attributes["q_tokens"])
      let k = TokenRanges(attribute: op.attributes["k_tokens"])
      let mask = Mask(op.attributes)
      for (i, claimed, label) in [(0, q, "query"), (1, k, "key"), (2, k, "value")] {
        if let actual = fact(i)?.rows, actual != claimed {
          error(r, "attn.block claims \(label) tokens \(claimed.map(\.description) ?? "?") but its \(label) rows hold \(actual)", at: op.location(ofOperand: i))
        }
      }
      guard let q, let k else { return }
      if !mask.anyVisible(q, k) {
        error(r, "attn.block computes queries \(q) against keys \(k), a block the mask hides entirely", at: op.location)
      }
      let partial = Fact(rows: q, partial: .block(Contribution(q: q, k: k)), mask: mask)
      for name in op.results { state.facts[name] = partial }
    case .attnScores:
      let q = TokenRanges(attribute: op.attributes["q_tokens"])
      let k = TokenRanges(attribute: op.attributes["k_tokens"])
      for (i, claimed, label) in [(0, q, "query"), (1, k, "key")] {
        if let actual = fact(i)?.rows, actual != claimed {
          error(r, "attn.scores claims \(label) tokens \(claimed.map(\.description) ?? "?") but its \(label) rows hold \(actual)", at: op.location(ofOperand: i))
        }
      }
      guard let q, let k else { return }
      let mask = Mask(op.attributes)
      if !mask.anyVisible(q, k) {
        error(r, "attn.scores computes queries \(q) against keys \(k), a block the mask hides entirely", at: op.location)
      }
      state.facts[op.results[0]] = Fact(rows: q, partial: .block(Contribution(q: q, k: k)), columns: k, mask: mask)
    case .concat:
      let facts = op.operands.indices.compactMap(fact)
      guard facts.count == op.operands.count, let first = facts.first else { return }
      if facts.contains(where: { $0.rows != first.rows }) {
        error(r, "concat joins blocks of different query tokens", at: op.location)
      }
      let blocks = facts.compactMap(\.partial)
      let merged = blocks.dropFirst().reduce(blocks.first) { acc, b in acc.map { .merged($0, b) } }
      let columns = facts.allSatisfy({ $0.columns != nil })
        ? TokenRanges(facts.flatMap { $0.columns!.ranges }) : nil
      state.facts[op.results[0]] = Fact(rows: first.rows, partial: merged, columns: columns, mask: first.mask)
    case .attnApply:
      guard let p = fact(0), let columns = p.columns, case .int(let start)? = op.attributes["col_start"],
        let k = TokenRanges(attribute: op.attributes["k_tokens"]), let q = TokenRanges(attribute: op.attributes["q_tokens"])
      else { return }
      let used = columns.rows(start, k.count)
      if used != k {
        error(r, "attn.apply claims keys \(k) but columns \(start) ..< \(start + k.count) hold keys \(used)", at: op.location)
      }
      if let rows = fact(1)?.rows, rows != k {
        error(r, "attn.apply claims keys \(k) but its value rows hold \(rows)", at: op.location(ofOperand: 1))
      }
      if let rows = p.rows, rows != q {
        error(r, "attn.apply claims query tokens \(q) but the probabilities' rows hold \(rows)", at: op.location(ofOperand: 0))
      }
      state.facts[op.results[0]] = Fact(rows: q, partial: .block(Contribution(q: q, k: k)), mask: p.mask)
    case .softmax where fact(0)?.columns != nil:
      // Probabilities keep the score blocks' columns for attn.apply; the
      // coverage of the denominator was checked as the scores flowed in.
      var f = fact(0)!
      f.partial = nil
      state.facts[op.results[0]] = f
    case .add where fact(0)?.partial != nil && fact(1)?.partial != nil:
      // RSA: applied blocks, already normalised, sum to the output.
      let (a, b) = (fact(0)!, fact(1)!)
      if a.rows != b.rows { error(r, "add sums partials of different query tokens", at: op.location) }
      state.facts[op.results[0]] = Fact(rows: a.rows, partial: .merged(a.partial!, b.partial!), mask: a.mask)
    case .repeatKV:
      state.facts[op.results[0]] = Fact(rows: fact(0)?.rows)
    case .allGather, .allToAll:
      break
    case .attnMerge:
      guard let acc = fact(0), let part = fact(2), let accRows = acc.rows, let partRows = part.rows,
        case .int(let offset)? = op.attributes["offset"]
      else { return }
      let target = accRows.rows(offset, partRows.count)
      if target != partRows {
        error(r, "attn.merge folds the partial of tokens \(partRows) into rows holding tokens \(target)", at: op.location)
      }
      if acc.mask != part.mask {
        error(r, "attn.merge mixes partials with different masks", at: op.location)
      }
      guard let a = acc.partial, let b = part.partial else {
        error(r, "attn.merge folds values that are not attention partials", at: op.location)
        return
      }
      let merged = Fact(rows: accRows, partial: .merged(a, b), mask: acc.mask)
      for name in op.results { state.facts[name] = merged }
    case .return:
      for i in op.operands.indices {
        if let rows = fact(i)?.rows, rows != tokens[r] {
          error(r, "returns rows of tokens \(rows), but the rank holds \(tokens[r])", at: op.location(ofOperand: i))
        }
      }
    case .sendStart, .sendDone, .recvStart, .recvDone, .attention:
      break
    case .add, .mul, .swiglu, .rope:
      if let a = fact(0)?.rows, let b = fact(1)?.rows, a != b, op.opcode != .rope || b.count == a.count {
        error(r, "'\(op.opcode.rawValue)' combines rows of tokens \(a) with rows of tokens \(b)", at: op.location(ofOperand: 1))
      }
      state.facts[op.results[0]] = Fact(rows: fact(0)?.rows)
    case .matmul, .rmsnorm, .layernorm, .silu, .gelu, .softmax, .reshape, .repeat, .linearAttention:
      let source = op.opcode == .repeat ? fact(1) : fact(0)
      for name in op.results { state.facts[name] = Fact(rows: source?.rows) }
    }
  }

  static let attentionOps: Set<Opcode> = [.attnMerge, .sendStart, .sendDone, .recvDone, .attnBlock, .allToAll, .concat, .attnApply]

  /// A collective every member reached: its result's token facts.
  private mutating func collective(_ op: Op, rank r: Int, group: [Int], facts: [Int: Fact], state: inout RankState) {
    guard let result = op.results.first else { return }
    let members = group.map { facts[$0] ?? Fact() }
    let me = group.firstIndex(of: r) ?? 0
    let concatenated = members.allSatisfy({ $0.rows != nil }) ? TokenRanges(members.flatMap { $0.rows!.ranges }) : nil
    switch op.opcode {
    case .allGather:
      state.facts[result] = Fact(rows: concatenated)
    case .allToAll:
      guard case .int(let split)? = op.attributes["split_axis"], case .int(let cat)? = op.attributes["concat_axis"] else { return }
      if split != 0 && cat == 0 {
        // Heads scattered, tokens gathered.
        state.facts[result] = Fact(rows: concatenated)
      } else if split == 0 && cat != 0, case .ints(let sizes)? = op.attributes["split_sizes"] {
        // Tokens scattered back, heads gathered: this rank's slice of everyone's rows.
        let start = sizes.prefix(me).reduce(0, +)
        let mine = members[me].rows?.rows(start, sizes[me])
        for (i, m) in members.enumerated() where m.rows?.rows(start, sizes[me]) != mine {
          error(r, "all_to_all gathers heads of rank \(group[i]) for other tokens than its own", at: op.location)
        }
        state.facts[result] = Fact(rows: mine, partial: members[me].partial, mask: members[me].mask)
      } else {
        state.facts[result] = Fact(rows: members[me].rows)
      }
    default: break
    }
  }

  /// The partial `f` is a finished attention output: its blocks must cover
  /// every visible (query, key) pair of its rows exactly once.
  private mutating func checkCoverage(_ value: String, _ f: Fact, rank r: Int, at loc: SourceLocation?) {
    guard let rows = f.rows, let parts = f.partial?.all else { return }
    // Elementary segments: every range boundary of the rows and blocks.
    var cuts: Set<Int64> = [0, sequence]
    for range in rows.ranges { cuts.insert(range.lowerBound); cuts.insert(range.upperBound) }
    for c in parts {
      for range in c.q.ranges + c.k.ranges { cuts.insert(range.lowerBound); cuts.insert(range.upperBound) }
    }
    let sorted = cuts.sorted()
    let segments = zip(sorted, sorted.dropFirst()).map { $0..<$1 }
    func segmentIndices(_ t: TokenRanges) -> [Int] {
      t.ranges.flatMap { range -> [Int] in
        // Binary search for the first segment starting at the range's start.
        var lo = 0
        var hi = segments.count
        while lo < hi {
          let mid = (lo + hi) / 2
          if segments[mid].lowerBound < range.lowerBound { lo = mid + 1 } else { hi = mid }
        }
        var out: [Int] = []
        while lo < segments.count, segments[lo].upperBound <= range.upperBound {
          out.append(lo)
          lo += 1
        }
        return out
      }
    }
    var count: [Int: Int] = [:]
    let n = segments.count
    for c in parts {
      for qi in segmentIndices(c.q) {
        for ki in segmentIndices(c.k) where f.mask.anyVisible(segments[qi], segments[ki]) {
          count[qi * n + ki, default: 0] += 1
        }
      }
    }
    var problems: [String] = []
    for qi in segmentIndices(rows) {
      for ki in segments.indices {
        let expected = f.mask.anyVisible(segments[qi], segments[ki]) ? 1 : 0
        let got = count[qi * n + ki] ?? 0
        if got != expected {
          let what = got == 0 ? "are never attended" : expected == 0 ? "are attended though masked" : "are attended \(got) times"
          problems.append("keys \(TokenRanges([segments[ki]])) \(what) by queries \(TokenRanges([segments[qi]]))")
        }
      }
    }
    if !problems.isEmpty {
      error(r, "attention output %\(value) is wrong: \(problems.prefix(3).joined(separator: "; "))\(problems.count > 3 ? "; and \(problems.count - 3) more" : "")", at: loc)
    }
  }
}
