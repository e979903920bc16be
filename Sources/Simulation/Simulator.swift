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
    public var traces: [Trace] { timeline.traces }
    var timeline: Timeline
    /// Per rank, per op (in program order): predicted start and end, seconds.
    public var opTimes: [[(start: Double, end: Double)]]

    /// The time on the critical path that lies in no step (work before the
    /// first step or after the last).
    public var outsideSteps: Double { max(0, seconds - steps.reduce(0) { $0 + $1.seconds }) }
  }

  /// What a program's predicted timelines are drawn from, kept compact:
  /// they become `Trace`s (named events) only when asked for.
  struct Timeline: Sendable {
    /// One event of a rank, in the order it happened. A transfer is an
    /// index into `transfers`.
    enum Record: Sendable {
      case compute(op: Int, start: Double, end: Double, flops: Double)
      case wait(start: Double, end: Double)
      case send(Int)
      case receive(Int)
    }

    struct Transfer: Sendable {
      var src: Int
      var dst: Int
      var start: Double
      var end: Double
      var bytes: Double
    }

    /// Each rank's graph and the order its ops ran in (`Prepared.Family`).
    var graphs: [Graph]
    var orders: [[Int]?]
    var records: [[Record]]
    var transfers: [Transfer]

    var traces: [Trace] {
      records.enumerated().map { rank, events in
        var trace = Trace(rank: rank, origin: 0)
        for e in events {
          switch e {
          case .compute(let op, let start, let end, let flops):
            trace.add(Trace.Event(track: .compute, name: Self.name(graphs[rank].ops[orders[rank]?[op] ?? op]), start: start, end: end, amount: Int64(saturating: flops), isWait: false))
          case .wait(let start, let end):
            trace.add(Trace.Event(track: .compute, name: "wait", start: start, end: end, amount: 0, isWait: true))
          case .send(let i):
            let t = transfers[i]
            trace.add(Trace.Event(track: .send, name: "to rank \(t.dst)", start: t.start, end: t.end, amount: Int64(saturating: t.bytes), isWait: false))
          case .receive(let i):
            let t = transfers[i]
            trace.add(Trace.Event(track: .receive, name: "from rank \(t.src)", start: t.start, end: t.end, amount: Int64(saturating: t.bytes), isWait: false))
          }
        }
        return trace
      }
    }

    /// An op as the timeline names it: its opcode and step.
    static func name(_ op: Op) -> String {
      var s = op.opcode.rawValue
      if case .int(let step)? = op.attributes["step"] { s += " s\(step)" }
      return s
    }
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

  public func run() throws -> SimulationReport { try prepare().run() }

  /// The plan resolved for the event loop, family by family (`EngineProgram`).
  public func prepare() throws -> Prepared {
    let ranks = try Plan.check(plan).sp
    guard ranks <= profile.devices else {
      throw Failure("the plan has \(ranks) ranks but profile \(profile.name) has \(profile.devices) devices", at: plan.location)
    }
    let families = Plan.families(plan)
    let layers = PlanStats.layers(plan, families: families).of
    let weights = Dictionary(plan.weights.map { ($0.name, $0.type) }, uniquingKeysWith: { a, _ in a })
    let cost = OpCost(profile: profile, bindings: plan.bindings)
    var resolved: [Prepared.Family] = []
    for family in families {
      let program = try EngineProgram(graphs: family.graphs, cost: cost, weights: weights)
      resolved.append(
        Prepared.Family(
          name: family.name, layers: layers[family.name] ?? [], graphs: family.graphs, orders: family.graphs.map { _ in nil }, program: program))
    }
    return Prepared(profile: profile, ranks: ranks, families: resolved)
  }

  /// A plan resolved once for simulating it, and any reordering of its rank
  /// programs (the scheduler's candidates differ from their base in op
  /// order only).
  public struct Prepared: Sendable {
    struct Family: Sendable {
      var name: String
      var layers: [Int]
      /// Each rank's graph as the plan has it, and the order its ops run
      /// in (nil: as written); `program` is in that order.
      var graphs: [Graph]
      var orders: [[Int]?]
      var program: EngineProgram
    }

    let profile: DeviceProfile
    let ranks: Int
    var families: [Family]

    public func run() throws -> SimulationReport {
      var programs: [SimulationReport.Program] = []
      for family in families {
        var engine = Engine(profile: profile, graphs: family.graphs, orders: family.orders, program: family.program)
        var program = try engine.run()
        program.family = family.name
        program.layers = family.layers
        programs.append(program)
      }
      return SimulationReport(profile: profile.name, ranks: ranks, programs: programs)
    }

    /// The plan with each rank program's ops in `orders[program]` (a
    /// permutation of its op indices as written; absent: as written). The
    /// graphs are not rewritten: only errors and timelines name ops.
    public func reordered(_ orders: [RankProgram: [Int]]) -> Prepared {
      var p = self
      for f in p.families.indices {
        let rankOrders = families[f].graphs.map { g in g.rankProgram.flatMap { orders[$0] } }
        p.families[f].orders = rankOrders
        p.families[f].program = families[f].program.reordered(rankOrders)
      }
      return p
    }
  }
}

/// One graph family, all ranks at once, run on its `EngineProgram`.
private struct Engine {
  /// Each rank's graph as written, and the order its ops run in.
  let graphs: [Graph]
  let orders: [[Int]?]
  let profile: DeviceProfile
  let program: EngineProgram
  var network: Network
  var now = 0.0

  init(profile: DeviceProfile, graphs: [Graph], orders: [[Int]?], program: EngineProgram) {
    self.profile = profile
    self.graphs = graphs
    self.orders = orders
    self.program = program
    network = Network(profile)
    messages = Array(repeating: Message(), count: program.messages.count)
    collectives = Array(repeating: CollectiveState(), count: program.collectives.count)
    jobs = Array(repeating: nil, count: graphs.count)
    scratch = AllocationScratch(ranks: graphs.count)
  }

  /// Buffers `allocate` reuses, so sharing out rates allocates nothing.
  struct AllocationScratch {
    /// Per compute unit, its jobs; per rank, whether it sends or receives.
    var jobsOnUnit: [Int]
    var communicating: [Bool]
    /// Per link: the flows yet to be fixed on it (all 0 between calls), the
    /// capacity left and this round's fair share of it (both valid on the
    /// links in use).
    var linkCount: [Int] = []
    var left: [Double] = []
    var fairShare: [Double] = []
    /// The links in use, the flows yet to be fixed and those fixed this round.
    var links: [Int] = []
    var unfixed: [Int] = []
    var fixed: [Int] = []

    init(ranks: Int) {
      jobsOnUnit = [Int](repeating: 0, count: ranks)
      communicating = [Bool](repeating: false, count: ranks)
    }
  }

  struct Flow {
    /// Its links: a range of `routeLinks`.
    var route: Range<Int>
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
    /// critical path goes when a wait for it lies on the path, and where
    /// errors about it point.
    var poster: (rank: Int, op: Int)
    var carries: Carries
  }

  /// What a flow carries.
  enum Carries {
    case message(Int)
    /// A collective's part from one member to another.
    case part(Int, from: Int, to: Int)
  }

  /// A rank's compute op under way (`jobs` is indexed by rank).
  struct Job {
    var unit: Int
    var op: Int
    var remaining: Double
    var rate = 1.0
    var startedAt: Double
    var flops: Double
  }

  /// What sets the clock next.
  enum Event {
    case job(Int)
    /// A flow gets past its route's latency.
    case flowStart(Int)
    case flowEnd(Int)
  }

  enum Wait {
    case job
    /// A `*.done`: the messages' flows (created once both sides posted) must
    /// finish (a range of the program's `awaited`).
    case messages(Range<Int>)
    case collective(Int)
  }

  struct RankState {
    var pc = 0
    var wait: Wait?
    var waitSince = 0.0
    var exposed = 0.0
    var stepCompute: [Int: Double] = [:]
    var records: [SimulationReport.Timeline.Record] = []
    var opStart = 0.0
    var opTimes: [(start: Double, end: Double)] = []
    /// Per op: the flow whose end ended its wait (if it waited).
    var opCause: [Int?] = []
    var cause: Int?
  }

  struct Message {
    var senderPosted = false
    var receiverPosted = false
    var flow: Int?
  }

  struct CollectiveState {
    var arrived: Set<Int> = []
    var flows: [Int]?
  }

  var flows: [Flow] = []
  /// Every flow's links, each route once (`routes` keys it by its ends).
  var routeLinks: [Int] = []
  var routes: [Int: (links: Range<Int>, latency: Double)] = [:]
  /// `allocate`'s working buffers, kept between calls.
  var scratch: AllocationScratch
  /// Whether a flow started moving or finished since rates were shared out.
  var flowsChanged = true
  /// Whether a job started or finished since rates were shared out.
  var jobsChanged = true
  /// The flows not finished, in creation order: every event looks only at
  /// these, so a run costs per event what is in flight, not all it has sent.
  var unfinished: [Int] = []
  /// Each rank's compute op under way, if any.
  var jobs: [Job?]
  var messages: [Message]
  var collectives: [CollectiveState]

  mutating func run() throws -> SimulationReport.Program {
    var states = Array(repeating: RankState(), count: graphs.count)
    var running = graphs.indices.filter { !graphs[$0].ops.isEmpty }.count
    // The ranks an event may have unblocked: only a finished job or flow
    // ends a wait, and a flow finishes only at an event.
    var woken = Array(graphs.indices)
    var touched = [Bool](repeating: false, count: graphs.count)
    while true {
      // Ranks go as far as they can at this instant.
      var moved = true
      while moved {
        moved = false
        for r in woken {
          if resume(&states[r], rank: r, running: &running) { moved = true }
          while states[r].wait == nil, states[r].pc < graphs[r].ops.count {
            states[r].opStart = now
            begin(rank: r, state: &states[r])
            if states[r].wait == nil { finishOp(rank: r, state: &states[r], running: &running) }
            moved = true
          }
        }
      }
      if running == 0 { break }
      allocate()
      guard let (next, event) = nextEvent() else {
        let ordered = graphs.indices.map { r in
          var g = graphs[r]
          g.ops = g.ops.indices.map { op(r, $0) }
          return g
        }
        var rendezvous = Rendezvous(ranks: ordered.count)
        for r in ordered.indices {
          for op in ordered[r].ops.prefix(states[r].pc + 1) { rendezvous.record(op, rank: r) }
        }
        let report = rendezvous.deadlock(ordered, pcs: states.map(\.pc))
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
      var collectivePart = false
      var finished = false
      for i in unfinished where flows[i].activeAt <= now && flows[i].remaining <= 1e-6 * max(1, flows[i].bytes) {
        flows[i].finishedAt = now
        finished = true
        touched[flows[i].src] = true
        touched[flows[i].dst] = true
        if case .part = flows[i].carries { collectivePart = true }
        states[flows[i].src].records.append(.send(i))
        states[flows[i].dst].records.append(.receive(i))
      }
      if finished {
        flowsChanged = true
        unfinished.removeAll { flows[$0].finishedAt != nil }
      }
      for r in jobs.indices {
        guard let job = jobs[r], job.remaining <= 1e-12 else { continue }
        jobs[r] = nil
        jobsChanged = true
        touched[r] = true
        states[r].records.append(.compute(op: job.op, start: job.startedAt, end: now, flops: job.flops))
        if let s = program.steps[r][job.op] { states[r].stepCompute[s, default: 0] += now - job.startedAt }
        states[r].wait = nil
        finishOp(rank: r, state: &states[r], running: &running)
      }
      // A collective's members wait for all of its flows, theirs or not.
      woken = collectivePart ? Array(graphs.indices) : graphs.indices.filter { touched[$0] }
      for r in woken { touched[r] = false }
    }
    return report(states)
  }

  /// Rank r's op at position `pc` of the order it runs in.
  private func op(_ r: Int, _ pc: Int) -> Op { graphs[r].ops[orders[r]?[pc] ?? pc] }

  /// The earliest event and its time; nil when nothing is under way. A time
  /// that is no number sorts last, as one the clock never reaches.
  private func nextEvent() -> (time: Double, event: Event)? {
    var best: (time: Double, event: Event)?
    func consider(_ time: Double, _ event: Event) {
      let t = time.isNaN ? .infinity : time
      if best.map({ t < $0.time }) ?? true { best = (t, event) }
    }
    for (r, job) in jobs.enumerated() { if let job { consider(now + job.remaining / job.rate, .job(r)) } }
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

  /// What a flow carries, for errors.
  private func describe(_ carries: Carries) -> String {
    switch carries {
    case .message(let id):
      let key = program.messages[id].key
      return "the message from rank \(key.src) to rank \(key.dst) (\(key))"
    case .part(let id, let from, let to):
      let c = program.collectives[id]
      return "the \(c.opcode.rawValue) part from rank \(from) to rank \(to) (\(c.key))"
    }
  }

  /// The clock cannot reach `event`: its time is past what a Double holds.
  /// Names the rank, the op and the profile values behind that time.
  private func stopped(_ event: Event) -> Simulator.Failure {
    let prefix = "the simulated clock stops advancing at \(now) s"
    switch event {
    case .job(let id):
      let job = jobs[id]!
      let op = op(id, job.op)
      guard case .compute(let cost) = program.actions[id][job.op] else { preconditionFailure("a job runs a compute op") }
      return Simulator.Failure(
        "\(prefix): rank \(id)'s \(SimulationReport.Timeline.name(op)) would end at \(now + job.remaining / job.rate) s; its time comes from \(cost.source)",
        at: op.location)
    case .flowStart(let i):
      let f = flows[i]
      return Simulator.Failure(
        "\(prefix): \(describe(f.carries)) would start moving at \(f.activeAt) s, after its route's latency of \(f.latency) s (the profile's latency per hop, or its network's)",
        at: op(f.poster.rank, f.poster.op).location)
    case .flowEnd(let i):
      let f = flows[i]
      let narrowest = routeLinks[f.route].min { network.capacities[$0] < network.capacities[$1] }
      let limit =
        if let r = narrowest, network.capacities[r] <= f.cap {
          "its narrowest link, \(network.names[r]), carries \(network.capacities[r]) B/s"
        } else {
          "the profile's flow cap is \(f.cap) B/s"
        }
      return Simulator.Failure(
        "\(prefix): \(describe(f.carries)) moves \(f.bytes) bytes at \(f.rate) B/s and would end at \(now + f.remaining / f.rate) s; \(limit)",
        at: op(f.poster.rank, f.poster.op).location)
    }
  }

  private mutating func finishOp(rank r: Int, state: inout RankState, running: inout Int) {
    state.opTimes.append((state.opStart, now))
    state.opCause.append(state.cause)
    state.cause = nil
    state.pc += 1
    if state.pc == graphs[r].ops.count { running -= 1 }
  }

  /// Whether the flows `flow(0..<count)` all exist and have finished, and
  /// then the first of those that finished last.
  private func finished(_ count: Int, _ flow: (Int) -> Int?) -> (done: Bool, last: Int?) {
    var last: (id: Int, end: Double)?
    for i in 0..<count {
      guard let id = flow(i), let end = flows[id].finishedAt else { return (false, nil) }
      if last.map({ end > $0.end }) ?? true { last = (id, end) }
    }
    return (true, last?.id)
  }

  /// `finished` for the messages of `awaited[ids]`.
  private func finished(messages ids: Range<Int>) -> (done: Bool, last: Int?) {
    finished(ids.count) { messages[program.awaited[ids.lowerBound + $0]].flow }
  }

  /// Unblocks a rank whose wait is over; true if it did.
  private mutating func resume(_ state: inout RankState, rank r: Int, running: inout Int) -> Bool {
    guard let wait = state.wait else { return false }
    let ended: (done: Bool, last: Int?)
    switch wait {
    case .job: return false
    case .messages(let ids): ended = finished(messages: ids)
    case .collective(let id):
      guard let parts = collectives[id].flows else { return false }
      ended = finished(parts.count) { parts[$0] }
    }
    guard ended.done else { return false }
    // The flow that finished last ended the wait.
    state.cause = ended.last
    state.exposed += now - state.waitSince
    state.records.append(.wait(start: state.waitSince, end: now))
    state.wait = nil
    finishOp(rank: r, state: &state, running: &running)
    return true
  }

  private mutating func block(_ state: inout RankState, _ wait: Wait) {
    state.wait = wait
    state.waitSince = now
  }

  private mutating func startFlow(
    _ src: Int, _ dst: Int, bytes: Double, step: Int, poster: (rank: Int, op: Int), carries: Carries
  ) -> Int {
    let key = src * graphs.count + dst
    let (route, latency): (Range<Int>, Double)
    if let known = routes[key] {
      (route, latency) = known
    } else {
      let found = network.route(src, dst)
      route = routeLinks.count..<(routeLinks.count + found.resources.count)
      routeLinks += found.resources
      latency = found.latency
      routes[key] = (route, latency)
    }
    flows.append(
      Flow(
        route: route, cap: profile.flowCap ?? .infinity, remaining: bytes, createdAt: now, latency: latency, activeAt: now + latency,
        step: step, src: src, dst: dst, bytes: bytes, poster: poster, carries: carries))
    unfinished.append(flows.count - 1)
    // A latency too small to move the clock leaves the flow moving at once.
    if now + latency <= now { flowsChanged = true }
    return flows.count - 1
  }

  private mutating func begin(rank r: Int, state: inout RankState) {
    switch program.actions[r][state.pc] {
    case .none: break
    case .post(let id, let sending):
      if sending { messages[id].senderPosted = true } else { messages[id].receiverPosted = true }
      if messages[id].senderPosted, messages[id].receiverPosted, messages[id].flow == nil {
        let m = program.messages[id]
        messages[id].flow = startFlow(
          m.key.src, m.key.dst, bytes: m.bytes, step: Int(m.key.step), poster: (r, state.pc), carries: .message(id))
      }
    case .await(let ids):
      if !finished(messages: ids).done { block(&state, .messages(ids)) }
    case .collective(let id):
      collectives[id].arrived.insert(r)
      block(&state, .collective(id))
      let c = program.collectives[id]
      if collectives[id].arrived.count == c.key.group.count {
        collectives[id].flows = c.parts.map { part in
          startFlow(part.from, part.to, bytes: part.bytes, step: c.step, poster: (r, state.pc), carries: .part(id, from: part.from, to: part.to))
        }
      }
    case .compute(let c):
      let unit = profile.computeUnits.map { r % $0 } ?? r
      jobsChanged = true
      jobs[r] = Job(unit: unit, op: state.pc, remaining: c.seconds, startedAt: now, flops: c.flops)
      state.wait = .job
    }
  }

  /// Rates: compute units split evenly among their jobs; flows get max-min
  /// fair shares of their routes' capacities, capped per flow.
  private mutating func allocate() {
    // Rates depend only on which jobs run and which flows move: kept until
    // one of them changes.
    guard jobsChanged || flowsChanged else { return }
    jobsChanged = false
    // A unit is a rank's own device or a compute unit it shares (r mod count).
    for u in scratch.jobsOnUnit.indices { scratch.jobsOnUnit[u] = 0 }
    for case let job? in jobs { scratch.jobsOnUnit[job.unit] += 1 }
    // Communication kernels take SMs and memory bandwidth from a device's
    // compute while it sends or receives (`overlapSlowdown`).
    for r in scratch.communicating.indices { scratch.communicating[r] = false }
    if profile.overlapSlowdown > 0 {
      for i in unfinished where flows[i].activeAt <= now {
        scratch.communicating[flows[i].src] = true
        scratch.communicating[flows[i].dst] = true
      }
    }
    for id in jobs.indices where jobs[id] != nil {
      let sharing = scratch.jobsOnUnit[jobs[id]!.unit]
      // Time-sharing a unit costs (cache, switches): together they get `sharingEfficiency` of it.
      let slowed = scratch.communicating[id] ? 1 - profile.overlapSlowdown : 1
      jobs[id]!.rate = slowed * (sharing > 1 ? profile.sharingEfficiency : 1) / Double(sharing)
    }
    // Flow rates depend only on which flows are moving: kept until one
    // starts moving or finishes.
    guard flowsChanged else { return }
    flowsChanged = false
    // Progressive filling: every round, the unfixed flows get the least
    // fair share left on any of their links (or their cap), and those that
    // share bounds are fixed at it. A link's count of unfixed flows only
    // falls as flows are fixed, and is 0 again when all are.
    let capacities = network.capacities
    if scratch.left.count < capacities.count {
      scratch.fairShare += [Double](repeating: 0, count: capacities.count - scratch.left.count)
      scratch.left += [Double](repeating: 0, count: capacities.count - scratch.left.count)
      scratch.linkCount += [Int](repeating: 0, count: capacities.count - scratch.linkCount.count)
    }
    scratch.unfixed.removeAll(keepingCapacity: true)
    scratch.links.removeAll(keepingCapacity: true)
    for i in unfinished where flows[i].activeAt <= now {
      scratch.unfixed.append(i)
      flows[i].rate = 0
      for k in flows[i].route {
        let r = routeLinks[k]
        if scratch.linkCount[r] == 0 {
          scratch.links.append(r)
          scratch.left[r] = capacities[r]
        }
        scratch.linkCount[r] += 1
      }
    }
    while !scratch.unfixed.isEmpty {
      var share = Double.infinity
      for r in scratch.links where scratch.linkCount[r] > 0 {
        scratch.fairShare[r] = scratch.left[r] / Double(scratch.linkCount[r])
        share = min(share, scratch.fairShare[r])
      }
      for i in scratch.unfixed { share = min(share, flows[i].cap) }
      if !share.isFinite { share = 1e18 }
      let bound = share * (1 + 1e-9)
      // Which flows the share bounds, judged before any is fixed; the rest
      // stay, in order, at the front of `unfixed`.
      scratch.fixed.removeAll(keepingCapacity: true)
      var kept = 0
      for n in scratch.unfixed.indices {
        let i = scratch.unfixed[n]
        let bottleneck = flows[i].route.isEmpty || flows[i].cap <= bound
          || flows[i].route.contains { k in scratch.fairShare[routeLinks[k]] <= bound }
        if bottleneck {
          scratch.fixed.append(i)
        } else {
          scratch.unfixed[kept] = i
          kept += 1
        }
      }
      scratch.unfixed.removeLast(scratch.unfixed.count - kept)
      for i in scratch.fixed {
        flows[i].rate = share
        for k in flows[i].route {
          let r = routeLinks[k]
          scratch.left[r] = max(0, scratch.left[r] - share)
          scratch.linkCount[r] -= 1
        }
      }
    }
  }

  private func report(_ states: [RankState]) -> SimulationReport.Program {
    let span = criticalSpans(states)
    let steps = Set(program.steps.joined().compactMap { $0 }).sorted()
    var transfer: [Int: Double] = [:]
    for f in flows { transfer[f.step] = max(transfer[f.step] ?? 0, (f.finishedAt ?? now) - f.createdAt) }
    var out: [SimulationReport.Step] = []
    for s in steps {
      let compute = states.map { $0.stepCompute[s] ?? 0 }.max() ?? 0
      out.append(SimulationReport.Step(step: s, seconds: span[s] ?? 0, compute: compute, communication: transfer[s] ?? 0))
    }
    let transfers = flows.map { f in
      SimulationReport.Timeline.Transfer(src: f.src, dst: f.dst, start: f.createdAt, end: f.finishedAt ?? now, bytes: f.bytes)
    }
    return SimulationReport.Program(
      family: "", layers: [], seconds: now, steps: out, exposed: states.map(\.exposed),
      timeline: SimulationReport.Timeline(graphs: graphs, orders: orders, records: states.map(\.records), transfers: transfers), opTimes: states.map(\.opTimes))
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
        if let s = program.steps[r][i] { span[s, default: 0] += end - flows[f].createdAt }
        // The post itself (a start, or a collective's last arrival) begins at
        // the transfer's creation: what came before it on that rank is next.
        (r, i) = (flows[f].poster.rank, flows[f].poster.op - 1)
        continue
      }
      if let s = program.steps[r][i] { span[s, default: 0] += end - start }
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
