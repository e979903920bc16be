import GraphIR
import Passes

/// `overlap-schedule{profile=NAME}`: stage scheduled → scheduled.
///
/// Reorders every rank's program for a device profile: each `*.done` moves as
/// late as the ops that read its buffers allow, and — in a second candidate —
/// each `send.start` and `recv.start` as early as its operands allow (starts
/// keep their relative order, at most two receives per channel outstanding,
/// which bounds the extra buffers). The simulator picks the fastest of the
/// input and the two candidates. Compute keeps its order. Before → after, rank 1 of a
/// TokenRing layer: the partial of step 1 used to leave at step 2,
///
///     %a.o.s1, %a.l.s1 = attn.block …          %a.o.s1, %a.l.s1 = attn.block …
///     recv.done %a.q.s2                        send.start %a.o.s1, %a.l.s1 {…}   // as soon as it exists
///     send.done %a.q.s1 {…}                    …
///     send.start %a.q.s2 {…}
///     send.start %a.o.s1, %a.l.s1 {…}
///
/// Moving starts earlier and dones later never adds a wait, so the plan stays
/// deadlock-free (the plan verifier checks it again). A new order is kept
/// only if the simulator predicts it faster and its attention region still
/// fits in device memory (early starts can lose: extra flows share the links
/// with the ones on the critical path); either way every op gets
/// `pred = [start_ns, end_ns]`, its predicted interval. Splitting blocks into sub-blocks (TokenRing's
/// fine-grained partitioning) is not done yet.
public struct OverlapSchedulePass: Pass {
  public static let passName = "overlap-schedule"
  public var name: String { Self.passName }
  public let profile: DeviceProfile

  public init(profile: DeviceProfile) { self.profile = profile }

  /// The factory `PassPipeline(parsing:extra:)` takes: `overlap-schedule{profile=NAME}`.
  public static let factory: PassPipeline.Factory = { options throws(PassError) in
    guard let name = options["profile"], options.count == 1 else {
      throw PassError("pass 'overlap-schedule' takes profile=NAME (a name from 'ringc profiles' or an XML file)")
    }
    do throws(ProfileLoader.Failure) {
      return OverlapSchedulePass(profile: try ProfileLocator.load(name))
    } catch {
      throw PassError("overlap-schedule: \(error.description)")
    }
  }

  /// At most this many receives of one channel outstanding at once.
  static let receiveDepth = 2

  public func run(_ module: inout Module, _ context: PassContext) throws(PassError) {
    guard Stage(of: module) == .scheduled else {
      throw PassError("overlap-schedule expects a scheduled module (after a strategy pass), found \(Stage(of: module))")
    }
    let before = try predict(module)
    var chosen = module
    var best = before
    // Two orders to try: dones late only, and starts early as well; the
    // cost model keeps whichever is predicted fastest (the input on a tie).
    for hoist in [false, true] {
      var candidate = module
      for i in candidate.graphs.indices where Plan.family(of: candidate.graphs[i].name) != nil {
        candidate.graphs[i].ops = Self.reorder(candidate.graphs[i], hoistStarts: hoist)
      }
      if let after = try? predict(candidate), after.seconds < best.seconds * (1 - 1e-6),
        PlanVerifier.verify(stamped(candidate)).isEmpty, fits(candidate)
      {
        chosen = candidate
        best = after
      }
    }
    let times = best.times
    for i in chosen.graphs.indices {
      guard let opTimes = times[chosen.graphs[i].name] else { continue }
      for (j, t) in opTimes.enumerated() where j < chosen.graphs[i].ops.count {
        chosen.graphs[i].ops[j].attributes[OpSpec.predicted] = .ints([Int64(t.start * 1e9), Int64(t.end * 1e9)])
      }
    }
    module = chosen
  }

  private func stamped(_ m: Module) -> Module {
    var m = m
    Plan.stamp(&m)
    return m
  }

  /// Predicted forward-pass seconds and every rank graph's op intervals.
  private func predict(_ m: Module) throws(PassError) -> (seconds: Double, times: [String: [(start: Double, end: Double)]]) {
    do {
      let report = try Simulator(plan: stamped(m), profile: profile).run()
      var times: [String: [(start: Double, end: Double)]] = [:]
      for p in report.programs {
        for (rank, t) in p.opTimes.enumerated() { times[Module.rankGraphName(p.family, rank: rank)] = t }
      }
      return (report.totalSeconds, times)
    } catch let e as PassError {
      throw e
    } catch {
      throw PassError("overlap-schedule could not simulate the plan on \(profile.name): \(error)")
    }
  }

  private func fits(_ m: Module) -> Bool {
    guard let stats = try? PlanStats(stamped(m)) else { return false }
    return stats.programs.allSatisfy { Double($0.peakBytes.max() ?? 0) <= profile.memoryCapacity }
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
      if op.opcode == .recvStart, case .string(let c)? = op.attributes["chan"] {
        channelOf[i] = c
        for r in op.results { startOf[r] = i }
      }
    }
    let starts = ops.indices.filter { ops[$0].opcode == .sendStart || ops[$0].opcode == .recvStart }
    let dones = ops.indices.filter { ops[$0].opcode == .sendDone || ops[$0].opcode == .recvDone }
    let compute = ops.indices.filter { !starts.contains($0) && !dones.contains($0) }
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
        // Without hoisting, a start waits for the compute that preceded it.
        let inPlace = hoistStarts || compute.prefix(while: { $0 < s }).allSatisfy { emitted[$0] }
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
        if ops[op].opcode.isCollective, let last = dones.lastIndex(where: { $0 < op }), nextDone <= last {
          // Collectives keep their place among the dones.
          flushDones(through: last)
        }
        // Dones the next compute op needs (its operands' receives), and the dones before them.
        let needed = ops[op].operands.compactMap { o -> Int? in
          if case .value(let v) = o, pendingBuffers.contains(v) { return doneFor[v] } else { return nil }
        }
        if let last = needed.max(), let position = dones.firstIndex(of: last) { flushDones(through: position) }
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
