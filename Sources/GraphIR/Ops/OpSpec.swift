/// The kinds an attribute may have.
public enum AttributeKind: Sendable {
  case int, float, bool, string, symbol, ints, floats

  func accepts(_ a: Attribute) -> Bool {
    switch (self, a) {
    case (.int, .int), (.bool, .bool), (.string, .string), (.symbol, .symbol), (.ints, .ints):
      true
    case (.float, .float), (.float, .int), (.floats, .floats), (.floats, .ints): true
    default: false
    }
  }

  var name: String {
    switch self {
    case .int: "an integer"
    case .float: "a float"
    case .bool: "a boolean"
    case .string: "a string"
    case .symbol: "a symbol"
    case .ints: "an integer list"
    case .floats: "a number list"
    }
  }
}

/// What the verifier knows about one opcode: operand count, attributes,
/// result count. Each op family's file in `Ops/` gives its specs beside its
/// type rule.
public struct OpSpec: Sendable {
  public var operands: ClosedRange<Int>
  public var results: ClosedRange<Int>
  public var required: [String: AttributeKind]
  public var optional: [String: AttributeKind]

  init(
    operands: ClosedRange<Int>, results: ClosedRange<Int> = 1...1, required: [String: AttributeKind] = [:],
    optional: [String: AttributeKind] = [:]
  ) {
    self.operands = operands
    self.results = results
    self.required = required
    self.optional = optional
  }

  /// `pred = [start_ns, end_ns]`, allowed on every op: the interval the
  /// overlap scheduler predicts for it on its profile (rank-local, from the
  /// start of the graph). Execution ignores it.
  public static let predicted = "pred"
}

extension Opcode {
  /// Ops that move data between ranks.
  public var isCommunication: Bool {
    switch self {
    case .sendStart, .sendDone, .recvStart, .recvDone, .allGather, .allToAll: true
    default: false
    }
  }

  /// Ops only compiled plans hold (the lowering writes them); a model's
  /// graphs are whole-sequence ops.
  public var isPlanOnly: Bool {
    switch self {
    case .slice, .attnBlock, .attnMerge, .sendStart, .sendDone, .recvStart, .recvDone, .allGather, .allToAll,
      .repeatKV, .attnScores, .attnApply, .concat, .linattnState, .linattnPrefix, .linattnIntra, .linattnFinish:
      true
    default: false
    }
  }

  /// Collectives: every rank of the op's `group` must reach it.
  public var isCollective: Bool { self == .allGather || self == .allToAll }
}
