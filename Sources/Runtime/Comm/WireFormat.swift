import GraphIR
import PlanIR

/// How a message's elements travel: at the width of the plan dtype, so the
/// runtime sends the bytes `ringc stats` and the simulator count. Compute is
/// f32 (`i32` positions are exact floats), so f32 and i32 tensors travel as
/// they are and f16 and bf16 ones are converted at both ends.
public enum WireFormat: String, Sendable, CaseIterable {
  case f32, f16, bf16

  public init(_ dtype: DType) {
    switch dtype {
    case .f32, .i32: self = .f32
    case .f16: self = .f16
    case .bf16: self = .bf16
    }
  }

  public var byteSize: Int { self == .f32 ? 4 : 2 }

  /// The relative error of one rounding to this format, at most: 2⁻²⁴ for
  /// f32, 2⁻¹¹ for f16, 2⁻⁸ for bf16.
  public var unitRoundoff: Double {
    switch self {
    case .f32: 0x1p-24
    case .f16: 0x1p-11
    case .bf16: 0x1p-8
    }
  }

  /// The formats the messages of `plan`'s rank programs travel in: every
  /// `send.start` operand and every collective's operand.
  public static func used(by plan: Module) -> Set<WireFormat> {
    var formats: Set<WireFormat> = []
    for g in plan.graphs where g.rankProgram != nil {
      let types = Plan.valueTypes(of: g)
      for op in g.ops where [.sendStart, .allGather, .allToAll].contains(op.opcode) {
        for operand in op.operands {
          if let t = declaredType(operand, types, plan) { formats.insert(WireFormat(t.dtype)) }
        }
      }
    }
    return formats
  }

  /// The type the plan declares for `operand`: a value's in `types`, or a weight's.
  static func declaredType(_ operand: Operand, _ types: [String: TensorType], _ module: Module) -> TensorType? {
    switch operand {
    case .value(let v): types[v]
    case .symbol(let w): module.weight(named: w)?.type
    }
  }
}
