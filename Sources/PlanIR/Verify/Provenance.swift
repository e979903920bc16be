import GraphIR

/// Lockstep execution with token provenance: which global tokens every
/// value's rows hold, which (query, key) blocks every partial merges; a
/// finished attention output must cover each visible pair exactly once.
extension PlanVerifier {
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

  /// Runs every rank's program together, as far as each can go, carrying
  /// token facts through messages and collectives (blocking semantics of
  /// `Rendezvous`); ranks left waiting are a deadlock.
  mutating func simulate(_ graphs: [Graph]) {
    var states = graphs.indices.map { r in
      var s = RankState()
      for a in graphs[r].arguments { s.facts[a.name] = Fact(rows: tokens[r]) }
      return s
    }
    var rendezvous = Rendezvous(ranks: graphs.count)
    var payloads: [MessageKey: [Fact]] = [:]
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
          if let c = Collective(op) {
            if arrivals[c.key]?[r] == nil {
              if case .value(let v) = op.operands[0] { arrivals[c.key, default: [:]][r] = states[r].facts[v] ?? Fact() }
              rendezvous.record(op, rank: r)
            }
            guard rendezvous.canComplete(op, rank: r) else { break }
            collective(op, rank: r, group: c.group, facts: arrivals[c.key]!, state: &states[r])
            states[r].pc += 1
            progress = true
            continue
          }
          guard rendezvous.canComplete(op, rank: r) else { break }
          if op.opcode == .recvDone {
            for case .value(let v) in op.operands {
              guard let (key, index) = rendezvous.buffers[r][v], let facts = payloads[key], index < facts.count else { continue }
              states[r].facts[v] = facts[index]
            }
          }
          execute(op, rank: r, state: &states[r], checked: &checked[r])
          rendezvous.record(op, rank: r)
          if let t = Transfer(op, rank: r) {
            if t.kind == .sendStart {
              payloads[t.key] = op.operands.map { o in
                if case .value(let v) = o { return states[r].facts[v] ?? Fact() } else { return Fact() }
              }
            } else if t.kind == .recvStart {
              for name in op.results { states[r].facts[name] = Fact(ready: false) }
            }
          }
          states[r].pc += 1
          progress = true
        }
        if states[r].pc == g.ops.count { states[r].finished = true }
      }
    }
    if let report = rendezvous.deadlock(graphs, pcs: states.map(\.pc)) { diagnostics.append(report) }
  }

  /// Executes one op abstractly: propagates token facts and checks them.
  mutating func execute(_ op: Op, rank r: Int, state: inout RankState, checked: inout Set<String>) {
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
    case .attnBlock, .attnScores:
      // One view of both: attn.scores reads no values.
      guard let block = AttnBlock(op) else {
        error(r, "'\(op.opcode.rawValue)' has token ranges or a scale that cannot be read", at: op.location)
        return
      }
      let (q, k, mask) = (block.queryTokens, block.keyTokens, block.mask)
      let operands = op.opcode == .attnBlock ? [(0, q, "query"), (1, k, "key"), (2, k, "value")] : [(0, q, "query"), (1, k, "key")]
      for (i, claimed, label) in operands {
        if let actual = fact(i)?.rows, actual != claimed {
          error(r, "\(op.opcode.rawValue) claims \(label) tokens \(claimed) but its \(label) rows hold \(actual)", at: op.location(ofOperand: i))
        }
      }
      if !mask.anyVisible(q, k) {
        error(r, "\(op.opcode.rawValue) computes queries \(q) against keys \(k), a block the mask hides entirely", at: op.location)
      }
      let partial = Fact(rows: q, partial: .block(Contribution(q: q, k: k)), columns: op.opcode == .attnScores ? k : nil, mask: mask)
      for name in op.results { state.facts[name] = partial }
    case .concat where op.attributes["axis"] == .int(0):
      // Rows joined: a rank's runs of finished outputs (LASP-2 over several runs).
      let facts = op.operands.indices.compactMap(fact)
      guard facts.count == op.operands.count, facts.allSatisfy({ $0.rows != nil }), let first = facts.first else { return }
      let blocks = facts.compactMap(\.partial)
      let merged = blocks.count == facts.count ? blocks.dropFirst().reduce(blocks.first) { acc, b in acc.map { .merged($0, b) } } : nil
      state.facts[op.results[0]] = Fact(rows: TokenRanges(facts.flatMap { $0.rows!.ranges }), partial: merged, mask: first.mask)
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
    case .sendStart, .sendDone, .recvStart, .recvDone, .attention, .documents:
      break
    case .add, .mul, .swiglu, .rope:
      if let a = fact(0)?.rows, let b = fact(1)?.rows, a != b, op.opcode != .rope || b.count == a.count {
        error(r, "'\(op.opcode.rawValue)' combines rows of tokens \(a) with rows of tokens \(b)", at: op.location(ofOperand: 1))
      }
      state.facts[op.results[0]] = Fact(rows: fact(0)?.rows)
    case .linattnState:
      // A state carries the keys it sums as its columns.
      if let rows = fact(0)?.rows, let span = TokenRanges(attribute: op.attributes["tokens"]), rows != span {
        error(r, "linattn.state sums keys \(rows) but says tokens \(span)", at: op.location)
      }
      state.facts[op.results[0]] = Fact(columns: fact(0)?.rows)
    case .linattnPrefix:
      guard case .ints(let spans)? = op.attributes["spans"], case .int(let at)? = op.attributes["at"] else { return }
      let causal = op.attributes["causal"] == .bool(true)
      var keys: [Range<Int64>] = []
      for i in op.operands.indices where 2 * i + 1 < spans.count {
        let span = spans[2 * i]..<(spans[2 * i] + spans[2 * i + 1])
        if let columns = fact(i)?.columns, columns != TokenRanges([span]) {
          error(r, "linattn.prefix takes operand \(i) as the state of tokens \(TokenRanges([span])), but it sums keys \(columns)", at: op.location(ofOperand: i))
        }
        if !causal || span.upperBound <= at, !span.isEmpty { keys.append(span) }
      }
      // A sum of states is a set of keys: kept in position order so a chain
      // that adds later keys first still equals one span.
      state.facts[op.results[0]] = Fact(columns: TokenRanges(keys.sorted { $0.lowerBound < $1.lowerBound }))
    case .linattnIntra:
      guard let q = fact(0)?.rows, let k = fact(1)?.rows else { return }
      state.facts[op.results[0]] = Fact(
        rows: q, partial: .block(Contribution(q: q, k: k)), mask: Mask(causal: op.attributes["causal"] == .bool(true), window: nil))
    case .linattnFinish:
      guard let intra = fact(1), let q = intra.rows, var blocks = intra.partial else { return }
      if let keys = fact(2)?.columns { blocks = .merged(blocks, .block(Contribution(q: q, k: keys))) }
      state.facts[op.results[0]] = Fact(rows: q, partial: blocks, mask: intra.mask)
    case .matmul, .rmsnorm, .layernorm, .silu, .gelu, .softmax, .reshape, .repeat, .linearAttention, .embed:
      let source = op.opcode == .repeat ? fact(1) : fact(0)
      for name in op.results { state.facts[name] = Fact(rows: source?.rows) }
    }
  }

  static let attentionOps: Set<Opcode> = [
    .attnMerge, .sendStart, .sendDone, .recvDone, .attnBlock, .allToAll, .concat, .attnApply, .linattnFinish,
  ]

  /// A collective every member reached: its result's token facts.
  mutating func collective(_ op: Op, rank r: Int, group: [Int], facts: [Int: Fact], state: inout RankState) {
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
  mutating func checkCoverage(_ value: String, _ f: Fact, rank r: Int, at loc: SourceLocation?) {
    guard let rows = f.rows, let parts = f.partial?.all else { return }
    // Elementary segments: every range boundary of the rows and blocks.
    var cuts: [Int64] = [0, sequence]
    for t in [rows] + parts.flatMap({ [$0.q, $0.k] }) {
      for range in t.ranges { cuts += [range.lowerBound, range.upperBound] }
    }
    cuts.sort()
    var sorted: [Int64] = []
    for c in cuts where sorted.last != c { sorted.append(c) }
    let segments = zip(sorted, sorted.dropFirst()).map { $0..<$1 }
    func segmentIndices(_ t: TokenRanges) -> [Int] {
      var out: [Int] = []
      for range in t.ranges {
        var lo = segments.partitionIndex { $0.lowerBound >= range.lowerBound }
        while lo < segments.count, segments[lo].upperBound <= range.upperBound {
          out.append(lo)
          lo += 1
        }
      }
      return out
    }
    if Self.coversOnce(rows: segmentIndices(rows), blocks: parts.map { (segmentIndices($0.q), segmentIndices($0.k)) },
      segments: segments, mask: f.mask)
    {
      return
    }
    // Something is wrong: count every pair of segments to say what.
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

  /// Whether every query segment of `rows` attends each key segment it can
  /// see exactly once, without a count per pair of segments: query segments
  /// covered by the same blocks share one count of their keys, and the keys
  /// a segment can see are one run of segments (a causal mask and a window
  /// each cut off one end), so it needs as many segments counted once in
  /// that run as the run is long. False (the caller then counts every pair)
  /// when that does not hold or the run cannot be found.
  static func coversOnce(rows: [Int], blocks: [(q: [Int], k: [Int])], segments: [Range<Int64>], mask: Mask) -> Bool {
    var blocksOf = [[Int]](repeating: [], count: segments.count)
    for (b, block) in blocks.enumerated() { for qi in block.q { blocksOf[qi].append(b) } }
    var groups: [[Int]: [Int]] = [:]
    for qi in rows { groups[blocksOf[qi], default: []].append(qi) }
    for (members, queries) in groups {
      var count: [Int: Int] = [:]
      for b in members { for ki in blocks[b].k { count[ki, default: 0] += 1 } }
      let once = count.compactMap { $0.value == 1 ? $0.key : nil }.sorted()
      /// Segments counted once below index `i`.
      func onceBelow(_ i: Int) -> Int { once.partitionIndex { $0 >= i } }
      for qi in queries {
        guard let (lo, hi) = visibleRun(segments[qi], segments, mask) else { return false }
        if onceBelow(hi) - onceBelow(lo) != hi - lo { return false }
      }
    }
    return true
  }

  /// The key segments `q` can see, as the index range [lo, hi) of the
  /// sorted `segments` that meet the mask's key span of `q`; nil if the
  /// visible keys are not one run there (the ends are checked against
  /// `anyVisible`).
  static func visibleRun(_ q: Range<Int64>, _ segments: [Range<Int64>], _ mask: Mask) -> (Int, Int)? {
    if let w = mask.window, w <= 0 { return (0, 0) }
    let run = mask.keyIndices(of: q, in: segments)
    let (lo, hi) = (run.lowerBound, run.upperBound)
    let inside = lo == hi || (mask.anyVisible(q, segments[lo]) && mask.anyVisible(q, segments[hi - 1]))
    let outside = (lo == 0 || !mask.anyVisible(q, segments[lo - 1])) && (hi == segments.count || !mask.anyVisible(q, segments[hi]))
    return inside && outside ? (lo, hi) : nil
  }
}
