import GraphIR

/// Work and traffic of a plan, read off its ops: per layer, per step, per
/// rank, the attention FLOPs and the bytes sent to and received from each peer.
///
/// Bytes use each tensor's dtype (so a bf16 query block costs 2 bytes per
/// element and an lse 4). FLOPs count 2·(D + Dv) per visible query-key pair
/// and head for `attn.block` and 2·M·K·N for `matmul`; elementwise ops are
/// not counted.
public struct PlanStats: Sendable {
  public struct Message: Sendable, Equatable {
    public var layer: Int
    public var step: Int
    public var src: Int
    public var dst: Int
    /// What the tensor is: what its channel carries (`query`, `partial`,
    /// `kv`, …), or `lse` for the second tensor of a partial.
    public var kind: String
    public var bytes: Int64
  }

  /// One graph family's per-call figures (identical for every layer it runs).
  public struct Program: Sendable {
    public var family: String
    /// The layers (indices into the forward pass) that run this program.
    public var layers: [Int]
    /// Per step: attention FLOPs of each rank.
    public var stepFlops: [Int: [Int64]]
    /// Per rank: matmul FLOPs (token-local work).
    public var matmulFlops: [Int64]
    /// One call's messages (layer set to the program's first layer).
    public var messages: [Message]
    /// Per rank: the most bytes live at once in the attention region.
    public var peakBytes: [Int64]
    /// Per rank: bytes its all-to-alls send only because `repeat_kv`
    /// replicated kv heads (more head-parallel ranks than kv heads).
    public var replicatedKVBytes: [Int64] = []
  }

  public var sp: Int
  public var strategy: String
  public var layout: String
  public var sequence: Int64
  public var programs: [Program]
  /// Layers of the forward pass; each is one call of one program.
  public var layerCount: Int
  /// Per rank: what its device holds (empty when built with `memory: false`).
  public var memory: [DeviceMemory] = []

  /// The layers (indices into the forward pass) each program family runs,
  /// and how many there are: each repeat iteration in @main.r0, then @main
  /// itself if it holds attention (a model without repeats).
  public static func layers(
    _ module: Module, families: [(name: String, graphs: [Graph])]
  ) -> (of: [String: [Int]], count: Int) {
    var layersOf: [String: [Int]] = [:]
    var next = 0
    if let main = families.first(where: { $0.name == Module.entryGraphName })?.graphs.first {
      for op in main.ops where op.opcode == .repeat {
        guard case .symbol(let callee) = op.operands[0], let family = module.graph(named: callee)?.rankProgram?.source,
          case .int(let count)? = op.attributes["count"]
        else { continue }
        layersOf[family, default: []] += Array(next..<(next + Int(count)))
        next += Int(count)
      }
    }
    let mainHasAttention = module.graphs.contains { g in
      g.rankProgram?.source == Module.entryGraphName
        && g.ops.contains { $0.opcode == .attnBlock || $0.opcode == .attnScores || $0.opcode == .linattnIntra }
    }
    if mainHasAttention {
      layersOf[Module.entryGraphName] = [next]
      next += 1
    }
    return (layersOf, next)
  }

  /// `memory: false` skips the liveness analysis (peak bytes read 0), for
  /// callers that only want FLOPs and messages.
  public init(_ module: Module, memory: Bool = true) throws(CompileError) {
    let header = try Plan.check(module)
    sp = header.sp
    strategy = header.strategy?.description ?? "none"
    layout = header.layout.description
    sequence = module.sequenceDim?.value ?? 0
    let bindings = module.bindings
    let families = Plan.families(module)
    let (layersOf, count) = Self.layers(module, families: families)
    layerCount = count
    // FLOPs of a long enough sequence pass 2⁶³: a sum that overflows makes
    // the whole count an error, never a wrapped or saturated figure.
    var overflowed = false
    func product(_ factors: Int64...) -> Int64 {
      factors.reduce(Int64(1)) { a, b in
        let (p, o) = a.multipliedReportingOverflow(by: b)
        if o { overflowed = true }
        return p
      }
    }
    func add(_ x: inout Int64, _ y: Int64?) {
      guard let y else { return overflowed = true }
      let (s, o) = x.addingReportingOverflow(y)
      if o { overflowed = true } else { x = s }
    }
    programs = families.map { family in
      let layers = layersOf[family.name] ?? []
      var stepFlops: [Int: [Int64]] = [:]
      var matmulFlops = [Int64](repeating: 0, count: family.graphs.count)
      var messages: [Message] = []
      var peakBytes = [Int64](repeating: 0, count: family.graphs.count)
      var replicatedKVBytes = [Int64](repeating: 0, count: family.graphs.count)
      for (r, g) in family.graphs.enumerated() {
        let types = Plan.valueTypes(of: g)
        // Values that repeat_kv made, by their replication factor.
        var replicated: [String: Int64] = [:]
        if memory { peakBytes[r] = Liveness.attentionPeak(g, types: types, bindings: bindings) }
        func addFlops(_ step: Int64, _ flops: Int64?) {
          add(&stepFlops[Int(step), default: [Int64](repeating: 0, count: family.graphs.count)][r], flops)
        }
        for op in g.ops {
          let kind: String = {
            guard case .symbol(let chan)? = op.attributes["chan"] else { return "" }
            return module.channel(named: chan)?.carries.rawValue ?? chan
          }()
          switch op.opcode {
          case .attnBlock:
            guard let block = AttnBlock(op), let step = block.step, let value = block.value,
              let qt = types[block.query], let vt = types[value],
              let h = bindings.value(of: qt.dims[1]), let d = bindings.value(of: qt.dims[2]),
              let dv = bindings.value(of: vt.dims[2])
            else { continue }
            addFlops(step, block.work(heads: h, headDim: d, valueDim: dv).flops)
          case .attnScores, .attnApply:
            // Dense products: 2·D·H per score, 2·Dv·H per applied column.
            guard case .int(let step)? = op.attributes["step"], case .value(let a) = op.operands[0],
              case .value(let b) = op.operands[1], let at = types[a], let bt = types[b],
              let elements = bindings.elementCount(of: op.resultTypes[0])
            else { continue }
            let inner = op.opcode == .attnScores ? bindings.value(of: at.dims[2]) : bindings.value(of: bt.dims[0])
            addFlops(step, product(2, elements, inner ?? 0))
          case .linattnState, .linattnIntra, .linattnFinish:
            // Linear attention has no steps of compute: all of it counts at step 0.
            guard let params = LinearAttention(op), let result = bindings.extents(of: op.resultTypes[0]) else { continue }
            let operands = op.operands.map { Self.type($0, types, module).flatMap { bindings.extents(of: $0) } ?? [] }
            let flops = params.flops(op.opcode, operands: operands, result: result)
            addFlops(0, flops < 9.2e18 ? Int64(flops) : nil)
          case .allGather, .allToAll:
            guard case .ints(let group)? = op.attributes["group"], case .int(let step)? = op.attributes["step"],
              let t = Self.type(op.operands[0], types, module), let total = bindings.byteCount(of: t),
              let extents = bindings.extents(of: t)
            else { continue }
            // all_gather sends the whole operand to every other member;
            // all_to_all sends member i its part.
            var share = group.map { _ in total }
            if op.opcode == .allToAll, case .int(let axis)? = op.attributes["split_axis"] {
              let n = extents[Int(axis)]
              let sizes: [Int64]
              if case .ints(let s)? = op.attributes["split_sizes"] { sizes = s } else { sizes = group.map { _ in n / Int64(group.count) } }
              share = sizes.map { n > 0 ? total / n * $0 : 0 }
            }
            for (i, member) in group.enumerated() where Int(member) != r {
              messages.append(Message(layer: layers.first ?? 0, step: Int(step), src: r, dst: Int(member), kind: kind, bytes: share[i]))
              if case .value(let v) = op.operands[0], let f = replicated[v], f > 1 {
                add(&replicatedKVBytes[r], share[i] / f * (f - 1))
              }
            }
          case .repeatKV:
            if case .int(let f)? = op.attributes["factor"] { replicated[op.results[0]] = f }
          case .matmul:
            guard let a = Self.type(op.operands[0], types, module), let b = Self.type(op.operands[1], types, module),
              let elements = bindings.elementCount(of: a), let n = bindings.value(of: b.dims[1])
            else { continue }
            // 2·M·K·N, with M·K the left operand's elements.
            add(&matmulFlops[r], product(2, elements, n))
          case .sendStart:
            guard let key = MessageKey(op, rank: r) else { continue }
            for (i, operand) in op.operands.enumerated() {
              guard let t = Self.type(operand, types, module), let bytes = bindings.byteCount(of: t) else { continue }
              messages.append(
                Message(
                  layer: layers.first ?? 0, step: Int(key.step), src: r, dst: key.dst,
                  kind: kind == ChannelKind.partial.rawValue && i == 1 ? "lse" : kind, bytes: bytes))
            }
          default: break
          }
        }
      }
      return Program(
        family: family.name, layers: layers, stepFlops: stepFlops, matmulFlops: matmulFlops, messages: messages,
        peakBytes: peakBytes, replicatedKVBytes: replicatedKVBytes)
    }
    if memory { self.memory = DeviceMemory.everyRank(module, ranks: Array(0..<sp)) }
    if overflowed {
      throw CompileError(
        "the plan's FLOP counts overflow 64 bits (sequence \(sequence)); ringc cannot report on a sequence this long",
        at: module.location)
    }
  }

  static func type(_ operand: Operand, _ types: [String: TensorType], _ module: Module) -> TensorType? {
    switch operand {
    case .value(let v): types[v]
    case .symbol(let w): module.weight(named: w)?.type
    }
  }

  /// Every message of the forward pass, layer by layer.
  public var allMessages: [Message] {
    programs.flatMap { p in
      p.layers.flatMap { layer in p.messages.map { m in var m = m; m.layer = layer; return m } }
    }.sorted { ($0.layer, $0.step, $0.src, $0.dst) < ($1.layer, $1.step, $1.src, $1.dst) }
  }

  /// Bytes rank `rank` sends in one call of `program`.
  public func bytesSent(_ program: Program, rank: Int) -> Int64 {
    program.messages.filter { $0.src == rank }.reduce(0) { $0 + $1.bytes }
  }

  public func bytesReceived(_ program: Program, rank: Int) -> Int64 {
    program.messages.filter { $0.dst == rank }.reduce(0) { $0 + $1.bytes }
  }
}
