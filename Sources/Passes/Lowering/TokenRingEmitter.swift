import GraphIR

/// TokenRing on one ring group (every rank for plain TokenRing, the ring
/// part of USP): K and V stay; queries travel one hop per step; partials go
/// straight home.
///
/// Before, rank 0 of 2 of `models/tiny.ir` (zigzag: tokens 0..<8 and 24..<32):
///
///     %a = attention %qr, %kr, %vh {causal = true} : f32[16,4,16]
///
/// After `token-ring`: rank 0 sends only its back chunk of queries (the
/// front one sees none of rank 1's keys), attends rank 1's queries to its
/// front chunk of keys, sends that partial home and merges the one that
/// comes back into its back rows (`offset = 8`):
///
///     %a.qb.s0 = slice %qr {len = 8, start = 8} : f32[8,4,16]
///     send.start %a.qb.s0 {chan = @a.q, peer = 1, step = 0}
///     %a.q.s1 = recv.start {chan = @a.q, peer = 1, step = 0} : f32[16,4,16]
///     %a.acc.s0, %a.lacc.s0 = attn.block %qr, %kr, %vh {causal = true,
///       k_tokens = [0, 8, 24, 8], q_tokens = [0, 8, 24, 8], scale = 0.25, step = 0} : f32[16,4,16], f32[4,16]
///     recv.done %a.q.s1
///     send.done %a.qb.s0 {chan = @a.q, peer = 1, step = 0}
///     %a.kf = slice %kr {len = 8, start = 0} : f32[8,2,16]
///     %a.vf = slice %vh {len = 8, start = 0} : f32[8,2,16]
///     %a.o.s1, %a.l.s1 = attn.block %a.q.s1, %a.kf, %a.vf {…, k_tokens = [0, 8], q_tokens = [8, 16], …, step = 1} : …
///     send.start %a.o.s1, %a.l.s1 {chan = @a.out, peer = 1, step = 2}
///     %a.in.s2, %a.inl.s2 = recv.start {chan = @a.out, peer = 1, step = 2} : f32[8,4,16], f32[4,8]
///     recv.done %a.in.s2, %a.inl.s2
///     %a, %a.lse = attn.merge %a.acc.s0, %a.lacc.s0, %a.in.s2, %a.inl.s2 {offset = 8} : f32[16,4,16], f32[4,16]
///     send.done %a.o.s1, %a.l.s1 {chan = @a.out, peer = 1, step = 2}
///
/// Pass-Q (`partials: .atTheEnd`) moves the queries the same way but keeps
/// every partial it computes until the last query step, then returns them
/// all at once (one all-to-all, written as a message to each owner at step
/// P) and each rank merges the P − 1 partials of its queries:
///
///     %a.o.s1, %a.l.s1 = attn.block %a.q.s1, %a.kf, %a.vf {…, step = 1} : …
///     send.start %a.o.s1, %a.l.s1 {chan = @a.out, peer = 1, step = 2}
///     %a.in.s1, %a.inl.s1 = recv.start {chan = @a.out, peer = 1, step = 2} : f32[8,4,16], f32[4,8]
///     recv.done %a.in.s1, %a.inl.s1
///     %a, %a.lse = attn.merge %a.acc.s0, %a.lacc.s0, %a.in.s1, %a.inl.s1 {offset = 8} : …
///
/// With a sliding window (`windowed()`) the same rings run, but each rank's
/// queries are cut into its token ranges (its zigzag chunks): a hop carries
/// only the chunks some later holder can use, a holder computes only the
/// chunks that see its keys (against only the key chunks they see), a
/// partial goes home only where one was computed, and a hop no later holder
/// needs is not taken at all.
///
/// Invariant: K and V never leave their rank; each query block visits every
/// rank whose keys it can see, and each partial merges into its owner's
/// output by log-sum-exp.
struct TokenRingEmitter {
  /// Where a partial goes once computed: home at once (TokenRing) or with
  /// all the others after the last step (pass-Q).
  enum Partials { case home, atTheEnd }

  var b: PlanBuilder
  let group: RingGroup
  let x: AttentionOperands
  let qChannel: String
  let outChannel: String
  let partials: Partials

  /// The attention's mask (causal, and a window if any).
  let mask: Mask

  init(_ builder: PlanBuilder, group: RingGroup, operands: AttentionOperands, partials: Partials = .home) {
    mask = Mask(builder.mask)
    b = builder
    qChannel = b.channel(.query)
    outChannel = b.channel(.partial)
    self.group = group
    x = operands
    self.partials = partials
  }

  /// What pass-Q returns for step t = 1…P−1: the partial computed then goes
  /// to `owner`; ours comes from `holder` (who held our queries then),
  /// `rows` of them, merged at `offset`.
  private struct Return {
    var owner: Int
    var holder: Int
    var rows: Int64
    var offset: Int64
  }

  /// Pass-Q's end: every partial to its owner at step P, then ours merged.
  private mutating func returnAllPartials(acc: (String, String), _ returns: [Return]) -> Lowering {
    let s = group.size
    for (t, r) in zip(1..., returns) { b.sendStart([n("o", t), n("l", t)], outChannel, to: group.members[r.owner], step: s) }
    for (t, r) in zip(1..., returns) {
      b.recvStart([n("in", t), n("inl", t)], [oType(r.rows), lseType(r.rows)], outChannel, from: group.members[r.holder], step: s)
    }
    var acc = acc
    for (t, r) in zip(1..., returns) {
      b.recvDone([n("in", t), n("inl", t)])
      let merged = t == returns.count ? (x.out, x.out + ".lse") : (n("acc", t), n("lacc", t))
      b.merge(merged, acc: acc, part: (n("in", t), n("inl", t)), offset: r.offset, outType: x.outType)
      acc = merged
    }
    for (t, r) in zip(1..., returns) { b.sendDone([n("o", t), n("l", t)], outChannel, to: group.members[r.owner], step: s) }
    return b.lowering
  }

  private var me: Int { group.index }
  private var own: TokenRanges { group.tokens[me] }
  private func n(_ base: String, _ step: Int) -> String { b.n(base, step) }
  private func qType(_ rows: Int64) -> TensorType { PlanBuilder.rows(x.queryType, rows) }
  private func oType(_ rows: Int64) -> TensorType { PlanBuilder.rows(x.outType, rows) }
  private func lseType(_ rows: Int64) -> TensorType { PlanBuilder.lse(heads: x.outType.dims[1], rows: rows) }
  
  // MARK: - Non-causal: Q moves forward, partials go back s−1 hops

  mutating func nonCausal() -> Lowering {
    let p = group.size
    var qCur = x.q
    var acc = (n("acc", 0), n("lacc", 0))
    if p == 1 {
      b.block((x.out, x.out + ".lse"), q: x.q, k: x.k, v: x.v, qTokens: own, kTokens: own, step: 0, outType: x.outType)
      return b.lowering
    }
    for s in 0..<p {
      let owner = group.mod(me - s)
      let next = n("q", s + 1)
      if s < p - 1 {
        b.sendStart([qCur], qChannel, to: group.peer(1), step: s)
        b.recvStart([next], [qType(group.tokens[group.mod(me - s - 1)].count)], qChannel, from: group.peer(-1), step: s)
      }
      if s >= 2 && partials == .home {
        b.sendStart([n("o", s - 1), n("l", s - 1)], outChannel, to: group.peer(-s + 1), step: s)
        b.recvStart([n("in", s), n("inl", s)], [oType(own.count), lseType(own.count)], outChannel, from: group.peer(s - 1), step: s)
      }
      let result = s == 0 ? acc : (n("o", s), n("l", s))
      b.block(result, q: qCur, k: x.k, v: x.v, qTokens: group.tokens[owner], kTokens: own, step: s, outType: x.outType)
      if s < p - 1 {
        b.recvDone([next])
        b.sendDone([qCur], qChannel, to: group.peer(1), step: s)
      }
      if s >= 2 && partials == .home {
        b.recvDone([n("in", s), n("inl", s)])
        let merged = (n("acc", s), n("lacc", s))
        b.merge(merged, acc: acc, part: (n("in", s), n("inl", s)), offset: 0, outType: x.outType)
        acc = merged
        b.sendDone([n("o", s - 1), n("l", s - 1)], outChannel, to: group.peer(-s + 1), step: s)
      }
      qCur = next
    }
    if partials == .atTheEnd {
      let returns = (1..<p).map { t in Return(owner: group.mod(me - t), holder: group.mod(me + t), rows: own.count, offset: 0) }
      return returnAllPartials(acc: acc, returns)
    }
    // Tail: the last partial goes to r+1; ours arrives from r−1. Exposed.
    let s = p
    b.sendStart([n("o", s - 1), n("l", s - 1)], outChannel, to: group.peer(1), step: s)
    b.recvStart([n("in", s), n("inl", s)], [oType(own.count), lseType(own.count)], outChannel, from: group.peer(-1), step: s)
    b.recvDone([n("in", s), n("inl", s)])
    b.merge((x.out, x.out + ".lse"), acc: acc, part: (n("in", s), n("inl", s)), offset: 0, outType: x.outType)
    b.sendDone([n("o", s - 1), n("l", s - 1)], outChannel, to: group.peer(1), step: s)
    return b.lowering
  }

  // MARK: - Causal zigzag: Q moves backward, partials go forward s−1 hops

  /// Whether member `holder` holds (or is sent) the full Q of `owner`, or only its back chunk.
  private func full(_ owner: Int, at holder: Int) -> Bool { owner >= holder }

  mutating func causalZigzag() -> Lowering {
    let p = group.size
    let frontRows = Int64(group.front(me).count)
    var acc = (n("acc", 0), n("lacc", 0))
    if p == 1 {
      b.block((x.out, x.out + ".lse"), q: x.q, k: x.k, v: x.v, qTokens: own, kTokens: own, step: 0, outType: x.outType)
      return b.lowering
    }
    var qCur = x.q
    var kFront: (String, String)?
    for s in 0..<p {
      let owner = group.mod(me + s)
      let next = n("q", s + 1)
      let receiver = group.mod(me - 1)
      var payload = qCur
      if s < p - 1 {
        // The receiver r−1 holds the same owner's Q next step; send only what it can use.
        if full(owner, at: me), !full(owner, at: receiver) {
          payload = n("qb", s)
          b.slice(payload, qCur, Int64(group.front(owner).count), Int64(group.back(owner).count), qType(group.tokens[owner].count))
        }
        b.sendStart([payload], qChannel, to: group.members[receiver], step: s)
        let nextOwner = group.mod(me + s + 1)
        let rows = full(nextOwner, at: me) ? group.tokens[nextOwner].count : Int64(group.back(nextOwner).count)
        b.recvStart([next], [qType(rows)], qChannel, from: group.peer(1), step: s)
      }
      if s >= 2 && partials == .home { partialExchange(s) }
      if s == 0 {
        b.block(acc, q: qCur, k: x.k, v: x.v, qTokens: own, kTokens: own, step: 0, outType: x.outType)
      } else if owner > me {
        // Full Q of a later owner sees only our front chunk.
        if kFront == nil {
          kFront = (b.name + ".kf", b.name + ".vf")
          b.slice(kFront!.0, x.k, 0, frontRows, x.keyType)
          b.slice(kFront!.1, x.v, 0, frontRows, x.valueType)
        }
        b.block(
          (n("o", s), n("l", s)), q: qCur, k: kFront!.0, v: kFront!.1, qTokens: group.tokens[owner],
          kTokens: TokenRanges([group.front(me)]), step: s, outType: x.outType)
      } else {
        // The back chunk of an earlier owner's Q sees all our keys.
        b.block(
          (n("o", s), n("l", s)), q: qCur, k: x.k, v: x.v, qTokens: TokenRanges([group.back(owner)]), kTokens: own,
          step: s, outType: x.outType)
      }
      if s < p - 1 {
        b.recvDone([next])
        b.sendDone([payload], qChannel, to: group.members[receiver], step: s)
      }
      if s >= 2 && partials == .home { acc = mergeIncoming(s, acc: acc, frontRows: frontRows) }
      qCur = next
    }
    if partials == .atTheEnd {
      // The holder of our queries at step t is r − t: all of them if we come
      // at or after it (r ≥ holder), else only our back chunk.
      let returns = (1..<p).map { t in
        let whole = me >= group.mod(me - t)
        return Return(
          owner: group.mod(me + t), holder: group.mod(me - t), rows: whole ? own.count : Int64(group.back(me).count),
          offset: whole ? 0 : frontRows)
      }
      return returnAllPartials(acc: acc, returns)
    }
    // Tail: the last partial goes to its owner r−1; ours arrives from r+1.
    let s = p
    let lastOwner = group.peer(p - 1)
    b.sendStart([n("o", s - 1), n("l", s - 1)], outChannel, to: lastOwner, step: s)
    let from = group.mod(me + 1)
    let rows = full(me, at: from) ? own.count : Int64(group.back(me).count)
    b.recvStart([n("in", s), n("inl", s)], [oType(rows), lseType(rows)], outChannel, from: group.members[from], step: s)
    b.recvDone([n("in", s), n("inl", s)])
    b.merge(
      (x.out, x.out + ".lse"), acc: acc, part: (n("in", s), n("inl", s)),
      offset: rows == own.count ? 0 : frontRows, outType: x.outType)
    b.sendDone([n("o", s - 1), n("l", s - 1)], outChannel, to: lastOwner, step: s)
    return b.lowering
  }

  /// Step s ≥ 2: send the partial of step s−1 home to r+s−1; receive ours from r−s+1.
  private mutating func partialExchange(_ s: Int) {
    b.sendStart([n("o", s - 1), n("l", s - 1)], outChannel, to: group.peer(s - 1), step: s)
    let from = group.mod(me - s + 1)
    let rows = me >= from ? own.count : Int64(group.back(me).count)
    b.recvStart([n("in", s), n("inl", s)], [oType(rows), lseType(rows)], outChannel, from: group.members[from], step: s)
  }

  private mutating func mergeIncoming(_ s: Int, acc: (String, String), frontRows: Int64) -> (String, String) {
    let fullPartial = me >= group.mod(me - s + 1)
    b.recvDone([n("in", s), n("inl", s)])
    let merged = (n("acc", s), n("lacc", s))
    b.merge(merged, acc: acc, part: (n("in", s), n("inl", s)), offset: fullPartial ? 0 : frontRows, outType: x.outType)
    b.sendDone([n("o", s - 1), n("l", s - 1)], outChannel, to: group.peer(s - 1), step: s)
    return merged
  }

  /// The schedule for the attention's mask: causal zigzag, non-causal, or
  /// with a window (partials home only) the windowed one.
  mutating func emit() -> Lowering {
    if mask.isLocal && partials == .home { return windowed() }
    return mask.causal ? causalZigzag() : nonCausal()
  }

  // MARK: - Sliding windows: queries cut into chunks, only the visible ones move

  /// Queries move to r − 1 (causal zigzag) or r + 1 (non-causal) each step,
  /// in runs (`RingGroup.runs`).
  private var direction: Int { mask.causal ? -1 : 1 }
  /// Who holds owner o's queries at step s.
  private func holder(_ o: Int, _ s: Int) -> Int { group.mod(o + direction * s) }
  /// Whose queries this rank holds at step s.
  private func owner(_ s: Int) -> Int { group.mod(me - direction * s) }
  /// The runs of o's queries computed at step s (all of them at home).
  private func needed(_ o: Int, _ s: Int) -> [Int] {
    s == 0 ? Array(group.runs(o).indices) : group.visibleRuns(queries: o, keys: holder(o, s), mask).q
  }
  /// The runs of o's queries sent on after step s: those a later holder needs.
  private func forwarded(_ o: Int, _ s: Int) -> [Int] { group.forwarded(.queries, o, after: s) { needed(o, $0) } }
  /// The runs of o's queries its holder has at step s.
  private func held(_ o: Int, _ s: Int) -> [Int] { s == 0 ? Array(group.runs(o).indices) : forwarded(o, s - 1) }

  mutating func windowed() -> Lowering {
    let p = group.size
    let final = (x.out, x.out + ".lse")
    let all = Array(group.runs(me).indices)
    if p == 1 {
      b.block(final, q: x.q, k: x.k, v: x.v, qTokens: own, kTokens: own, step: 0, outType: x.outType)
      return b.lowering
    }
    // Steps whose partial of our queries comes home (at the step after).
    let incoming = (1..<p).filter { !needed(me, $0).isEmpty }
    var acc = incoming.isEmpty ? final : (n("acc", 0), n("lacc", 0))
    var qCur = x.q
    func exchange(_ s: Int, merge: Bool) {
      // The partial of step t = s − 1 goes to its owner; ours comes from our holder then.
      let t = s - 1
      let o = owner(t)
      let sent = !needed(o, t).isEmpty
      let ours = incoming.contains(t)
      if !merge {
        if sent { b.sendStart([n("o", t), n("l", t)], outChannel, to: group.members[o], step: s) }
        if ours {
          let r = group.rows(me, needed(me, t))
          b.recvStart([n("in", s), n("inl", s)], [oType(r), lseType(r)], outChannel, from: group.members[holder(me, t)], step: s)
        }
        return
      }
      if ours {
        b.recvDone([n("in", s), n("inl", s)])
        let merged = t == incoming.last ? final : (n("acc", s), n("lacc", s))
        b.merge(merged, acc: acc, part: (n("in", s), n("inl", s)), offset: group.offset(me, needed(me, t), in: all), outType: x.outType)
        acc = merged
      }
      if sent { b.sendDone([n("o", t), n("l", t)], outChannel, to: group.members[o], step: s) }
    }
    for s in 0..<p {
      let o = owner(s)
      let next = n("q", s + 1)
      var payload: String?
      var receives = false
      if s < p - 1 {
        let (f, h) = (forwarded(o, s), held(o, s))
        if !f.isEmpty {
          payload = b.rows(of: qCur, qType(group.rows(o, h)), group, o, f, in: h, as: n("qf", s))
          b.sendStart([payload!], qChannel, to: group.members[group.mod(me + direction)], step: s)
        }
        let nextOwner = owner(s + 1)
        let coming = forwarded(nextOwner, s)
        if !coming.isEmpty {
          receives = true
          b.recvStart([next], [qType(group.rows(nextOwner, coming))], qChannel, from: group.members[group.mod(me - direction)], step: s)
        }
      }
      if s >= 2 { exchange(s, merge: false) }
      if s == 0 {
        b.block(acc, q: x.q, k: x.k, v: x.v, qTokens: own, kTokens: own, step: 0, outType: x.outType)
      } else if case let (q, k) = group.visibleRuns(queries: o, keys: me, mask), !q.isEmpty {
        let h = held(o, s)
        let query = b.rows(of: qCur, qType(group.rows(o, h)), group, o, q, in: h, as: n("qw", s))
        let key = b.rows(of: x.k, x.keyType, group, me, k, in: all, as: n("kw", s))
        let value = b.rows(of: x.v, x.valueType, group, me, k, in: all, as: n("vw", s))
        b.block(
          (n("o", s), n("l", s)), q: query, k: key, v: value, qTokens: group.tokens(o, q), kTokens: group.tokens(me, k), step: s,
          outType: x.outType)
      }
      if s < p - 1 {
        if receives { b.recvDone([next]) }
        if let payload { b.sendDone([payload], qChannel, to: group.members[group.mod(me + direction)], step: s) }
      }
      if s >= 2 { exchange(s, merge: true) }
      qCur = next
    }
    // Tail: the last step's partial goes home.
    exchange(p, merge: false)
    exchange(p, merge: true)
    return b.lowering
  }
}
