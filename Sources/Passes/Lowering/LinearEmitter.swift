import GraphIR
import PlanIR

/// LASP-2 and LASP-1 (Sun et al., arXiv 2502.07563; Linear-MoE's
/// `lasp2_with_mask_triton_op`) for one `linear_attention` on one rank of a
/// contiguous layout: rank r holds tokens [a_r, a_r + n_r), so every earlier
/// key lies on a lower rank.
///
/// - lasp2: each rank computes its chunk state M_r = Σ λ^{end−j} φ(k_j)v_jᵀ
///   and gathers every other rank's (the all-gather, written as one message
///   to each peer so it is posted before, and completed after, the
///   intra-chunk compute it overlaps); the prefix is the decayed sum of the
///   states of lower ranks (all ranks when not causal); output = intra part +
///   φ(Q)·prefix. Bytes per rank: (P − 1) states of KVH·Dk·W·4, whatever S.
/// - lasp1: the running sum travels the chain r → r+1 (P − 1 dependent
///   hops); rank r forwards λ^{n_r}·prefix_r + M_r as soon as its prefix
///   arrives, then computes. Not causal: a second chain r → r−1 carries the
///   suffix sums at the same time.
///
/// Before, rank 1 of 2 (tokens 16..<32):
///
///     %a = linear_attention %q, %k, %v {causal = true} : f32[16,4,16]
///
/// After `lasp2`:
///
///     %a.st = linattn.state %k, %v {causal = true, tokens = [16, 16]} : f32[2,16,16]
///     send.start %a.st {chan = @a.state, peer = 0, step = 0}
///     %a.st.r0 = recv.start {chan = @a.state, peer = 0, step = 0} : f32[2,16,16]
///     %a.in = linattn.intra %q, %k, %v {causal = true, tokens = [16, 16]} : f32[16,4,16]
///     recv.done %a.st.r0
///     send.done %a.st {chan = @a.state, peer = 0, step = 0}
///     %a.pre = linattn.prefix %a.st.r0 {at = 16, causal = true, spans = [0, 16]} : f32[2,16,16]
///     %a = linattn.finish %q, %a.in, %a.pre {causal = true, tokens = [16, 16]} : f32[16,4,16]
///
/// Invariant: every key a query sees reaches its output exactly once, either
/// through the local intra part or through exactly one state in its prefix.
struct LinearEmitter {
  var b: PlanBuilder
  let site: AttentionSite
  let x: AttentionOperands
  let params: LinearAttention
  let spans: [Range<Int64>]

  init(_ builder: PlanBuilder, site: AttentionSite, operands: AttentionOperands) throws(CompileError) {
    b = builder
    self.site = site
    x = operands
    guard let params = LinearAttention(site.op) else { throw site.fail("linear_attention has invalid parameters") }
    self.params = params
    // Contiguous shards in rank order: a rank's earlier keys are all on lower ranks.
    var spans: [Range<Int64>] = []
    for (r, t) in site.tokens.enumerated() {
      guard t.ranges.count <= 1, (t.ranges.first?.lowerBound ?? spans.last?.upperBound ?? 0) == (spans.last?.upperBound ?? 0) else {
        throw site.fail("linear attention needs contiguous shards in rank order (rank \(r) holds \(t)); the layout is \(site.layout): compile with a contiguous layout")
      }
      let start = spans.last?.upperBound ?? 0
      spans.append(start..<(start + t.count))
    }
    self.spans = spans
  }

  private var me: Int { site.rank }
  private var stateType: TensorType {
    TensorType(.f32, [x.keyType.dims[1], x.keyType.dims[2], params.stateWidth(x.valueType.dims[2])])
  }
  private var intraType: TensorType {
    TensorType(.f32, [x.outType.dims[0], x.outType.dims[1], params.stateWidth(x.valueType.dims[2])])
  }

  private func span(_ r: Range<Int64>) -> Attribute { .ints([r.lowerBound, Int64(r.count)]) }

  private func attributes(_ extra: [String: Attribute]) -> Attributes {
    params.attributes.merging(extra) { _, new in new }
  }

  private mutating func state(_ name: String) {
    b.emit(Op(results: [name], .linattnState, [.value(x.k), .value(x.v)], attributes: attributes(["tokens": span(spans[me])]), types: [stateType]))
  }

  private mutating func intra(_ name: String) {
    b.emit(Op(results: [name], .linattnIntra, [.value(x.q), .value(x.k), .value(x.v)], attributes: attributes(["tokens": span(spans[me])]), types: [intraType]))
  }

  private mutating func prefix(_ name: String, _ states: [(String, Range<Int64>)], at: Int64) {
    let spans = Attribute.ints(states.flatMap { [$0.1.lowerBound, Int64($0.1.count)] })
    b.emit(Op(results: [name], .linattnPrefix, states.map { .value($0.0) }, attributes: attributes(["spans": spans, "at": .int(at)]), types: [stateType]))
  }

  private mutating func finish(intra: String, prefix: String?) {
    let operands = [x.q, intra] + (prefix.map { [$0] } ?? [])
    b.emit(Op(results: [x.out], .linattnFinish, operands.map(Operand.value), attributes: attributes(["tokens": span(spans[me])]), types: [x.outType]))
  }

  mutating func lasp2() -> Lowering {
    let (st, intraName, pre) = (b.name + ".st", b.name + ".in", b.name + ".pre")
    let chan = b.channel(.state)
    let peers = (0..<site.ranks).filter { $0 != me }
    state(st)
    for p in peers { b.sendStart([st], chan, to: p, step: 0) }
    for p in peers { b.recvStart(["\(st).r\(p)"], [stateType], chan, from: p, step: 0) }
    intra(intraName)
    for p in peers { b.recvDone(["\(st).r\(p)"]) }
    for p in peers { b.sendDone([st], chan, to: p, step: 0) }
    // Causal: only lower ranks' states count; the prefix op drops the rest by its spans.
    let counted = peers.filter { !params.causal || $0 < me }
    if counted.isEmpty {
      finish(intra: intraName, prefix: nil)
    } else {
      prefix(pre, peers.map { ("\(st).r\($0)", spans[$0]) }, at: spans[me].lowerBound)
      finish(intra: intraName, prefix: pre)
    }
    return b.lowering
  }

  mutating func lasp1() -> Lowering {
    let (st, intraName, pre) = (b.name + ".st", b.name + ".in", b.name + ".pre")
    let chan = b.channel(.state)
    let (p, mine) = (site.ranks, spans[me])
    let end = spans.last?.upperBound ?? 0
    // The forward chain: step r carries the sum of ranks ≤ r to r+1. Not
    // causal, the backward chain: step P + r carries the sum of ranks ≥ r to r−1.
    let forward = Chain(name: b.name + ".fwd", from: me > 0 ? me - 1 : nil, to: me < p - 1 ? me + 1 : nil,
      received: 0..<mine.lowerBound, sendStep: me, receiveStep: me - 1, sendAt: mine.upperBound)
    let backward = Chain(name: b.name + ".bwd", from: me < p - 1 ? me + 1 : nil, to: me > 0 ? me - 1 : nil,
      received: mine.upperBound..<end, sendStep: p + me, receiveStep: p + me + 1, sendAt: end)
    // Each rank serves first the chain whose sum reaches it first, so neither chain waits on the other.
    let chains = params.causal ? [forward] : me < p / 2 ? [forward, backward] : [backward, forward]
    state(st)
    for c in chains { if let from = c.from { b.recvStart([c.name], [stateType], chan, from: from, step: c.receiveStep) } }
    var known: [(String, Range<Int64>)] = []
    for c in chains {
      var sum = [(st, mine)]
      if c.from != nil {
        b.recvDone([c.name])
        known.append((c.name, c.received))
        sum.insert((c.name, c.received), at: 0)
      }
      if let to = c.to {
        prefix(c.name + ".out", sum, at: c.sendAt)
        b.sendStart([c.name + ".out"], chan, to: to, step: c.sendStep)
      }
    }
    intra(intraName)
    switch known.count {
    case 0: finish(intra: intraName, prefix: nil)
    case 1: finish(intra: intraName, prefix: known[0].0)
    default:
      prefix(pre, known, at: mine.lowerBound)
      finish(intra: intraName, prefix: pre)
    }
    for c in chains { if let to = c.to { b.sendDone([c.name + ".out"], chan, to: to, step: c.sendStep) } }
    return b.lowering
  }

  /// One direction of LASP-1's state passing, as seen by this rank.
  private struct Chain {
    var name: String
    var from: Int?
    var to: Int?
    /// The tokens whose keys the received sum holds.
    var received: Range<Int64>
    var sendStep: Int
    var receiveStep: Int
    /// Where the forwarded sum is decayed to: the end of what it holds.
    var sendAt: Int64
  }
}
