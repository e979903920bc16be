import GraphIR
import PlanIR

/// `token-ring`, `ring`, `ring-zigzag`, `rsa`, `ulysses`, `allgather`,
/// `usp{ulysses=U,ring=R,inner=ring|tokenring}`, `lasp2{softmax=S}`,
/// `lasp1{softmax=S}`: stage partitioned → scheduled. (`LinearEmitter` lowers
/// `linear_attention` the same way, for the LASP strategies.)
///
/// Replaces every collective `attention` of every rank by the strategy's
/// explicit program: point-to-point `send`/`recv` pairs, `all_gather` and
/// `all_to_all` collectives, `attn.block` on blocks of global tokens and
/// `attn.merge` of their partials. The ops of each step are emitted in overlap
/// order (starts, compute, dones), so the output is already a schedule.
///
/// Before, rank 0 of 2 of `models/tiny.ir` after `shard-sequence` (zigzag:
/// tokens 0..<8 and 24..<32; 4 query heads, 2 kv heads of 16):
///
///     %a = attention %qr, %kr, %vh {causal = true} : f32[16,4,16]
///
/// After `allgather`, the shortest of the programs (each emitter's doc
/// comment shows its own for the same attention):
///
///     %a.kg = all_gather %kr {chan = @a.k, group = [0, 1], step = 0} : f32[32,2,16]
///     %a.vg = all_gather %vh {chan = @a.v, group = [0, 1], step = 0} : f32[32,2,16]
///     %a, %a.lse = attn.block %qr, %a.kg, %a.vg {causal = true,
///       k_tokens = [0, 8, 24, 8, 8, 16], q_tokens = [0, 8, 24, 8], scale = 0.25, step = 0} : f32[16,4,16], f32[4,16]
///
/// The invariant every strategy keeps: the result is named and typed as the
/// `attention` it replaces, and every query × key pair the mask shows is
/// computed exactly once, on the rank that owns the query or sent home to it.
///
/// Causal attention is split so no block the mask hides is computed: zigzag
/// layouts give every rank one early and one late chunk (TokenRing, ring-zigzag,
/// all-gather, USP), contiguous Ring skips the hidden steps (and is unbalanced).
/// GQA: K/V keep their kv heads; Ulysses replicates kv heads only when it has
/// more ranks than kv heads, as the real implementations do.
public struct LowerAttentionPass: Pass {
  public let strategy: Strategy
  public var name: String { strategy.passName }
  public var consumes: Stage { .partitioned }
  public var produces: Stage { .scheduled }

  public init(_ strategy: Strategy) { self.strategy = strategy }

  public func run(_ module: inout Module, _ context: PassContext) throws(CompileError) {
    var header = try PlanHeader(module)
    let (p, layout) = (header.sp, header.layout)
    let tokens = try Plan.tokens(module)
    guard let seq = module.sequenceDim else { throw CompileError("partitioned module @\(module.name) has no sequence dimension") }
    try checkDegrees(p, layout)
    // TASP's rings: built once, shared by every rank and layer.
    let rings = try taspRings(p)
    var errors: [Diagnostic] = []
    // Usage errors only (a strategy the options chose wrongly) make the whole one a usage error.
    var usage = true
    var channels: [String: ChannelDecl] = [:]
    // Per source graph: programs lowered so far and their ops.
    var lowered: [String: (programs: Int, ops: Int)] = [:]
    // Per attention (source graph, result): what every rank asks of its mask.
    var memos: [[String]: RunMemo] = [:]
    for gi in module.graphs.indices {
      guard let rank = module.graphs[gi].rankProgram?.rank else { continue }
      var types = Dictionary(module.graphs[gi].arguments.map { ($0.name, $0.type) }, uniquingKeysWith: { a, _ in a })
      var ops: [Op] = []
      for op in module.graphs[gi].ops {
        for (r, t) in zip(op.results, op.resultTypes) { types[r] = t }
        guard op.opcode == .attention || op.opcode == .linearAttention else {
          ops.append(op)
          continue
        }
        let attention = [module.graphs[gi].rankProgram!.source, op.results.first ?? ""]
        let memo = memos[attention] ?? RunMemo()
        memos[attention] = memo
        let site = AttentionSite(
          op: op, rank: rank, ranks: p, layout: layout, tokens: tokens, sequence: seq.value,
          types: op.operands.map { o -> TensorType? in if case .value(let v) = o { types[v] } else { nil } }, rings: rings,
          memo: memo)
        do {
          let lowered = try op.opcode == .linearAttention ? site.lowerLinear(strategy) : site.lower(strategy)
          ops += lowered.ops
          for c in lowered.channels { channels[c.name] = c }
        } catch {
          errors += error.diagnostics
          usage = usage && error.isUsage
        }
      }
      module.graphs[gi].ops = ops
      // Refuse as soon as the programs lowered so far say the whole plan
      // would not fit, instead of running out of memory at the end.
      let source = module.graphs[gi].rankProgram!.source
      lowered[source, default: (0, 0)].programs += 1
      lowered[source, default: (0, 0)].ops += ops.count
      let estimate = lowered.values.reduce(0) { $0 + $1.ops / $1.programs * p }
      if estimate > context.opLimit {
        throw CompileError(
          "--sp \(p) with \(strategy) makes a plan of about \(estimate) ops, more than the \(context.opLimit) this machine can hold while compiling (about 1 KiB each, half its memory); lower --sp or pick a strategy with fewer steps (ulysses, usp)",
          kind: .usage)
      }
    }
    if !errors.isEmpty {
      // One error per attention node, not one per rank.
      var seen: Set<String> = []
      throw CompileError(errors.filter { seen.insert("\($0.location?.offset ?? -1)\($0.message)").inserted }, kind: usage ? .usage : .input)
    }
    // Every rank declares the same channels; keep those some op uses.
    var used: Set<String> = []
    for g in module.graphs {
      for op in g.ops { if case .symbol(let c)? = op.attributes["chan"] { used.insert(c) } }
    }
    module.channels += channels.values.filter { used.contains($0.name) }.sorted { $0.name < $1.name }
    header.stage = .scheduled
    header.strategy = strategy
    header.write(to: &module)
  }

  /// The Hamiltonian rings a TASP strategy circulates on; nil for the others.
  private func taspRings(_ p: Int) throws(CompileError) -> HamiltonianRings? {
    let kind: Strategy.TASPRings
    switch strategy.softmax {
    case .tasp(let k)?, .tokenringTASP(let k)?: kind = k
    default: return nil
    }
    guard case .nodes(let m) = kind else { return HamiltonianRings(ranks: p) }
    guard let rings = HamiltonianRings(ranks: p, nodeSize: m) else {
      throw CompileError("--strategy \(strategy): \(HamiltonianRings.whyNotAcrossNodes(ranks: p, nodeSize: m) ?? "")", isUsage: true)
    }
    return rings
  }

  private func checkDegrees(_ p: Int, _ layout: TokenLayout) throws(CompileError) {
    if case .usp(let u, let r, _)? = strategy.softmax {
      guard u * r == p else {
        throw CompileError("--strategy \(strategy) needs ulysses × ring = \(u) × \(r) = \(u * r) ranks, but --sp is \(p)", isUsage: true)
      }
      guard layout.groupSize == u else {
        throw CompileError("usp with ulysses degree \(u) needs the layout \(layout.kind)/\(u), found \(layout)")
      }
    } else if case .loongtrain(let l)? = strategy.softmax {
      guard l.heads * l.context == p else {
        throw CompileError("--strategy \(strategy) needs heads × context = \(l.heads) × \(l.context) = \(l.heads * l.context) ranks, but --sp is \(p)", isUsage: true)
      }
      guard l.context % l.window == 0 else {
        throw CompileError("--strategy \(strategy): the inner-ring window \(l.window) must divide the context-parallel degree \(l.context)", isUsage: true)
      }
      guard layout.groupSize == l.heads, layout.strided == (l.placement == .contextFirst && l.heads > 1) else {
        throw CompileError("loongtrain \(l.placement.rawValue) with \(l.heads) head-parallel ranks needs the layout \(layout.kind)/\(l.heads)\(l.placement == .contextFirst ? "/strided" : ""), found \(layout)")
      }
    } else if layout.groupSize != 1 {
      throw CompileError("\(name) needs a one-level layout, found \(layout)")
    }
  }
}

/// One attention node on one rank, with everything a lowering needs.
struct AttentionSite {
  let op: Op
  let rank: Int
  let ranks: Int
  let layout: TokenLayout
  /// Every rank's global tokens.
  let tokens: [TokenRanges]
  let sequence: Int64
  /// The types of q, k, v (nil for a weight operand).
  let types: [TensorType?]
  /// TASP's Hamiltonian rings over the ranks (TASP strategies only).
  var rings: HamiltonianRings? = nil
  /// Shared by every rank's lowering of this attention.
  var memo = RunMemo()

  var causal: Bool { op.attributes["causal"] == .bool(true) }

  func fail(_ message: String, usage: Bool = false) -> CompileError {
    CompileError(message, at: op.location, isUsage: usage)
  }

  /// A `linear_attention` under LASP-2 or LASP-1; softmax strategies refuse it.
  func lowerLinear(_ strategy: Strategy) throws(CompileError) -> Lowering {
    guard case .linear(let linear, _) = strategy else {
      throw fail("\(strategy) splits softmax attention; linear_attention needs lasp2 or lasp1 (for a hybrid model lasp2h, or lasp2+S with S a softmax strategy)")
    }
    let (builder, operands) = try prepare(
      weights: "linear_attention operands must be per-token values, not weights", notValues: "linear_attention operands must be values")
    var e = try LinearEmitter(builder, site: self, operands: operands)
    return linear == .lasp2 ? e.lasp2() : try e.lasp1()
  }

  /// The builder and q, k, v of this attention; `weights` and `notValues`
  /// are the errors for an operand that is a weight or not a value.
  private func prepare(weights: String, notValues: String) throws(CompileError) -> (PlanBuilder, AttentionOperands) {
    guard let qt = types[0], let kt = types[1], let vt = types[2] else { throw fail(weights) }
    guard case .value(let q) = op.operands[0], case .value(let k) = op.operands[1], case .value(let v) = op.operands[2]
    else { throw fail(notValues) }
    let operands = AttentionOperands(
      q: q, k: k, v: v, queryType: qt, keyType: kt, valueType: vt, out: op.results[0], outType: op.resultTypes[0])
    return (PlanBuilder(attention: op, keyType: kt), operands)
  }

  func lower(_ strategy: Strategy) throws(CompileError) -> Lowering {
    guard let strategy = strategy.softmax else {
      throw fail("\(strategy) lowers linear attention only; this softmax attention needs a hybrid strategy (lasp2h, or \(strategy)+S with S a softmax strategy)")
    }
    let (builder, operands) = try prepare(
      weights: "\(strategy) needs attention operands that are per-token values, not weights", notValues: "attention operands must be values")
    let mask = Mask(op.attributes)
    let what = mask.documents != nil ? "document masks" : "sliding-window attention"
    if let d = mask.documents, d.length != sequence {
      throw fail("the documents cover \(d.length) tokens but the sequence has \(sequence); their last bound must be the sequence length")
    }
    let honoursLocalMasks = "tokenring, ring, ring-zigzag, allgather, ulysses, usp or loongtrain"
    if layout.kind.balancesDocuments && !TokenLayout.documentLayoutStrategies.contains(strategy) {
      throw fail("the \(layout) layout is for tokenring, ring and allgather; \(strategy) keeps its own layout", usage: true)
    }
    switch strategy {
    case .tokenring, .tokenringTASP, .passq, .tasp, .ring, .ringZigzag, .striped, .rsa:
      if mask.isLocal && ![.tokenring, .ring, .ringZigzag].contains(strategy) {
        throw fail("\(strategy) does not support \(what) yet; use \(honoursLocalMasks)")
      }
      let group = RingGroup(
        members: Array(0..<ranks), index: rank, tokens: tokens,
        chunks: TokenLayout.chunks(sequence: sequence, count: layout.chunkCount(groups: ranks)), memo: memo)
      switch strategy {
      case .tokenring, .passq:
        if causal && layout.kind != .zigzag && !layout.kind.balancesDocuments { throw fail("\(strategy) needs the zigzag layout for causal attention; the module is \(layout)") }
        var e = TokenRingEmitter(builder, group: group, operands: operands, partials: strategy == .passq ? .atTheEnd : .home)
        return e.emit()
      case .rsa:
        var e = RSAEmitter(builder, group: group, operands: operands, causal: causal)
        return e.emit()
      case .tasp, .tokenringTASP:
        if causal && layout.kind != .zigzag { throw fail("\(strategy) needs the zigzag layout for causal attention; the module is \(layout)") }
        guard let rings = self.rings else { throw CompileError("internal error: \(strategy) lowered without its Hamiltonian rings") }
        if let problem = rings.problem { throw CompileError("internal error: the Hamiltonian rings of \(ranks) ranks are wrong: \(problem)") }
        let parts = Int64(rings.rings.count)
        var queriesTravel = false
        if case .tokenringTASP = strategy { queriesTravel = true }
        if let fewest = tokens.map(\.count).min(), fewest < parts {
          throw fail("\(strategy) cuts each rank's \(queriesTravel ? "queries" : "keys") into \(parts) parts, one per Hamiltonian ring of \(ranks) ranks, but a rank holds only \(fewest) tokens; use a longer sequence or fewer ranks")
        }
        if queriesTravel {
          var e = TokenRingTASPEmitter(builder, group: group, operands: operands, causal: causal, rings: rings)
          return e.emit()
        }
        var e = TASPEmitter(builder, group: group, operands: operands, causal: causal, rings: rings)
        return e.emit()
      default:
        if strategy == .ringZigzag && layout.kind != .zigzag { throw fail("ring-zigzag needs the zigzag layout; the module is \(layout)") }
        if case .striped = strategy, layout.kind != .striped { throw fail("striped needs the striped layout; the module is \(layout)") }
        var e = RingEmitter(builder, group: group, operands: operands, causal: causal, zigzag: layout.kind == .zigzag)
        return e.emit()
      }
    case .allgather:
      var e = CollectiveEmitter(builder, site: self, operands: operands)
      return e.allGather()
    case .ulysses:
      var e = CollectiveEmitter(builder, site: self, operands: operands)
      return try e.ulysses(degree: ranks, inner: nil)
    case .linear:
      throw fail("\(strategy) is not a softmax strategy")
    case .loongtrain(let l):
      var e = CollectiveEmitter(builder, site: self, operands: operands)
      return try e.ulysses(degree: l.heads, inner: .ring, window: l.window)
    case .usp(let u, _, let inner):
      if causal && layout.kind != .zigzag && inner == .tokenring {
        throw fail("usp with tokenring needs the zigzag layout for causal attention; the module is \(layout)")
      }
      var e = CollectiveEmitter(builder, site: self, operands: operands)
      return try e.ulysses(degree: u, inner: inner)
    }
  }
}
