import GraphIR

/// MPI tags from (layer, channel, step, tensor index), so no two messages in
/// flight between a pair of ranks share a tag:
/// `tag = (((layer mod W)·C + channel)·(steps) + step)·4 + tensor`, with C the
/// module's declared channels (sorted by name, so every rank numbers them alike) and W
/// as many layers as fit under MPI_TAG_UB. Messages of layers W apart cannot
/// meet: a rank finishes every transfer of a layer before it leaves it, and
/// MPI keeps messages between two ranks with one tag in order.
public struct Tags: Sendable {
  let channels: [String: Int]
  let steps: Int
  let layerWindow: Int

  public init(_ module: Module, limit: Int32) throws {
    var maxStep: Int64 = 0
    for g in module.graphs {
      for op in g.ops where op.opcode.isCommunication {
        if case .int(let s)? = op.attributes["step"] { maxStep = max(maxStep, s) }
      }
    }
    let names = Set(module.channels.map(\.name)).sorted()
    channels = Dictionary(uniqueKeysWithValues: names.enumerated().map { ($1, $0) })
    steps = Int(maxStep) + 1
    let perLayer = max(1, channels.count) * steps * 4
    guard perLayer <= Int(limit) else {
      throw RuntimeError("the plan needs \(perLayer) MPI tags per layer, more than this MPI allows (\(limit))")
    }
    layerWindow = max(1, min(64, Int(limit) / perLayer))
  }

  public func tag(layer: Int, channel: String, step: Int64, tensor: Int) -> Int32 {
    let c = channels[channel] ?? 0
    return Int32((((layer % layerWindow) * max(1, channels.count) + c) * steps + Int(step)) * 4 + tensor)
  }
}
