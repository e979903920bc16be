import GraphIR

/// The sequence-parallel strategies `ringc compile --strategy` offers, each a
/// pass pipeline.
public enum Strategy: String, CaseIterable, Sendable {
  case tokenring

  public var pipeline: String {
    switch self {
    case .tokenring: "\(ShardSequencePass.passName),\(TokenRingPass.passName)"
    }
  }
}
