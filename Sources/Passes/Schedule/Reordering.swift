import GraphIR

/// A rank graph's ops reordered for overlap (`OverlapSchedulePass`): dones
/// as late as the ops that read their buffers allow, and with `hoistStarts`
/// starts as early as their operands allow (in their order, at most
/// `receiveDepth` receives of a channel outstanding); compute keeps its
/// order. Values, channels and op kinds are numbered once per graph, so a
/// walk hashes no names and one index serves both walks.
struct Reordering: Sendable {
  let opcodes: [Opcode]
  /// Per op, its results and its value operands, by number.
  let results: PerOp
  let operands: PerOp
  let arguments: [Int]
  let valueCount: Int
  /// Per value: the recv.done that completes it, and the recv.start it comes from.
  let doneFor: [Int?]
  let startOf: [Int?]
  /// Per op: a recv.start's channel, by number.
  let channelOf: [Int?]
  let channelCount: Int
  let starts: [Int]
  let dones: [Int]
  let compute: [Int]
  /// Per op: a done's position among the dones.
  let donePosition: [Int?]

  /// A list of value numbers per op, held in one array (a graph has many
  /// ops and each list is short).
  struct PerOp: Sendable {
    private var items: [Int] = []
    private var ends: [Int] = []

    init(_ ops: [Op], _ list: (Op) -> [Int]) {
      ends.reserveCapacity(ops.count)
      for op in ops {
        items += list(op)
        ends.append(items.count)
      }
    }

    subscript(op: Int) -> ArraySlice<Int> { items[(op == 0 ? 0 : ends[op - 1])..<ends[op]] }
  }

  init(_ g: Graph) {
    let ops = g.ops
    // Values by number: arguments, results, then any other name an operand
    // gives, which is never defined.
    var number: [String: Int] = [:]
    func id(_ name: String) -> Int {
      if let n = number[name] { return n }
      number[name] = number.count
      return number.count - 1
    }
    arguments = g.arguments.map { id($0.name) }
    let results = PerOp(ops) { $0.results.map(id) }
    let operands = PerOp(ops) { op in op.operands.compactMap { o -> Int? in if case .value(let v) = o { id(v) } else { nil } } }
    let opcodes = ops.map(\.opcode)
    self.opcodes = opcodes
    var doneFor = [Int?](repeating: nil, count: number.count)
    var startOf = [Int?](repeating: nil, count: number.count)
    var channelOf = [Int?](repeating: nil, count: ops.count)
    var channels: [String: Int] = [:]
    for (i, op) in ops.enumerated() {
      if op.opcode == .recvDone { for v in operands[i] { doneFor[v] = i } }
      if op.opcode == .recvStart, case .symbol(let c)? = op.attributes["chan"] {
        if channels[c] == nil { channels[c] = channels.count }
        channelOf[i] = channels[c]
        for r in results[i] { startOf[r] = i }
      }
    }
    starts = opcodes.indices.filter { opcodes[$0] == .sendStart || opcodes[$0] == .recvStart }
    dones = opcodes.indices.filter { opcodes[$0] == .sendDone || opcodes[$0] == .recvDone }
    compute = opcodes.indices.filter {
      switch opcodes[$0] {
      case .sendStart, .recvStart, .sendDone, .recvDone: false
      default: true
      }
    }
    var donePosition = [Int?](repeating: nil, count: ops.count)
    for (position, d) in dones.enumerated() { donePosition[d] = position }
    self.results = results
    self.operands = operands
    self.doneFor = doneFor
    self.startOf = startOf
    self.channelOf = channelOf
    self.donePosition = donePosition
    channelCount = channels.count
    valueCount = number.count
  }

  /// The indices of the graph's ops in their new order.
  func order(hoistStarts: Bool, receiveDepth: Int) -> [Int] {
    var defined = [Bool](repeating: false, count: valueCount)
    for a in arguments { defined[a] = true }
    // Received buffers whose recv.done is not emitted.
    var pending = [Bool](repeating: false, count: valueCount)
    var emitted = [Bool](repeating: false, count: opcodes.count)
    var out: [Int] = []
    out.reserveCapacity(opcodes.count)
    var nextStart = 0
    var nextDone = 0
    // Per channel, its receives posted and not done.
    var outstanding = [Int](repeating: 0, count: channelCount)

    func emit(_ i: Int) {
      emitted[i] = true
      out.append(i)
      for r in results[i] { defined[r] = true }
      if opcodes[i] == .recvStart {
        for r in results[i] { pending[r] = true }
        if let c = channelOf[i] { outstanding[c] += 1 }
      }
      if opcodes[i] == .recvDone {
        for v in operands[i] {
          pending[v] = false
          if let s = startOf[v], let c = channelOf[s], results[s].first == v { outstanding[c] -= 1 }
        }
      }
    }
    func ready(_ i: Int) -> Bool {
      operands[i].allSatisfy { defined[$0] && !pending[$0] }
    }
    /// Emits dones in order up to and including index `limit` of `dones`.
    func flushDones(through limit: Int) {
      while nextDone <= limit, nextDone < dones.count {
        let d = dones[nextDone]
        // A receive is never waited for before it is posted.
        while opcodes[d] == .recvDone, nextStart < starts.count, operands[d].contains(where: { !defined[$0] }) {
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
        let room = channelOf[s].map { outstanding[$0] < receiveDepth } ?? true
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
        if opcodes[op] == .return, nextStart < starts.count || nextDone < dones.count {
          // Nothing may stay in flight past the end: post and finish the rest first.
          if nextDone < dones.count { flushDones(through: nextDone) } else { emit(starts[nextStart]); nextStart += 1 }
          continue
        }
        if opcodes[op].isCollective, case let last = dones.partitionIndex(where: { $0 >= op }) - 1, last >= 0, nextDone <= last {
          // Collectives keep their place among the dones.
          flushDones(through: last)
        }
        // Dones the next compute op needs (its operands' receives), and the dones before them.
        let needed = operands[op].compactMap { v in pending[v] ? doneFor[v] : nil }
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
