
/// Identifies one point-to-point message of a plan: who sends to whom, on
/// which channel, at which step. The verifier, the simulator, the scheduler's
/// partial split and the runtime all pair sends and receives by this key.
public struct MessageKey: Hashable, Sendable, CustomStringConvertible {
  public var src: Int
  public var dst: Int
  public var chan: String
  public var step: Int64

  public init(src: Int, dst: Int, chan: String, step: Int64) {
    self.src = src
    self.dst = dst
    self.chan = chan
    self.step = step
  }

  public var description: String { "chan @\(chan), step \(step)" }

  /// The message a `send.start`/`send.done` or `recv.start` of rank `rank`
  /// refers to; nil for other ops or when its attributes are missing.
  public init?(_ op: Op, rank: Int) {
    guard let t = Transfer(op, rank: rank) else { return nil }
    self = t.key
  }
}

/// Identifies one collective: its channel, step and group. Every member's
/// op carries the same key.
public struct CollectiveKey: Hashable, Sendable, Comparable, CustomStringConvertible {
  public var chan: String
  public var step: Int64
  public var group: [Int64]

  public var description: String { "chan @\(chan), step \(step), group \(group)" }

  public static func < (a: CollectiveKey, b: CollectiveKey) -> Bool { a.description < b.description }
}
