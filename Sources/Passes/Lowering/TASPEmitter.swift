import GraphIR

/// TASP (Wang et al., arXiv 2509.26541; infinigence/HamiltonAttention):
/// Ring Attention over every Hamiltonian ring of the full mesh at once. Each
/// rank's K/V rows are cut into R parts (R = `HamiltonianRings` over P ranks:
/// P − 1 when P is odd or 8–16, else P − 2; the first parts take the
/// remainder rows); part i circulates on ring i. At step s < P − 1 every rank sends the
/// part it holds on each ring to its successor there and receives the next
/// from its predecessor, so each directed link of the rings carries one part
/// per step; every rank attends its queries to each part it holds.
///
/// Causal attention takes the zigzag layout, as `ring-zigzag`: a part from
/// an earlier rank j < r is seen by all local queries through the rows of
/// j's front chunk it holds (none: no block), one from a later rank by the
/// back chunk of the queries.
///
/// Before, rank 0 of 3 (contiguous, tokens 0..<8, non-causal):
///
///     %a = attention %q, %k, %v : f32[8,4,16]
///
/// After `tasp` (2 rings: 0 → 1 → 2 and 0 → 2 → 1; parts of 4 rows):
///
///     %a.k.p0 = slice %k {len = 4, start = 0} : f32[4,2,16]
///     …
///     send.start %a.k.p0, %a.v.p0 {chan = @a.kv, peer = 1, step = 0}
///     %a.k.p0.s1, %a.v.p0.s1 = recv.start {chan = @a.kv, peer = 2, step = 0} : …
///     send.start %a.k.p1, %a.v.p1 {chan = @a.kv, peer = 2, step = 0}
///     %a.k.p1.s1, %a.v.p1.s1 = recv.start {chan = @a.kv, peer = 1, step = 0} : …
///     %a.acc.s0, %a.lacc.s0 = attn.block %q, %k, %v {…, step = 0} : …
///     recv.done …
///
/// Invariant: queries and the accumulator stay; after P steps every rank
/// has held every part of every other rank once, so every visible block
/// merges into its output exactly once.
struct TASPEmitter {
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

  /// Local rows of member j's K/V that part i holds.
  private func rows(_ j: Int, part i: Int) -> Range<Int64> { rings.partRows(group.tokens[j].count, part: i) }

  private func kvTypes(_ count: Int64) -> [TensorType] { [PlanBuilder.rows(x.keyType, count), PlanBuilder.rows(x.valueType, count)] }

  /// What a part from member j computes: query rows (offset into the
  /// accumulator) × its first `keyRows` rows; nil when the mask hides it.
  private struct Work {
    var qTokens: TokenRanges
    var qOffset: Int64
    var keyRows: Int64
    var kTokens: TokenRanges
  }

  private func work(origin j: Int, part i: Int) -> Work? {
    let partRows = rows(j, part: i)
    let tokens = group.tokens[j].rows(partRows.lowerBound, Int64(partRows.count))
    let own = group.tokens[me]
    guard !partRows.isEmpty else { return nil }
    if !causal { return Work(qTokens: own, qOffset: 0, keyRows: Int64(partRows.count), kTokens: tokens) }
    if j < me {
      // Only j's front chunk (its first rows) is before our queries.
      let front = min(partRows.upperBound, Int64(group.front(j).count)) - partRows.lowerBound
      guard front > 0 else { return nil }
      return Work(qTokens: own, qOffset: 0, keyRows: front, kTokens: tokens.rows(0, front))
    }
    let back = TokenRanges([group.back(me)])
    return Work(qTokens: back, qOffset: Int64(group.front(me).count), keyRows: Int64(partRows.count), kTokens: tokens)
  }

  mutating func emit() -> Lowering {
    let p = group.size
    let own = group.tokens[me]
    if p == 1 || parts == 0 {
      b.block((x.out, x.out + ".lse"), q: x.q, k: x.k, v: x.v, qTokens: own, kTokens: own, step: 0, outType: x.outType)
      return b.lowering
    }
    let channel = b.channel(.kv)
    // Step 0 attends the local block; step s ≥ 1 each part received, from s hops back on its ring.
    var blocks: [(step: Int, part: Int, work: Work)] = [(0, -1, Work(qTokens: own, qOffset: 0, keyRows: 0, kTokens: own))]
    for s in 1..<p {
      for i in 0..<parts {
        if let w = work(origin: rings.previous(me, ring: i, hops: s), part: i) { blocks.append((s, i, w)) }
      }
    }
    // The parts held now: this rank's own, cut from its rows.
    var held: [(k: String, v: String)] = []
    for i in 0..<parts {
      let r = rows(me, part: i)
      let names = (b.name + ".k.p\(i)", b.name + ".v.p\(i)")
      b.slice(names.0, x.k, r.lowerBound, Int64(r.count), x.keyType)
      b.slice(names.1, x.v, r.lowerBound, Int64(r.count), x.valueType)
      held.append(names)
    }
    var acc: (String, String)?
    var backQuery: String?
    for s in 0..<p {
      var next: [(k: String, v: String)] = []
      if s < p - 1 {
        for i in 0..<parts {
          let name = (b.n("k.p\(i)", s + 1), b.n("v.p\(i)", s + 1))
          let origin = rings.previous(me, ring: i, hops: s + 1)
          b.sendStart([held[i].k, held[i].v], channel, to: group.members[rings.next(me, ring: i)], step: s)
          b.recvStart(
            [name.0, name.1], kvTypes(Int64(rows(origin, part: i).count)), channel,
            from: group.members[rings.previous(me, ring: i)], step: s)
          next.append(name)
        }
      }
      for (index, block) in blocks.enumerated() where block.step == s {
        var (k, v) = block.part < 0 ? (x.k, x.v) : held[block.part]
        let full = block.part < 0 ? 0 : Int64(rows(rings.previous(me, ring: block.part, hops: s), part: block.part).count)
        if block.part >= 0, block.work.keyRows < full {
          (k, v) = (b.n("kf.p\(block.part)", s), b.n("vf.p\(block.part)", s))
          b.slice(k, held[block.part].k, 0, block.work.keyRows, PlanBuilder.rows(x.keyType, full))
          b.slice(v, held[block.part].v, 0, block.work.keyRows, PlanBuilder.rows(x.valueType, full))
        }
        var q = x.q
        if block.work.qOffset > 0 {
          if backQuery == nil {
            backQuery = b.name + ".qb"
            b.slice(backQuery!, x.q, block.work.qOffset, block.work.qTokens.count, x.queryType)
          }
          q = backQuery!
        }
        let isLast = index == blocks.count - 1
        let name = isLast ? (x.out, x.out + ".lse") : (b.n("acc.p\(max(block.part, 0))", s), b.n("lacc.p\(max(block.part, 0))", s))
        if let current = acc {
          let part = (b.n("o.p\(block.part)", s), b.n("l.p\(block.part)", s))
          b.block(part, q: q, k: k, v: v, qTokens: block.work.qTokens, kTokens: block.work.kTokens, step: s, outType: x.outType)
          b.merge(name, acc: current, part: part, offset: block.work.qOffset, outType: x.outType)
        } else {
          b.block(name, q: q, k: k, v: v, qTokens: block.work.qTokens, kTokens: block.work.kTokens, step: s, outType: x.outType)
        }
        acc = name
      }
      if s < p - 1 {
        for i in 0..<parts {
          b.recvDone([next[i].k, next[i].v])
          b.sendDone([held[i].k, held[i].v], channel, to: group.members[rings.next(me, ring: i)], step: s)
        }
        held = next
      }
    }
    return b.lowering
  }
}
