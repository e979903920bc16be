import GraphIR

/// Where weights come from: generated from the seed, or loaded from a
/// safetensors file. Per-layer weights are named `layers.{i}.{name}` in the
/// file, weights outside repeated graphs just `{name}`.
public struct WeightSource: Sendable {
  public var initializer: Initializer
  public var file: SafeTensors?

  public init(initializer: Initializer, file: SafeTensors? = nil) {
    self.initializer = initializer
    self.file = file
  }

  public static func fileName(_ name: String, layer: Int?) -> String {
    layer.map { "layers.\($0).\(name)" } ?? name
  }

  public func weight(_ name: String, layer: Int?, shape: [Int]) throws -> Tensor {
    guard let file else { return initializer.weight(name, layer: layer, shape: shape) }
    return try file.tensor(Self.fileName(name, layer: layer), shape: shape)
  }

  /// Every weight instance a run of `plan` reads, under its file name and
  /// with its shape, in the order the forward pass reads them: `@main`'s own
  /// weights, then each repeat iteration's (`layers.{i}.{name}`).
  public static func instances(_ plan: Module) -> [(name: String, shape: [Int])] {
    let bindings = plan.bindings
    var out: [(name: String, shape: [Int])] = []
    var seen: Set<String> = []
    func add(_ weights: [String], layer: Int?) {
      for w in weights {
        guard let decl = plan.weight(named: w), let extents = bindings.extents(of: decl.type) else { continue }
        let name = fileName(w, layer: layer)
        if seen.insert(name).inserted { out.append((name, extents.map { Int($0) })) }
      }
    }
    func weights(of g: Graph) -> [String] {
      g.ops.filter { $0.opcode != .repeat }.flatMap { op in op.operands.compactMap { if case .symbol(let s) = $0 { s } else { nil } } }
    }
    guard let main = plan.graph(named: Module.entryGraphName) else { return [] }
    add(weights(of: main), layer: nil)
    var layer = 0
    for op in main.ops where op.opcode == .repeat {
      guard case .symbol(let callee)? = op.operands.first, let g = plan.graph(named: callee),
        case .int(let count)? = op.attributes["count"]
      else { continue }
      for _ in 0..<count {
        add(weights(of: g), layer: layer)
        layer += 1
      }
    }
    return out
  }
}
