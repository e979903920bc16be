import GraphIR
import PlanIR

/// LASP-2 and LASP-1 (Sun et al., arXiv 2502.07563; Linear-MoE's
/// `lasp2_with_mask_triton_op`) for one `linear_attention` on one rank.
///
/// - lasp2: each rank computes the state of each run of tokens it holds
///   (one run when contiguous, two under zigzag, its stripes when striped),
///   M = Σ λ^{end−j} φ(k_j)v_jᵀ, and gathers every other rank's (the
///   all-gather, written as one message to each peer so it is posted before,
///   and completed after, the intra-chunk compute it overlaps); a run's
///   prefix is the decayed sum of the states of the runs before it (all
///   other runs when not causal); output = intra part + φ(Q)·prefix, the runs'
///   outputs joined in row order. Bytes per rank: (P − 1) × its runs' states
///   of KVH·Dk·W·4, whatever S. Any layout works, so a hybrid's softmax layers
///   keep their own strategy's (zigzag for TokenRing).
/// - lasp1: the running sum travels the chain r → r+1 (P − 1 dependent
///   hops); rank r forwards λ^{n_r}·prefix_r + M_r as soon as its prefix
///   arrives, then computes. Not causal: a second chain r → r−1 carries the
///   suffix sums at the same time. Contiguous shards in rank order only.
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
/// With several runs the names gain the run's index (`%a.st.1`, `%a.st.r0.1`),
/// each run's q, k and v are `slice`s of the rank's rows, and `concat`
/// joins the runs' outputs into `%a`.
///
/// Invariant: every key a query sees reaches its output exactly once, either
/// through the local intra part or through exactly one state in its prefix.
struct LinearEmitter {
  var b: PlanBuilder
  let site: AttentionSite
  let x: AttentionOperands
  let params: LinearAttention
  /// Per rank, the runs of tokens it holds, in row order (an empty rank: one empty run).
  let runs: [[Range<Int64>]]

  init(_ builder: PlanBuilder, site: AttentionSite, operands: AttentionOperands) throws(CompileError) {
    b = builder
    self.site = site
    x = operands
    guard let params = LinearAttention(site.op) else { throw site.fail("linear_attention has invalid parameters") }
    self.params = params
    runs = site.tokens.map { $0.ranges.isEmpty ? [0..<0] : $0.ranges }
  }

  private var me: Int { site.rank }
  private var stateType: TensorType {
    TensorType(.f32, [x.keyType.dims[1], x.keyType.dims[2], params.stateWidth(x.valueType.dims[2])])
  }
  private func intraType(_ rows: Int64) -> TensorType {
    TensorType(.f32, [.literal(rows), x.outType.dims[1], params.stateWidth(x.valueType.dims[2])])
  }

  private func span(_ r: Range<Int64>) -> Attribute { .ints([r.lowerBound, Int64(r.count)]) }

  private func attributes(_ extra: [String: Attribute]) -> Attributes {
    params.attributes.merging(extra) { _, new in new }
  }

  /// One run of this rank's rows: its tokens and the names of its q, k, v.
  private struct Run {
    var tokens: Range<Int64>
    var q: String
    var k: String
    var v: String
    var suffix: String
  }

  /// This rank's runs; several are cut from its rows by `slice`.
  private mutating func localRuns() -> [Run] {
    let mine = runs[me]
    guard mine.count > 1 else { return [Run(tokens: mine[0], q: x.q, k: x.k, v: x.v, suffix: "")] }
    var row: Int64 = 0
    return mine.enumerated().map { i, tokens in
      let n = Int64(tokens.count)
      let names = ["q", "k", "v"].map { "\(b.name).\($0)\(i)" }
      b.slice(names[0], x.q, row, n, x.queryType)
      b.slice(names[1], x.k, row, n, x.keyType)
      b.slice(names[2], x.v, row, n, x.valueType)
      row += n
      return Run(tokens: tokens, q: names[0], k: names[1], v: names[2], suffix: ".\(i)")
    }
  }

  private mutating func state(_ name: String, _ run: Run) {
    b.emit(Op(results: [name], .linattnState, [.value(run.k), .value(run.v)], attributes: attributes(["tokens": span(run.tokens)]), types: [stateType]))
  }

  private mutating func intra(_ name: String, _ run: Run) {
    b.emit(
      Op(
        results: [name], .linattnIntra, [.value(run.q), .value(run.k), .value(run.v)],
        attributes: attributes(["tokens": span(run.tokens)]), types: [intraType(Int64(run.tokens.count))]))
  }

  private mutating func prefix(_ name: String, _ states: [(String, Range<Int64>)], at: Int64) {
    let spans = Attribute.ints(states.flatMap { [$0.1.lowerBound, Int64($0.1.count)] })
    b.emit(Op(results: [name], .linattnPrefix, states.map { .value($0.0) }, attributes: attributes(["spans": spans, "at": .int(at)]), types: [stateType]))
  }

  private mutating func finish(_ result: String, _ run: Run, intra: String, prefix: String?) {
    let operands = [run.q, intra] + (prefix.map { [$0] } ?? [])
    b.emit(
      Op(
        results: [result], .linattnFinish, operands.map(Operand.value), attributes: attributes(["tokens": span(run.tokens)]),
        types: [PlanBuilder.rows(x.outType, Int64(run.tokens.count))]))
  }

  mutating func lasp2() -> Lowering {
    let (st, intraName, pre) = (b.name + ".st", b.name + ".in", b.name + ".pre")
    let chan = b.channel(.state)
    let peers = (0..<site.ranks).filter { $0 != me }
    let local = localRuns()
    // Every run's state, named as this rank sees it.
    func names(_ r: Int) -> [String] {
      runs[r].indices.map { i in (r == me ? st : "\(st).r\(r)") + (runs[r].count > 1 ? ".\(i)" : "") }
    }
    for (run, name) in zip(local, names(me)) { state(name, run) }
    for p in peers { b.sendStart(names(me), chan, to: p, step: 0) }
    for p in peers { b.recvStart(names(p), Array(repeating: stateType, count: runs[p].count), chan, from: p, step: 0) }
    for run in local { intra(intraName + run.suffix, run) }
    for p in peers { b.recvDone(names(p)) }
    for p in peers { b.sendDone(names(me), chan, to: p, step: 0) }
    let all = (0..<site.ranks).flatMap { r in zip(names(r), runs[r]).map { ($0, $1) } }
    var outputs: [String] = []
    for run in local {
      // Causal: the runs that end by this one's start; else every other run.
      let counted = all.filter { $0.1 != run.tokens && (!params.causal || $0.1.upperBound <= run.tokens.lowerBound) }
      let output = local.count > 1 ? "\(b.name).o\(run.suffix)" : x.out
      if counted.isEmpty {
        finish(output, run, intra: intraName + run.suffix, prefix: nil)
      } else {
        prefix(pre + run.suffix, counted, at: run.tokens.lowerBound)
        finish(output, run, intra: intraName + run.suffix, prefix: pre + run.suffix)
      }
      outputs.append(output)
    }
    if local.count > 1 {
      b.emit(Op(results: [x.out], .concat, outputs.map(Operand.value), attributes: ["axis": .int(0)], types: [x.outType]))
    }
    return b.lowering
  }

  /// LASP-1's chain needs one run per rank, in rank order.
  private func contiguousSpans() throws(CompileError) -> [Range<Int64>] {
    var spans: [Range<Int64>] = []
    for (r, t) in runs.enumerated() {
      let start = spans.last?.upperBound ?? 0
      guard t.count == 1, t[0].isEmpty || t[0].lowerBound == start else {
        throw site.fail("lasp1 passes states along contiguous shards in rank order (rank \(r) holds \(TokenRanges(t))); the layout is \(site.layout): use lasp2, which takes any layout")
      }
      spans.append(start..<(start + Int64(t[0].count)))
    }
    return spans
  }

  mutating func lasp1() throws(CompileError) -> Lowering {
    let spans = try contiguousSpans()
    let (st, intraName, pre) = (b.name + ".st", b.name + ".in", b.name + ".pre")
    let chan = b.channel(.state)
    let (p, mine) = (site.ranks, spans[me])
    let run = Run(tokens: mine, q: x.q, k: x.k, v: x.v, suffix: "")
    let end = spans.last?.upperBound ?? 0
    // The forward chain: step r carries the sum of ranks ≤ r to r+1. Not
    // causal, the backward chain: step P + r carries the sum of ranks ≥ r to r−1.
    let forward = Chain(name: b.name + ".fwd", from: me > 0 ? me - 1 : nil, to: me < p - 1 ? me + 1 : nil,
      received: 0..<mine.lowerBound, sendStep: me, receiveStep: me - 1, sendAt: mine.upperBound)
    let backward = Chain(name: b.name + ".bwd", from: me < p - 1 ? me + 1 : nil, to: me > 0 ? me - 1 : nil,
      received: mine.upperBound..<end, sendStep: p + me, receiveStep: p + me + 1, sendAt: end)
    // Each rank serves first the chain whose sum reaches it first, so neither chain waits on the other.
    let chains = params.causal ? [forward] : me < p / 2 ? [forward, backward] : [backward, forward]
    state(st, run)
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
    intra(intraName, run)
    switch known.count {
    case 0: finish(x.out, run, intra: intraName, prefix: nil)
    case 1: finish(x.out, run, intra: intraName, prefix: known[0].0)
    default:
      prefix(pre, known, at: mine.lowerBound)
      finish(x.out, run, intra: intraName, prefix: pre)
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
