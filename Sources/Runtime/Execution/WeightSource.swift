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
}
