import GraphIR
import PlanIR

/// Ring Self-Attention (Li et al. 2021, "Sequence Parallelism: Long Sequence
/// Training from System Perspective"): two ring passes without online
/// softmax. Keys circulate first; each rank computes its score block against
/// every key block (`attn.scores`) and keeps them, so it ends with whole score
/// rows `f32[H, n, S]` — the memory cost that made Ring Attention replace it.
/// One `softmax` over the rows, then values circulate and every block applies
/// its columns (`attn.apply`); the blocks sum to the output. Causal blocks the
/// mask hides entirely are skipped (their keys and values still travel).
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

  mutating func emit() -> [Op] {
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
    Self.circulate(&b, group, x.k, type: x.keyType, kind: "k", firstStep: 0) { b, s, k in
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
    Self.circulate(&b, group, x.v, type: x.valueType, kind: "v", firstStep: p) { b, s, v in
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
    return b.ops
  }

  /// Sends `start` around the ring, P−1 hops, calling `body(s, name)` with the
  /// block held at each step while the next one is in flight.
  private static func circulate(
    _ b: inout PlanBuilder, _ group: RingGroup, _ start: String, type: TensorType, kind: String, firstStep: Int,
    _ body: (inout PlanBuilder, Int, String) -> Void
  ) {
    let p = group.size
    let channel = b.channel(kind)
    var current = start
    for s in 0..<p {
      let next = b.n(kind, s + 1)
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
