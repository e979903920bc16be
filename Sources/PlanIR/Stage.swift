import GraphIR

/// The stage a module declares (`stage = "graph" | "partitioned" | "scheduled"`).
public enum Stage: String, Sendable, CaseIterable {
  /// One whole-sequence program; any topological op order.
  case graph
  /// One program per rank (`@g.rR`); `attention` is still collective: rank r
  /// computes its own tokens' rows against every rank's keys.
  case partitioned
  /// Per-rank programs with explicit communication; op order is execution
  /// order, every `*.start` has its `*.done`.
  case scheduled

  public init(of module: Module) {
    if case .string(let s)? = module.attributes["stage"], let stage = Stage(rawValue: s) {
      self = stage
    } else {
      self = .graph
    }
  }
}
