import GraphIR

/// How much memory a rank's program holds at once, from the plan alone: a
/// value is live from the op that defines it (a receive buffer from its
/// `recv.start`) to its last use; tensors count at their dtype's size.
enum Liveness {
  /// The attention region of `g`: from its first lowered-attention op
  /// (communication, collectives, blocks, scores) to its last.
  static func attentionRegion(_ g: Graph) -> ClosedRange<Int>? {
    let lowered: Set<Opcode> = [
      .sendStart, .sendDone, .recvStart, .recvDone, .allGather, .allToAll, .attnBlock, .attnMerge, .attnScores,
      .attnApply, .repeatKV, .attention,
    ]
    guard let first = g.ops.firstIndex(where: { lowered.contains($0.opcode) }),
      let last = g.ops.lastIndex(where: { lowered.contains($0.opcode) })
    else { return nil }
    return first...last
  }

  /// The most bytes live at once inside the attention region (0 without one).
  static func attentionPeak(_ g: Graph, types: [String: TensorType], bindings: DimBindings) -> Int64 {
    guard let region = attentionRegion(g) else { return 0 }
    var lastUse: [String: Int] = [:]
    for (i, op) in g.ops.enumerated() {
      for case .value(let v) in op.operands { lastUse[v] = i }
    }
    func bytes(_ name: String) -> Int64 { types[name].flatMap { bindings.byteCount(of: $0) } ?? 0 }
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
