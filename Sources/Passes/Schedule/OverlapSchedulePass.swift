import GraphIR
import PlanIR
import Simulation

/// `overlap-schedule{profile=NAME[,memory=SIZE]}`: stage scheduled → scheduled.
///
/// Orders every rank's program for a device profile, trying, and keeping the
/// one the simulator predicts fastest:
///
/// - the plan as its strategy wrote it;
/// - each `*.done` as late as the ops that read its buffers allow;
/// - that, and each `send.start` and `recv.start` as early as its operands
///   allow (starts keep their relative order, at most two receives per
///   channel outstanding, which bounds the extra buffers);
/// - each of those with TokenRing's fine-grained partitioning
///   (`PartialSplit`): the blocks whose partials go home computed in 2 or 4
///   slices of query rows, each sent as soon as it exists — for the last
///   step's partials only (the exposed tail), or for every step's.
///
/// Before → after, rank 1 of a TokenRing layer: the partial of step 1 used
/// to leave at step 2,
///
///     %a.o.s1, %a.l.s1 = attn.block …          %a.o.s1, %a.l.s1 = attn.block …
///     recv.done %a.q.s2                        send.start %a.o.s1, %a.l.s1 {…}   // as soon as it exists
///     send.done %a.q.s1 {…}                    …
///     send.start %a.q.s2 {…}
///     send.start %a.o.s1, %a.l.s1 {…}
///
/// Moving starts earlier and dones later never adds a wait, so the plan stays
/// deadlock-free (the plan verifier checks every candidate again). A
/// candidate must also keep each rank's attention working set within the
/// memory budget (`memory`, default the device's capacity): early receives
/// and in-flight pieces hold buffers longer. Reordering is kept on any
/// predicted gain; splitting only when it gains at least 1 % (more, smaller
/// blocks and messages for less is not worth it). Either way every op gets
/// `pred = [start_ns, end_ns]`, its predicted interval.
public struct OverlapSchedulePass: Pass {
  public static let passName = "overlap-schedule"
  public var name: String { Self.passName }
  public var consumes: Stage { .scheduled }
  public var produces: Stage { .scheduled }
  public let profile: DeviceProfile
  /// Bytes a rank may hold at once in an attention region.
  public let memoryBudget: Double

  public init(profile: DeviceProfile, memoryBudget: Double? = nil) {
    self.profile = profile
    self.memoryBudget = memoryBudget ?? profile.memoryCapacity
  }

  /// The pass a pipeline names as `overlap-schedule{profile=NAME[,memory=SIZE]}`.
  static func factory(_ options: [String: String]) throws(CompileError) -> OverlapSchedulePass {
    guard let name = options["profile"], Set(options.keys).isSubset(of: ["profile", "memory"]) else {
      throw CompileError("pass 'overlap-schedule' takes profile=NAME (a name from 'ringc profiles' or an XML file) and optionally memory=SIZE (e.g. 40GiB)")
    }
    var budget: Double?
    if let text = options["memory"] {
      guard let bytes = ByteSize.parse(text) else {
        throw CompileError("overlap-schedule: memory=\(text) is not a size (write e.g. 40GiB, 512MiB, 80GB or a number of bytes)")
      }
      budget = bytes
    }
    do throws(ProfileLoader.Failure) {
      return OverlapSchedulePass(profile: try ProfileLocator.load(name), memoryBudget: budget)
    } catch {
      throw CompileError(error.diagnostics.map { d in var d = d; d.message = "overlap-schedule: " + d.message; return d })
    }
  }

  /// Slices a split block is cut into.
  static let pieceCounts = [2, 4]
  /// The least predicted gain that justifies splitting.
  static let splitGain = 0.01

  /// At most this many receives of one channel outstanding at once.
  static let receiveDepth = 2

  public func run(_ plan: inout Module, _ context: PassContext) throws(CompileError) {
    let module = plan
    let indexed = PartialSplit.Indexed(module)
    let (splits, specs) = Self.candidates(indexed)
    // Base 0 is the plan, base i `splits[i - 1]` applied to it; each is
    // resolved for the simulator once, and its reorderings share that.
    // Built last first, as the candidates below are: the later splits are
    // the larger.
    let bases = Array(Array(0...splits.count).reversed().parallelMap { i in
      let m = i == 0 ? module : PartialSplit.apply(indexed, to: splits[i - 1].scope, pieces: splits[i - 1].pieces)
      return (module: m, prepared: Result { () throws(CompileError) in try self.prepare(m) }, reorderings: Self.reorderings(m))
    }.reversed())
    // Index 0 is the module as it is, index i the candidate specs[i - 1]:
    // its new op orders (none: its base as it is) and prediction. Simulated
    // on every core at once, then weighed in order, one at a time. Taken
    // last first: the later candidates split more and take longest, and the
    // cores finish together when the longest start first.
    let lastFirst = Array((0...specs.count).reversed()).parallelMap { i in
      let base = i == 0 ? bases[0] : bases[specs[i - 1].base]
      guard i > 0, let hoist = specs[i - 1].hoistStarts else {
        return ([RankProgram: [Int]](), Result { () throws(CompileError) in try self.predict(base.prepared.get()) })
      }
      let orders = Self.orders(base.reorderings, hoistStarts: hoist)
      return (orders, Result { () throws(CompileError) in try self.predict(base.prepared.get().reordered(orders)) })
    }
    let simulated = Array(lastFirst.reversed())
    var chosen = module
    var best = try simulated[0].1.get()
    for (spec, (orders, prediction)) in zip(specs, simulated.dropFirst()) {
      let after: Prediction
      do {
        after = try prediction.get()
      } catch {
        context.remark("overlap-schedule: \(spec.label) dropped: \(error.diagnostics.first?.message ?? "cannot simulate")")
        continue
      }
      guard after.seconds < best.seconds * (1 - spec.gain) else {
        context.remark("overlap-schedule: \(spec.label) dropped: predicted \(Self.ms(after.seconds)) ms, needs under \(Self.ms(best.seconds * (1 - spec.gain))) ms to replace \(Self.ms(best.seconds)) ms")
        continue
      }
      // Built only now: most candidates lose on their prediction.
      let candidate = Self.reordered(bases[spec.base].module, orders)
      if let problem = PlanVerifier.verify(stamped(candidate)).first {
        context.remark("overlap-schedule: \(spec.label) dropped: fails the plan verifier: \(problem.message)")
        continue
      }
      if let held = overBudget(candidate) {
        context.remark("overlap-schedule: \(spec.label) dropped: a rank holds \(held) bytes, over the budget of \(Int64(memoryBudget))")
        continue
      }
      context.remark("overlap-schedule: \(spec.label) kept: predicted \(Self.ms(after.seconds)) ms")
      chosen = candidate
      best = after
    }
    let times = best.times
    for i in chosen.graphs.indices {
      guard let program = chosen.graphs[i].rankProgram, let opTimes = times[program] else { continue }
      for (j, t) in opTimes.enumerated() where j < chosen.graphs[i].ops.count {
        chosen.graphs[i].ops[j].attributes[OpSpec.predicted] = .ints([Int64(t.start * 1e9), Int64(t.end * 1e9)])
      }
    }
    plan = chosen
  }

  /// A candidate: the module it reorders (0: the plan, i: `splits[i - 1]`
  /// applied to it), how (nil: as it is), its label and the gain it needs.
  typealias Candidate = (base: Int, hoistStarts: Bool?, label: String, gain: Double)

  /// Every candidate, in the order they are considered (see the doc
  /// comment), and the partial splits they build on.
  static func candidates(_ indexed: PartialSplit.Indexed) -> (splits: [(scope: [PartialSplit.Message], pieces: Int)], specs: [Candidate]) {
    var specs: [Candidate] = []
    for hoist in [false, true] {
      specs.append((0, hoist, hoist ? "late dones, early starts" : "late dones", 1e-6))
    }
    let messages = PartialSplit.candidates(indexed)
    var splits: [(scope: [PartialSplit.Message], pieces: Int)] = []
    guard !messages.isEmpty else { return (splits, specs) }
    var lastStep: [String: Int64] = [:]
    for m in messages { lastStep[m.family] = max(lastStep[m.family] ?? m.step, m.step) }
    let tail = messages.filter { $0.step == lastStep[$0.family] }
    for pieces in pieceCounts {
      for scope in tail.count == messages.count ? [tail] : [tail, messages] {
        splits.append((scope, pieces))
        // Pieces arrive in turns, so each order may suit them differently.
        for order in [nil, false, true] {
          let orderName = order.map { $0 ? "late dones, early starts" : "late dones" } ?? "as written"
          specs.append((splits.count, order, "\(scope.count) partials in \(pieces) pieces, \(orderName)", splitGain))
        }
      }
    }
    return (splits, specs)
  }

  /// The indices of `g`'s ops in their new order (`Reordering`).
  public static func order(_ g: Graph, hoistStarts: Bool) -> [Int] {
    Reordering(g).order(hoistStarts: hoistStarts, receiveDepth: receiveDepth)
  }

  /// Every rank program of a module, indexed for reordering.
  static func reorderings(_ m: Module) -> [RankProgram: Reordering] {
    var out: [RankProgram: Reordering] = [:]
    for g in m.graphs { if let p = g.rankProgram, out[p] == nil { out[p] = Reordering(g) } }
    return out
  }

  /// Every rank program's new order.
  static func orders(_ reorderings: [RankProgram: Reordering], hoistStarts: Bool) -> [RankProgram: [Int]] {
    reorderings.mapValues { $0.order(hoistStarts: hoistStarts, receiveDepth: receiveDepth) }
  }

  /// `m` with each rank program's ops in `orders[program]`.
  static func reordered(_ m: Module, _ orders: [RankProgram: [Int]]) -> Module {
    var m = m
    for i in m.graphs.indices {
      guard let order = m.graphs[i].rankProgram.flatMap({ orders[$0] }) else { continue }
      let ops = m.graphs[i].ops
      m.graphs[i].ops = order.map { ops[$0] }
    }
    return m
  }

  private func stamped(_ m: Module) -> Module {
    var m = m
    Plan.stamp(&m)
    return m
  }

  /// Predicted forward-pass seconds and every rank graph's op intervals.
  struct Prediction: Sendable {
    var seconds: Double
    var times: [RankProgram: [(start: Double, end: Double)]]
  }

  /// `m` resolved for the simulator.
  private func prepare(_ m: Module) throws(CompileError) -> Simulator.Prepared {
    do {
      return try Simulator(plan: stamped(m), profile: profile).prepare()
    } catch {
      throw failure(error)
    }
  }

  private func predict(_ m: Simulator.Prepared) throws(CompileError) -> Prediction {
    let report: SimulationReport
    do {
      report = try m.run()
    } catch {
      throw failure(error)
    }
    var times: [RankProgram: [(start: Double, end: Double)]] = [:]
    for p in report.programs {
      for (rank, t) in p.opTimes.enumerated() { times[RankProgram(source: p.family, rank: rank)] = t }
    }
    return Prediction(seconds: report.totalSeconds, times: times)
  }

  private func failure(_ error: any Error) -> CompileError {
    (error as? CompileError) ?? CompileError("overlap-schedule could not simulate the plan on \(profile.name): \(error)")
  }

  /// Seconds as milliseconds to two decimals, for remarks.
  static func ms(_ seconds: Double) -> String { String((seconds * 1e5).rounded() / 100) }

  /// The most bytes a rank of `m` holds at once (weights and activations,
  /// `DeviceMemory`), if over the budget.
  private func overBudget(_ m: Module) -> Int64? {
    let peak: Int64
    do {
      peak = try PlanStats(stamped(m)).memory.map(\.total).max() ?? 0
    } catch {
      return .max
    }
    return Double(peak) > memoryBudget ? peak : nil
  }
}
