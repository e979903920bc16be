import GraphIR

/// `token-ring`: stage partitioned → scheduled.
///
/// Replaces every collective `attention` of every rank by TokenRing (Wang et
/// al. 2024): K and V stay on their owner; queries travel one hop per step;
/// each partial result `(out, lse)` goes straight back to its queries' owner
/// while the next block computes, so both directions of the links work at once.
///
///     %a = attention %q, %k, %v {causal = false} : f16[64,16,72]      // rank 1 of 4
/// becomes, for step 2 (Q of rank 3 in hand, rank 0's partial on its way home):
///
///     send.start %a.q.s2 {chan = "a.q", peer = 2, step = 2}
///     %a.q.s3 = recv.start {chan = "a.q", peer = 0, step = 2} : f16[64,16,72]
///     send.start %a.o.s1, %a.l.s1 {chan = "a.out", peer = 0, step = 2}
///     %a.in.s2, %a.inl.s2 = recv.start {chan = "a.out", peer = 2, step = 2} : f16[64,16,72], f32[16,64]
///     %a.o.s2, %a.l.s2 = attn.block %a.q.s2, %k, %v {…, step = 2} : f16[64,16,72], f32[16,64]
///     recv.done %a.q.s3
///     send.done %a.q.s2 {chan = "a.q", peer = 2, step = 2}
///     recv.done %a.in.s2, %a.inl.s2
///     %a.acc.s2, %a.lacc.s2 = attn.merge %a.acc.s1, %a.lacc.s1, %a.in.s2, %a.inl.s2 {offset = 0} : …
///     send.done %a.o.s1, %a.l.s1 {chan = "a.out", peer = 0, step = 2}
///
/// Non-causal attention (any layout): at step s rank r holds the Q of rank
/// r−s (Q moves forward, r → r+1) and sends the partial of step s−1 to its
/// owner r−s+1. Causal attention needs the zigzag layout: Q moves backward
/// (r → r−1), at step s rank r holds the Q of j = r+s; for j > r it attends
/// the full Q to its front K/V chunk, for j < r the back half of Q to its
/// full K/V, so every block is c²/2 query-key pairs and no block the mask
/// hides is computed; only the half of Q the receiver can use is sent, and
/// half partials come back in the wrap-around case (the reference's
/// `zigzag_token_ring.py`). GQA: K/V keep their kv heads.
///
/// The ops of each step are emitted in overlap order: starts, the block,
/// then the dones, so the output is already a schedule.
public struct TokenRingPass: Pass {
  public static let passName = "token-ring"
  public var name: String { Self.passName }

  public init() {}

  public func run(_ module: inout Module, _ context: PassContext) throws(PassError) {
    guard Stage(of: module) == .partitioned, let p = module.ranks else {
      throw PassError("token-ring expects a partitioned module (run shard-sequence first), found \(Stage(of: module))")
    }
    guard case .string(let layoutName)? = module.attributes["layout"],
      let layout = TokenLayout(rawValue: layoutName), let seq = module.sequenceDim
    else { throw PassError("partitioned module @\(module.name) has no valid layout or sequence dimension") }
    let tokens = layout.tokens(sequence: seq.value, ranks: p)
    var errors: [Diagnostic] = []
    for gi in module.graphs.indices {
      guard let rank = Plan.family(of: module.graphs[gi].name)?.rank else { continue }
      var types = Dictionary(
        module.graphs[gi].arguments.map { ($0.name, $0.type) }, uniquingKeysWith: { a, _ in a })
      var ops: [Op] = []
      for op in module.graphs[gi].ops {
        for (r, t) in zip(op.results, op.resultTypes) { types[r] = t }
        guard op.opcode == .attention else {
          ops.append(op)
          continue
        }
        let causal = op.attributes["causal"] == .bool(true)
        if op.attributes["window"] != nil {
          errors.append(.error("token-ring does not support sliding-window attention yet", at: op.location))
          continue
        }
        if op.operands.contains(where: { if case .symbol = $0 { true } else { false } }) {
          errors.append(.error("token-ring needs attention operands that are per-token values, not weights", at: op.location))
          continue
        }
        if causal && layout != .zigzag {
          errors.append(
            .error("token-ring needs the zigzag layout for causal attention; the module is \(layout)", at: op.location))
          continue
        }
        let operandTypes = op.operands.map { operand -> TensorType in
          switch operand {
          case .value(let v): types[v]!
          case .symbol(let w): module.weight(named: w)!.type
          }
        }
        var emitter = TokenRingEmitter(
          rank: rank, ranks: p, layout: layout, tokens: tokens, attention: op,
          queryType: operandTypes[0], keyType: operandTypes[1], valueType: operandTypes[2],
          chunks: TokenLayout.chunks(sequence: seq.value, count: layout.chunkCount(ranks: p)))
        ops += causal ? emitter.causalZigzag() : emitter.nonCausal()
      }
      module.graphs[gi].ops = ops
    }
    if !errors.isEmpty {
      // One error per attention node, not one per rank.
      var seen: Set<String> = []
      throw PassError(errors.filter { seen.insert("\($0.location?.offset ?? -1)\($0.message)").inserted })
    }
    module.attributes["stage"] = .string(Stage.scheduled.rawValue)
    module.attributes["strategy"] = .string("tokenring")
  }
}
