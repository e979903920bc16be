/// A channel of a plan: `channel @a.q {carries = "query"}`.
///
/// Every `send`, `recv` and collective names the channel it uses (`chan =
/// @a.q`); the declaration says what travels on it, so stats, the scheduler
/// and the runtime read the kind here instead of guessing it from the name.
public struct ChannelDecl: Sendable, Equatable {
  public var name: String
  public var carries: ChannelKind
  public var location: SourceLocation?

  public init(_ name: String, carries: ChannelKind, location: SourceLocation? = nil) {
    self.name = name
    self.carries = carries
    self.location = location
  }

  public static func == (a: ChannelDecl, b: ChannelDecl) -> Bool {
    a.name == b.name && a.carries == b.carries
  }
}

/// What a channel's messages hold.
public enum ChannelKind: String, CaseIterable, Sendable {
  /// Query blocks (TokenRing's travelling queries).
  case query
  /// Key and value blocks together (Ring attention).
  case kv
  /// Key blocks alone (RSA, all-gather).
  case key
  /// Value blocks alone (RSA, all-gather).
  case value
  /// A partial result (output and log-sum-exp) on its way to the query's owner.
  case partial
  /// Head-sharded activations of an all-to-all (Ulysses).
  case heads
  /// Linear-attention states (LASP): f32 `[KVH, Dk, W]` sums of φ(k)·vᵀ.
  case state
}
