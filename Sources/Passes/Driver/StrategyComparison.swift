import GraphIR
import PlanIR
import Simulation

/// Compiles a model with every strategy that can serve it and simulates each
/// plan on a profile: the table behind `ringc compare` and `--strategy auto`.
public struct StrategyComparison: Sendable {
  public struct Row: Sendable {
    public var strategy: Strategy
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
    /// False when the attention region does not fit in device memory.
    public var fits = true
    public var plan: Module?
    /// Per layer of each kind, its attention's predicted time on the slowest
    /// rank (`AttentionKindTimes`); nil where the model has no such layer.
    public var linearSeconds: Double?
    public var softmaxSeconds: Double?
  }

  public var rows: [Row]
  /// The ranks every strategy was compiled for.
  public let sp: Int

  /// The strategies worth trying for `sp` ranks on `model`: for softmax
  /// attention every one-level strategy and every USP split U × R = P with
  /// both U and R above 1; for linear attention LASP-2 and LASP-1; for a
  /// model with both, each LASP with each softmax strategy.
  public static func candidates(sp: Int, model: Module? = nil) -> [Strategy] {
    var softmax: [Strategy] = [.tokenring, .ring, .ringZigzag, .striped(width: nil), .rsa, .ulysses, .allgather]
    for u in 2..<max(2, sp) where sp % u == 0 && sp / u > 1 {
      softmax.append(.usp(ulysses: u, ring: sp / u, inner: .ring))
      softmax.append(.usp(ulysses: u, ring: sp / u, inner: .tokenring))
    }
    let ops = model?.graphs.flatMap(\.ops) ?? []
    guard ops.contains(where: { $0.opcode == .linearAttention }) else { return softmax }
    let hasSoftmax = ops.contains { $0.opcode == .attention }
    return Strategy.Linear.allCases.flatMap { linear in
      hasSoftmax ? softmax.map { Strategy.linear(linear, softmax: $0) } : [Strategy.linear(linear, softmax: nil)]
    }
  }

  public init(model: Module, sp: Int, profile: DeviceProfile, strategies: [Strategy]? = nil) {
    self.sp = sp
    rows = (strategies ?? Self.candidates(sp: sp, model: model)).map { strategy in
      var row = Row(strategy: strategy)
      do {
        let plan = try Compiler.compile(model, sp: sp, strategy: strategy)
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
        row.fits = Double(row.peakBytes) <= profile.memoryCapacity
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

  /// One sentence on why the winner wins, against the runner-up.
  public var reason: String {
    let usable = rows.filter { $0.refusal == nil && $0.fits }.sorted { $0.layerSeconds < $1.layerSeconds }
    guard let best = usable.first else { return "no strategy can serve this model on these ranks" }
    guard usable.count > 1 else { return "\(best.strategy) is the only strategy that serves the model and fits" }
    let second = usable[1]
    let factor = second.layerSeconds / max(best.layerSeconds, 1e-12)
    // Within 1% a ratio reads as "1.0×": say the percentage instead.
    let margin = factor < 1.01 ? "\(String(((factor - 1) * 1e5).rounded() / 1000))% faster" : "\(String((factor * 1000).rounded() / 1000))× faster"
    var why = "\(best.strategy) is \(margin) per layer than \(second.strategy)"
    if second.communicationBoundSteps > best.communicationBoundSteps {
      why += ": \(second.strategy) waits on communication in \(second.communicationBoundSteps) of \(second.steps) steps, \(best.strategy) in \(best.communicationBoundSteps) of \(best.steps)"
    } else if second.exposedSeconds > best.exposedSeconds {
      why += ": it exposes less communication"
    } else {
      why += ": it has less work on its slowest rank"
    }
    if best.bytesPerRank < second.bytesPerRank {
      let ratio = Double(second.bytesPerRank) / Double(max(best.bytesPerRank, 1))
      why += "; it sends \(String((ratio * 100).rounded() / 100))× fewer bytes per rank"
    } else if best.bytesPerRank > second.bytesPerRank {
      let ratio = Double(best.bytesPerRank) / Double(max(second.bytesPerRank, 1))
      why += "; it sends \(String((ratio * 100).rounded() / 100))× more bytes per rank but spreads them over more links at once"
    }
    if let kinds = kindRanking { why += "; \(kinds)" }
    return why
  }

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
