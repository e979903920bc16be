/// A named dimension: `dim S = 8192 {sequence = true}`.
///
/// The dimension marked `sequence` is the sequence length that `--seq`
/// overrides and that sequence-parallel passes split.
public struct DimDecl: Sendable, Equatable {
  public var name: String
  public var value: Int64
  public var attributes: Attributes
  public var location: SourceLocation?

  public init(
    _ name: String, _ value: Int64, attributes: Attributes = [:], location: SourceLocation? = nil
  ) {
    self.name = name
    self.value = value
    self.attributes = attributes
    self.location = location
  }

  public var isSequence: Bool { attributes["sequence"] == .bool(true) }

  public static func == (a: DimDecl, b: DimDecl) -> Bool {
    a.name == b.name && a.value == b.value && a.attributes == b.attributes
  }
}

/// A weight: `weight @wq : bf16[4096,4096]`, or, read from a checkpoint,
/// `weight @wq : bf16[4096,4096] {source = "model.layers.{l}.self_attn.q_proj.weight", transpose = true}`.
///
/// A weight used inside a graph that `repeat` calls has one instance per
/// iteration (layer), like stacked per-layer parameters. `source` names the
/// checkpoint tensor of each instance, `{l}` standing for the layer index;
/// `transpose` says the checkpoint stores the matrix transposed (PyTorch's
/// `nn.Linear` keeps `[out, in]`, ringc's matmul reads `[in, out]`). Without
/// `source` an instance is `layers.{l}.NAME`, or `NAME` outside repeats.
public struct WeightDecl: Sendable, Equatable {
  public var name: String
  public var type: TensorType
  public var source: String?
  public var transpose: Bool
  public var location: SourceLocation?

  public init(_ name: String, _ type: TensorType, source: String? = nil, transpose: Bool = false, location: SourceLocation? = nil) {
    self.name = name
    self.type = type
    self.source = source
    self.transpose = transpose
    self.location = location
  }

  /// The placeholder for the layer index in `source`.
  public static let layerPlaceholder = "{l}"

  /// The checkpoint tensor holding instance `layer` (nil outside repeats).
  public func checkpointName(layer: Int?) -> String {
    guard let source else { return layer.map { "layers.\($0).\(name)" } ?? name }
    return layer.map { source.replacing(Self.layerPlaceholder, with: String($0)) } ?? source
  }

  public static func == (a: WeightDecl, b: WeightDecl) -> Bool {
    a.name == b.name && a.type == b.type && a.source == b.source && a.transpose == b.transpose
  }
}

/// A whole model or plan:
/// `module @name {attrs} { dims, weights, channels, graphs }`.
///
/// The entry point is the graph `@main`; in a module split over P ranks, rank
/// r runs the rank program whose `RankProgram` is (`main`, r).
public struct Module: Sendable, Equatable {
  public var name: String
  public var attributes: Attributes
  public var dims: [DimDecl]
  public var weights: [WeightDecl]
  public var channels: [ChannelDecl]
  public var graphs: [Graph]
  public var location: SourceLocation?

  public init(
    name: String, attributes: Attributes = [:], dims: [DimDecl] = [],
    weights: [WeightDecl] = [], channels: [ChannelDecl] = [], graphs: [Graph] = [],
    location: SourceLocation? = nil
  ) {
    self.name = name
    self.attributes = attributes
    self.dims = dims
    self.weights = weights
    self.channels = channels
    self.graphs = graphs
    self.location = location
  }

  public static func == (a: Module, b: Module) -> Bool {
    a.name == b.name && a.attributes == b.attributes && a.dims == b.dims
      && a.weights == b.weights && a.channels == b.channels && a.graphs == b.graphs
  }

  public static let entryGraphName = "main"

  /// The ranks of a partitioned or scheduled module (its `sp` attribute); nil
  /// for a whole-model graph.
  public var ranks: Int? {
    if case .int(let p)? = attributes["sp"], p >= 1, p <= 1 << 20 { return Int(p) }
    return nil
  }

  /// Rank `rank`'s program of graph `source`, if the module has one.
  public func rankProgram(of source: String, rank: Int) -> Graph? {
    graphs.first { $0.rankProgram == RankProgram(source: source, rank: rank) }
  }

  /// The graphs that are no rank's program: the whole model.
  public var sourceGraphs: [Graph] { graphs.filter { $0.rankProgram == nil } }

  public func channel(named name: String) -> ChannelDecl? { channels.first { $0.name == name } }

  public var bindings: DimBindings {
    DimBindings(Dictionary(dims.map { ($0.name, $0.value) }, uniquingKeysWith: { a, _ in a }))
  }

  public func graph(named name: String) -> Graph? { graphs.first { $0.name == name } }
  public func weight(named name: String) -> WeightDecl? { weights.first { $0.name == name } }

  /// The dimension declared as the sequence length, if any.
  public var sequenceDim: DimDecl? { dims.first(where: \.isSequence) }

  /// Rebinds the sequence dimension to `length` (the `--seq` flag).
  public mutating func setSequenceLength(_ length: Int64) -> Bool {
    guard let i = dims.firstIndex(where: \.isSequence) else { return false }
    dims[i].value = length
    return true
  }
}
