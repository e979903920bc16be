import GraphIR

/// Linear attention kernels (semantics: `Opcode.linearAttention` and the
/// `linattn.*` plan ops). Tensors are `[n, H, D]` row-major like attention's;
/// states are f32 `[KVH, Dk, W]`.
public enum LinearAttentionKernel {
  /// `linattn.state`: Σ_j λ^{n−j} φ(k_j) v'_jᵀ over local rows j (decayed to the end of the rows).
  public static func state(k: Tensor, v: Tensor, params: LinearAttention) -> Tensor { fatalError("unwritten") }
  /// `linattn.intra`: f32 [n, H, W], the local keys' part, not normalised; blockwise.
  public static func intra(q: Tensor, k: Tensor, v: Tensor, params: LinearAttention) -> Tensor { fatalError("unwritten") }
  /// `linattn.prefix`: Σ λ^{at − end_i} s_i over the states whose end ≤ at (causal) or all.
  public static func prefix(states: [Tensor], ends: [Int64], at: Int64, params: LinearAttention) -> Tensor { fatalError("unwritten") }
  /// `linattn.finish`: u_i + λ^{i} φ(q_i)·prefix (i = local row), then normalise or drop nothing.
  public static func finish(q: Tensor, intra: Tensor, prefix: Tensor?, params: LinearAttention) -> Tensor { fatalError("unwritten") }
}
