import GraphIR
import PlanIR
import Simulation

/// How a simulated layer program's time divides between its linear and its
/// softmax attention layers (a hybrid model's `compare` ranks each kind).
/// Each attention layer's ops carry its source location; the layer takes,
/// on the critical path, from the moment the last rank enters it to the
/// moment the last rank leaves it (so a rank that arrives early and waits
/// for the others adds nothing, while a chain of dependent hops, LASP-1's,
/// counts in full). Averaged over the program's layers of each kind.
struct AttentionKindTimes {
  var linear: Double?
  var softmax: Double?

  init(plan: Module, program: SimulationReport.Program) {
    var regions: [SourceLocation: (linear: Bool, start: [Double], end: [Double])] = [:]
    for g in plan.graphs where g.rankProgram?.source == program.family {
      guard let rank = g.rankProgram?.rank, rank < program.opTimes.count else { continue }
      var spans: [SourceLocation: (start: Double, end: Double)] = [:]
      for (op, time) in zip(g.ops, program.opTimes[rank]) {
        guard let location = op.location else { continue }
        if let kind = Self.kind(op, plan), regions[location] == nil { regions[location] = (kind == .linear, [], []) }
        let span = spans[location] ?? time
        spans[location] = (min(span.start, time.start), max(span.end, time.end))
      }
      for (location, span) in spans where regions[location] != nil {
        regions[location]!.start.append(span.start)
        regions[location]!.end.append(span.end)
      }
    }
    func average(linear: Bool) -> Double? {
      let times = regions.values.filter { $0.linear == linear }.map { ($0.end.max() ?? 0) - ($0.start.max() ?? 0) }
      return times.isEmpty ? nil : times.reduce(0, +) / Double(times.count)
    }
    (self.linear, self.softmax) = (average(linear: true), average(linear: false))
  }

  enum Kind { case linear, softmax }

  static let softmaxOps: Set<Opcode> = [.attnBlock, .attnMerge, .attnScores, .attnApply, .repeatKV]

  /// Which kind of attention lowering wrote `op`; nil for ops of neither.
  static func kind(_ op: Op, _ plan: Module) -> Kind? {
    if op.opcode.isLinearAttention { return .linear }
    if softmaxOps.contains(op.opcode) { return .softmax }
    guard case .symbol(let chan)? = op.attributes["chan"] else { return nil }
    return plan.channel(named: chan)?.carries == .state ? .linear : .softmax
  }
}
