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
    // Built and simulated on every core at once, then weighed in order, one at a time.
    let bases = [module] + splits.parallelMap { PartialSplit.apply(indexed, to: $0.scope, pieces: $0.pieces) }
    // Index 0 is the module as it is, index i the candidate specs[i - 1].
    // Taken last first: the later candidates split more and take longest,
    // and the cores finish together when the longest start first.
    let lastFirst = Array((0...specs.count).reversed()).parallelMap { i in
      var m = module
      if i > 0 {
        let spec = specs[i - 1]
        m = spec.hoistStarts.map { Self.reordered(bases[spec.base], hoistStarts: $0) } ?? bases[spec.base]
      }
      return (m, Result { () throws(CompileError) in try self.predict(m) })
    }
    let built = Array(lastFirst.reversed())
    let candidates = zip(specs, built.dropFirst()).map { (module: $1.0, label: $0.label, gain: $0.gain) }
    let predictions = built.map(\.1)
    var chosen = module
    var best = try predictions[0].get()
    for (candidate, prediction) in zip(candidates, predictions.dropFirst()) {
      let after: Prediction
      do {
        after = try prediction.get()
      } catch {
        context.remark("overlap-schedule: \(candidate.label) dropped: \(error.diagnostics.first?.message ?? "cannot simulate")")
        continue
      }
      guard after.seconds < best.seconds * (1 - candidate.gain) else {
        context.remark("overlap-schedule: \(candidate.label) dropped: predicted \(Self.ms(after.seconds)) ms, needs under \(Self.ms(best.seconds * (1 - candidate.gain))) ms to replace \(Self.ms(best.seconds)) ms")
        continue
      }
      if let problem = PlanVerifier.verify(stamped(candidate.module)).first {
        context.remark("overlap-schedule: \(candidate.label) dropped: fails the plan verifier: \(problem.message)")
        continue
      }
      if let held = overBudget(candidate.module) {
        context.remark("overlap-schedule: \(candidate.label) dropped: a rank holds \(held) bytes, over the budget of \(Int64(memoryBudget))")
        continue
      }
      context.remark("overlap-schedule: \(candidate.label) kept: predicted \(Self.ms(after.seconds)) ms")
      chosen = candidate.module
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

  /// Every rank program of `m` reordered.
  static func reordered(_ m: Module, hoistStarts: Bool) -> Module {
    var m = m
    for i in m.graphs.indices where m.graphs[i].rankProgram != nil {
      m.graphs[i].ops = reorder(m.graphs[i], hoistStarts: hoistStarts)
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

  private func predict(_ m: Module) throws(CompileError) -> Prediction {
    do {
      let report = try Simulator(plan: stamped(m), profile: profile).run()
      var times: [RankProgram: [(start: Double, end: Double)]] = [:]
      for p in report.programs {
        for (rank, t) in p.opTimes.enumerated() { times[RankProgram(source: p.family, rank: rank)] = t }
      }
      return Prediction(seconds: report.totalSeconds, times: times)
    } catch let e as CompileError {
      throw e
    } catch {
      throw CompileError("overlap-schedule could not simulate the plan on \(profile.name): \(error)")
    }
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

  /// Dones as late as dependencies allow, and with `hoistStarts` starts as
  /// early; compute in order.
  public static func reorder(_ g: Graph, hoistStarts: Bool) -> [Op] {
    let ops = g.ops
    var defined = Set(g.arguments.map(\.name))
    var emitted = [Bool](repeating: false, count: ops.count)
    var out: [Op] = []
    // Which recv.done completes each receive buffer, and each receive's channel.
    var doneFor: [String: Int] = [:]
    var channelOf: [Int: String] = [:]
    var startOf: [String: Int] = [:]
    for (i, op) in ops.enumerated() {
      if op.opcode == .recvDone { for case .value(let v) in op.operands { doneFor[v] = i } }
      if op.opcode == .recvStart, case .symbol(let c)? = op.attributes["chan"] {
        channelOf[i] = c
        for r in op.results { startOf[r] = i }
      }
    }
    let starts = ops.indices.filter { ops[$0].opcode == .sendStart || ops[$0].opcode == .recvStart }
    let dones = ops.indices.filter { ops[$0].opcode == .sendDone || ops[$0].opcode == .recvDone }
    let compute = ops.indices.filter { ![.sendStart, .recvStart, .sendDone, .recvDone].contains(ops[$0].opcode) }
    // Each done's position among the dones.
    var donePosition: [Int: Int] = [:]
    for (position, d) in dones.enumerated() { donePosition[d] = position }
    var nextStart = 0
    var nextDone = 0
    var outstanding: [String: Int] = [:]
    var pendingBuffers: Set<String> = []  // received buffers whose recv.done is not emitted

    func emit(_ i: Int) {
      emitted[i] = true
      out.append(ops[i])
      for r in ops[i].results { defined.insert(r) }
      if ops[i].opcode == .recvStart {
        for r in ops[i].results { pendingBuffers.insert(r) }
        if let c = channelOf[i] { outstanding[c, default: 0] += 1 }
      }
      if ops[i].opcode == .recvDone {
        for case .value(let v) in ops[i].operands {
          pendingBuffers.remove(v)
          if let s = startOf[v], let c = channelOf[s], ops[s].results.first == v { outstanding[c, default: 1] -= 1 }
        }
      }
    }
    func ready(_ i: Int) -> Bool {
      ops[i].operands.allSatisfy { o in
        guard case .value(let v) = o else { return true }
        return defined.contains(v) && !pendingBuffers.contains(v)
      }
    }
    /// Emits dones in order up to and including index `limit` of `dones`.
    func flushDones(through limit: Int) {
      while nextDone <= limit, nextDone < dones.count {
        let d = dones[nextDone]
        // A receive is never waited for before it is posted.
        while ops[d].opcode == .recvDone, nextStart < starts.count,
          ops[d].operands.contains(where: { o in if case .value(let v) = o { !defined.contains(v) } else { false } })
        {
          emit(starts[nextStart])
          nextStart += 1
        }
        if !emitted[d] { emit(d) }
        nextDone += 1
      }
    }
    var c = 0
    while c < compute.count || nextStart < starts.count || nextDone < dones.count {
      // Starts, in order, as soon as their operands exist and the channel has room.
      var progressed = true
      while progressed, nextStart < starts.count {
        progressed = false
        let s = starts[nextStart]
        let room = channelOf[s].map { (outstanding[$0] ?? 0) < receiveDepth } ?? true
        // Without hoisting, a start waits for the compute that preceded it
        // (compute is emitted in order, so: for the first c of it).
        let inPlace = hoistStarts || compute.partitionIndex { $0 >= s } <= c
        if ready(s) && room && inPlace {
          emit(s)
          nextStart += 1
          progressed = true
        }
      }
      if c < compute.count {
        let op = compute[c]
        if ops[op].opcode == .return, nextStart < starts.count || nextDone < dones.count {
          // Nothing may stay in flight past the end: post and finish the rest first.
          if nextDone < dones.count { flushDones(through: nextDone) } else { emit(starts[nextStart]); nextStart += 1 }
          continue
        }
        if ops[op].opcode.isCollective, case let last = dones.partitionIndex(where: { $0 >= op }) - 1, last >= 0, nextDone <= last {
          // Collectives keep their place among the dones.
          flushDones(through: last)
        }
        // Dones the next compute op needs (its operands' receives), and the dones before them.
        let needed = ops[op].operands.compactMap { o -> Int? in
          if case .value(let v) = o, pendingBuffers.contains(v) { return doneFor[v] } else { return nil }
        }
        if let last = needed.max(), let position = donePosition[last] { flushDones(through: position) }
        if ready(op) {
          emit(op)
          c += 1
          continue
        }
      }
      // Stuck: the next start waits for a done (room or operands); free it.
      if nextDone < dones.count {
        flushDones(through: nextDone)
      } else if nextStart < starts.count {
        emit(starts[nextStart])
        nextStart += 1
      } else if c < compute.count {
        emit(compute[c])
        c += 1
      }
    }
    return out
  }
}
