import GraphIR

/// Where weights come from: generated from the seed, or loaded from a
/// checkpoint. Each instance is the checkpoint tensor its declaration names
/// (`WeightDecl.checkpointName`), converted to f32 when it is read.
public struct WeightSource: Sendable {
  public var initializer: Initializer
  public var checkpoint: Checkpoint?

  public init(initializer: Initializer, checkpoint: Checkpoint? = nil) {
    self.initializer = initializer
    self.checkpoint = checkpoint
  }

  /// One weight instance a run reads: the declaration, its layer (nil
  /// outside repeats), and its shape in the model.
  public struct Instance: Sendable {
    public var decl: WeightDecl
    public var layer: Int?
    public var shape: [Int]
    public var checkpointName: String { decl.checkpointName(layer: layer) }
    /// The shape the checkpoint stores.
    public var storedShape: [Int] { decl.transpose ? shape.reversed() : shape }
    /// Names this instance among a run's: the weight and its layer.
    var key: String { "\(decl.name)/\(layer ?? -1)" }
  }

  /// Instance `w` in the model's layout (a checkpoint's transposed matrix
  /// transposed back).
  public func weight(_ w: Instance) throws -> Tensor {
    guard let checkpoint else { return initializer.weight(w.decl.name, layer: w.layer, shape: w.shape) }
    let stored = try checkpoint.tensor(w)
    return w.decl.transpose ? Layout.transpose(stored) : stored
  }

  /// Rows of instance `w` as the checkpoint stores it, converted only as
  /// far as asked: what an embedding lookup needs of its table, or a block
  /// of a large transposed matrix; nil for generated weights.
  public func storedRows(_ w: Instance) -> ((Range<Int>) throws -> Tensor)? {
    guard let checkpoint else { return nil }
    return { try checkpoint.rows(w, $0) }
  }

  /// Every weight instance a run of `plan` reads, in the order the forward
  /// pass reads them: `@main`'s own weights, then each repeat iteration's.
  public static func instances(_ plan: Module) -> [Instance] {
    let bindings = plan.bindings
    var out: [Instance] = []
    var seen: Set<String> = []
    func add(_ weights: [String], layer: Int?) {
      for w in weights {
        guard let decl = plan.weight(named: w), let extents = bindings.extents(of: decl.type) else { continue }
        let instance = Instance(decl: decl, layer: layer, shape: extents.map { Int($0) })
        if seen.insert(instance.key).inserted { out.append(instance) }
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
