import GraphIR

/// One number of a device profile as written, and where it comes from:
/// what `ringc profiles --show` prints.
public struct ProfileEntry: Sendable, Equatable {
  public enum Origin: Sendable, Equatable {
    /// A publication, datasheet, benchmark log or measurement stating it.
    case source(String)
    /// Chosen without a source that states it, and why.
    case assumption(String)
    /// The file says neither.
    case unstated
  }

  /// What the number is, e.g. "peak bf16" or "switch port bandwidth".
  public var key: String
  /// As written, with its unit, e.g. "989 TFLOP/s".
  public var value: String
  public var origin: Origin
  public var location: SourceLocation?

  public init(key: String, value: String, origin: Origin, location: SourceLocation? = nil) {
    self.key = key
    self.value = value
    self.origin = origin
    self.location = location
  }
}
