/// Point-to-point transfers: `send.start`/`send.done` and
/// `recv.start`/`recv.done`, each naming a declared channel, the peer and the
/// step. Their types are the buffers themselves, so the verifier checks them.
enum TransferOps: OpFamily {
  static let attributes: [String: AttributeKind] = ["chan": .symbol, "peer": .int, "step": .int]

  static func spec(_ opcode: Opcode) -> OpSpec {
    switch opcode {
    case .sendStart, .sendDone: OpSpec(operands: 1...Int.max, results: 0...0, required: attributes)
    case .recvStart: OpSpec(operands: 0...0, results: 1...Int.max, required: attributes)
    default: OpSpec(operands: 1...Int.max, results: 0...0)
    }
  }

  static func infer(_ op: Op, _ t: [TensorType], _ r: TypeRules) throws(TypeRuleError) -> [TensorType] {
    preconditionFailure("\(op.opcode) is checked by the verifier")
  }
}

/// A typed view of `send.start`, `send.done` and `recv.start`: the channel,
/// the peer and the step, read once from an op the IR verifier accepted.
///
///     send.start %a.q.s1 {chan = @a.q, peer = 0, step = 1}
///     %a.q.s2 = recv.start {chan = @a.q, peer = 2, step = 1} : f32[8,4,16]
///
/// `recv.done` names its buffers instead; the message behind a buffer is the
/// one its `recv.start` received.
public struct Transfer: Sendable {
  public enum Kind: Sendable { case sendStart, sendDone, recvStart }
  public var kind: Kind
  public var chan: String
  /// The other rank: the destination of a send, the source of a receive.
  public var peer: Int
  public var step: Int64
  /// The message, with this rank on its side.
  public var key: MessageKey

  public var isSend: Bool { kind != .recvStart }

  /// Nil for other ops, missing attributes or a peer that is no rank index.
  public init?(_ op: Op, rank: Int) {
    switch op.opcode {
    case .sendStart: kind = .sendStart
    case .sendDone: kind = .sendDone
    case .recvStart: kind = .recvStart
    default: return nil
    }
    guard case .symbol(let chan)? = op.attributes["chan"], case .int(let peer)? = op.attributes["peer"],
      case .int(let step)? = op.attributes["step"], peer >= 0, peer < Int64(Int32.max)
    else { return nil }
    self.chan = chan
    self.peer = Int(peer)
    self.step = step
    key = kind == .recvStart
      ? MessageKey(src: Int(peer), dst: rank, chan: chan, step: step)
      : MessageKey(src: rank, dst: Int(peer), chan: chan, step: step)
  }
}
