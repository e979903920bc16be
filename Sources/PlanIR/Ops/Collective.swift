import GraphIR

/// A typed view of `all_gather` and `all_to_all`:
///
///     %kf = all_gather %k {axis = 0, chan = @a.k, group = [0, 1], step = 0} : f32[8,2,16]
///     %qh = all_to_all %q {chan = @a.q, concat_axis = 0, group = [0, 1], split_axis = 1, step = 0} : f32[8,2,16]
///
/// Members pair by `key`; `split_sizes` (all_to_all) gives each member's part
/// of the split axis when the parts are unequal.
public struct Collective: Sendable {
  public enum Kind: Sendable { case allGather, allToAll }
  public var kind: Kind
  public var key: CollectiveKey
  public var group: [Int] { key.group.map { Int($0) } }
  public var splitAxis: Int64?
  public var concatAxis: Int64?
  public var splitSizes: [Int64]?

  /// Nil for other ops or missing attributes.
  public init?(_ op: Op) {
    switch op.opcode {
    case .allGather: kind = .allGather
    case .allToAll: kind = .allToAll
    default: return nil
    }
    guard case .symbol(let chan)? = op.attributes["chan"], case .int(let step)? = op.attributes["step"],
      case .ints(let group)? = op.attributes["group"]
    else { return nil }
    key = CollectiveKey(chan: chan, step: step, group: group)
    if case .int(let a)? = op.attributes["split_axis"] { splitAxis = a }
    if case .int(let a)? = op.attributes["concat_axis"] { concatAxis = a }
    if case .ints(let s)? = op.attributes["split_sizes"] { splitSizes = s }
  }
}
