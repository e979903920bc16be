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
/// Invariant: queries and the accumulator stay; after P steps every rank has
/// seen every K/V block once, and every visible block merged into its output.
struct RingEmitter {
  var b: PlanBuilder
  let group: RingGroup
  let x: AttentionOperands
  let causal: Bool
  let zigzag: Bool

  init(_ builder: PlanBuilder, group: RingGroup, operands: AttentionOperands, causal: Bool, zigzag: Bool) {
    b = builder
    self.group = group
    x = operands
    self.causal = causal
    self.zigzag = zigzag
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

  private func work(_ s: Int) -> Work? {
    let j = group.mod(me - s)
    let theirs = group.tokens[j]
    let all = Work(qTokens: own, qOffset: 0, kRows: nil, kTokens: theirs)
    if !causal || s == 0 { return all }
    if !zigzag {
      // Contiguous: a later rank's keys are hidden from all our queries.
      // Striped: every pair of ranks shares visible pairs; the block masks them.
      return Mask(causal: true, window: nil).anyVisible(own, theirs) ? all : nil
    }
    if j < me {
      return Work(qTokens: own, qOffset: 0, kRows: Int64(group.front(j).count), kTokens: TokenRanges([group.front(j)]))
    }
    return Work(qTokens: TokenRanges([group.back(me)]), qOffset: Int64(group.front(me).count), kRows: nil, kTokens: theirs)
  }

  mutating func emit() -> Lowering {
    let p = group.size
    let steps = (0..<p).map(work)
    let last = steps.lastIndex { $0 != nil } ?? 0
    let channel = b.channel(.kv)
    var k = x.k
    var v = x.v
    var acc: (String, String)?
    var backQuery: String?
    for s in 0..<p {
      let nextK = b.n("k", s + 1)
      let nextV = b.n("v", s + 1)
      if s < p - 1 {
        let rows = group.tokens[group.mod(me - s - 1)].count
        b.sendStart([k, v], channel, to: group.peer(1), step: s)
        b.recvStart(
          [nextK, nextV], [PlanBuilder.rows(x.keyType, rows), PlanBuilder.rows(x.valueType, rows)], channel,
          from: group.peer(-1), step: s)
      }
      if let w = steps[s] {
        var (bk, bv) = (k, v)
        if let rows = w.kRows {
          (bk, bv) = (b.n("kf", s), b.n("vf", s))
          b.slice(bk, k, 0, rows, PlanBuilder.rows(x.keyType, group.tokens[group.mod(me - s)].count))
          b.slice(bv, v, 0, rows, PlanBuilder.rows(x.valueType, group.tokens[group.mod(me - s)].count))
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
      if s < p - 1 {
        b.recvDone([nextK, nextV])
        b.sendDone([k, v], channel, to: group.peer(1), step: s)
      }
      (k, v) = (nextK, nextV)
    }
    return b.lowering
  }
}
