import GraphIR
import PlanIR
import Timeline

/// What `ringc simulate` predicts for a plan on a profile.
public struct SimulationReport: Sendable {
  public struct Step: Sendable {
    public var step: Int
    /// The step's span on the critical path: the steps' spans add up to the
    /// program's time, less what lies in no step.
    public var seconds: Double
    /// The longest compute of this step on any rank.
    public var compute: Double
    /// The longest transfer of this step (from both sides posting to completion).
    public var communication: Double
    public var critical: String { communication > compute ? "communication" : "compute" }
  }

  public struct Program: Sendable {
    public var family: String
    public var layers: [Int]
    public var seconds: Double
    public var steps: [Step]
    /// Per rank: time spent waiting for transfers and collectives.
    public var exposed: [Double]
    /// Per rank, the predicted timeline.
    public var traces: [Trace]
    /// Per rank, per op (in program order): predicted start and end, seconds.
    public var opTimes: [[(start: Double, end: Double)]]

    /// The time on the critical path that lies in no step (work before the
    /// first step or after the last).
    public var outsideSteps: Double { max(0, seconds - steps.reduce(0) { $0 + $1.seconds }) }
  }

  public var profile: String
  public var ranks: Int
  public var programs: [Program]

  /// One forward pass: every layer program once per layer it runs, the entry program once.
  public var totalSeconds: Double {
    programs.reduce(0) { $0 + $1.seconds * Double(max(1, $1.layers.count)) }
  }
}

/// A discrete-event simulation of all ranks of a plan together: each rank
/// runs its ops in order; compute takes `OpCost` time (ranks that share a
/// compute unit share its speed, and a rank computes at 1 − the profile's
/// overlap slowdown while one of its transfers moves); a message becomes a flow once both sides
/// have posted it, waits out the route's latency, then moves at its max-min
/// fair share of every link or port on its route, capped per flow; `*.done`
/// waits for its flow, a collective for all of its flows.
public struct Simulator {
  let plan: Module
  let profile: DeviceProfile

  public init(plan: Module, profile: DeviceProfile) {
    self.plan = plan
    self.profile = profile
  }

  /// Why a plan cannot be simulated: located at the op concerned.
  public struct Failure: Error, CustomStringConvertible, Sendable {
    public var diagnostic: Diagnostic

    init(_ message: String, at location: SourceLocation?) {
      diagnostic = .error(message, at: location)
    }

    public var description: String { "\(diagnostic.location.map { "\($0): " } ?? "")\(diagnostic.message)" }
  }

  public func run() throws -> SimulationReport {
    let ranks = try Plan.check(plan).sp
    guard ranks <= profile.devices else {
      throw Failure("the plan has \(ranks) ranks but profile \(profile.name) has \(profile.devices) devices", at: plan.location)
    }
    var programs: [SimulationReport.Program] = []
    let families = Plan.families(plan)
    let layers = PlanStats.layers(plan, families: families).of
    for family in families {
      var engine = Engine(plan: plan, profile: profile, graphs: family.graphs)
      var program = try engine.run()
      program.family = family.name
      program.layers = layers[family.name] ?? []
      programs.append(program)
    }
    return SimulationReport(profile: profile.name, ranks: ranks, programs: programs)
  }
}

/// One graph family, all ranks at once.
private struct Engine {
  let plan: Module
  let profile: DeviceProfile
  let graphs: [Graph]
  let cost: OpCost
  let weights: [String: TensorType]
  var network: Network
  var now = 0.0

  init(plan: Module, profile: DeviceProfile, graphs: [Graph]) {
    self.plan = plan
    self.profile = profile
    self.graphs = graphs
    cost = OpCost(profile: profile, bindings: plan.bindings)
    weights = Dictionary(plan.weights.map { ($0.name, $0.type) }, uniquingKeysWith: { a, _ in a })
    network = Network(profile)
  }

  struct Flow {
    var route: [Int]
    var cap: Double
    var remaining: Double
    var createdAt: Double
    var latency: Double
    var activeAt: Double
    var rate = 0.0
    var finishedAt: Double?
    var step: Int
    var src: Int
    var dst: Int
    var bytes: Double
    /// The rank and op whose post created it (the later side): where the
    /// critical path goes when a wait for it lies on the path.
    var poster: (rank: Int, op: Int)
    /// What it carries and the op that started it, for errors.
    var carries: Carries
    var location: SourceLocation?
  }

  /// What a flow carries, described in errors only.
  enum Carries: CustomStringConvertible {
    case message(MessageKey)
    case part(Opcode, CollectiveKey, from: Int, to: Int)

    var description: String {
      switch self {
      case .message(let key): "the message from rank \(key.src) to rank \(key.dst) (\(key))"
      case .part(let opcode, let key, let from, let to): "the \(opcode.rawValue) part from rank \(from) to rank \(to) (\(key))"
      }
    }
  }

  struct Job {
    var rank: Int
    var unit: Int
    var remaining: Double
    var rate = 1.0
    var startedAt: Double
    var name: String
    var flops: Double
    var location: SourceLocation?
    var source: OpCost.Source
  }

  /// What sets the clock next.
  enum Event {
    case job(Int)
    /// A flow gets past its route's latency.
    case flowStart(Int)
    case flowEnd(Int)
  }

  enum Wait {
    case job(Int)
    /// A `*.done`: the messages' flows (created once both sides posted) must finish.
    case messages([MessageKey])
    case collective(CollectiveKey)
  }

  struct RankState {
    var pc = 0
    var wait: Wait?
    var waitSince = 0.0
    var exposed = 0.0
    var step: Int?
    var stepCompute: [Int: Double] = [:]
    var trace: Trace
    var opStart = 0.0
    var opTimes: [(start: Double, end: Double)] = []
    /// Per op: its step, and the flow whose end ended its wait (if it waited).
    var opSteps: [Int?] = []
    var opCause: [Int?] = []
    var cause: Int?
  }

  struct Message {
    var senderAt: Double?
    var receiverAt: Double?
    var bytes = 0.0
    var flow: Int?
  }

  var flows: [Flow] = []
  /// Whether a flow started moving or finished since rates were shared out.
  var flowsChanged = true
  /// Whether a job started or finished since rates were shared out.
  var jobsChanged = true
  /// The flows not finished, in creation order: every event looks only at
  /// these, so a run costs per event what is in flight, not all it has sent.
  var unfinished: [Int] = []
  /// Each rank's compute op under way, if any.
  var jobs: [Job?] = []
  var messages: [MessageKey: Message] = [:]
  /// Who posted what: the message behind each receive buffer, and the
  /// deadlock report when no event is left.
  var rendezvous = Rendezvous(ranks: 0)
  var collectives: [CollectiveKey: (arrived: [Int: Double], flows: [Int]?)] = [:]

  mutating func run() throws -> SimulationReport.Program {
    let types = graphs.map(Plan.valueTypes(of:))
    let lastTagged = graphs.map { g in g.ops.lastIndex { $0.attributes["step"] != nil } ?? -1 }
    var states = graphs.indices.map { r in RankState(trace: Trace(rank: r, origin: 0)) }
    rendezvous = Rendezvous(ranks: graphs.count)
    jobs = Array(repeating: nil, count: graphs.count)
    // The ranks an event may have unblocked: only a finished job or flow
    // ends a wait, and a flow finishes only at an event.
    var woken = Array(graphs.indices)
    while true {
      // Ranks go as far as they can at this instant.
      var moved = true
      while moved {
        moved = false
        for r in woken {
          if resume(&states[r]) { moved = true }
          while states[r].wait == nil, states[r].pc < graphs[r].ops.count {
            let op = graphs[r].ops[states[r].pc]
            if let s = Self.step(op, rendezvous.buffers[r]) {
              states[r].step = s
            } else if states[r].pc > lastTagged[r], lastTagged[r] >= 0 {
              states[r].step = nil
            }
            states[r].opStart = now
            try begin(op, rank: r, state: &states[r], types: types[r])
            if states[r].wait == nil { finishOp(rank: r, state: &states[r]) }
            moved = true
          }
        }
      }
      if graphs.indices.allSatisfy({ states[$0].pc >= graphs[$0].ops.count && states[$0].wait == nil }) { break }
      allocate()
      guard let (next, event) = nextEvent() else {
        let report = rendezvous.deadlock(graphs, pcs: states.map(\.pc))
        throw Simulator.Failure("\(report?.message ?? "deadlock") (the plan verifier rejects such a plan)", at: report?.location)
      }
      guard next.isFinite else { throw stopped(event) }
      let dt = next - now
      for r in jobs.indices where jobs[r] != nil { jobs[r]!.remaining -= jobs[r]!.rate * dt }
      for i in unfinished {
        if flows[i].activeAt <= now {
          flows[i].remaining -= flows[i].rate * dt
        } else if flows[i].activeAt <= next {
          flowsChanged = true  // past its latency by now, whichever event set the clock
        }
      }
      now = next
      // The event that set the clock happens now, whatever rounding left of
      // it: every round retires one, so a clock too coarse for what remains
      // (now + remaining == now) cannot stall the run.
      switch event {
      case .job(let r): jobs[r]!.remaining = 0
      case .flowEnd(let i): flows[i].remaining = 0
      case .flowStart: break
      }
      var touched = [Bool](repeating: false, count: graphs.count)
      var collectivePart = false
      for i in unfinished where flows[i].activeAt <= now && flows[i].remaining <= 1e-6 * max(1, flows[i].bytes) {
        flows[i].finishedAt = now
        flowsChanged = true
        touched[flows[i].src] = true
        touched[flows[i].dst] = true
        if case .part = flows[i].carries { collectivePart = true }
        states[flows[i].src].trace.add(Trace.Event(track: .send, name: "to rank \(flows[i].dst)", start: flows[i].createdAt, end: now, amount: Int64(saturating: flows[i].bytes), isWait: false))
        states[flows[i].dst].trace.add(Trace.Event(track: .receive, name: "from rank \(flows[i].src)", start: flows[i].createdAt, end: now, amount: Int64(saturating: flows[i].bytes), isWait: false))
      }
      unfinished.removeAll { flows[$0].finishedAt != nil }
      for r in jobs.indices {
        guard let job = jobs[r], job.remaining <= 1e-12 else { continue }
        jobs[r] = nil
        jobsChanged = true
        touched[r] = true
        states[job.rank].trace.add(Trace.Event(track: .compute, name: job.name, start: job.startedAt, end: now, amount: Int64(saturating: job.flops), isWait: false))
        if let s = states[job.rank].step { states[job.rank].stepCompute[s, default: 0] += now - job.startedAt }
        states[job.rank].wait = nil
        finishOp(rank: job.rank, state: &states[job.rank])
      }
      // A collective's members wait for all of its flows, theirs or not.
      woken = collectivePart ? Array(graphs.indices) : graphs.indices.filter { touched[$0] }
    }
    return report(states)
  }

  /// The earliest event and its time; nil when nothing is under way. A time
  /// that is no number sorts last, as one the clock never reaches.
  private func nextEvent() -> (time: Double, event: Event)? {
    var best: (time: Double, event: Event)?
    func consider(_ time: Double, _ event: Event) {
      let t = time.isNaN ? .infinity : time
      if best.map({ t < $0.time }) ?? true { best = (t, event) }
    }
    for case let job? in jobs { consider(now + job.remaining / job.rate, .job(job.rank)) }
    for i in unfinished {
      let f = flows[i]
      if f.activeAt > now {
        consider(f.activeAt, .flowStart(i))
      } else {
        consider(f.remaining <= 0 ? now : now + f.remaining / f.rate, .flowEnd(i))
      }
    }
    return best
  }

  /// The clock cannot reach `event`: its time is past what a Double holds.
  /// Names the rank, the op and the profile values behind that time.
  private func stopped(_ event: Event) -> Simulator.Failure {
    let prefix = "the simulated clock stops advancing at \(now) s"
    switch event {
    case .job(let id):
      let job = jobs[id]!
      return Simulator.Failure(
        "\(prefix): rank \(job.rank)'s \(job.name) would end at \(now + job.remaining / job.rate) s; its time comes from \(job.source)",
        at: job.location)
    case .flowStart(let i):
      let f = flows[i]
      return Simulator.Failure(
        "\(prefix): \(f.carries) would start moving at \(f.activeAt) s, after its route's latency of \(f.latency) s (the profile's latency per hop, or its network's)",
        at: f.location)
    case .flowEnd(let i):
      let f = flows[i]
      let narrowest = f.route.min { network.capacities[$0] < network.capacities[$1] }
      let limit =
        if let r = narrowest, network.capacities[r] <= f.cap {
          "its narrowest link, \(network.names[r]), carries \(network.capacities[r]) B/s"
        } else {
          "the profile's flow cap is \(f.cap) B/s"
        }
      return Simulator.Failure(
        "\(prefix): \(f.carries) moves \(f.bytes) bytes at \(f.rate) B/s and would end at \(now + f.remaining / f.rate) s; \(limit)",
        at: f.location)
    }
  }

  /// The step an op belongs to: its attribute, or its message's.
  static func step(_ op: Op, _ buffers: [String: (key: MessageKey, index: Int)]) -> Int? {
    if case .int(let s)? = op.attributes["step"] { return Int(s) }
    if op.opcode == .recvDone, case .value(let v)? = op.operands.first, let key = buffers[v]?.key { return Int(key.step) }
    return nil
  }

  private mutating func finishOp(rank r: Int, state: inout RankState) {
    state.opTimes.append((state.opStart, now))
    state.opSteps.append(state.step)
    state.opCause.append(state.cause)
    state.cause = nil
    state.pc += 1
  }

  /// Unblocks a rank whose wait is over; true if it did.
  private mutating func resume(_ state: inout RankState) -> Bool {
    guard let wait = state.wait else { return false }
    // The flows awaited; nil while one has not even been created.
    let awaited: [Int]?
    switch wait {
    case .job: return false
    case .messages(let keys):
      let ids = keys.compactMap { messages[$0]?.flow }
      awaited = ids.count == keys.count ? ids : nil
    case .collective(let key): awaited = collectives[key]?.flows
    }
    guard let awaited, awaited.allSatisfy({ flows[$0].finishedAt != nil }) else { return false }
    // The flow that finished last ended the wait.
    state.cause = awaited.max { (flows[$0].finishedAt ?? 0) < (flows[$1].finishedAt ?? 0) }
    state.exposed += now - state.waitSince
    state.trace.add(Trace.Event(track: .compute, name: "wait", start: state.waitSince, end: now, amount: 0, isWait: true))
    state.wait = nil
    let r = state.trace.rank
    finishOp(rank: r, state: &state)
    return true
  }

  private mutating func block(_ state: inout RankState, _ wait: Wait) {
    state.wait = wait
    state.waitSince = now
  }

  private mutating func startFlow(
    _ src: Int, _ dst: Int, bytes: Double, step: Int, at t: Double, poster: (rank: Int, op: Int), carries: Carries,
    location: SourceLocation?
  ) -> Int {
    let (route, latency) = network.route(src, dst)
    flows.append(
      Flow(
        route: route, cap: profile.flowCap ?? .infinity, remaining: bytes, createdAt: t, latency: latency, activeAt: t + latency,
        step: step, src: src, dst: dst, bytes: bytes, poster: poster, carries: carries, location: location))
    unfinished.append(flows.count - 1)
    // A latency too small to move the clock leaves the flow moving at once.
    if t + latency <= t { flowsChanged = true }
    return flows.count - 1
  }

  private mutating func begin(_ op: Op, rank r: Int, state: inout RankState, types: [String: TensorType]) throws {
    rendezvous.record(op, rank: r)
    switch op.opcode {
    case .sendStart, .recvStart:
      let sending = op.opcode == .sendStart
      guard let key = MessageKey(op, rank: r) else { return }
      var m = messages[key] ?? Message()
      if sending {
        m.senderAt = now
        m.bytes = op.operands.reduce(0) { sum, o in
          if case .value(let v) = o { return sum + cost.bytes(types[v]) }
          return sum
        }
      } else {
        m.receiverAt = now
      }
      if let s = m.senderAt, let t = m.receiverAt, m.flow == nil {
        m.flow = startFlow(
          key.src, key.dst, bytes: m.bytes, step: Int(key.step), at: max(s, t), poster: (r, state.pc),
          carries: .message(key), location: op.location)
      }
      messages[key] = m
    case .sendDone, .recvDone:
      let keys = op.opcode == .sendDone
        ? MessageKey(op, rank: r).map { [$0] } ?? [] : rendezvous.messages(awaitedBy: op, rank: r)
      let done = keys.allSatisfy { key in messages[key]?.flow.map { flows[$0].finishedAt != nil } ?? false }
      if !done { block(&state, .messages(keys)) }
    case .allGather, .allToAll:
      guard case .ints(let group)? = op.attributes["group"], case .value(let x) = op.operands[0],
        let key = Collective(op)?.key, let type = types[x], let extents = plan.bindings.extents(of: type)
      else { return }
      var entry = collectives[key] ?? ([:], nil)
      entry.arrived[r] = cost.bytes(type)
      if op.opcode == .allToAll, case .int(let axis)? = op.attributes["split_axis"] {
        // Bytes per part: this rank's share of the split axis.
        let n = Double(extents[Int(axis)])
        let sizes: [Double]
        if case .ints(let s)? = op.attributes["split_sizes"] { sizes = s.map(Double.init) } else { sizes = group.map { _ in n / Double(group.count) } }
        partBytes[key, default: [:]][r] = sizes.map { cost.bytes(type) / n * $0 }
      }
      collectives[key] = entry
      block(&state, .collective(key))
      if entry.arrived.count == group.count {
        var ids: [Int] = []
        let step = Int(Self.step(op, [:]) ?? 0)
        for (i, m) in group.enumerated() {
          for (j, n) in group.enumerated() where i != j {
            let bytes = op.opcode == .allGather ? entry.arrived[Int(m)] ?? 0 : partBytes[key]?[Int(m)]?[j] ?? 0
            ids.append(
              startFlow(
                Int(m), Int(n), bytes: bytes, step: step, at: now, poster: (r, state.pc),
                carries: .part(op.opcode, key, from: Int(m), to: Int(n)), location: op.location))
          }
        }
        collectives[key]!.flows = ids
      }
    default:
      guard let c = try cost.cost(op, types, weights: weights) else { return }
      let unit = profile.computeUnits.map { r % $0 } ?? r
      jobsChanged = true
      jobs[r] = Job(
        rank: r, unit: unit, remaining: c.seconds, startedAt: now, name: describe(op), flops: c.flops, location: op.location,
        source: c.source)
      state.wait = .job(r)
    }
  }

  var partBytes: [CollectiveKey: [Int: [Double]]] = [:]

  private func describe(_ op: Op) -> String {
    var s = op.opcode.rawValue
    if case .int(let step)? = op.attributes["step"] { s += " s\(step)" }
    return s
  }

  /// Rates: compute units split evenly among their jobs; flows get max-min
  /// fair shares of their routes' capacities, capped per flow.
  private mutating func allocate() {
    // Rates depend only on which jobs run and which flows move: kept until
    // one of them changes.
    guard jobsChanged || flowsChanged else { return }
    jobsChanged = false
    // A unit is a rank's own device or a compute unit it shares (r mod count).
    var perUnit = [Int](repeating: 0, count: jobs.count)
    for case let job? in jobs { perUnit[job.unit] += 1 }
    // Communication kernels take SMs and memory bandwidth from a device's
    // compute while it sends or receives (`overlapSlowdown`).
    var communicating = [Bool](repeating: false, count: jobs.count)
    if profile.overlapSlowdown > 0 {
      for i in unfinished where flows[i].activeAt <= now {
        communicating[flows[i].src] = true
        communicating[flows[i].dst] = true
      }
    }
    for id in jobs.indices where jobs[id] != nil {
      let sharing = perUnit[jobs[id]!.unit]
      // Time-sharing a unit costs (cache, switches): together they get `sharingEfficiency` of it.
      let slowed = communicating[id] ? 1 - profile.overlapSlowdown : 1
      jobs[id]!.rate = slowed * (sharing > 1 ? profile.sharingEfficiency : 1) / Double(sharing)
    }
    // Flow rates depend only on which flows are moving: kept until one
    // starts moving or finishes.
    guard flowsChanged else { return }
    flowsChanged = false
    var remaining = network.capacities
    var unfixed = unfinished.filter { flows[$0].activeAt <= now }
    for i in unfixed { flows[i].rate = 0 }
    while !unfixed.isEmpty {
      var count = [Int](repeating: 0, count: remaining.count)
      for i in unfixed { for r in flows[i].route { count[r] += 1 } }
      var share = Double.infinity
      for (r, c) in count.enumerated() where c > 0 { share = min(share, remaining[r] / Double(c)) }
      for i in unfixed { share = min(share, flows[i].cap) }
      if !share.isFinite { share = 1e18 }
      var (fixed, rest): ([Int], [Int]) = ([], [])
      for i in unfixed {
        let bottleneck = flows[i].route.isEmpty || flows[i].cap <= share * (1 + 1e-9)
          || flows[i].route.contains { count[$0] > 0 && remaining[$0] / Double(count[$0]) <= share * (1 + 1e-9) }
        if bottleneck { fixed.append(i) } else { rest.append(i) }
      }
      for i in fixed {
        flows[i].rate = share
        for r in flows[i].route { remaining[r] = max(0, remaining[r] - share) }
      }
      unfixed = rest
    }
  }

  private func report(_ states: [RankState]) -> SimulationReport.Program {
    let span = criticalSpans(states)
    let steps = Set(states.flatMap { $0.opSteps.compactMap { $0 } }).sorted()
    var out: [SimulationReport.Step] = []
    for s in steps {
      let compute = states.map { $0.stepCompute[s] ?? 0 }.max() ?? 0
      let transfer = flows.filter { $0.step == s }.map { ($0.finishedAt ?? now) - $0.createdAt }.max() ?? 0
      out.append(SimulationReport.Step(step: s, seconds: span[s] ?? 0, compute: compute, communication: transfer))
    }
    return SimulationReport.Program(
      family: "", layers: [], seconds: now, steps: out, exposed: states.map(\.exposed), traces: states.map(\.trace),
      opTimes: states.map(\.opTimes))
  }

  /// The time each step holds on the critical path. Walking back from the
  /// op that ends last: an op that waited puts the transfer that ended its
  /// wait on the path and continues where that transfer was posted (on its
  /// own rank, skipping the ops the transfer overlapped, or on the rank that
  /// posted last); any other op puts its own interval on the path and
  /// continues with the op before it. Each interval counts
  /// for its op's step, so the steps' spans add up to the run's length
  /// (less what no step holds).
  private func criticalSpans(_ states: [RankState]) -> [Int: Double] {
    var span: [Int: Double] = [:]
    guard var r = states.indices.max(by: { (states[$0].opTimes.last?.end ?? 0) < (states[$1].opTimes.last?.end ?? 0) })
    else { return span }
    var i = states[r].opTimes.count - 1
    // Every move goes to an earlier op or to another rank at an earlier or
    // equal time; the bound only guards against a cycle of equal times.
    var moves = states.reduce(0) { $0 + $1.opTimes.count } * 2 + 2
    while i >= 0, moves > 0 {
      moves -= 1
      let (start, end) = states[r].opTimes[i]
      if let f = states[r].opCause[i], end > start {
        if let s = states[r].opSteps[i] { span[s, default: 0] += end - flows[f].createdAt }
        // The post itself (a start, or a collective's last arrival) begins at
        // the transfer's creation: what came before it on that rank is next.
        (r, i) = (flows[f].poster.rank, flows[f].poster.op - 1)
        continue
      }
      if let s = states[r].opSteps[i] { span[s, default: 0] += end - start }
      i -= 1
    }
    return span
  }
}

extension Int64 {
  /// `x` rounded toward zero, or the nearest bound when it lies outside (a
  /// trace's amount; Double(Int64.max) itself is already out of range).
  fileprivate init(saturating x: Double) {
    self = x >= 0x1p63 ? .max : x <= -0x1p63 ? .min : x.isNaN ? 0 : Int64(x)
  }
}
