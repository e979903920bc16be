/// One family of ops, defined in one file: what the verifier checks each op
/// against (`spec`), how it infers the result types (`infer`), and, for ops
/// that more than one consumer reads, a typed view beside them.
///
/// Adding an op: a case in `Opcode` (its semantics in the doc comment), its
/// family's spec and rule (or a new family file), and a line in `family`.
protocol OpFamily {
  static func spec(_ opcode: Opcode) -> OpSpec
  /// The result types of `op` from its operand types `t`; the verifier has
  /// already checked operand count and attribute kinds against `spec`.
  static func infer(_ op: Op, _ t: [TensorType], _ rules: TypeRules) throws(TypeRuleError) -> [TensorType]
}

extension Opcode {
  /// The family that defines this op.
  var family: any OpFamily.Type {
    switch self {
    case .matmul: MatmulOps.self
    case .add, .mul, .swiglu, .silu, .gelu, .softmax: ElementwiseOps.self
    case .rmsnorm, .layernorm: NormOps.self
    case .rope, .positions: PositionOps.self
    case .embed: EmbedOps.self
    case .attention: AttentionOps.self
    case .documents: DocumentOps.self
    case .linearAttention, .linattnState, .linattnPrefix, .linattnIntra, .linattnFinish: LinearAttentionOps.self
    case .reshape, .slice, .concat, .repeatKV: ShapeOps.self
    case .repeat, .return: ControlOps.self
    case .attnBlock, .attnScores, .attnApply: AttnBlockOps.self
    case .attnMerge: AttnMergeOps.self
    case .sendStart, .sendDone, .recvStart, .recvDone: TransferOps.self
    case .allGather, .allToAll: CollectiveOps.self
    }
  }

  /// The table the verifier checks every op against.
  public var spec: OpSpec { family.spec(self) }
}
