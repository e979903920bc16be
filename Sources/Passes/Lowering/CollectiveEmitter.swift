import GraphIR
import PlanIR

/// The strategies built on collectives.
///
/// - all-gather CP (Llama 3, Megatron `all_gather`): every rank gathers all of
///   K and V (`all_gather`, rank order) and attends its own queries to them;
///   the mask works on global positions, so the layout is free (zigzag when
///   causal). Costs the whole K/V in memory on every rank. Under a local
///   mask the gather is restricted to the needed blocks (`neededGather`).
/// - Ulysses (DeepSpeed): `all_to_all` turns sequence shards into head shards
///   (each rank: all tokens of the group, H/U query heads), full attention per
///   head, and the inverse `all_to_all` turns the output back. U must divide
///   H; with fewer kv heads than ranks each kv head is first repeated
///   (`repeat_kv`), as the real implementations do.
/// - USP (Fang & Zhao): Ulysses inside groups of U consecutive ranks, and a
///   ring (Ring or TokenRing) over the R ranks that hold the same heads.
///
/// Before, rank 0 of 2 of `models/tiny.ir` (contiguous for Ulysses: tokens 0..<16):
///
///     %a = attention %qr, %kr, %vh {causal = true} : f32[16,4,16]
///
/// After `ulysses`: rank 0 ends up with all 32 tokens of query heads 0–1 and
/// kv head 0, and the last `all_to_all` gives its tokens back all 4 heads
/// (`allgather` is in `LowerAttentionPass`'s doc comment):
///
///     %a.uq = all_to_all %qr {chan = @a.a2a, concat_axis = 0, group = [0, 1], split_axis = 1, step = 0} : f32[32,2,16]
///     %a.uk = all_to_all %kr {chan = @a.a2a, concat_axis = 0, group = [0, 1], split_axis = 1, step = 1} : f32[32,1,16]
///     %a.uv = all_to_all %vh {chan = @a.a2a, concat_axis = 0, group = [0, 1], split_axis = 1, step = 2} : f32[32,1,16]
///     %a.uo, %a.ul = attn.block %a.uq, %a.uk, %a.uv {causal = true,
///       k_tokens = [0, 32], q_tokens = [0, 32], scale = 0.25, step = 0} : f32[32,2,16], f32[2,32]
///     %a = all_to_all %a.uo {chan = @a.a2a, concat_axis = 1, group = [0, 1], split_axis = 0,
///       split_sizes = [16, 16], step = 3} : f32[16,4,16]
///
/// USP needs four ranks for both levels; with `usp:2x2:ring`, rank 0 runs the
/// same three `all_to_all`s within ranks 0–1 (`f32[16,2,16]`), then the
/// zigzag Ring program over ranks 0 and 2 on the head-sharded K/V (`peer = 2`),
/// then the inverse `all_to_all`.
///
/// Invariant: a collective's `group` lists the same ranks in the same order
/// on every member, and every member reaches it at the same op.
struct CollectiveEmitter {
  var b: PlanBuilder
  let site: AttentionSite
  let x: AttentionOperands

  init(_ builder: PlanBuilder, site: AttentionSite, operands: AttentionOperands) {
    b = builder
    self.site = site
    x = operands
  }

  private func rows(_ t: TensorType, _ n: Int64) -> TensorType { PlanBuilder.rows(t, n) }

  mutating func allGather() -> Lowering {
    if Mask(b.mask).isLocal { return neededGather() }
    let group = Array(0..<site.ranks)
    let all = TokenRanges(site.tokens.flatMap(\.ranges))
    let (kg, vg) = (b.name + ".kg", b.name + ".vg")
    b.allGather(kg, x.k, group: group, chan: b.channel(.key), step: 0, type: rows(x.keyType, all.count))
    b.allGather(vg, x.v, group: group, chan: b.channel(.value), step: 0, type: rows(x.valueType, all.count))
    b.block(
      (x.out, x.out + ".lse"), q: x.q, k: kg, v: vg, qTokens: site.tokens[site.rank], kTokens: all, step: 0,
      outType: x.outType)
    return b.lowering
  }

  /// All-gather under a local mask (documents, a window): a gather
  /// restricted to the needed blocks. Every rank sends each other rank, in
  /// one message, only its K/V runs that rank's queries see (nothing where
  /// they see none), attends its own block while they travel (step 0), then
  /// the received runs, concatenated, with the span of its query runs that
  /// see them (step 1), merged into the first.
  private mutating func neededGather() -> Lowering {
    let (p, me, mask) = (site.ranks, site.rank, Mask(b.mask))
    let group = RingGroup(members: Array(0..<p), index: me, tokens: site.tokens, chunks: [], memo: site.memo)
    let channel = b.channel(.kv)
    let all = { (m: Int) in Array(group.runs(m).indices) }
    var sent: [(peer: Int, values: [String])] = []
    var received: [(peer: Int, runs: [Int], seeing: [Int], k: String, v: String)] = []
    for d in 1..<max(1, p) {
      let (to, from) = (group.mod(me + d), group.mod(me - d))
      let theirs = group.visibleRuns(queries: to, keys: me, mask).k
      if !theirs.isEmpty {
        let k = b.rows(of: x.k, x.keyType, group, me, theirs, in: all(me), as: "\(b.name).k.to\(to)")
        let v = b.rows(of: x.v, x.valueType, group, me, theirs, in: all(me), as: "\(b.name).v.to\(to)")
        b.sendStart([k, v], channel, to: to, step: 0)
        sent.append((to, [k, v]))
      }
      let ours = group.visibleRuns(queries: me, keys: from, mask)
      if !ours.k.isEmpty {
        let (k, v) = ("\(b.name).k.from\(from)", "\(b.name).v.from\(from)")
        let n = group.rows(from, ours.k)
        b.recvStart([k, v], [rows(x.keyType, n), rows(x.valueType, n)], channel, from: from, step: 0)
        received.append((from, ours.k, ours.q, k, v))
      }
    }
    let final = (x.out, x.out + ".lse")
    let own = site.tokens[me]
    let local = received.isEmpty ? final : (b.n("acc", 0), b.n("lacc", 0))
    b.block(local, q: x.q, k: x.k, v: x.v, qTokens: own, kTokens: own, step: 0, outType: x.outType)
    for r in received { b.recvDone([r.k, r.v]) }
    for s in sent { b.sendDone(s.values, channel, to: s.peer, step: 0) }
    guard !received.isEmpty else { return b.lowering }
    let kTokens = TokenRanges(received.flatMap { group.tokens($0.peer, $0.runs).ranges })
    var (k, v) = (received[0].k, received[0].v)
    if received.count > 1 {
      (k, v) = (b.name + ".kg", b.name + ".vg")
      b.op(.concat, k, received.map(\.k), attributes: ["axis": .int(0)], type: rows(x.keyType, kTokens.count))
      b.op(.concat, v, received.map(\.v), attributes: ["axis": .int(0)], type: rows(x.valueType, kTokens.count))
    }
    let seeing = received.flatMap(\.seeing)
    let span = Array(seeing.min()!...seeing.max()!)
    let q = b.rows(of: x.q, x.queryType, group, me, span, in: all(me), as: b.name + ".qg")
    let part = (b.n("o", 1), b.n("l", 1))
    b.block(part, q: q, k: k, v: v, qTokens: group.tokens(me, span), kTokens: kTokens, step: 1, outType: x.outType)
    b.merge(final, acc: local, part: part, offset: group.offset(me, span, in: all(me)), outType: x.outType)
    return b.lowering
  }

  private func heads(_ t: TensorType) -> Int64 {
    guard case .literal(let h) = t.dims[1] else { preconditionFailure("heads are not concrete") }
    return h
  }

  private func withHeads(_ t: TensorType, rows n: Int64, heads h: Int64) -> TensorType {
    TensorType(t.dtype, [.literal(n), .literal(h), t.dims[2]])
  }

  /// The step of the attention after the three all-to-alls in.
  static let firstComputeStep: Int64 = 3

  /// Ulysses over groups of `degree` consecutive ranks; with `inner`, a ring
  /// over the groups (USP).
  /// `window`: the ring is LoongTrain's double ring with inner rings of that many ranks.
  mutating func ulysses(degree u: Int, inner: Strategy.Inner?, window: Int? = nil) throws(CompileError) -> Lowering {
    let (h, kvh) = (heads(x.queryType), heads(x.keyType))
    let name = window != nil ? "loongtrain" : inner == nil ? "ulysses" : "usp"
    if h % Int64(u) != 0 {
      throw site.fail("\(name) needs the query heads (\(h)) to be a multiple of the Ulysses degree \(u)")
    }
    var factor: Int64 = 1
    if kvh % Int64(u) != 0 {
      guard Int64(u) % kvh == 0 else {
        throw site.fail("\(name) cannot share \(kvh) kv heads among \(u) ranks (neither divides the other)")
      }
      factor = Int64(u) / kvh
    }
    // USP's groups as the layout places them (consecutive, or strided for
    // LoongTrain's context-first placement); plain Ulysses: every rank.
    let twoLevel = site.layout.groupSize == u && u > 1
    let groupIndex = twoLevel ? site.layout.group(of: site.rank, ranks: site.ranks) : site.rank / u
    let members = twoLevel ? site.layout.members(group: groupIndex, ranks: site.ranks) : Array((groupIndex * u)..<(groupIndex * u + u))
    let piece = members.firstIndex(of: site.rank) ?? 0
    let groupTokens = TokenRanges(members.flatMap { site.tokens[$0].ranges })
    let n = groupTokens.count
    let channel = b.channel(.heads)
    var (k, v, kvHeads) = (x.k, x.v, kvh)
    if factor > 1 {
      (k, v, kvHeads) = (b.name + ".krep", b.name + ".vrep", kvh * factor)
      b.repeatKV(k, x.k, factor: factor, type: withHeads(x.keyType, rows: site.tokens[site.rank].count, heads: kvHeads))
      b.repeatKV(v, x.v, factor: factor, type: withHeads(x.valueType, rows: site.tokens[site.rank].count, heads: kvHeads))
    }
    let localQ = withHeads(x.queryType, rows: n, heads: h / Int64(u))
    let localK = withHeads(x.keyType, rows: n, heads: kvHeads / Int64(u))
    let localV = withHeads(x.valueType, rows: n, heads: kvHeads / Int64(u))
    let localOut = withHeads(x.outType, rows: n, heads: h / Int64(u))
    let (uq, uk, uv, uo) = (b.name + ".uq", b.name + ".uk", b.name + ".uv", b.name + ".uo")
    b.allToAll(uq, x.q, group: members, split: 1, concat: 0, sizes: nil, chan: channel, step: 0, type: localQ)
    b.allToAll(uk, k, group: members, split: 1, concat: 0, sizes: nil, chan: channel, step: 1, type: localK)
    b.allToAll(uv, v, group: members, split: 1, concat: 0, sizes: nil, chan: channel, step: 2, type: localV)
    let operands = AttentionOperands(
      q: uq, k: uk, v: uv, queryType: localQ, keyType: localK, valueType: localV, out: uo, outType: localOut)
    // The three all-to-alls are steps 0–2; what follows starts at step 3, and
    // the all-to-all back takes the step after it, so no two phases share a
    // step in stats or in the simulator's step table.
    var last = Self.firstComputeStep
    if let inner {
      let first = b.ops.count
      // The ring joins the ranks holding the same heads: the same place in every group.
      let groups = site.ranks / u
      let ring = RingGroup(
        members: (0..<groups).map { twoLevel ? site.layout.members(group: $0, ranks: site.ranks)[piece] : $0 * u + piece },
        index: groupIndex,
        tokens: site.layout.groupTokens(sequence: site.sequence, groups: groups),
        chunks: TokenLayout.chunks(sequence: site.sequence, count: site.layout.chunkCount(groups: groups)), memo: site.memo)
      switch inner {
      case .tokenring:
        var e = TokenRingEmitter(b, group: ring, operands: operands)
        _ = e.emit()
        b = e.b
      case .ring:
        var e = RingEmitter(
          b, group: ring, operands: operands, causal: site.causal, zigzag: site.layout.kind == .zigzag, window: window)
        _ = e.emit()
        b = e.b
      }
      last = b.shiftSteps(from: first, by: Self.firstComputeStep)
    } else {
      b.block((uo, b.name + ".ul"), q: uq, k: uk, v: uv, qTokens: groupTokens, kTokens: groupTokens, step: Int(last), outType: localOut)
    }
    b.allToAll(
      x.out, uo, group: members, split: 0, concat: 1, sizes: members.map { site.tokens[$0].count }, chan: channel,
      step: Int(last) + 1, type: x.outType)
    return b.lowering
  }
}
