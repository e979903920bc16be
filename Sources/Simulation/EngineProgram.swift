import GraphIR
import PlanIR

/// A graph family's rank programs resolved once for the simulator's event
/// loop: every op becomes an action on integer ids (messages, collectives),
/// with the step it counts for and, for compute, its cost. The loop then
/// reads no attribute, name or dictionary per op; the scheduler simulates
/// each of its candidates this way.
///
///     %o, %l = attn.block %q, %k, %v {step = 1, …}   →  .compute(cost)
///     %k1 = recv.start {chan = @kv, peer = 3, step = 1}  →  .post(message: 7, sending: false)
///     recv.done %k1                                  →  .await(awaited[i..<i+1] = [7])
struct EngineProgram: Sendable {
  enum Action {
    /// Takes device time.
    case compute(OpCost.Cost)
    /// A `send.start` (sending) or a `recv.start`: once both sides have
    /// posted, the message becomes a flow.
    case post(message: Int, sending: Bool)
    /// A `*.done`: waits until these messages' flows have finished (a
    /// range of `awaited`).
    case await(Range<Int>)
    /// An all-gather or all-to-all: waits for every member, then for all of
    /// its parts.
    case collective(Int)
    /// Takes no time and waits for nothing.
    case none
  }

  struct Message {
    var key: MessageKey
    /// What its sender's operands hold.
    var bytes = 0.0
  }

  struct Collective {
    var key: CollectiveKey
    var opcode: Opcode
    var step: Int
    /// Its flows, in the order they start: member to member, with the bytes
    /// each carries (an all-gather part: the sender's whole operand; an
    /// all-to-all part: the sender's share of the split axis for that peer).
    var parts: [(from: Int, to: Int, bytes: Double)] = []
  }

  /// What fixes an op's step: its own `step`, or for a `recv.done` its
  /// message's; otherwise it counts for the step before it.
  enum StepTag {
    case own(Int)
    case received(Int)
    case none
  }

  /// Per rank, per op.
  var actions: [[Action]]
  var tags: [[StepTag]]
  /// Per rank, per op: the step it counts for (its tag's, or the last one
  /// before it; none after the rank's last op with a step of its own).
  private(set) var steps: [[Int?]] = []
  var messages: [Message] = []
  /// Every `*.done`'s messages, one after another.
  var awaited: [Int] = []
  var collectives: [Collective] = []

  /// The same programs with rank r's ops in the order `orders[r]` (a
  /// permutation of its op indices, nil: as they are): actions, messages
  /// and costs are the op's own, only the steps follow the new order.
  func reordered(_ orders: [[Int]?]) -> EngineProgram {
    var p = self
    for (r, order) in orders.enumerated() {
      guard let order else { continue }
      p.actions[r] = order.map { actions[r][$0] }
      p.tags[r] = order.map { tags[r][$0] }
    }
    p.steps = Self.steps(p.tags)
    return p
  }

  /// Each op's step, from the tags in program order.
  private static func steps(_ tags: [[StepTag]]) -> [[Int?]] {
    tags.map { rankTags in
      let lastOwn = rankTags.lastIndex { if case .own = $0 { true } else { false } } ?? -1
      var step: Int?
      return rankTags.enumerated().map { pc, tag in
        switch tag {
        case .own(let s), .received(let s): step = s
        case .none: if pc > lastOwn, lastOwn >= 0 { step = nil }
        }
        return step
      }
    }
  }

  init(graphs: [Graph], cost: OpCost, weights: [String: TensorType]) throws(Simulator.Failure) {
    actions = []
    tags = []
    var messageIDs: [MessageKey: Int] = [:]
    func message(_ key: MessageKey) -> Int {
      if let id = messageIDs[key] { return id }
      messages.append(Message(key: key))
      messageIDs[key] = messages.count - 1
      return messages.count - 1
    }
    var collectiveIDs: [CollectiveKey: Int] = [:]
    // Per collective, per member: the bytes of its operand, and for an
    // all-to-all its split sizes.
    var contributions: [[Int: (bytes: Double, sizes: [Double])]] = []
    for (r, g) in graphs.enumerated() {
      let types = Plan.valueTypes(of: g)
      // Receive buffer → its message.
      var buffers: [String: Int] = [:]
      var rankActions: [Action] = []
      var rankTags: [StepTag] = []
      rankActions.reserveCapacity(g.ops.count)
      rankTags.reserveCapacity(g.ops.count)
      for op in g.ops {
        if case .int(let s)? = op.attributes["step"] {
          rankTags.append(.own(Int(s)))
        } else if op.opcode == .recvDone, case .value(let v)? = op.operands.first, let id = buffers[v] {
          rankTags.append(.received(Int(messages[id].key.step)))
        } else {
          rankTags.append(.none)
        }
        rankActions.append(try action(op))
      }
      actions.append(rankActions)
      tags.append(rankTags)

      func action(_ op: Op) throws(Simulator.Failure) -> Action {
        switch op.opcode {
        case .sendStart, .recvStart:
          guard let key = MessageKey(op, rank: r) else { return .none }
          let id = message(key)
          if op.opcode == .sendStart {
            messages[id].bytes = op.operands.reduce(0) { sum, o in
              if case .value(let v) = o { return sum + cost.bytes(types[v]) }
              return sum
            }
          } else {
            for name in op.results { buffers[name] = id }
          }
          return .post(message: id, sending: op.opcode == .sendStart)
        case .sendDone:
          let first = awaited.count
          if let key = MessageKey(op, rank: r) { awaited.append(message(key)) }
          return .await(first..<awaited.count)
        case .recvDone:
          let first = awaited.count
          for case .value(let v) in op.operands {
            if let id = buffers[v], !awaited[first...].contains(id) { awaited.append(id) }
          }
          return .await(first..<awaited.count)
        case .allGather, .allToAll:
          guard case .ints(let group)? = op.attributes["group"], case .value(let x) = op.operands[0],
            let key = GraphIR.Collective(op)?.key, let type = types[x], let extents = cost.bindings.extents(of: type)
          else { return .none }
          let id: Int
          if let known = collectiveIDs[key] {
            id = known
          } else {
            collectives.append(Collective(key: key, opcode: op.opcode, step: Int(key.step)))
            contributions.append([:])
            id = collectives.count - 1
            collectiveIDs[key] = id
          }
          var sizes: [Double] = []
          if op.opcode == .allToAll, case .int(let axis)? = op.attributes["split_axis"] {
            // Bytes per part: this rank's share of the split axis.
            let n = Double(extents[Int(axis)])
            let parts: [Double]
            if case .ints(let s)? = op.attributes["split_sizes"] { parts = s.map(Double.init) } else { parts = group.map { _ in n / Double(group.count) } }
            sizes = parts.map { cost.bytes(type) / n * $0 }
          }
          contributions[id][r] = (cost.bytes(type), sizes)
          return .collective(id)
        default:
          return try cost.cost(op, types, weights: weights).map(Action.compute) ?? .none
        }
      }
    }
    for id in collectives.indices {
      let group = collectives[id].key.group.map { Int($0) }
      let from = contributions[id]
      for (i, m) in group.enumerated() {
        for (j, n) in group.enumerated() where i != j {
          let bytes = collectives[id].opcode == .allGather ? from[m]?.bytes ?? 0 : from[m]?.sizes[safe: j] ?? 0
          collectives[id].parts.append((m, n, bytes))
        }
      }
    }
    steps = Self.steps(tags)
  }
}

extension Array {
  fileprivate subscript(safe i: Int) -> Element? { indices.contains(i) ? self[i] : nil }
}
