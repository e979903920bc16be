import GraphIR

/// How long an op takes on one device of a profile, from the plan's types.
/// Matrix work runs at peak × efficiency (attention's efficiency depends on
/// the block size, taken as √(queries × keys)); memory-bound work moves its
/// operands and results once at memory bandwidth; every kernel pays the
/// launch overhead.
struct OpCost {
  let profile: DeviceProfile
  let bindings: DimBindings

  func bytes(_ t: TensorType?) -> Double { t.flatMap { bindings.byteCount(of: $0) }.map(Double.init) ?? 0 }

  /// (seconds, FLOPs) of `op`; nil for ops that take no device time.
  func cost(_ op: Op, _ types: [String: TensorType], weights: [String: TensorType]) -> (seconds: Double, flops: Double)? {
    func type(_ i: Int) -> TensorType? {
      switch op.operands[i] {
      case .value(let v): types[v]
      case .symbol(let w): weights[w]
      }
    }
    func value(_ d: Dim) -> Double { bindings.value(of: d).map(Double.init) ?? 0 }
    let launch = profile.launchOverhead
    switch op.opcode {
    case .attnBlock, .attention:
      guard let q = type(0), let k = type(1), let v = type(2) else { return nil }
      let pairs: Double
      var masked = false
      if let qt = TokenRanges(attribute: op.attributes["q_tokens"]), let kt = TokenRanges(attribute: op.attributes["k_tokens"]) {
        pairs = Double(Mask(op.attributes).visiblePairs(qt, kt))
        masked = pairs < Double(qt.count) * Double(kt.count)
      } else {
        let s = Int64(value(q.dims[0]))
        pairs = Double(Mask(op.attributes).visiblePairs(TokenRanges([0..<s]), TokenRanges([0..<Int64(value(k.dims[0]))])))
        masked = pairs < Double(s) * value(k.dims[0])
      }
      let flops = pairs * 2 * (value(q.dims[2]) + value(v.dims[2])) * value(q.dims[1])
      let block = (value(q.dims[0]) * value(k.dims[0])).squareRoot()
      let rate = profile.peak(for: q.dtype) * profile.attentionEfficiency(block: block) * (masked ? profile.maskedEfficiency : 1)
      return (flops / rate + launch, flops)
    case .attnScores, .attnApply, .matmul:
      guard let a = type(0), let b = type(1), let result = op.resultTypes.first else { return nil }
      let inner = op.opcode == .attnScores ? value(a.dims[2]) : op.opcode == .attnApply ? value(b.dims[0]) : value(b.dims[0])
      let flops = 2 * Double(bindings.elementCount(of: result) ?? 0) * inner
      return (flops / (profile.peak(for: b.dtype) * profile.matmulEfficiency) + launch, flops)
    case .reshape, .positions, .return, .repeat, .sendStart, .sendDone, .recvStart, .recvDone, .allGather, .allToAll:
      return nil
    default:
      // Memory-bound: read the operands, write the results.
      let moved = op.operands.indices.reduce(0.0) { $0 + bytes(type($1)) } + op.resultTypes.reduce(0.0) { $0 + bytes($1) }
      return (moved / profile.memoryBandwidth + launch, 0)
    }
  }
}
