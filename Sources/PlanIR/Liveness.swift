import GraphIR

/// How much memory a rank's program holds at once, from the plan alone: a
/// value is live from the op that defines it (a receive buffer from its
/// `recv.start`) to its last use; tensors count at their dtype's size, or
/// at `elementBytes` per element where given (the runtime holds every float
/// dtype as f32).
public enum Liveness {
  /// The attention region of `g`: from its first lowered-attention op
  /// (communication, collectives, blocks, scores, linear-attention states) to its last.
  static func attentionRegion(_ g: Graph) -> ClosedRange<Int>? {
    let lowered: Set<Opcode> = [
      .sendStart, .sendDone, .recvStart, .recvDone, .allGather, .allToAll, .attnBlock, .attnMerge, .attnScores,
      .attnApply, .repeatKV, .attention, .linattnState, .linattnPrefix, .linattnIntra, .linattnFinish,
    ]
    guard let first = g.ops.firstIndex(where: { lowered.contains($0.opcode) }),
      let last = g.ops.lastIndex(where: { lowered.contains($0.opcode) })
    else { return nil }
    return first...last
  }

  /// The index of the last op that reads each value (values nothing reads are absent).
  public static func lastUses(_ ops: [Op]) -> [String: Int] {
    var last: [String: Int] = [:]
    for (i, op) in ops.enumerated() {
      for case .value(let v) in op.operands { last[v] = i }
    }
    return last
  }

  /// The most bytes rank `rank` holds at once anywhere in any of its
  /// programs (weights apart), at `elementBytes` per element: the working
  /// set `ringc run` reserves before its timed region.
  public static func rankPeak(_ plan: Module, rank: Int, elementBytes: Int64) -> Int64 {
    plan.graphs.filter { $0.rankProgram?.rank == rank }.map { g in
      graphPeak(g, types: Plan.valueTypes(of: g), bindings: plan.bindings, elementBytes: elementBytes)
    }.max() ?? 0
  }

  /// The most bytes live at once inside the attention region (0 without one).
  static func attentionPeak(
    _ g: Graph, types: [String: TensorType], bindings: DimBindings, elementBytes: Int64? = nil
  ) -> Int64 {
    guard let region = attentionRegion(g) else { return 0 }
    return peak(g, in: region, types: types, bindings: bindings, elementBytes: elementBytes)
  }

  /// The most bytes of values live at once anywhere in `g` (weights apart),
  /// at their dtype's size or at `elementBytes` per element where given.
  static func graphPeak(
    _ g: Graph, types: [String: TensorType], bindings: DimBindings, elementBytes: Int64? = nil
  ) -> Int64 {
    guard !g.ops.isEmpty else { return 0 }
    return peak(g, in: 0...(g.ops.count - 1), types: types, bindings: bindings, elementBytes: elementBytes)
  }

  private static func peak(
    _ g: Graph, in region: ClosedRange<Int>, types: [String: TensorType], bindings: DimBindings, elementBytes: Int64?
  ) -> Int64 {
    let lastUse = lastUses(g.ops)
    func bytes(_ name: String) -> Int64 {
      guard let t = types[name] else { return 0 }
      if let elementBytes { return (bindings.elementCount(of: t) ?? 0) * elementBytes }
      return bindings.byteCount(of: t) ?? 0
    }
    var live: Int64 = 0
    var peak: Int64 = 0
    var alive: Set<String> = []
    for a in g.arguments where (lastUse[a.name] ?? -1) >= region.lowerBound {
      alive.insert(a.name)
      live += bytes(a.name)
    }
    for (i, op) in g.ops.enumerated() {
      for name in op.results where (lastUse[name] ?? i) >= region.lowerBound || region.contains(i) {
        alive.insert(name)
        live += bytes(name)
      }
      if region.contains(i) { peak = max(peak, live) }
      // Values whose last use was this op die after it.
      for case .value(let v) in op.operands where lastUse[v] == i && alive.contains(v) {
        alive.remove(v)
        live -= bytes(v)
      }
      for name in op.results where lastUse[name] == nil && alive.contains(name) {
        alive.remove(name)
        live -= bytes(name)
      }
    }
    return peak
  }
}

extension Liveness {
  /// The largest tensor rank `rank` must hold at once, at `elementBytes` per
  /// element: its biggest argument, op result or weight. A lower bound on its
  /// memory, known before anything is allocated; `Int64.max` bytes when the
  /// size overflows.
  public static func largestTensor(
    _ plan: Module, rank: Int, elementBytes: Int64
  ) -> (bytes: Int64, what: String, location: SourceLocation?)? {
    let bindings = plan.bindings
    var best: (bytes: Int64, what: String, location: SourceLocation?)?
    func consider(_ t: TensorType, _ what: @autoclosure () -> String, _ location: SourceLocation?) {
      let bytes = bindings.elementCount(of: t).map { $0.multipliedReportingOverflow(by: elementBytes) }
        .map { $0.overflow ? Int64.max : $0.partialValue } ?? .max
      if bytes > best?.bytes ?? -1 { best = (bytes, what(), location) }
    }
    for g in plan.graphs where g.rankProgram?.rank == rank {
      for a in g.arguments { consider(a.type, "argument %\(a.name) \(a.type) of @\(g.name)", a.location) }
      for op in g.ops {
        for (name, t) in zip(op.results, op.resultTypes) { consider(t, "%\(name) \(t) of @\(g.name)", op.location) }
        for case .symbol(let w) in op.operands {
          if let weight = plan.weight(named: w) { consider(weight.type, "weight @\(w) \(weight.type)", weight.location) }
        }
      }
    }
    return best
  }
}
