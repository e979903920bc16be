import PlanIR

/// Each strategy is a pass pipeline: `shard-sequence` with the layout the
/// strategy needs, then the pass that lowers every attention node.
extension Strategy {
  /// The lowering pass's name in pipelines.
  public var passName: String {
    switch self {
    case .tokenring: "token-ring"
    case .usp: "usp"
    case .striped: "striped"
    case .linear(let l, _): l.rawValue
    default: description
    }
  }

  /// `shard-sequence{…},<lowering>`; an empty layout option means "zigzag if
  /// the model is causal, else contiguous".
  public var pipeline: String {
    switch self {
    case .tokenring, .allgather: "\(ShardSequencePass.passName),\(passName)"
    case .ring, .rsa, .ulysses: "\(ShardSequencePass.passName){layout=contiguous},\(passName)"
    case .ringZigzag: "\(ShardSequencePass.passName){layout=zigzag},\(passName)"
    case .striped(let w):
      "\(ShardSequencePass.passName){layout=striped\(w.map { ",stripe=\($0)" } ?? "")},\(passName)"
    case .usp(let u, let r, let inner):
      "\(ShardSequencePass.passName){group=\(u)},usp{ulysses=\(u),ring=\(r),inner=\(inner.rawValue)}"
    case .linear(let l, nil): "\(ShardSequencePass.passName){layout=contiguous},\(l.rawValue)"
    case .linear(let l, let softmax?):
      // LASP needs contiguous shards; a USP softmax part keeps its groups.
      if case .usp(let u, _, _) = softmax {
        "\(ShardSequencePass.passName){group=\(u),layout=contiguous},\(l.rawValue){softmax=\(softmax)}"
      } else {
        "\(ShardSequencePass.passName){layout=contiguous},\(l.rawValue){softmax=\(softmax)}"
      }
    }
  }
}
