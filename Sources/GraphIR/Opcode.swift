/// Every op the IR knows. The raw value is the spelling in text.
///
/// Shapes use the legend: S tokens, E model width, H query heads, KVH kv heads,
/// D head dim. All float math is done in f32; `dtype` only sizes tensors.
public enum Opcode: String, CaseIterable, Sendable {
  /// `%y = matmul %x, %w : t` — `x: [..., K]`, `w: [K, N]` (a weight or a value)
  /// gives `[..., N]`: `y[i, n] = Σ_k x[i, k] · w[k, n]`.
  case matmul
  /// `%y = add %a, %b` — elementwise sum; `b`'s shape must equal a suffix of
  /// `a`'s shape and is broadcast over the leading dimensions (a bias).
  case add
  /// `%y = mul %a, %b` — elementwise product, broadcast like `add` (a scale).
  case mul
  /// `%y = rmsnorm %x, @g {eps}` — over the last axis of size E:
  /// `y = x / sqrt(mean(x²) + eps) · g`, `g: [E]`.
  case rmsnorm
  /// `%y = layernorm %x[, @g, @b] {eps}` — over the last axis:
  /// `y = (x − mean) / sqrt(var + eps)` (biased variance), then `· g + b` when
  /// the optional affine weights are given.
  case layernorm
  /// `%y = rope %x, %pos {theta}` — rotary embedding, Hugging Face "rotate
  /// half" convention: `x: [S, H, D]`, `pos: i32[S]`; for `i < D/2`,
  /// `f = pos · theta^(−2i/D)`, `y[i] = x[i]·cos f − x[i + D/2]·sin f`,
  /// `y[i + D/2] = x[i + D/2]·cos f + x[i]·sin f`.
  case rope
  /// `%y = silu %x` — `x · σ(x)`.
  case silu
  /// `%y = gelu %x {approximate = "none" | "tanh"}` — `x · Φ(x)` with the exact
  /// erf form (default) or the tanh approximation
  /// `0.5·x·(1 + tanh(√(2/π)·(x + 0.044715·x³)))`.
  case gelu
  /// `%y = swiglu %g, %u` — `silu(g) · u`, same shapes.
  case swiglu
  /// `%y = softmax %x` — softmax over the last axis.
  case softmax
  /// `%y = reshape %x : t` — same elements in row-major order, new shape; the
  /// element count must not change.
  case reshape
  /// `%p = positions : i32[S]` — the global position of each token, `0 ..< S`.
  /// After sequence sharding a rank's `positions` holds its tokens' global
  /// positions, so `rope` stays exact.
  case positions
  /// `%o = attention %q, %k, %v {causal, scale, window}` — softmax attention.
  /// `q: [S, H, D]`, `k: [S, KVH, D]`, `v: [S, KVH, Dv]`, result `[S, H, Dv]`.
  /// Query head h reads kv head ⌊h / (H / KVH)⌋ (Hugging Face `repeat_kv`).
  /// `scale` defaults to 1/√D. `causal` (default false): token i sees keys
  /// j ≤ i by global position. `window = W` (optional): token i sees only keys
  /// with i − j < W (with causal) or |i − j| < W (without).
  case attention
  /// `%o = linear_attention %q, %k, %v {causal}` — attention without softmax or
  /// feature map: `o_i = Σ_j q_i·k_jᵀ · v_j` over the allowed j (j ≤ i when
  /// causal), computed right-product-first as `q (kᵀ v)`. Shapes as `attention`.
  case linearAttention = "linear_attention"
  /// `%y = repeat @layer, %x {count = L}` — applies graph `@layer` (one argument,
  /// one result of the same type) L times. Iteration i uses its own instance of
  /// every weight `@layer` reads, so an 80-layer model is written once.
  case `repeat`
  /// `return %y` — ends a graph with its results.
  case `return`
}
