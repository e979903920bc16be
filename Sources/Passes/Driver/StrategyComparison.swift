import GraphIR
import PlanIR
import Simulation

/// Compiles a model with every strategy that can serve it and simulates each
/// plan on a profile: the table behind `ringc compare` and `--strategy auto`.
public struct StrategyComparison: Sendable {
  public struct Row: Sendable {
    public var strategy: Strategy
    /// The document-balancing layout the strategy ran on; nil: its own.
    public var layout: TokenLayout.Kind?
    /// The strategy, and the layout when it is not the strategy's own: `ring (document-zigzag)`.
    public var name: String { strategy.description + (layout.map { " (\($0.rawValue))" } ?? "") }
    /// Why the strategy cannot serve the model at this P (nil if it can).
    public var refusal: String?
    /// Predicted seconds of one attention layer (its whole program) and of the forward pass.
    public var layerSeconds = 0.0
    public var totalSeconds = 0.0
    /// The most bytes one rank sends per layer.
    public var bytesPerRank: Int64 = 0
    /// The most bytes live on one rank in the attention region.
    public var peakBytes: Int64 = 0
    /// The most time one rank waits for communication per layer.
    public var exposedSeconds = 0.0
    /// Steps whose communication outlasts their compute, of all steps.
    public var communicationBoundSteps = 0
    public var steps = 0
    /// The fullest rank's device memory (`DeviceMemory`: weights, activations).
    public var memory: DeviceMemory?
    /// False when that rank's weights and activations exceed the device's memory.
    public var fits = true
    /// Layers of the forward pass.
    public var layers = 0
    public var plan: Module?
    /// Per layer of each kind, its attention's predicted time on the slowest
    /// rank (`AttentionKindTimes`); nil where the model has no such layer.
    public var linearSeconds: Double?
    public var softmaxSeconds: Double?
  }

  public var rows: [Row]
  /// The ranks every strategy was compiled for.
  public let sp: Int
  /// The profile's device memory, bytes.
  public let capacity: Double

  /// The strategies worth trying for `sp` ranks on `model`: for softmax
  /// attention every one-level strategy and every USP split U × R = P with
  /// both U and R above 1; TASP's per-node rings where the ranks are several
  /// nodes of `nodeSize`; for linear attention LASP-2 and LASP-1; for a model
  /// with both, each LASP with each softmax strategy.
  public static func candidates(sp: Int, model: Module? = nil, nodeSize: Int? = nil) -> [Strategy] {
    var softmax: [Strategy] = [.tokenring, .tokenringTASP(.mesh), .passq, .tasp(.mesh), .ring, .ringZigzag, .striped(width: nil), .rsa, .ulysses, .allgather]
    if let m = nodeSize, HamiltonianRings.whyNotAcrossNodes(ranks: sp, nodeSize: m) == nil {
      softmax += [.tasp(.nodes(m)), .tokenringTASP(.nodes(m))]
    }
    for u in 2..<max(2, sp) where sp % u == 0 && sp / u > 1 {
      softmax.append(.usp(ulysses: u, ring: sp / u, inner: .ring))
      softmax.append(.usp(ulysses: u, ring: sp / u, inner: .tokenring))
    }
    softmax += loongtrainCandidates(sp: sp)
    let ops = model?.graphs.flatMap(\.ops) ?? []
    guard ops.contains(where: { $0.opcode == .linearAttention }) else { return softmax }
    let hasSoftmax = ops.contains { $0.opcode == .attention }
    return Strategy.Linear.allCases.flatMap { linear in
      hasSoftmax ? softmax.map { Strategy.linear(linear, softmax: $0) } : [Strategy.linear(linear, softmax: nil)]
    }
  }

  /// LoongTrain splits H × C = P that USP does not already cover: every
  /// window 1 < W < C (a one-rank window is the plain ring), both placements
  /// when H > 1, and context-first with one ring (W = C; head-first with
  /// W = C is USP).
  static func loongtrainCandidates(sp: Int) -> [Strategy] {
    var out: [Strategy] = []
    for h in 1...max(1, sp) where sp % h == 0 && sp / h > 1 {
      let c = sp / h
      for w in 2..<c where c % w == 0 {
        for placement in h > 1 ? Strategy.LoongTrain.Placement.allCases : [.headFirst] {
          out.append(.loongtrain(Strategy.LoongTrain(heads: h, context: c, window: w, placement: placement)))
        }
      }
      if h > 1 { out.append(.loongtrain(Strategy.LoongTrain(heads: h, context: c, window: c, placement: .contextFirst))) }
    }
    return out
  }

  /// The strategies that take a document-balancing layout, each on both,
  /// when `model`'s attentions keep packed documents apart; else none.
  public static func balancedCandidates(model: Module) -> [(Strategy, TokenLayout.Kind)] {
    guard DocumentBalance.documents(of: model).documents != nil else { return [] }
    return TokenLayout.documentLayoutStrategies.flatMap { s in
      TokenLayout.Kind.allCases.filter(\.balancesDocuments).map { (s, $0) }
    }
  }

  /// `strategies` (default: every candidate, and for packed documents the
  /// balanced ones) each compiled and simulated.
  public init(model: Module, sp: Int, profile: DeviceProfile, strategies: [Strategy]? = nil) {
    self.sp = sp
    capacity = profile.memoryCapacity
    var runs: [(Strategy, TokenLayout.Kind?)] =
      (strategies ?? Self.candidates(sp: sp, model: model, nodeSize: profile.nodes > 1 ? profile.devicesPerNode : nil)).map { ($0, nil) }
    if strategies == nil { runs += Self.balancedCandidates(model: model).map { ($0.0, $0.1) } }
    // Candidates are independent: compiled and simulated on all cores at
    // once, rows kept in the candidates' order.
    rows = runs.parallelMap { strategy, layout in
      var row = Row(strategy: strategy, layout: layout)
      do {
        let plan = try Compiler.compile(model, sp: sp, strategy: strategy, layout: layout)
        let report = try Simulator(plan: plan, profile: profile).run()
        let stats = try PlanStats(plan)
        let layer = report.programs.filter { !$0.layers.isEmpty }.max { $0.seconds < $1.seconds } ?? report.programs[0]
        let program = stats.programs.first { $0.family == layer.family }
        row.layerSeconds = layer.seconds
        row.totalSeconds = report.totalSeconds
        row.exposedSeconds = layer.exposed.max() ?? 0
        row.steps = layer.steps.count
        row.communicationBoundSteps = layer.steps.filter { $0.communication > $0.compute }.count
        row.bytesPerRank = program.map { p in (0..<stats.sp).map { stats.bytesSent(p, rank: $0) }.max() ?? 0 } ?? 0
        row.peakBytes = program?.peakBytes.max() ?? 0
        row.memory = stats.memory.max { $0.total < $1.total }
        row.fits = Double(row.memory?.total ?? 0) <= profile.memoryCapacity
        row.layers = stats.layerCount
        let kinds = AttentionKindTimes(plan: plan, program: layer)
        (row.linearSeconds, row.softmaxSeconds) = (kinds.linear, kinds.softmax)
        row.plan = plan
      } catch let error as CompileError {
        row.refusal = error.diagnostics.first?.message ?? "cannot compile"
      } catch {
        row.refusal = "\(error)"
      }
      return row
    }
  }

  /// The fastest strategy that serves the model and fits in memory.
  public var winner: Row? {
    rows.filter { $0.refusal == nil && $0.fits }.min { $0.layerSeconds < $1.layerSeconds }
  }

  /// Predictions closer than this are a tie: the cost model's stated
  /// uncertainty (`Simulation/README.md`), not a ranking.
  public static let tieMargin = 0.03

  /// One sentence on why the winner wins, against the runner-up.
  public var reason: String {
    let usable = rows.filter { $0.refusal == nil && $0.fits }.sorted { $0.layerSeconds < $1.layerSeconds }
    guard let best = usable.first else { return nothingFits ?? "no strategy can serve this model on these ranks" }
    guard usable.count > 1 else { return "\(best.name) is the only strategy that serves the model and fits" }
    let second = usable[1]
    let factor = second.layerSeconds / max(best.layerSeconds, 1e-12)
    let percent = String(((factor - 1) * 1e4).rounded() / 100)
    var why: String
    if factor < 1 + Self.tieMargin {
      let tied = usable.prefix { $0.layerSeconds < best.layerSeconds * (1 + Self.tieMargin) }.map(\.name)
      why = "\(tied.joined(separator: ", ")) tie (within \(Int(Self.tieMargin * 100)) %, the cost model's uncertainty); \(best.name) is predicted \(percent) % ahead of \(second.name)"
    } else {
      why = "\(best.name) is \(String((factor * 1000).rounded() / 1000))× faster per layer than \(second.name)"
    }
    // Inside a tie no term is the cause; outside it, name the one that differs.
    if factor >= 1 + Self.tieMargin {
      if second.communicationBoundSteps > best.communicationBoundSteps {
        why += ": \(second.name) waits on communication in \(second.communicationBoundSteps) of \(second.steps) steps, \(best.name) in \(best.communicationBoundSteps) of \(best.steps)"
      } else if second.exposedSeconds > best.exposedSeconds * 1.05 {
        why += ": it exposes \(Self.ms(best.exposedSeconds)) ms of communication per layer, \(second.name) \(Self.ms(second.exposedSeconds)) ms"
      } else {
        why += ": with communication hidden in both, its slowest rank has less work"
      }
    }
    let fewer = best.bytesPerRank < second.bytesPerRank
    let ratio = Double(fewer ? second.bytesPerRank : best.bytesPerRank) / Double(max(fewer ? best.bytesPerRank : second.bytesPerRank, 1))
    // A ratio that rounds to 1.0 says nothing.
    if ratio >= 1.005 {
      why += "; it sends \(String((ratio * 100).rounded() / 100))× \(fewer ? "fewer" : "more") bytes per rank"
    }
    if let kinds = kindRanking { why += "; \(kinds)" }
    return why
  }

  /// Why nothing fits and what would, from the row that holds the least;
  /// nil when some row fits or none compiled.
  var nothingFits: String? {
    guard let least = rows.filter({ $0.refusal == nil }).compactMap({ r in r.memory.map { (r, $0) } })
      .min(by: { $0.1.total < $1.1.total }), !least.0.fits
    else { return nil }
    let (row, m) = least
    var why = "no strategy fits in device memory: the fullest rank of the leanest, \(row.name), holds \(ByteSize.text(m.weights)) of weights and \(ByteSize.text(m.activations)) of activations, over the device's \(ByteSize.text(Int64(capacity)))"
    if Double(m.weights) >= capacity {
      // Sequence parallelism replicates weights; only splitting them helps.
      let perLayer = Double(m.weights) / Double(max(row.layers, 1))
      let fit = max(0, Int((capacity - Double(m.activations)) / perLayer))
      why += "; the weights alone exceed it (every rank holds them all), so more ranks do not help: split the weights (tensor or pipeline parallelism, which ringc does not plan) — about \(min(fit, row.layers)) of the \(row.layers) layers' weights fit on one device beside these activations"
    } else {
      // Activations shrink about as 1/P; weights stay.
      let ranks = Int((Double(sp) * Double(m.activations) / (capacity - Double(m.weights))).rounded(.up))
      why += "; activations shrink with more ranks: about --sp \(ranks) would fit"
    }
    return why
  }

  static func ms(_ seconds: Double) -> String { String((seconds * 1e5).rounded() / 100) }

  /// For a hybrid model: each kind of layer ranked on its own — the LASP
  /// variants by their linear layers' time, the softmax strategies by their
  /// softmax layers' (the two kinds are lowered independently, so the best
  /// pair is the best of each); nil unless the rows have both kinds.
  public var kindRanking: String? {
    let usable = rows.filter { $0.refusal == nil && $0.fits && $0.linearSeconds != nil && $0.softmaxSeconds != nil }
    guard !usable.isEmpty else { return nil }
    func best<Key: Hashable>(_ key: (Strategy) -> Key?, _ seconds: (Row) -> Double?) -> [(Key, Double)] {
      var out: [Key: Double] = [:]
      for r in usable { if let k = key(r.strategy), let t = seconds(r) { out[k] = min(out[k] ?? .infinity, t) } }
      return out.sorted { $0.value < $1.value }.map { ($0.key, $0.value) }
    }
    let linear = best({ if case .linear(let l, _) = $0 { return l.rawValue } else { return nil } }, \.linearSeconds)
    let softmax = best({ $0.softmax?.description }, \.softmaxSeconds)
    func list(_ items: [(String, Double)]) -> String {
      items.prefix(3).map { "\($0.0) \(($0.1 * 1e5).rounded() / 100) ms" }.joined(separator: ", ")
    }
    return "per linear layer: \(list(linear)); per softmax layer: \(list(softmax))"
  }
}
