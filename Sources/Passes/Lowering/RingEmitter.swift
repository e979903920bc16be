import GraphIR

/// Ring Attention on one ring group (Liu et al.; zhuzilin's
/// `ring_flash_attn` and `zigzag_ring_flash_attn`): queries stay, K and V move
/// one hop forward (r → r+1) per step, every block merges into the local
/// accumulator.
///
/// - contiguous layout: at step s the K/V of r−s; causal blocks whose keys all
///   follow the queries (r−s > r) are skipped, so rank P−1 computes P blocks
///   and rank 0 one: causal Ring is unbalanced.
/// - striped layout: the same ring; every block is nearly c²/2 pairs (the
///   mask by global position handles the stripes), so causal work balances.
/// - zigzag layout (causal): step 0 the local causal block; K/V of an earlier
///   rank j < r: all local queries × its front chunk; of a later rank j > r:
///   the back chunk of the queries × all its keys. Every block has c²/2 pairs.
///   The whole K/V still travels every step.
///
/// Before, rank 0 of 2 of `models/tiny.ir` (zigzag: tokens 0..<8 and 24..<32):
///
///     %a = attention %qr, %kr, %vh {causal = true} : f32[16,4,16]
///
/// After `ring-zigzag`: K/V go to rank 1 while the local block runs; rank 1's
/// keys (8..<24) are visible to the back chunk only:
///
///     send.start %kr, %vh {chan = @a.kv, peer = 1, step = 0}
///     %a.k.s1, %a.v.s1 = recv.start {chan = @a.kv, peer = 1, step = 0} : f32[16,2,16], f32[16,2,16]
///     %a.acc.s0, %a.lacc.s0 = attn.block %qr, %kr, %vh {causal = true,
///       k_tokens = [0, 8, 24, 8], q_tokens = [0, 8, 24, 8], scale = 0.25, step = 0} : f32[16,4,16], f32[4,16]
///     recv.done %a.k.s1, %a.v.s1
///     send.done %kr, %vh {chan = @a.kv, peer = 1, step = 0}
///     %a.qb = slice %qr {len = 8, start = 8} : f32[8,4,16]
///     %a.o.s1, %a.l.s1 = attn.block %a.qb, %a.k.s1, %a.v.s1 {…, k_tokens = [8, 16], q_tokens = [24, 8], …, step = 1} : …
///     %a, %a.lse = attn.merge %a.acc.s0, %a.lacc.s0, %a.o.s1, %a.l.s1 {offset = 8} : f32[16,4,16], f32[4,16]
///
/// With `ring` (contiguous, rank 0 holds tokens 0..<16) the same send and
/// receive surround one causal `attn.block %qr, %kr, %vh`, and nothing
/// follows: rank 1's keys all lie in rank 0's future.
///
/// With `window = W` (LoongTrain's double ring, 1 ≤ W < P, W | P) member
/// m = g·W + j belongs to inner ring g (W consecutive members). In outer step
/// o (P/W of them) the inner ring rotates the W blocks that came from inner
/// ring g − o, one hop r → r+1 inside it per step (W − 1 inner hops), while
/// each member sends the block it started the outer step with to member j of
/// inner ring g + 1, which starts outer step o + 1 with it (the inter-node
/// hop, all members at once, overlapped with the W inner steps). At step
/// s = o·W + i member m holds the block of (g − o)·W + (j − i) mod W.
///
/// With a sliding window (`window = W` on the attention; `windowed()`, single
/// ring) each rank's K/V is cut into its token runs (its zigzag chunks): a
/// hop carries only the runs some later holder's queries see, a holder
/// computes only its query runs that see them, and a hop no later holder
/// needs is not taken. Contiguous, causal, chunks of c tokens: a block
/// travels ⌈(W − 1)/c⌉ hops (fewer near the end) instead of P − 1. On the
/// double ring a window only skips the blocks it hides.
///
/// Invariant: queries and the accumulator stay; every K/V block reaches every
/// rank whose queries can see it, and every visible block merges into its
/// output once.
struct RingEmitter {
  var b: PlanBuilder
  let group: RingGroup
  let x: AttentionOperands
  let causal: Bool
  let zigzag: Bool
  /// Inner-ring size of the double ring; nil (or P): one ring.
  let window: Int?
  /// The attention's mask: which blocks are computed at all.
  let mask: Mask

  init(_ builder: PlanBuilder, group: RingGroup, operands: AttentionOperands, causal: Bool, zigzag: Bool, window: Int? = nil) {
    b = builder
    self.group = group
    x = operands
    self.causal = causal
    self.zigzag = zigzag
    self.window = window.flatMap { $0 < group.size ? $0 : nil }
    mask = Mask(builder.mask)
  }

  /// The types of member `owner`'s K and V.
  private func kvTypes(_ owner: Int) -> [TensorType] {
    [PlanBuilder.rows(x.keyType, group.tokens[owner].count), PlanBuilder.rows(x.valueType, group.tokens[owner].count)]
  }

  /// The member whose K/V member m (this one by default) holds at step s.
  private func holder(_ s: Int, of m: Int? = nil) -> Int {
    let m = m ?? me
    guard let w = window else { return group.mod(m - s) }
    let (g, j, o, i) = (m / w, m % w, s / w, s % w)
    return group.mod((g - o) * w + ((j - i) % w + w) % w)
  }

  /// Within an inner ring of the double ring: member `offset` places along it.
  private func inner(_ offset: Int) -> Int {
    guard let w = window else { return group.peer(offset) }
    let (g, j) = (me / w, me % w)
    return group.members[g * w + ((j + offset) % w + w) % w]
  }

  /// Member j of the inner ring `offset` rings along (the outer ring).
  private func outer(_ offset: Int) -> Int {
    let w = window ?? 1
    return group.members[group.mod(me + offset * w)]
  }

  private var me: Int { group.index }
  private var own: TokenRanges { group.tokens[me] }

  /// What step s computes: query rows (offset into the accumulator) × a slice of the K/V held.
  private struct Work {
    var qTokens: TokenRanges
    var qOffset: Int64
    var kRows: Int64?  // nil: all rows of the K/V held; else its first kRows (the front chunk)
    var kTokens: TokenRanges
  }

  /// What member m (this one by default) computes at step s; nil: nothing
  /// its queries can see.
  private func work(_ s: Int, at m: Int? = nil) -> Work? {
    let m = m ?? me
    let j = holder(s, of: m)
    let (mine, theirs) = (group.tokens[m], group.tokens[j])
    let all = Work(qTokens: mine, qOffset: 0, kRows: nil, kTokens: theirs)
    let w: Work
    if !causal || s == 0 {
      w = all
    } else if !zigzag {
      // Contiguous: a later rank's keys are hidden from all our queries.
      // Striped: every pair of ranks shares visible pairs; the block masks them.
      return mask.anyVisible(mine, theirs) ? all : nil
    } else if j < m {
      w = Work(qTokens: mine, qOffset: 0, kRows: Int64(group.front(j).count), kTokens: TokenRanges([group.front(j)]))
    } else {
      w = Work(qTokens: TokenRanges([group.back(m)]), qOffset: Int64(group.front(m).count), kRows: nil, kTokens: theirs)
    }
    // A window hides whole blocks; the local block always holds the diagonal.
    guard mask.isLocal, s > 0 else { return w }
    return mask.anyVisible(w.qTokens, w.kTokens) ? w : nil
  }

  mutating func emit() -> Lowering {
    if mask.isLocal && window == nil { return windowed() }
    let p = group.size
    let steps = (0..<p).map { work($0) }
    let last = steps.lastIndex { $0 != nil } ?? 0
    let channel = b.channel(.kv)
    var k = x.k
    var v = x.v
    var acc: (String, String)?
    var backQuery: String?
    let w = window ?? p
    for s in 0..<p {
      let nextK = b.n("k", s + 1)
      let nextV = b.n("v", s + 1)
      // The next outer block, sent at the start of an outer step and
      // received by its end (only with a window).
      let (outerK, outerV) = (b.n("ko", s + w), b.n("vo", s + w))
      let sendsOuter = window != nil && s % w == 0 && s + w < p
      if sendsOuter {
        b.sendStart([k, v], channel, to: outer(1), step: s)
        b.recvStart([outerK, outerV], kvTypes(holder(s + w)), channel, from: outer(-1), step: s)
      }
      let innerHop = s < p - 1 && s % w != w - 1
      if innerHop {
        b.sendStart([k, v], channel, to: inner(1), step: s)
        b.recvStart([nextK, nextV], kvTypes(holder(s + 1)), channel, from: inner(-1), step: s)
      }
      if let w = steps[s] {
        var (bk, bv) = (k, v)
        if let rows = w.kRows {
          (bk, bv) = (b.n("kf", s), b.n("vf", s))
          b.slice(bk, k, 0, rows, PlanBuilder.rows(x.keyType, group.tokens[holder(s)].count))
          b.slice(bv, v, 0, rows, PlanBuilder.rows(x.valueType, group.tokens[holder(s)].count))
        }
        var q = x.q
        if w.qOffset > 0 {
          if backQuery == nil {
            backQuery = b.name + ".qb"
            b.slice(backQuery!, x.q, w.qOffset, w.qTokens.count, x.queryType)
          }
          q = backQuery!
        }
        let final = (x.out, x.out + ".lse")
        if let current = acc {
          let part = (b.n("o", s), b.n("l", s))
          b.block(part, q: q, k: bk, v: bv, qTokens: w.qTokens, kTokens: w.kTokens, step: s, outType: x.outType)
          let merged = s == last ? final : (b.n("acc", s), b.n("lacc", s))
          b.merge(merged, acc: current, part: part, offset: w.qOffset, outType: x.outType)
          acc = merged
        } else {
          let result = s == last ? final : (b.n("acc", s), b.n("lacc", s))
          b.block(result, q: q, k: bk, v: bv, qTokens: w.qTokens, kTokens: w.kTokens, step: s, outType: x.outType)
          acc = result
        }
      }
      if innerHop {
        b.recvDone([nextK, nextV])
        b.sendDone([k, v], channel, to: inner(1), step: s)
        (k, v) = (nextK, nextV)
      } else if s < p - 1 {
        // The end of an outer step: the next one starts with the outer block.
        let start = s + 1 - w
        b.recvDone([b.n("ko", s + 1), b.n("vo", s + 1)])
        let sent = start == 0 ? [x.k, x.v] : [b.n("ko", start), b.n("vo", start)]
        b.sendDone(sent, channel, to: outer(1), step: start)
        (k, v) = (b.n("ko", s + 1), b.n("vo", s + 1))
      }
    }
    return b.lowering
  }

  // MARK: - Sliding windows: K/V cut into runs, only the visible ones move

  /// Whose K/V this member holds at step s (they move r → r + 1, in runs:
  /// `RingGroup.runs`).
  private func keyOwner(_ s: Int) -> Int { group.mod(me - s) }

  /// The runs of j's K/V used at step t (by member j + t; all of them at home).
  private func needed(_ j: Int, _ t: Int) -> [Int] {
    t == 0 ? Array(group.runs(j).indices) : group.visibleRuns(queries: group.mod(j + t), keys: j, mask).k
  }
  /// The runs of j's K/V sent on after step s: those a later holder uses.
  private func forwarded(_ j: Int, _ s: Int) -> [Int] { group.forwarded(.keys, j, after: s) { needed(j, $0) } }
  /// The runs of j's K/V its holder has at step s.
  private func held(_ j: Int, _ s: Int) -> [Int] { s == 0 ? Array(group.runs(j).indices) : forwarded(j, s - 1) }

  mutating func windowed() -> Lowering {
    let p = group.size
    let channel = b.channel(.kv)
    let all = Array(group.runs(me).indices)
    let computes = (0..<p).filter { $0 == 0 || !group.visibleRuns(queries: me, keys: keyOwner($0), mask).q.isEmpty }
    let final = (x.out, x.out + ".lse")
    var (k, v) = (x.k, x.v)
    var acc: (String, String)?
    for s in 0..<p {
      let j = keyOwner(s)
      let h = held(j, s)
      let (kType, vType) = (PlanBuilder.rows(x.keyType, group.rows(j, h)), PlanBuilder.rows(x.valueType, group.rows(j, h)))
      var payload: [String]?
      var receives = false
      if s < p - 1 {
        let f = forwarded(j, s)
        if !f.isEmpty {
          payload = [
            b.rows(of: k, kType, group, j, f, in: h, as: b.n("kx", s)), b.rows(of: v, vType, group, j, f, in: h, as: b.n("vx", s)),
          ]
          b.sendStart(payload!, channel, to: group.peer(1), step: s)
        }
        let nextOwner = keyOwner(s + 1)
        let coming = forwarded(nextOwner, s)
        if !coming.isEmpty {
          receives = true
          let n = group.rows(nextOwner, coming)
          b.recvStart(
            [b.n("k", s + 1), b.n("v", s + 1)], [PlanBuilder.rows(x.keyType, n), PlanBuilder.rows(x.valueType, n)], channel,
            from: group.peer(-1), step: s)
        }
      }
      if computes.contains(s) {
        let (q, kr) = s == 0 ? (all, all) : group.visibleRuns(queries: me, keys: j, mask)
        let query = b.rows(of: x.q, x.queryType, group, me, q, in: all, as: b.n("qw", s))
        let key = b.rows(of: k, kType, group, j, kr, in: h, as: b.n("kw", s))
        let value = b.rows(of: v, vType, group, j, kr, in: h, as: b.n("vw", s))
        let result = s == computes.last ? final : (b.n("acc", s), b.n("lacc", s))
        if let current = acc {
          let part = (b.n("o", s), b.n("l", s))
          b.block(part, q: query, k: key, v: value, qTokens: group.tokens(me, q), kTokens: group.tokens(j, kr), step: s, outType: x.outType)
          b.merge(result, acc: current, part: part, offset: group.offset(me, q, in: all), outType: x.outType)
        } else {
          b.block(result, q: query, k: key, v: value, qTokens: group.tokens(me, q), kTokens: group.tokens(j, kr), step: s, outType: x.outType)
        }
        acc = result
      }
      if receives { b.recvDone([b.n("k", s + 1), b.n("v", s + 1)]) }
      if let payload { b.sendDone(payload, channel, to: group.peer(1), step: s) }
      (k, v) = (b.n("k", s + 1), b.n("v", s + 1))
    }
    return b.lowering
  }
}
