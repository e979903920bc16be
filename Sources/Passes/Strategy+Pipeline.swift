import PlanIR

/// Each strategy is a pass pipeline: `shard-sequence` with the layout the
/// strategy needs, then the pass that lowers every attention node.
extension Strategy {
  /// The lowering pass's name in pipelines.
  public var passName: String {
    switch self {
    case .tokenring: "token-ring"
    case .passq: "pass-q"
    case .tokenringTASP: "token-ring-tasp"
    case .tasp: "tasp"
    case .usp: "usp"
    case .loongtrain: "loongtrain"
    case .striped: "striped"
    case .linear(let l, _): l.rawValue
    default: description
    }
  }

  /// `shard-sequence{…},<lowering>`; an empty layout option means "zigzag if
  /// the model is causal, else contiguous".
  public var pipeline: String {
    switch self {
    case .usp(let u, let r, let inner): "\(sharding),usp{ulysses=\(u),ring=\(r),inner=\(inner.rawValue)}"
    case .loongtrain(let l):
      "\(sharding),loongtrain{heads=\(l.heads),context=\(l.context),window=\(l.window),placement=\(l.placement.rawValue)}"
    case .linear(let l, let softmax?): "\(sharding),\(l.rawValue){softmax=\(softmax)}"
    case .tasp(.nodes(let m)), .tokenringTASP(.nodes(let m)): "\(sharding),\(passName){node=\(m)}"
    default: "\(sharding),\(passName)"
    }
  }

  /// The `shard-sequence` pass with the layout the strategy needs. LASP-2
  /// takes any layout, so a hybrid shards as its softmax strategy does;
  /// LASP-1 needs contiguous shards (a USP softmax part keeps its groups).
  var sharding: String {
    let name = ShardSequencePass.passName
    switch self {
    case .tokenring, .tokenringTASP, .passq, .tasp, .allgather: return name
    case .ring, .rsa, .ulysses: return "\(name){layout=contiguous}"
    case .ringZigzag: return "\(name){layout=zigzag}"
    case .striped(let w): return "\(name){layout=striped\(w.map { ",stripe=\($0)" } ?? "")}"
    case .usp(let u, _, _): return "\(name){group=\(u)}"
    case .loongtrain(let l): return "\(name){group=\(l.heads)\(l.placement == .contextFirst ? ",strided=true" : "")}"
    case .linear(.lasp2, let softmax?): return softmax.sharding
    case .linear(_, let softmax):
      if case .usp(let u, _, _)? = softmax { return "\(name){group=\(u),layout=contiguous}" }
      return "\(name){layout=contiguous}"
    }
  }
}
