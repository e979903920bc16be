/// A graph argument: `%x: bf16[S,4096]`.
public struct GraphArgument: Sendable, Equatable {
  public var name: String
  public var type: TensorType
  public var location: SourceLocation?

  public init(_ name: String, _ type: TensorType, location: SourceLocation? = nil) {
    self.name = name
    self.type = type
    self.location = location
  }

  public static func == (a: GraphArgument, b: GraphArgument) -> Bool {
    a.name == b.name && a.type == b.type
  }
}

/// A function-like graph: typed arguments, ops in a valid order, ending in
/// `return`. Before the module is scheduled any topological order is valid;
/// in a scheduled module the printed order is the execution order.
public struct Graph: Sendable, Equatable {
  public var name: String
  public var arguments: [GraphArgument]
  public var resultTypes: [TensorType]
  public var ops: [Op]
  /// Set on the rank programs of a partitioned or scheduled module.
  public var rankProgram: RankProgram?
  public var location: SourceLocation?

  public init(
    name: String, arguments: [GraphArgument], resultTypes: [TensorType], ops: [Op],
    rankProgram: RankProgram? = nil, location: SourceLocation? = nil
  ) {
    self.name = name
    self.arguments = arguments
    self.resultTypes = resultTypes
    self.ops = ops
    self.rankProgram = rankProgram
    self.location = location
  }

  public static func == (a: Graph, b: Graph) -> Bool {
    a.name == b.name && a.arguments == b.arguments && a.resultTypes == b.resultTypes
      && a.ops == b.ops && a.rankProgram == b.rankProgram
  }
}
