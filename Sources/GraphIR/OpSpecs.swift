/// The kinds an attribute may have.
public enum AttributeKind: Sendable {
  case int, float, bool, string, symbol, ints

  func accepts(_ a: Attribute) -> Bool {
    switch (self, a) {
    case (.int, .int), (.bool, .bool), (.string, .string), (.symbol, .symbol), (.ints, .ints):
      true
    case (.float, .float), (.float, .int): true
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
    }
  }
}

/// What the verifier knows about one opcode: operand count, attributes,
/// result count. The type rule lives in `TypeRules.swift`.
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
  static let channelAttributes: [String: AttributeKind] = ["chan": .symbol, "peer": .int, "step": .int]

  /// Ops that move data between ranks.
  public var isCommunication: Bool {
    switch self {
    case .sendStart, .sendDone, .recvStart, .recvDone, .allGather, .allToAll: true
    default: false
    }
  }

  /// Collectives: every rank of the op's `group` must reach it.
  public var isCollective: Bool { self == .allGather || self == .allToAll }

  /// The table the verifier checks every op against.
  public var spec: OpSpec {
    switch self {
    case .matmul: OpSpec(operands: 2...2)
    case .add, .mul, .swiglu: OpSpec(operands: 2...2)
    case .rmsnorm: OpSpec(operands: 2...2, required: ["eps": .float])
    case .layernorm: OpSpec(operands: 1...3, required: ["eps": .float])
    case .rope: OpSpec(operands: 2...2, required: ["theta": .float])
    case .silu, .softmax: OpSpec(operands: 1...1)
    case .gelu: OpSpec(operands: 1...1, optional: ["approximate": .string])
    case .reshape: OpSpec(operands: 1...1)
    case .positions: OpSpec(operands: 0...0, optional: ["ranges": .ints])
    case .attention:
      OpSpec(operands: 3...3, optional: ["causal": .bool, "scale": .float, "window": .int])
    case .linearAttention: OpSpec(operands: 3...3, optional: ["causal": .bool])
    case .repeat: OpSpec(operands: 2...2, required: ["count": .int])
    case .return: OpSpec(operands: 0...Int.max, results: 0...0)
    case .slice: OpSpec(operands: 1...1, required: ["start": .int, "len": .int])
    case .attnBlock:
      OpSpec(
        operands: 3...3, results: 2...2,
        required: ["causal": .bool, "scale": .float, "q_tokens": .ints, "k_tokens": .ints, "step": .int],
        optional: ["window": .int])
    case .attnMerge: OpSpec(operands: 4...4, results: 2...2, required: ["offset": .int])
    case .sendStart, .sendDone:
      OpSpec(operands: 1...Int.max, results: 0...0, required: Self.channelAttributes)
    case .recvStart: OpSpec(operands: 0...0, results: 1...Int.max, required: Self.channelAttributes)
    case .recvDone: OpSpec(operands: 1...Int.max, results: 0...0)
    case .allGather:
      OpSpec(operands: 1...1, required: ["group": .ints, "chan": .symbol, "step": .int])
    case .allToAll:
      OpSpec(
        operands: 1...1,
        required: ["group": .ints, "split_axis": .int, "concat_axis": .int, "chan": .symbol, "step": .int],
        optional: ["split_sizes": .ints])
    case .repeatKV: OpSpec(operands: 1...1, required: ["factor": .int])
    case .attnScores:
      OpSpec(
        operands: 2...2,
        required: ["causal": .bool, "scale": .float, "q_tokens": .ints, "k_tokens": .ints, "step": .int],
        optional: ["window": .int])
    case .attnApply:
      OpSpec(operands: 2...2, required: ["col_start": .int, "q_tokens": .ints, "k_tokens": .ints, "step": .int])
    case .concat: OpSpec(operands: 1...Int.max, required: ["axis": .int])
    }
  }
}
