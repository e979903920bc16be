import GraphIR

/// What one rank holds on its device during a forward pass of a plan, at
/// the declared dtypes:
///
/// - `weights`: every weight of the model. Sequence parallelism splits
///   tokens, not weights, so each rank holds them all (replicated);
/// - `activations`: the most bytes of values live at once in any of its
///   programs (`Liveness`: a value from its definition, a receive buffer
///   from its `recv.start`, to its last use), the attention region and the
///   messages in flight included;
/// - `attention`: of that, the attention region's peak alone (what the
///   strategies differ in);
/// - `kvCache`: the keys and values of its tokens in every softmax layer
///   (and each linear layer's state) that an inference prefill keeps for
///   decoding. Not in `total`: a forward pass alone does not keep them.
public struct DeviceMemory: Sendable, Equatable {
  public var weights: Int64
  public var activations: Int64
  public var attention: Int64
  public var kvCache: Int64

  /// Weights and activations, saturating.
  public var total: Int64 {
    let (t, overflow) = weights.addingReportingOverflow(activations)
    return overflow ? .max : t
  }

  public init(weights: Int64, activations: Int64, attention: Int64, kvCache: Int64) {
    (self.weights, self.activations, self.attention, self.kvCache) = (weights, activations, attention, kvCache)
  }

  /// Rank `rank` of `plan` (a verified plan).
  public init(_ plan: Module, rank: Int) {
    let bindings = plan.bindings
    let source = Plan.sourceModule(plan)
    weights = ModuleSummary(source).parameterBytes
    var activations: Int64 = 0
    var attention: Int64 = 0
    for g in plan.graphs where g.rankProgram?.rank == rank {
      let types = Plan.valueTypes(of: g)
      activations = max(activations, Liveness.graphPeak(g, types: types, bindings: bindings))
      attention = max(attention, Liveness.attentionPeak(g, types: types, bindings: bindings))
    }
    self.activations = activations
    self.attention = attention
    kvCache = Self.kvCache(source, tokens: (try? Plan.tokens(plan))?[rank].count)
  }

  /// Keys and values of `tokens` of the sequence in every softmax layer,
  /// and every linear layer's f32 state.
  static func kvCache(_ source: Module, tokens: Int64?) -> Int64 {
    let bindings = source.bindings
    let sequence = source.sequenceDim
    var layers: [String: Int64] = [Module.entryGraphName: 1]
    for op in source.graph(named: Module.entryGraphName)?.ops ?? [] where op.opcode == .repeat {
      if case .symbol(let callee) = op.operands[0], case .int(let count)? = op.attributes["count"] {
        layers[callee, default: 0] = layers[callee, default: 0].addingSaturating(count)
      }
    }
    var total: Int64 = 0
    for (name, count) in layers {
      guard let g = source.graph(named: name) else { continue }
      let values = Plan.valueTypes(of: g)
      for op in g.ops {
        let types = op.operands.map { o -> TensorType? in if case .value(let v) = o { values[v] } else { nil } }
        var bytes: Int64 = 0
        if op.opcode == .attention, types.count > 2, let k = types[1], let v = types[2] {
          for t in [k, v] {
            let whole = bindings.byteCount(of: t) ?? .max
            // A rank keeps its own tokens' rows when the keys run along the sequence.
            if let tokens, let sequence, case .named(let d) = t.dims.first, d == sequence.name, sequence.value > 0 {
              bytes = bytes.addingSaturating(whole / sequence.value * tokens)
            } else {
              bytes = bytes.addingSaturating(whole)
            }
          }
        } else if op.opcode == .linearAttention, let params = LinearAttention(op), types.count > 2, let k = types[1], let v = types[2] {
          let state = TensorType(.f32, [k.dims[1], k.dims[2], params.stateWidth(v.dims[2])])
          bytes = bindings.byteCount(of: state) ?? .max
        }
        total = total.addingSaturating(bytes.multiplyingSaturating(count))
      }
    }
    return total
  }
}
