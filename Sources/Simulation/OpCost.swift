import GraphIR
import PlanIR

/// How long an op takes on one device of a profile, from the plan's types.
/// Attention runs at the profile's published kernel rate (`AttentionKernel`:
/// by mask, head_dim, key count and grid) or, in a profile without one (a
/// calibrated host), at peak × an efficiency by block size, taken as
/// √(queries × keys), a masked block costing the tiles its kernel computes
/// (`AttentionTiles`). Other matrix work runs at peak × matmul efficiency;
/// memory-bound work moves its operands and results once at memory
/// bandwidth; every kernel pays the launch overhead.
struct OpCost {
  let profile: DeviceProfile
  let bindings: DimBindings

  /// Token positions an attention block may reach: pair counts of two sides
  /// below it stay within 64 bits.
  static let maxTokens: Int64 = 1 << 31

  struct Cost {
    var seconds: Double
    var flops: Double
    var source: Source
  }

  /// The profile values a time comes from, named in errors (kept as
  /// numbers: most costs are never described).
  enum Source: CustomStringConvertible {
    case attention(DType, peak: Double, efficiency: Double, launch: Double)
    case matmul(DType, peak: Double, efficiency: Double, launch: Double)
    case memory(bandwidth: Double, launch: Double)
    case kernel(String, headDim: Int64, blockHeadDim: Int64, mask: AttentionKernel.MaskKind, keys: Int64, rate: Double, launch: Double)

    var description: String {
      switch self {
      case .attention(let dtype, let peak, let efficiency, let launch):
        "the profile's \(dtype) peak \(peak) FLOP/s × attention efficiency \(efficiency), launch overhead \(launch) s"
      case .matmul(let dtype, let peak, let efficiency, let launch):
        "the profile's \(dtype) peak \(peak) FLOP/s × matmul efficiency \(efficiency), launch overhead \(launch) s"
      case .memory(let bandwidth, let launch):
        "the profile's memory bandwidth \(bandwidth) B/s, launch overhead \(launch) s"
      case .kernel(let name, let headDim, let blockHeadDim, let mask, let keys, let rate, let launch):
        "the profile's \(name) \(mask.rawValue) curve for head_dim \(headDim) at \(keys) keys"
          + (blockHeadDim != headDim ? " for a block of head_dim \(blockHeadDim)" : "") + ", \(rate) FLOP/s, launch overhead \(launch) s"
      }
    }
  }

  func bytes(_ t: TensorType?) -> Double { t.flatMap { bindings.byteCount(of: $0) }.map(Double.init) ?? 0 }

  /// The cost of `op`; nil for ops that take no device time.
  func cost(_ op: Op, _ types: [String: TensorType], weights: [String: TensorType]) throws(Simulator.Failure) -> Cost? {
    func type(_ i: Int) -> TensorType? {
      switch op.operands[i] {
      case .value(let v): types[v]
      case .symbol(let w): weights[w]
      }
    }
    func count(_ d: Dim) -> Int64 { max(0, bindings.value(of: d) ?? 0) }
    let launch = profile.launchOverhead
    switch op.opcode {
    case .attnBlock, .attention:
      guard let q = type(0), let k = type(1), let v = type(2) else { return nil }
      // A dense `attention` (a model's graph) covers its whole rows.
      let block = AttnBlock(op)
      let qTokens = block?.queryTokens ?? TokenRanges([0..<count(q.dims[0])])
      let kTokens = block?.keyTokens ?? TokenRanges([0..<count(k.dims[0])])
      for side in [qTokens, kTokens] where side.ranges.contains(where: { $0.upperBound > Self.maxTokens }) || side.count > Self.maxTokens {
        throw Simulator.Failure(
          "\(op.opcode.rawValue) covers tokens \(side); the simulator takes attention blocks of at most \(Self.maxTokens) tokens a side, at positions below \(Self.maxTokens)",
          at: op.location)
      }
      var mask = Mask(op.attributes)
      // Every position is below `maxTokens`: a wider window hides nothing more.
      mask.window = mask.window.map { min($0, Self.maxTokens) }
      let perPair = Double(AttentionWork(pairs: 1, heads: count(q.dims[1]), headDim: count(q.dims[2]), valueDim: count(v.dims[2])).flops ?? 0)
      let visible = mask.visiblePairs(qTokens, kTokens)
      let flops = Double(visible) * perPair
      if let kernel = profile.attentionKernel {
        // The published curve of the block's mask, at its key count (`AttentionKernel`).
        let cut = visible < qTokens.count * kTokens.count  // both sides ≤ maxTokens
        let headDim = count(q.dims[2])
        guard let curve = kernel.curve(headDim: headDim, mask: cut ? .causal : .full) else {
          throw Simulator.Failure("the profile's \(kernel.name) kernel has no curve to cost \(op.opcode.rawValue) by", at: op.location)
        }
        let rate = kernel.rate(curve, headDim: headDim, keys: Double(kTokens.count)) * profile.peak(for: q.dtype) / profile.peak(for: kernel.dtype)
          * kernel.occupancy(heads: count(q.dims[1]), rows: qTokens.count, curveHeadDim: curve.headDim)
        return Cost(
          seconds: (flops > 0 ? flops / rate : 0) + launch, flops: flops,
          source: .kernel(kernel.name, headDim: curve.headDim, blockHeadDim: headDim, mask: curve.mask, keys: kTokens.count, rate: rate, launch: launch))
      }
      // What the kernel computes: whole tiles wherever the mask cuts one.
      let work = profile.attentionTile.map { tile in
        AttentionTiles(q: qTokens, k: kTokens, mask: mask, queryTile: tile.queries, keyTile: tile.keys)
          .work(partialCost: tile.partialCost) * perPair
      } ?? flops
      let side = (Double(count(q.dims[0])) * Double(count(k.dims[0]))).squareRoot()
      let (peak, efficiency) = (profile.peak(for: q.dtype), profile.attentionEfficiency(block: side))
      return Cost(
        seconds: work / (peak * efficiency) + launch, flops: flops,
        source: .attention(q.dtype, peak: peak, efficiency: efficiency, launch: launch))
    case .linearAttention, .linattnState, .linattnIntra, .linattnFinish:
      // Chunked products at matmul efficiency (what Lightning Attention's
      // kernels reach is not published per profile; a stated simplification),
      // or the time to move the operands and results where that is longer:
      // the plan keeps the f32 intra part between `intra` and `finish`.
      guard let params = LinearAttention(op), let q = type(0), let result = op.resultTypes.first else { return nil }
      let flops = params.flops(
        op.opcode, operands: op.operands.indices.map { i in type(i).map { $0.dims.map(count) } ?? [] },
        result: result.dims.map(count))
      let memory = memoryBound(op, type)
      let peak = profile.peak(for: q.dtype)
      let compute = flops / (peak * profile.matmulEfficiency) + launch
      guard compute > memory.seconds else { return Cost(seconds: memory.seconds, flops: flops, source: memory.source) }
      return Cost(
        seconds: compute, flops: flops,
        source: .matmul(q.dtype, peak: peak, efficiency: profile.matmulEfficiency, launch: launch))
    case .attnScores, .attnApply, .matmul:
      guard let a = type(0), let b = type(1), let result = op.resultTypes.first else { return nil }
      let inner = Double(op.opcode == .attnScores ? count(a.dims[2]) : count(b.dims[0]))
      let flops = 2 * Double(bindings.elementCount(of: result) ?? 0) * inner
      let peak = profile.peak(for: b.dtype)
      return Cost(
        seconds: flops / (peak * profile.matmulEfficiency) + launch, flops: flops,
        source: .matmul(b.dtype, peak: peak, efficiency: profile.matmulEfficiency, launch: launch))
    case .embed:
      // A gather: reads the ids and the rows it picks, writes them.
      let rows = op.resultTypes.reduce(0.0) { $0 + bytes($1) }
      return Cost(
        seconds: (bytes(type(0)) + 2 * rows) / profile.memoryBandwidth + launch, flops: 0,
        source: .memory(bandwidth: profile.memoryBandwidth, launch: launch))
    case .reshape, .positions, .return, .repeat, .sendStart, .sendDone, .recvStart, .recvDone, .allGather, .allToAll:
      return nil
    default:
      return memoryBound(op, type)
    }
  }

  /// Memory-bound: read the operands, write the results.
  private func memoryBound(_ op: Op, _ type: (Int) -> TensorType?) -> Cost {
    let moved = op.operands.indices.reduce(0.0) { $0 + bytes(type($1)) } + op.resultTypes.reduce(0.0) { $0 + bytes($1) }
    return Cost(
      seconds: moved / profile.memoryBandwidth + profile.launchOverhead, flops: 0,
      source: .memory(bandwidth: profile.memoryBandwidth, launch: profile.launchOverhead))
  }
}
