/// `all_gather {group, chan, step}` (every member's operand, concatenated
/// along axis 0 in group order) and `all_to_all {group, split_axis,
/// concat_axis, split_sizes, chan, step}`; both keep dtype and rank.
enum CollectiveOps: OpFamily {
  static func spec(_ opcode: Opcode) -> OpSpec {
    opcode == .allGather
      ? OpSpec(operands: 1...1, required: ["group": .ints, "chan": .symbol, "step": .int])
      : OpSpec(
        operands: 1...1,
        required: ["group": .ints, "split_axis": .int, "concat_axis": .int, "chan": .symbol, "step": .int],
        optional: ["split_sizes": .ints])
  }

  static func infer(_ op: Op, _ t: [TensorType], _ r: TypeRules) throws(TypeRuleError) -> [TensorType] {
    let (x, result) = (t[0], op.resultTypes[0])
    guard case .ints(let group)? = op.attributes["group"], !group.isEmpty, Set(group).count == group.count,
      group.allSatisfy({ $0 >= 0 })
    else { throw TypeRuleError("'\(op.opcode.rawValue)' needs a group of distinct ranks") }
    if result.dtype != x.dtype || result.rank != x.rank {
      throw TypeRuleError("'\(op.opcode.rawValue)' keeps dtype and rank: \(x) cannot become \(result)", operand: 0)
    }
    if op.opcode == .allToAll {
      guard case .int(let split)? = op.attributes["split_axis"], case .int(let cat)? = op.attributes["concat_axis"],
        split >= 0, split < x.rank, cat >= 0, cat < x.rank
      else { throw TypeRuleError("all_to_all axes must be within the operand's rank \(x.rank)") }
      let parts = Int64(group.count)
      if case .ints(let sizes)? = op.attributes["split_sizes"] {
        let total = sizes.reduce(Int64(0)) { $0.addingSaturating(max(0, $1)) }
        if sizes.count != group.count || sizes.contains(where: { $0 < 0 }) || total != r.bindings.value(of: x.dims[Int(split)]) {
          throw TypeRuleError("all_to_all split_sizes \(sizes) do not cut \(x) along axis \(split) into \(parts) parts", operand: 0)
        }
      } else if let n = r.bindings.value(of: x.dims[Int(split)]), n % parts != 0 {
        throw TypeRuleError("all_to_all cannot cut \(n) along axis \(split) into \(parts) equal parts", operand: 0)
      }
    }
    return [result]
  }
}

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
