import GraphIR

/// Ring Self-Attention (Li et al. 2021, "Sequence Parallelism: Long Sequence
/// Training from System Perspective"): two ring passes without online
/// softmax. Keys circulate first; each rank computes its score block against
/// every key block (`attn.scores`) and keeps them, so it ends with whole score
/// rows `f32[H, n, S]` — the memory cost that made Ring Attention replace it.
/// One `softmax` over the rows, then values circulate and every block applies
/// its columns (`attn.apply`); the blocks sum to the output. Causal blocks the
/// mask hides entirely are skipped (their keys and values still travel).
///
/// Before, rank 0 of 2 of `models/tiny.ir` (contiguous: tokens 0..<16):
///
///     %a = attention %qr, %kr, %vh {causal = true} : f32[16,4,16]
///
/// After `rsa`: keys pass in steps 0..<P, values in steps P..<2P; rank 1's
/// block lies in rank 0's future, so only the local one is computed:
///
///     send.start %kr {chan = @a.k, peer = 1, step = 0}
///     %a.k.s1 = recv.start {chan = @a.k, peer = 1, step = 0} : f32[16,2,16]
///     %a.sc.s0 = attn.scores %qr, %kr {causal = true, k_tokens = [0, 16], q_tokens = [0, 16], scale = 0.25, step = 0} : f32[4,16,16]
///     recv.done %a.k.s1
///     send.done %kr {chan = @a.k, peer = 1, step = 0}
///     %a.p = softmax %a.sc.s0 : f32[4,16,16]
///     send.start %vh {chan = @a.v, peer = 1, step = 2}
///     %a.v.s1 = recv.start {chan = @a.v, peer = 1, step = 2} : f32[16,2,16]
///     %a = attn.apply %a.p, %vh {col_start = 0, k_tokens = [0, 16], q_tokens = [0, 16], step = 2} : f32[16,4,16]
///     recv.done %a.v.s1
///     send.done %vh {chan = @a.v, peer = 1, step = 2}
///
/// Invariant: the softmax runs only once a rank holds every visible score
/// column of its queries, and each `attn.apply` reads the probability columns
/// (`col_start`) of the value block it is given.
struct RSAEmitter {
  var b: PlanBuilder
  let group: RingGroup
  let x: AttentionOperands
  let causal: Bool

  init(_ builder: PlanBuilder, group: RingGroup, operands: AttentionOperands, causal: Bool) {
    b = builder
    self.group = group
    x = operands
    self.causal = causal
  }

  mutating func emit() -> Lowering {
    let group = self.group
    let p = group.size
    let me = group.index
    let own = group.tokens[me]
    let heads = x.queryType.dims[1]
    let mask = Mask(causal: causal, window: nil)
    let owners = (0..<p).map { group.mod(me - $0) }
    let visible = owners.map { mask.anyVisible(own, group.tokens[$0]) }
    // Pass 1: keys travel, score blocks stay.
    var blocks: [(step: Int, scores: String, column: Int64)] = []
    var column: Int64 = 0
    let x = self.x
    var b = self.b
    defer { self.b = b }
    Self.circulate(&b, group, x.k, type: x.keyType, kind: .key, base: "k", firstStep: 0) { b, s, k in
      guard visible[s] else { return }
      let scores = b.n("sc", s)
      b.scores(scores, q: x.q, k: k, qTokens: own, kTokens: group.tokens[owners[s]], step: s, heads: heads)
      blocks.append((s, scores, column))
      column += group.tokens[owners[s]].count
    }
    let all = b.name + ".scores"
    let probabilities = b.name + ".p"
    let scoresType = TensorType(.f32, [heads, .literal(own.count), .literal(column)])
    if blocks.count == 1 {
      b.op(.softmax, probabilities, [blocks[0].scores], type: scoresType)
    } else {
      b.op(.concat, all, blocks.map(\.scores), attributes: ["axis": .int(2)], type: scoresType)
      b.op(.softmax, probabilities, [all], type: scoresType)
    }
    // Pass 2: values travel; each block applies its columns of the probabilities.
    var sum: String?
    let lastStep = blocks.last?.step ?? 0
    Self.circulate(&b, group, x.v, type: x.valueType, kind: .value, base: "v", firstStep: p) { b, s, v in
      guard let block = blocks.first(where: { $0.step == s }) else { return }
      let part = s == lastStep && sum == nil ? x.out : b.n("o", s)
      b.apply(
        part, p: probabilities, v: v, column: block.column, qTokens: own, kTokens: group.tokens[owners[s]], step: p + s,
        outType: x.outType)
      if let current = sum {
        let total = s == lastStep ? x.out : b.n("sum", s)
        b.op(.add, total, [current, part], type: x.outType)
        sum = total
      } else {
        sum = part
      }
    }
    return b.lowering
  }

  /// Sends `start` around the ring, P−1 hops, calling `body(s, name)` with the
  /// block held at each step while the next one is in flight.
  private static func circulate(
    _ b: inout PlanBuilder, _ group: RingGroup, _ start: String, type: TensorType, kind: ChannelKind, base: String, firstStep: Int,
    _ body: (inout PlanBuilder, Int, String) -> Void
  ) {
    let p = group.size
    let channel = b.channel(kind)
    var current = start
    for s in 0..<p {
      let next = b.n(base, s + 1)
      if s < p - 1 {
        b.sendStart([current], channel, to: group.peer(1), step: firstStep + s)
        let rows = group.tokens[group.mod(group.index - s - 1)].count
        b.recvStart([next], [PlanBuilder.rows(type, rows)], channel, from: group.peer(-1), step: firstStep + s)
      }
      body(&b, s, current)
      if s < p - 1 {
        b.recvDone([next])
        b.sendDone([current], channel, to: group.peer(1), step: firstStep + s)
      }
      current = next
    }
  }
}
