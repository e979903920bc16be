import GraphIR
import PlanIR

/// `shard-sequence{layout=zigzag|contiguous|striped|document-zigzag|document-greedy, group=U}`: stage graph → partitioned.
///
/// Gives every rank its own copy of every graph, `@g` → `@g.r0 … @g.r{P−1}`,
/// each marked `attributes {rank = r, source = @g}` (the source graphs are
/// kept beside them),
/// in which the sequence dimension S becomes the rank's token count and
/// `positions` lists the rank's global token positions:
///
///     %pos = positions : i32[S]                       // before (S = 8)
///     %pos = positions {ranges = [0, 1, 7, 1]} : i32[2]   // after, rank 0 of 4, zigzag
///
/// Token-local ops (projections, norms, MLP, residuals) need nothing else:
/// each rank runs them on its own rows. `attention` stays and is now
/// collective (rank r computes its rows against every rank's keys) until a
/// strategy pass lowers it. The layout defaults to zigzag when the model has
/// causal attention (it balances the causal triangle) and contiguous
/// otherwise. `group=U` gives USP's two-level layout (`zigzag/U`): the layout
/// over P/U groups of U ranks, each group's tokens cut into U pieces.
/// `document-zigzag` and `document-greedy` balance the documents the model's
/// attentions keep apart (`DocumentBalance`).
///
/// A model whose ops mix tokens other than through `attention` (the sequence
/// dimension anywhere but axis 0, or as a matmul's right operand) cannot be
/// sharded by rows; the pass says where.
public struct ShardSequencePass: Pass {
  public static let passName = "shard-sequence"
  public var name: String { Self.passName }
  public var consumes: Stage { .graph }
  public var produces: Stage { .partitioned }
  /// The layout kind; nil picks zigzag for causal models, else contiguous.
  public var layout: TokenLayout.Kind?
  public var groupSize: Int
  /// Tokens per stripe of the striped layout; nil picks 64 stripes per rank.
  public var stripeWidth: Int64?
  /// A group's ranks strided P/U apart (`K/U/strided`, LoongTrain's context-first placement).
  public var strided = false

  public init(layout: TokenLayout.Kind? = nil, groupSize: Int = 1, stripeWidth: Int64? = nil) {
    self.layout = layout
    self.groupSize = groupSize
    self.stripeWidth = stripeWidth
  }

  public func run(_ module: inout Module, _ context: PassContext) throws(CompileError) {
    guard Stage(of: module) == .graph else {
      throw CompileError("shard-sequence expects a module at stage graph, found \(Stage(of: module))")
    }
    guard let seqDim = module.sequenceDim else {
      throw CompileError(
        "module @\(module.name) declares no sequence dimension ('dim S = N {sequence = true}'), so it cannot be split",
        at: module.location)
    }
    let p = context.sp
    if p % groupSize != 0 {
      throw CompileError("--sp \(p) is not a multiple of the group size \(groupSize)", isUsage: true)
    }
    var layout = TokenLayout(
      self.layout ?? (Self.hasCausalAttention(module) ? .zigzag : .contiguous), groupSize: groupSize, strided: strided)
    if layout.kind.balancesDocuments {
      guard groupSize == 1 else {
        throw CompileError("the \(layout.kind.rawValue) layout is one-level; it cannot split groups of \(groupSize) ranks", isUsage: true)
      }
      let found = DocumentBalance.documents(of: module)
      guard let documents = found.documents else {
        throw CompileError(
          found.agree
            ? "the \(layout) layout balances packed documents, but no attention keeps documents apart; give --documents"
            : "the \(layout) layout balances one set of packed documents, but the model's attentions keep different documents apart",
          isUsage: true)
      }
      layout = TokenLayout(layout.kind, documents: documents, causal: found.causal)
    }
    if layout.kind == .striped {
      layout = stripeWidth.map { TokenLayout(.striped, stripeWidth: $0) } ?? .striped(sequence: seqDim.value, ranks: p)
      let stripes = layout.stripeCount(sequence: seqDim.value)
      if stripes < Int64(p) {
        throw CompileError(
          "--sp \(p) with stripes of \(layout.stripeWidth) tokens needs \(p) stripes; the sequence \(seqDim.name) has \(seqDim.value) tokens, \(stripes) stripe(s)",
          isUsage: true)
      }
      if stripes / Int64(p) > TokenLayout.stripeLimit {
        throw CompileError(
          "stripes of \(layout.stripeWidth) tokens give each of the \(p) ranks \(stripes / Int64(p)) stripes; the plan lists every stripe, so at most \(TokenLayout.stripeLimit) are allowed (use a wider stripe)",
          isUsage: true)
      }
    }
    let needed = layout.minimumSequence(ranks: p)
    if seqDim.value < needed {
      throw CompileError(
        "--sp \(p) with the \(layout) layout needs at least \(needed) tokens (\(needed / Int64(p)) per rank); "
          + "the sequence \(seqDim.name) has \(seqDim.value) (raise --seq or lower --sp)", isUsage: true)
    }
    try checkShardable(module, seq: seqDim.name)
    let tokens = layout.tokens(sequence: seqDim.value, ranks: p)
    // The source graphs stay: a plan carries its whole-sequence model, so the
    // runtime can compute the dense reference (`ringc run --check`).
    var graphs = module.graphs
    for g in module.graphs {
      for r in 0..<p {
        graphs.append(shard(g, rank: r, tokens: tokens[r], seq: seqDim.name, bindings: module.bindings))
      }
    }
    module.graphs = graphs
    PlanHeader(stage: .partitioned, sp: p, layout: layout).write(to: &module)
  }

  static func hasCausalAttention(_ module: Module) -> Bool {
    module.graphs.contains { g in
      g.ops.contains { $0.opcode == .attention && $0.attributes["causal"] == .bool(true) }
    }
  }

  private func checkShardable(_ module: Module, seq: String) throws(CompileError) {
    var errors: [Diagnostic] = []
    let s = Dim.named(seq)
    for w in module.weights where w.type.dims.contains(s) {
      errors.append(.error("weight @\(w.name) has the sequence dimension \(seq); weights cannot be split by tokens", at: w.location))
    }
    for g in module.graphs {
      var types = Dictionary(g.arguments.map { ($0.name, $0.type) }, uniquingKeysWith: { a, _ in a })
      for a in g.arguments where a.type.dims.dropFirst().contains(s) {
        errors.append(.error("argument %\(a.name) has \(seq) off axis 0: \(a.type)", at: a.location))
      }
      for op in g.ops {
        for (name, t) in zip(op.results, op.resultTypes) { types[name] = t }
        if case .positions = op.opcode, op.attributes["ranges"] != nil {
          errors.append(.error("positions is already sharded (it has ranges)", at: op.location))
        }
        for t in op.resultTypes where t.dims.dropFirst().contains(s) {
          errors.append(.error("'\(op.opcode.rawValue)' puts the sequence dimension \(seq) off axis 0 (\(t)); only attention may mix tokens", at: op.location))
        }
        if op.opcode == .attention || op.opcode == .linearAttention {
          // Every strategy splits queries and keys by the same layout, so
          // all three must run over the sequence; keys of another length
          // (cross-attention) would be taken for a rank's share of tokens.
          for (i, role) in ["queries", "keys", "values"].enumerated() {
            guard case .value(let v) = op.operands[i], let t = types[v], t.dims.first != s else { continue }
            errors.append(.error(
              "attention's \(role) %\(v) are \(t), not over the sequence \(seq) on axis 0; sequence-parallel attention splits queries, keys and values alike, so cross-attention (keys of another length) is not supported",
              at: op.location(ofOperand: i)))
          }
        }
        if op.opcode == .matmul, case .value(let rhs) = op.operands[1], types[rhs]?.dims.contains(s) == true {
          errors.append(.error("matmul's right operand %\(rhs) spans the sequence \(seq); only attention may mix tokens", at: op.location(ofOperand: 1)))
        }
      }
    }
    if !errors.isEmpty { throw CompileError(errors) }
  }

  /// Rank `rank`'s copy of `g`: the sequence dim becomes the rank's token
  /// count and every other named dim its declared value, so rank programs
  /// hold only literal dims (the lowerings read head counts and widths).
  private func shard(_ g: Graph, rank: Int, tokens: TokenRanges, seq: String, bindings: DimBindings) -> Graph {
    let local = Dim.literal(tokens.count)
    func localType(_ t: TensorType) -> TensorType {
      TensorType(t.dtype, t.dims.map { d in d == .named(seq) ? local : bindings.value(of: d).map(Dim.literal) ?? d })
    }
    var out = g
    out.name = Plan.rankGraphName(g.name, rank: rank)
    out.rankProgram = RankProgram(source: g.name, rank: rank)
    out.arguments = g.arguments.map { GraphArgument($0.name, localType($0.type), location: $0.location) }
    out.resultTypes = g.resultTypes.map(localType)
    out.ops = g.ops.map { op in
      var op = op
      op.resultTypes = op.resultTypes.map(localType)
      if op.opcode == .positions { op.attributes["ranges"] = tokens.attribute }
      if op.opcode == .repeat, case .symbol(let callee) = op.operands[0] {
        op.operands[0] = .symbol(Plan.rankGraphName(callee, rank: rank))
      }
      return op
    }
    return out
  }
}
