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
    self = Self.everyRank(plan, ranks: [rank])[0]
  }

  /// Every rank of `plan` (or those of `ranks`), the model-wide parts (its
  /// weights, its attention layers' K/V) read once for all of them.
  public static func everyRank(_ plan: Module, ranks: [Int]? = nil) -> [DeviceMemory] {
    let bindings = plan.bindings
    let source = Plan.sourceModule(plan)
    let weights = ModuleSummary(source).parameterBytes
    let tokens = try? Plan.tokens(plan)
    let cache = kvCache(source)
    let ranks = ranks ?? Array(0..<(tokens?.count ?? 0))
    return ranks.map { rank in
      var activations: Int64 = 0
      var attention: Int64 = 0
      for g in plan.graphs where g.rankProgram?.rank == rank {
        let types = Plan.valueTypes(of: g)
        activations = max(activations, Liveness.graphPeak(g, types: types, bindings: bindings))
        attention = max(attention, Liveness.attentionPeak(g, types: types, bindings: bindings))
      }
      // A rank keeps its own tokens' rows of the keys that run along the sequence.
      let rows = tokens.map { rank < $0.count ? $0[rank].count : 0 }
      let kv = rows.map { cache.perToken.multiplyingSaturating($0).addingSaturating(cache.fixed) } ?? cache.whole
      return DeviceMemory(weights: weights, activations: activations, attention: attention, kvCache: kv)
    }
  }

  /// The keys and values of every softmax layer, and every linear layer's
  /// f32 state, over a forward pass: bytes per token of the sequence (keys
  /// that run along it), bytes that do not depend on the tokens, and the
  /// whole sequence's.
  static func kvCache(_ source: Module) -> (perToken: Int64, fixed: Int64, whole: Int64) {
    let bindings = source.bindings
    let sequence = source.sequenceDim
    var layers: [String: Int64] = [Module.entryGraphName: 1]
    for op in source.graph(named: Module.entryGraphName)?.ops ?? [] where op.opcode == .repeat {
      if case .symbol(let callee) = op.operands[0], case .int(let count)? = op.attributes["count"] {
        layers[callee, default: 0] = layers[callee, default: 0].addingSaturating(count)
      }
    }
    var total: (perToken: Int64, fixed: Int64, whole: Int64) = (0, 0, 0)
    for (name, count) in layers {
      guard let g = source.graph(named: name) else { continue }
      let values = Plan.valueTypes(of: g)
      for op in g.ops {
        let types = op.operands.map { o -> TensorType? in if case .value(let v) = o { values[v] } else { nil } }
        var tensors: [TensorType] = []
        if op.opcode == .attention, types.count > 2, let k = types[1], let v = types[2] {
          tensors = [k, v]
        } else if op.opcode == .linearAttention, let params = LinearAttention(op), types.count > 2, let k = types[1], let v = types[2] {
          tensors = [TensorType(.f32, [k.dims[1], k.dims[2], params.stateWidth(v.dims[2])])]
        }
        for t in tensors {
          let whole = (bindings.byteCount(of: t) ?? .max).multiplyingSaturating(count)
          total.whole = total.whole.addingSaturating(whole)
          if op.opcode == .attention, let sequence, case .named(let d) = t.dims.first, d == sequence.name, sequence.value > 0 {
            total.perToken = total.perToken.addingSaturating(((bindings.byteCount(of: t) ?? .max) / sequence.value).multiplyingSaturating(count))
          } else {
            total.fixed = total.fixed.addingSaturating(whole)
          }
        }
      }
    }
    return total
  }
}
