/// The module's symbols by name, built once: lookups in big modules (plans
/// with hundreds of rank graphs, models with thousands of weights) must not
/// scan every declaration.
public struct SymbolTable: Sendable {
  public let weights: [String: WeightDecl]
  public let graphs: [String: Graph]

  public init(_ module: Module) {
    weights = Dictionary(module.weights.map { ($0.name, $0) }, uniquingKeysWith: { first, _ in first })
    graphs = Dictionary(module.graphs.map { ($0.name, $0) }, uniquingKeysWith: { first, _ in first })
  }
}
