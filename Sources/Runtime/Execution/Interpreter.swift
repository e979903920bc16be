import GraphIR
import PlanIR
import Timeline

/// Executes graphs of a module op by op, in the printed order (a scheduled
/// plan's order is its schedule). Compute runs on the calling thread through
/// the kernels; `*.start` ops hand transfers to the communicator and `*.done`
/// ops wait for them, so whatever is printed between them overlaps.
///
/// Weights of a graph that `repeat` runs have one instance per iteration
/// (layer); `positions` yields global token positions (its `ranges`).
public final class Interpreter {
  /// An op that failed: `attn.block (plan.ir:96:5) in @layer.r1: reason`.
  public struct OpFailure: Error, CustomStringConvertible {
    public var op: String
    public var reason: String
    public var description: String { "\(op): \(reason)" }
  }

  public struct Options {
    /// Names of values to record per layer (attention inputs and outputs).
    public var record: Set<String> = []
    /// Fail deliberately at the first `attn.block` (tests the abort path).
    public var failAtFirstBlock = false
    public init() {}
  }

  let module: Module
  let symbols: SymbolTable
  let bindings: DimBindings
  let weights: WeightSource
  let communicator: Communicator?
  let tags: Tags?
  let options: Options
  public var trace: Trace?
  /// Called after each iteration of a `repeat` in the entry graph (a layer).
  public var onLayerDone: (() -> Void)?
  /// Recorded values: layer → name → tensor.
  public private(set) var recorded: [Int: [String: Tensor]] = [:]
  /// The op running now, as `OpFailure.op` names it, or the weight being
  /// read ahead of the run (for failures outside the interpreter's control,
  /// such as a failed allocation).
  var runningOp: String? {
    if let w = preloading {
      return "weight @\(w.decl.name) \(w.decl.type)\(w.decl.location.map { " (\($0))" } ?? ""), read ahead of the run"
    }
    return running.map { Self.site($0.op, $0.graph) }
  }
  private var running: (op: Op, graph: String)?
  private var preloading: WeightSource.Instance?
  /// Weight instances read before the run (`preload`), by `Instance.key`.
  private var resident: [String: Tensor] = [:]
  /// The layer index given to ops of the entry graph itself: after all repeats.
  let entryLayer: Int
  private var nextLayer = 0

  public init(module: Module, weights: WeightSource, communicator: Communicator?, tags: Tags?, options: Options) {
    self.module = module
    self.symbols = SymbolTable(module)
    self.bindings = module.bindings
    self.weights = weights
    self.communicator = communicator
    self.tags = tags
    self.options = options
    let entry = module.rankProgram(of: Module.entryGraphName, rank: 0) ?? symbols.graphs[Module.entryGraphName]
    entryLayer = entry?.ops.reduce(0) { sum, op in
      if op.opcode == .repeat, case .int(let n)? = op.attributes["count"] { return sum + Int(n) }
      return sum
    } ?? 0
  }

  /// Runs graph `name` (an entry graph) on `arguments`, which it owns from
  /// here: each is freed after its last reader, as any other value is (a
  /// caller that keeps them holds a rank's inputs for the whole run).
  public func run(_ name: String, _ arguments: consuming [Tensor]) throws -> [Tensor] {
    guard let g = symbols.graphs[name] else { throw RuntimeError("the plan has no graph @\(name)") }
    nextLayer = 0
    return try execute(g, consume arguments, layer: nil)
  }

  /// Generates `instances` now when together they take at most `budget`
  /// bytes at f32, so the run itself makes no weight (as a framework holds
  /// its model before the forward pass); otherwise each is made when an op
  /// needs it and freed after its last reader. Returns the bytes now held.
  /// Not a checkpoint's: those stay mapped and are converted as ops read
  /// them (a transposed matrix in blocks, an embedding by its rows), which
  /// holding them whole in f32 would undo.
  public func preload(_ instances: [WeightSource.Instance], budget: Int64) throws -> Int64 {
    guard weights.checkpoint == nil else { return 0 }
    let total = instances.reduce(Int64(0)) { sum, w in
      sum.addingSaturating(w.shape.reduce(Int64(MemoryLayout<Float>.stride)) { $0.multiplyingSaturating(Int64($1)) })
    }
    guard total <= budget else { return 0 }
    defer { preloading = nil }
    for w in instances {
      preloading = w
      resident[w.key] = try weights.weight(w)
    }
    return total
  }

  func shape(_ t: TensorType) throws -> [Int] {
    guard let e = bindings.extents(of: t) else { throw RuntimeError("type \(t) has an unbound dimension") }
    return e.map { Int($0) }
  }

  /// The transfers in flight in one run of a graph, and the types the
  /// graph declares for its values (a message travels in its tensor's dtype).
  private struct Pending {
    var types: [String: TensorType]
    var sends: [MessageKey: [CommRequest]] = [:]
    var receives: [String: Receive] = [:]
  }

  /// A posted receive: the message arrives in `message` and `recv.done`
  /// unpacks it into `tensor`, the value the program reads.
  private struct Receive {
    var request: CommRequest
    var message: MessageBuffer
    var tensor: Tensor
  }

  private func execute(_ g: Graph, _ arguments: consuming [Tensor], layer: Int?) throws -> [Tensor] {
    var env: [String: Tensor] = [:]
    let layerIndex = layer ?? entryLayer
    for (a, t) in zip(g.arguments, arguments) {
      env[a.name] = t
      // An attention's q, k or v may be the graph's own input.
      if options.record.contains(a.name) { recorded[layerIndex, default: [:]][a.name] = t }
    }
    // The environment holds the arguments now, and drops each after its last reader.
    arguments = []
    var pending = Pending(types: Plan.valueTypes(of: g))
    // A value is dropped after its last reader, so a rank holds its live
    // set, not every tensor the program ever made (transfers in flight keep
    // their own reference to their buffers).
    let lastUse = Liveness.lastUses(g.ops)
    for (i, op) in g.ops.enumerated() {
      let start = Clock.now
      running = (op, g.name)
      do {
        if op.opcode == .return {
          return try op.operands.map { try value($0, env, layer) }
        }
        let (results, flops, waited) = try run(op, &env, &pending, layer: layer)
        for (name, t) in zip(op.results, results) {
          if lastUse[name] != nil { env[name] = t }
          if options.record.contains(name) { recorded[layerIndex, default: [:]][name] = t }
        }
        for case .value(let v) in op.operands where lastUse[v] == i { env[v] = nil }
        if op.opcode != .repeat {
          trace?.add(Trace.Event(track: .compute, name: describe(op), start: start, end: Clock.now, amount: flops, isWait: waited))
        }
      } catch let e as RuntimeError {
        throw OpFailure(op: Self.site(op, g.name), reason: e.description)
      }
    }
    throw RuntimeError("graph @\(g.name) has no return")
  }

  /// `opcode (file:line:column) in @graph`.
  static func site(_ op: Op, _ graph: String) -> String {
    "\(op.opcode.rawValue)\(op.location.map { " (\($0))" } ?? "") in @\(graph)"
  }

  /// A communication op as the plan prints it, without its values:
  /// `recv.start {chan = @a.q, peer = 1, step = 0} (plan.ir:95:5)`.
  private func label(_ op: Op) -> String {
    op.opcode.rawValue + Printer().attributes(op.attributes) + (op.location.map { " (\($0))" } ?? "")
  }

  private func describe(_ op: Op) -> String {
    var s = op.opcode.rawValue
    if case .int(let step)? = op.attributes["step"] { s += " s\(step)" }
    if case .int(let peer)? = op.attributes["peer"] { s += " peer \(peer)" }
    return s
  }

  private func value(_ operand: Operand, _ env: [String: Tensor], _ layer: Int?) throws -> Tensor {
    switch operand {
    case .value(let name):
      guard let t = env[name] else { throw RuntimeError("value %\(name) is not defined") }
      return t
    case .symbol(let name):
      let w = try weightInstance(name, layer)
      return try resident[w.key] ?? weights.weight(w)
    }
  }

  private func weightInstance(_ name: String, _ layer: Int?) throws -> WeightSource.Instance {
    guard let w = symbols.weights[name] else { throw RuntimeError("weight @\(name) is not defined") }
    return WeightSource.Instance(decl: w, layer: layer, shape: try shape(w.type))
  }

  private func float(_ op: Op, _ key: String) throws -> Double {
    switch op.attributes[key] {
    case .float(let v)?: return v
    case .int(let v)?: return Double(v)
    default: throw RuntimeError("'\(op.opcode.rawValue)' needs a numeric '\(key)'")
    }
  }

  private func int(_ op: Op, _ key: String) throws -> Int64 {
    guard case .int(let v)? = op.attributes[key] else { throw RuntimeError("'\(op.opcode.rawValue)' needs '\(key)'") }
    return v
  }

  /// Runs one op; returns its results, its FLOPs, and whether it was a wait.
  private func run(_ op: Op, _ env: inout [String: Tensor], _ pending: inout Pending, layer: Int?) throws
    -> ([Tensor], Int64, Bool)
  {
    func arg(_ i: Int) throws -> Tensor { try value(op.operands[i], env, layer) }
    switch op.opcode {
    case .matmul:
      let a = try arg(0)
      // A checkpoint's transposed matrix, read in blocks of rows.
      if case .symbol(let name) = op.operands[1], let w = try? weightInstance(name, layer), w.decl.transpose,
        let rows = weights.storedRows(w)
      {
        let (n, k) = (w.storedShape[0], w.storedShape[1])
        return ([try MatMul.runTransposed(a, n: n, k: k, rows: rows)], Int64(2 * a.count * n), false)
      }
      let b = try arg(1)
      return ([MatMul.run(a, b)], Int64(2 * a.count * b.shape[1]), false)
    case .add: return ([Elementwise.broadcast(try arg(0), try arg(1), +)], 0, false)
    case .mul: return ([Elementwise.broadcast(try arg(0), try arg(1), *)], 0, false)
    case .swiglu: return ([Elementwise.swiglu(try arg(0), try arg(1))], 0, false)
    case .silu: return ([Elementwise.map(try arg(0), Elementwise.silu)], 0, false)
    case .gelu:
      let tanhForm = op.attributes["approximate"] == .string("tanh")
      return ([Elementwise.map(try arg(0)) { Elementwise.gelu($0, tanhApproximation: tanhForm) }], 0, false)
    case .softmax: return ([Elementwise.softmax(try arg(0))], 0, false)
    case .rmsnorm:
      return ([Elementwise.rmsnorm(try arg(0), try arg(1), eps: Float(try float(op, "eps")))], 0, false)
    case .layernorm:
      let affine = op.operands.count == 3
      return ([Elementwise.layernorm(try arg(0), affine ? try arg(1) : nil, affine ? try arg(2) : nil, eps: Float(try float(op, "eps")))], 0, false)
    case .rope:
      guard let rope = Rope(op) else { throw RuntimeError("rope needs a valid theta and scaling") }
      let x = try arg(0)
      let frequencies = (0..<x.shape[2] / 2).map { rope.frequency($0, headDim: x.shape[2]) }
      return ([Elementwise.rope(x, positions: try arg(1), frequencies: frequencies)], 0, false)
    case .embed:
      // A checkpoint's table: only the rows the ids pick are converted.
      if case .symbol(let name) = op.operands[1], let w = try? weightInstance(name, layer), !w.decl.transpose,
        let rows = weights.storedRows(w)
      {
        return ([try Embedding.run(ids: try arg(0), vocabulary: w.shape[0], width: w.shape[1], rows: rows)], 0, false)
      }
      return ([try Embedding.run(ids: try arg(0), table: try arg(1))], 0, false)
    case .reshape: return ([try arg(0).reshaped(try shape(op.resultTypes[0]))], 0, false)
    case .positions:
      let n = try shape(op.resultTypes[0])[0]
      let tokens = TokenRanges(attribute: op.attributes["ranges"])?.positions ?? (0..<Int64(n)).map { $0 }
      return ([Tensor(shape: [n], values: tokens.map(Float.init))], 0, false)
    case .documents:
      // bindDocuments folds every documents input into its attentions first.
      throw RuntimeError("documents %\(op.results[0]) was not folded into its attentions; compile the model with --documents")
    case .slice:
      return ([Elementwise.slice(try arg(0), start: Int(try int(op, "start")), len: Int(try int(op, "len")))], 0, false)
    case .attention:
      let (q, k, v) = (try arg(0), try arg(1), try arg(2))
      let scale = op.attributes["scale"] != nil ? Float(try float(op, "scale")) : 1 / Float(q.shape[2]).squareRoot()
      let mask = Mask(op.attributes)
      let pairs = mask.visiblePairs(TokenRanges([0..<Int64(q.shape[0])]), TokenRanges([0..<Int64(k.shape[0])]))
      let work = AttentionWork(pairs: pairs, heads: Int64(q.shape[1]), headDim: Int64(q.shape[2]), valueDim: Int64(v.shape[2]))
      return ([DenseAttention.run(q: q, k: k, v: v, mask: mask, scale: scale)], work.flops ?? 0, false)
    case .linearAttention, .linattnState, .linattnPrefix, .linattnIntra, .linattnFinish:
      return try linear(op, (0..<op.operands.count).map { i throws in try arg(i) })
    case .attnBlock:
      if options.failAtFirstBlock { throw RuntimeError("deliberate failure (--fail-rank)") }
      let (q, k, v) = (try arg(0), try arg(1), try arg(2))
      guard let block = AttnBlock(op) else { throw RuntimeError("attn.block needs q_tokens, k_tokens and scale") }
      let (o, l) = BlockAttention.run(
        q: q, k: k, v: v, qPositions: block.queryTokens.positions, kPositions: block.keyTokens.positions, mask: block.mask,
        scale: Float(block.scale))
      let work = block.work(heads: Int64(q.shape[1]), headDim: Int64(q.shape[2]), valueDim: Int64(v.shape[2]))
      return ([o, l], work.flops ?? 0, false)
    case .attnScores:
      let (q, k) = (try arg(0), try arg(1))
      guard let block = AttnBlock(op) else { throw RuntimeError("attn.scores needs q_tokens, k_tokens and scale") }
      let s = ScoreAttention.scores(
        q: q, k: k, qPositions: block.queryTokens.positions, kPositions: block.keyTokens.positions, mask: block.mask,
        scale: Float(block.scale))
      let work = block.work(heads: Int64(q.shape[1]), headDim: Int64(q.shape[2]), valueDim: nil)
      return ([s], work.flops ?? 0, false)
    case .attnApply:
      let (p, v) = (try arg(0), try arg(1))
      let o = ScoreAttention.apply(p: p, v: v, column: Int(try int(op, "col_start")))
      return ([o], Int64(2 * p.shape[0] * p.shape[1] * v.shape[0] * v.shape[2]), false)
    case .concat:
      let axis = Int(try int(op, "axis"))
      let parts = try op.operands.indices.map { try arg($0) }
      let packed = parts.map { t in Layout.split(t, axis: axis, sizes: [t.shape[axis]])[0] }
      return ([Layout.concat(packed, axis: axis, shape: try shape(op.resultTypes[0]))], 0, false)
    case .repeatKV:
      return ([Layout.repeatHeads(try arg(0), factor: Int(try int(op, "factor")))], 0, false)
    case .allGather:
      let (comm, _) = try communication()
      let parts = try comm.allGather(
        try arg(0), as: try wireFormat(op.operands[0], pending), group: try group(op), label: label(op))
      return ([Layout.concat(parts, axis: 0, shape: try shape(op.resultTypes[0]))], 0, false)
    case .allToAll:
      let (comm, _) = try communication()
      let x = try arg(0)
      let members = try group(op)
      let split = Int(try int(op, "split_axis"))
      let sizes: [Int]
      if case .ints(let s)? = op.attributes["split_sizes"] {
        sizes = s.map { Int($0) }
      } else {
        sizes = Array(repeating: x.shape[split] / members.count, count: members.count)
      }
      let received = try comm.allToAll(
        Layout.split(x, axis: split, sizes: sizes), as: try wireFormat(op.operands[0], pending), group: members,
        label: label(op))
      return ([Layout.concat(received, axis: Int(try int(op, "concat_axis")), shape: try shape(op.resultTypes[0]))], 0, false)
    case .attnMerge:
      let (o, l) = AttentionMerge.run(o1: try arg(0), l1: try arg(1), o2: try arg(2), l2: try arg(3), offset: Int(try int(op, "offset")))
      return ([o, l], 0, false)
    case .repeat:
      guard case .symbol(let callee) = op.operands[0], let g = symbols.graphs[callee] else {
        throw RuntimeError("repeat needs a graph")
      }
      var x = try arg(1)
      for _ in 0..<Int(try int(op, "count")) {
        let layerIndex = nextLayer
        nextLayer += 1
        x = try execute(g, [consume x], layer: layerIndex)[0]
        if layer == nil { onLayerDone?() }
      }
      return ([x], 0, false)
    case .sendStart:
      let (comm, tags) = try communication()
      let key = try messageKey(op)
      pending.sends[key] = try op.operands.enumerated().map { i, o in
        let message = MessageBuffer(try value(o, env, layer), as: try wireFormat(o, pending))
        return comm.send(message, to: Int(try int(op, "peer")), tag: try tag(op, tags, layer, i), label: label(op))
      }
      return ([], 0, false)
    case .recvStart:
      let (comm, tags) = try communication()
      var buffers: [Tensor] = []
      for (i, (name, type)) in zip(op.results, op.resultTypes).enumerated() {
        let buffer = Tensor(uninitialized: try shape(type))
        let message = MessageBuffer(receiving: buffer, as: WireFormat(type.dtype))
        let request = comm.receive(
          into: message, from: Int(try int(op, "peer")), tag: try tag(op, tags, layer, i), label: label(op))
        pending.receives[name] = Receive(request: request, message: message, tensor: buffer)
        buffers.append(buffer)
      }
      return (buffers, 0, false)
    case .sendDone:
      let key = try messageKey(op)
      guard let requests = pending.sends.removeValue(forKey: key) else { throw RuntimeError("send.done without send.start") }
      for r in requests { try wait(r) }
      return ([], 0, true)
    case .recvDone:
      for case .value(let name) in op.operands {
        guard let r = pending.receives.removeValue(forKey: name) else {
          throw RuntimeError("recv.done %\(name) has no pending receive")
        }
        try wait(r.request)
        r.message.unpack(into: r.tensor)
      }
      return ([], 0, true)
    case .return:
      return ([], 0, false)
    }
  }

  /// The format `operand` travels in: its declared dtype's.
  /// `linear_attention` (the dense recurrence) and its plan ops (the blockwise kernels).
  private func linear(_ op: Op, _ x: [Tensor]) throws -> (results: [Tensor], flops: Int64, isCommunication: Bool) {
    guard let params = LinearAttention(op) else { throw RuntimeError("'\(op.opcode.rawValue)' has invalid linear-attention parameters") }
    switch op.opcode {
    case .linearAttention:
      return ([DenseAttention.linear(q: x[0], k: x[1], v: x[2], params: params)], 0, false)
    case .linattnState:
      return ([LinearAttentionKernel.state(k: x[0], v: x[1], params: params)], 0, false)
    case .linattnIntra:
      let u = LinearAttentionKernel.intra(q: x[0], k: x[1], v: x[2], params: params)
      let flops = params.flops(.linattnIntra, operands: x.map { $0.shape.map(Int64.init) }, result: u.shape.map(Int64.init))
      return ([u], Int64(flops), false)
    case .linattnPrefix:
      guard case .ints(let spans)? = op.attributes["spans"], spans.count == 2 * x.count else { throw RuntimeError("linattn.prefix needs spans") }
      let ends = (0..<x.count).map { spans[2 * $0] + spans[2 * $0 + 1] }
      return ([LinearAttentionKernel.prefix(states: x, ends: ends, at: try int(op, "at"), params: params)], 0, false)
    default:
      return ([LinearAttentionKernel.finish(q: x[0], intra: x[1], prefix: x.count > 2 ? x[2] : nil, params: params)], 0, false)
    }
  }

  private func wireFormat(_ operand: Operand, _ pending: Pending) throws -> WireFormat {
    guard let type = WireFormat.declaredType(operand, pending.types, module) else {
      throw RuntimeError("\(operand) has no declared type")
    }
    return WireFormat(type.dtype)
  }

  private func group(_ op: Op) throws -> [Int] {
    guard case .ints(let g)? = op.attributes["group"] else { throw RuntimeError("'\(op.opcode.rawValue)' needs a group") }
    return g.map { Int($0) }
  }

  private func communication() throws -> (Communicator, Tags) {
    guard let communicator, let tags else { throw RuntimeError("communication ops need mpirun (this run has no communicator)") }
    return (communicator, tags)
  }

  private func messageKey(_ op: Op) throws -> MessageKey {
    guard let key = MessageKey(op, rank: communicator?.rank ?? 0) else {
      throw RuntimeError("'\(op.opcode.rawValue)' needs chan, peer and step, with peer a rank index")
    }
    return key
  }

  private func tag(_ op: Op, _ tags: Tags, _ layer: Int?, _ index: Int) throws -> Int32 {
    guard case .symbol(let chan)? = op.attributes["chan"] else { throw RuntimeError("missing chan") }
    return tags.tag(layer: layer ?? entryLayer, channel: chan, step: try int(op, "step"), tensor: index)
  }

  private func wait(_ request: CommRequest) throws {
    guard let communicator else { return }
    try communicator.wait(request)
    if let done = request.completedAt {
      trace?.add(
        Trace.Event(
          track: request.direction == .send ? .send : .receive,
          name: "\(request.direction == .send ? "to" : "from") rank \(request.peer)", start: request.postedAt, end: done,
          amount: Int64(request.bytes), isWait: false))
    }
  }
}
