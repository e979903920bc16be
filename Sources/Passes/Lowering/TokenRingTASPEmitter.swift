import GraphIR

/// TokenRing over TASP's Hamiltonian rings (`tokenring:tasp`): K and V stay;
/// each rank's queries are cut into a part per ring (`HamiltonianRings`) and
/// part i travels ring i, all rings at once; a holder attends the part to
/// its own K/V and sends the partial (out + lse) straight home to the
/// part's owner, on that ring's partial channel (`@a.out.r<i>`: two rings
/// may hand one holder two parts of one owner in a step).
///
/// Causal attention takes the zigzag layout. Of owner o's part held by h:
/// o < h — only the part's rows in o's back chunk see h's keys (all of
/// them); o > h — the whole part sees h's front chunk only. So once every
/// rank still ahead on its ring is after o, the part travels trimmed to its
/// back rows, and not at all when it has none (`payload`).
///
/// Rank r at step s ≥ 1 holds, on ring i, the part of the rank s hops back
/// on it, and receives its own part i's partial from the rank s hops ahead;
/// a partial is merged at the end of the next step, so waiting for it
/// overlaps that step's compute.
///
/// Invariant: K and V never leave their rank; each query part visits every
/// other rank once, and each partial merges into its owner's rows exactly
/// once by log-sum-exp.
struct TokenRingTASPEmitter {
  var b: PlanBuilder
  let group: RingGroup
  let x: AttentionOperands
  let causal: Bool
  let rings: HamiltonianRings

  init(_ builder: PlanBuilder, group: RingGroup, operands: AttentionOperands, causal: Bool, rings: HamiltonianRings) {
    b = builder
    self.group = group
    x = operands
    self.causal = causal
    self.rings = rings
  }

  private var me: Int { group.index }
  private var parts: Int { rings.rings.count }

  /// Local rows of member j's queries that part i holds.
  private func rows(_ j: Int, part i: Int) -> Range<Int64> { rings.partRows(group.tokens[j].count, part: i) }

  /// What holder h computes for part i of owner o: the part's rows from
  /// `qStart` (relative to the part) for `qRows`, against h's first
  /// `keyRows` keys; nil when the mask hides it all.
  private struct Work {
    var qStart: Int64
    var qRows: Int64
    var qTokens: TokenRanges
    var keyRows: Int64
    var kTokens: TokenRanges
    /// Where the partial merges in the owner's rows.
    var offset: Int64
  }

  /// `payloadStart`: the local row of o's where the part as held begins.
  private func work(owner o: Int, part i: Int, holder h: Int, payloadStart: Int64) -> Work? {
    let r = rows(o, part: i)
    guard !r.isEmpty else { return nil }
    let keys = group.tokens[h]
    if !causal {
      return Work(qStart: 0, qRows: Int64(r.count), qTokens: group.tokens[o].rows(r.lowerBound, Int64(r.count)),
        keyRows: keys.count, kTokens: keys, offset: r.lowerBound)
    }
    if o < h {
      // Only the rows in o's back chunk come after h's keys.
      let first = max(r.lowerBound, Int64(group.front(o).count))
      guard first < r.upperBound else { return nil }
      return Work(qStart: first - payloadStart, qRows: r.upperBound - first,
        qTokens: group.tokens[o].rows(first, r.upperBound - first), keyRows: keys.count, kTokens: keys, offset: first)
    }
    let front = Int64(group.front(h).count)
    return Work(qStart: 0, qRows: Int64(r.count), qTokens: group.tokens[o].rows(r.lowerBound, Int64(r.count)),
      keyRows: front, kTokens: TokenRanges([group.front(h)]), offset: r.lowerBound)
  }

  private func ahead(_ r: Int, ring i: Int, hops: Int) -> Int { rings.previous(r, ring: i, hops: -hops) }

  /// The rows of owner o's part i that travel to, and are held at, step
  /// s ≥ 1: the whole part while some rank it has yet to visit comes
  /// before o, else only its rows in o's back chunk.
  private func payload(owner o: Int, part i: Int, step s: Int) -> Range<Int64> {
    let r = rows(o, part: i)
    guard causal, (s..<group.size).allSatisfy({ ahead(o, ring: i, hops: $0) > o }) else { return r }
    return max(r.lowerBound, min(r.upperBound, Int64(group.front(o).count)))..<r.upperBound
  }

  mutating func emit() -> Lowering {
    let p = group.size
    let own = group.tokens[me]
    // The partials this rank receives: (step, ring, work).
    var incoming: [(step: Int, ring: Int, work: Work)] = []
    for s in 1..<max(p, 1) {
      for i in 0..<parts {
        if let w = work(owner: me, part: i, holder: ahead(me, ring: i, hops: s), payloadStart: payload(owner: me, part: i, step: s).lowerBound) {
          incoming.append((s, i, w))
        }
      }
    }
    let final = (x.out, x.out + ".lse")
    var acc = incoming.isEmpty ? final : (b.n("acc", 0), b.n("lacc", 0))
    if p == 1 || parts == 0 {
      b.block(final, q: x.q, k: x.k, v: x.v, qTokens: own, kTokens: own, step: 0, outType: x.outType)
      return b.lowering
    }
    let qChannel = b.channel(.query)
    let outChannels = (0..<parts).map { b.channel(.partial, part: "r\($0)") }
    // What this rank holds of each ring's part: its name and the owner's local rows; nil when nothing travels.
    var held: [(name: String, rows: Range<Int64>)?] = []
    for i in 0..<parts {
      let r = rows(me, part: i)
      held.append((b.name + ".q.p\(i)", r))
      b.slice(b.name + ".q.p\(i)", x.q, r.lowerBound, Int64(r.count), x.queryType)
    }
    var merged = 0
    var keyFront: (String, String)?
    var sentPartials: [(name: (String, String), to: Int, chan: String, step: Int)] = []
    // Merges this rank's partials of `step`, received during it.
    func mergeIncoming(_ b: inout PlanBuilder, step: Int) {
      for (s, i, w) in incoming where s == step {
        let part = (b.n("in.p\(i)", s), b.n("inl.p\(i)", s))
        b.recvDone([part.0, part.1])
        merged += 1
        let result = merged == incoming.count ? final : (b.n("acc.p\(i)", s), b.n("lacc.p\(i)", s))
        b.merge(result, acc: acc, part: part, offset: w.offset, outType: x.outType)
        acc = result
      }
    }
    for s in 0..<p {
      // Post the receives of this step's partials of our queries.
      for (step, i, w) in incoming where step == s {
        b.recvStart(
          [b.n("in.p\(i)", s), b.n("inl.p\(i)", s)],
          [PlanBuilder.rows(x.outType, w.qRows), PlanBuilder.lse(heads: x.outType.dims[1], rows: w.qRows)], outChannels[i],
          from: group.members[ahead(me, ring: i, hops: s)], step: s)
      }
      var next: [(name: String, rows: Range<Int64>)?] = Array(repeating: nil, count: parts)
      var sent: [String?] = Array(repeating: nil, count: parts)
      if s < p - 1 {
        for i in 0..<parts {
          if let h = held[i] {
            let rows = payload(owner: rings.previous(me, ring: i, hops: s), part: i, step: s + 1)
            if !rows.isEmpty {
              var name = h.name
              if rows != h.rows {
                name = b.n("qt.p\(i)", s)
                b.slice(name, h.name, rows.lowerBound - h.rows.lowerBound, Int64(rows.count), PlanBuilder.rows(x.queryType, Int64(h.rows.count)))
              }
              b.sendStart([name], qChannel, to: group.members[rings.next(me, ring: i)], step: s)
              sent[i] = name
            }
          }
          let origin = rings.previous(me, ring: i, hops: s + 1)
          let rows = payload(owner: origin, part: i, step: s + 1)
          guard !rows.isEmpty else { continue }
          next[i] = (b.n("q.p\(i)", s + 1), rows)
          b.recvStart(
            [next[i]!.name], [PlanBuilder.rows(x.queryType, Int64(rows.count))], qChannel,
            from: group.members[rings.previous(me, ring: i)], step: s)
        }
      }
      if s == 0 {
        b.block(acc, q: x.q, k: x.k, v: x.v, qTokens: own, kTokens: own, step: 0, outType: x.outType)
      } else {
        for i in 0..<parts {
          let owner = rings.previous(me, ring: i, hops: s)
          guard let h = held[i], let w = work(owner: owner, part: i, holder: me, payloadStart: h.rows.lowerBound) else { continue }
          var q = h.name
          if w.qStart > 0 || w.qRows < h.rows.count {
            q = b.n("qb.p\(i)", s)
            b.slice(q, h.name, w.qStart, w.qRows, PlanBuilder.rows(x.queryType, Int64(h.rows.count)))
          }
          var (k, v) = (x.k, x.v)
          if w.keyRows < own.count {
            // The front chunk of our keys, cut once for every later owner.
            if keyFront == nil {
              keyFront = (b.name + ".kf", b.name + ".vf")
              b.slice(keyFront!.0, x.k, 0, w.keyRows, x.keyType)
              b.slice(keyFront!.1, x.v, 0, w.keyRows, x.valueType)
            }
            (k, v) = keyFront!
          }
          let out = (b.n("o.p\(i)", s), b.n("l.p\(i)", s))
          b.block(out, q: q, k: k, v: v, qTokens: w.qTokens, kTokens: w.kTokens, step: s, outType: x.outType)
          b.sendStart([out.0, out.1], outChannels[i], to: group.members[owner], step: s)
          sentPartials.append((out, owner, outChannels[i], s))
        }
      }
      // The previous step's partials have had this step's compute to arrive.
      if s >= 2 { mergeIncoming(&b, step: s - 1) }
      if s < p - 1 {
        for i in 0..<parts {
          if let n = next[i] { b.recvDone([n.name]) }
          if let name = sent[i] { b.sendDone([name], qChannel, to: group.members[rings.next(me, ring: i)], step: s) }
        }
        held = next
      }
    }
    mergeIncoming(&b, step: p - 1)
    for sent in sentPartials { b.sendDone([sent.name.0, sent.name.1], sent.chan, to: group.members[sent.to], step: sent.step) }
    return b.lowering
  }
}
