/// An operand: an SSA value of the enclosing graph (`%x`) or a module-level
/// symbol (`@wq`, a weight or a graph).
public enum Operand: Hashable, Sendable, CustomStringConvertible {
  case value(String)
  case symbol(String)

  public var description: String {
    switch self {
    case .value(let name): "%" + name
    case .symbol(let name): "@" + name
    }
  }
}

/// One operation: `%r1, %r2 = opcode operands {attributes} : type1, type2`.
///
/// Equality ignores source locations, so `parse(print(m)) == m` holds.
public struct Op: Sendable, Equatable {
  public var results: [String]
  public var opcode: Opcode
  public var operands: [Operand]
  public var attributes: Attributes
  public var resultTypes: [TensorType]
  /// Where the op name was written, if the op came from text.
  public var location: SourceLocation?
  /// Where each operand was written, parallel to `operands` (empty if built in code).
  public var operandLocations: [SourceLocation]

  public init(
    results: [String] = [], _ opcode: Opcode, _ operands: [Operand] = [],
    attributes: Attributes = [:], types: [TensorType] = [],
    location: SourceLocation? = nil, operandLocations: [SourceLocation] = []
  ) {
    self.results = results
    self.opcode = opcode
    self.operands = operands
    self.attributes = attributes
    self.resultTypes = types
    self.location = location
    self.operandLocations = operandLocations
  }

  public static func == (a: Op, b: Op) -> Bool {
    a.results == b.results && a.opcode == b.opcode && a.operands == b.operands
      && a.attributes == b.attributes && a.resultTypes == b.resultTypes
  }

  /// The location of operand `i`, falling back to the op's own.
  public func location(ofOperand i: Int) -> SourceLocation? {
    i < operandLocations.count ? operandLocations[i] : location
  }
}
