/// What `ringc check` reports about a verified model.
public struct ModuleSummary: Sendable, Equatable {
  /// Iterations of `repeat` executed by `@main` (a model without repeats is one layer).
  public var layers: Int64
  /// Weight elements over every layer instance; weights with the same
  /// `source` count once.
  public var parameters: Int64
  /// The same weights' bytes at their dtypes (what a device holding the
  /// whole model stores).
  public var parameterBytes: Int64
  /// `attention` and `linear_attention` nodes (or, in a plan, attention
  /// layers lowered to blocks) executed per forward pass.
  public var attentionNodes: Int64
  /// The sequence dimension and its length, if the model declares one.
  public var sequence: (name: String, length: Int64)?

  public static func == (a: ModuleSummary, b: ModuleSummary) -> Bool {
    a.layers == b.layers && a.parameters == b.parameters && a.parameterBytes == b.parameterBytes && a.attentionNodes == b.attentionNodes
      && a.sequence?.name == b.sequence?.name && a.sequence?.length == b.sequence?.length
  }

  /// Summarises a module that passed the verifier. Counts saturate instead of
  /// overflowing.
  public init(_ module: Module) {
    let bindings = module.bindings
    let symbols = SymbolTable(module)
    // Weights that name one checkpoint tensor (a tied embedding and LM
    // head) count once, as the checkpoint holds them.
    func params(_ g: Graph) -> (elements: Int64, bytes: Int64) {
      var tensors: Set<String> = []
      var total: (elements: Int64, bytes: Int64) = (0, 0)
      for op in g.ops {
        for case .symbol(let s) in op.operands {
          guard let w = symbols.weights[s], tensors.insert(w.source ?? "@" + w.name).inserted else { continue }
          total.elements = total.elements.addingSaturating(bindings.elementCount(of: w.type) ?? .max)
          total.bytes = total.bytes.addingSaturating(bindings.byteCount(of: w.type) ?? .max)
        }
      }
      return total
    }
    func attention(_ g: Graph) -> Int64 {
      Int64(g.ops.filter { $0.opcode == .attention || $0.opcode == .linearAttention }.count)
    }
    layers = 0
    parameters = 0
    parameterBytes = 0
    attentionNodes = 0
    sequence = module.sequenceDim.map { ($0.name, $0.value) }
    // A partitioned module or plan keeps its whole-sequence source graphs
    // (for the dense reference): they describe the model; only without them
    // does rank 0's program stand for all.
    guard let main = symbols.graphs[Module.entryGraphName] ?? module.rankProgram(of: Module.entryGraphName, rank: 0)
    else { return }
    (parameters, parameterBytes) = params(main)
    attentionNodes = attention(main)
    for op in main.ops where op.opcode == .repeat {
      guard case .symbol(let callee)? = op.operands.first, let g = symbols.graphs[callee],
        case .int(let count)? = op.attributes["count"]
      else { continue }
      layers = layers.addingSaturating(count)
      let perLayer = params(g)
      parameters = parameters.addingSaturating(perLayer.elements.multiplyingSaturating(count))
      parameterBytes = parameterBytes.addingSaturating(perLayer.bytes.multiplyingSaturating(count))
      attentionNodes = attentionNodes.addingSaturating(attention(g).multiplyingSaturating(count))
    }
    if layers == 0 { layers = 1 }
  }
}

extension Int64 {
  public func addingSaturating(_ other: Int64) -> Int64 {
    let (r, o) = addingReportingOverflow(other)
    return o ? .max : r
  }

  /// `self − other` for other ≥ 0, stopping at `Int64.min`.
  public func subtractingSaturating(_ other: Int64) -> Int64 {
    let (r, o) = subtractingReportingOverflow(other)
    return o ? .min : r
  }

  public func multiplyingSaturating(_ other: Int64) -> Int64 {
    let (r, o) = multipliedReportingOverflow(by: other)
    return o ? .max : r
  }
}
