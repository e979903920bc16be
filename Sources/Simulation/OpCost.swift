import GraphIR
import PlanIR

/// How long an op takes on one device of a profile, from the plan's types.
/// Matrix work runs at peak × efficiency (attention's efficiency depends on
/// the block size, taken as √(queries × keys), and a masked block costs the
/// tiles its kernel computes, `AttentionTiles`); memory-bound work moves its
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
      // A dense `attention` (a model's graph) covers its whole rows.
      let block = AttnBlock(op)
      let qTokens = block?.queryTokens ?? TokenRanges([0..<Int64(value(q.dims[0]))])
      let kTokens = block?.keyTokens ?? TokenRanges([0..<Int64(value(k.dims[0]))])
      let mask = Mask(op.attributes)
      let perPair = Double(AttentionWork(pairs: 1, heads: Int64(value(q.dims[1])), headDim: Int64(value(q.dims[2])), valueDim: Int64(value(v.dims[2]))).flops ?? 0)
      let flops = Double(mask.visiblePairs(qTokens, kTokens)) * perPair
      // What the kernel computes: whole tiles wherever the mask cuts one.
      let work = profile.attentionTile.map { tile in
        AttentionTiles(q: qTokens, k: kTokens, mask: mask, queryTile: tile.queries, keyTile: tile.keys)
          .work(partialCost: tile.partialCost) * perPair
      } ?? flops
      let side = (value(q.dims[0]) * value(k.dims[0])).squareRoot()
      let rate = profile.peak(for: q.dtype) * profile.attentionEfficiency(block: side)
      return (work / rate + launch, flops)
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
