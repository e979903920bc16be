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
  /// `%y = rope %x, %pos {theta, scaling…}` — rotary embedding, Hugging Face
  /// "rotate half" convention: `x: [S, H, D]`, `pos: i32[S]`; for `i < D/2`,
  /// `f = pos · ω_i`, `y[i] = x[i]·cos f − x[i + D/2]·sin f`,
  /// `y[i + D/2] = x[i + D/2]·cos f + x[i]·sin f`, where
  /// `ω_i = theta^(−2i/D)` rescaled as `scaling` says (`Rope` in
  /// `Ops/PositionOps.swift`: none, `"linear"`, `"llama3"`).
  case rope
  /// `%x = embed %ids, @table : t` — rows of the embedding table:
  /// `ids: i32[N]`, `table: [V, E]` gives `[N, E]`, `x[n] = table[ids[n]]`;
  /// every id must be in `0 ..< V`.
  case embed
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
  /// `%p = positions {ranges} : i32[N]` — the global position of each token:
  /// `0 ..< S` without `ranges`; with `ranges = [start, len, …]` the listed
  /// tokens, which is how a rank of a sharded module sees its tokens' global
  /// positions, so `rope` stays exact.
  case positions
  /// `%d = documents {bounds} : i32[N]` — the model's packed documents, as N
  /// cumulative lengths (`cu_seqlens`: 0, then each document's end). Without
  /// `bounds` it is an input that `--documents` fills; `bindDocuments` folds
  /// it into the attentions that read it, so no pass or plan ever sees one.
  case documents
  /// `%o = attention %q, %k, %v [, %d] {mask, causal, scale, window, documents}`
  /// — softmax attention. `q: [S, H, D]`, `k: [S, KVH, D]`, `v: [S, KVH, Dv]`,
  /// result `[S, H, Dv]`. Query head h reads kv head ⌊h / (H / KVH)⌋ (Hugging
  /// Face `repeat_kv`). `scale` defaults to 1/√D. `mask = "full" | "causal" |
  /// "document_full" | "document_causal"`, or `causal` (default false): token
  /// i sees keys j ≤ i by global position. The document masks need `%d` (a
  /// `documents` result) or `documents = [...]`: i and j in one document.
  /// `window = W` (optional): token i sees only keys with i − j < W (with
  /// causal) or |i − j| < W (without).
  case attention
  /// `%o = linear_attention %q, %k, %v {causal, feature_map, decay, normalize}`
  /// — attention without softmax: `o_i = Σ_j λ^{i−j} (φ(q_i)·φ(k_j)) v_j`
  /// over keys j ≤ i (causal) or all keys; `normalize = true` divides by
  /// `Σ_j λ^{i−j} φ(q_i)·φ(k_j)`. `feature_map = "identity"` (default),
  /// `"elu1"` (elu + 1) or `"relu"`; `decay = [λ, …]`, one λ ∈ (0, 1] per kv
  /// head, needs causal (default: none, λ = 1); `normalize` needs `"elu1"`.
  /// No scale. Shapes and GQA head mapping as `attention`. `LinearAttention`
  /// (`Ops/LinearAttentionOps.swift`) reads the parameters.
  case linearAttention = "linear_attention"
  /// `%y = repeat @layer, %x {count = L}` — applies graph `@layer` (one argument,
  /// one result of the same type) L times. Iteration i uses its own instance of
  /// every weight `@layer` reads, so an 80-layer model is written once.
  case `repeat`
  /// `return %y` — ends a graph with its results.
  case `return`

  // MARK: - Plan ops (partitioned and scheduled modules)

  /// `%y = slice %x {start, len} : t` — rows `start ..< start + len` of axis 0.
  case slice
  /// `%o, %lse = attn.block %q, %k, %v {causal, scale, q_tokens, k_tokens, step}`
  /// — attention of one query block against one key/value block. `q_tokens`
  /// and `k_tokens` list the global positions of the rows as `[start, len, …]`
  /// ranges; `causal` masks by those positions. Returns the block output
  /// normalised within the block, `[n, H, Dv]`, and its log-sum-exp per
  /// (head, row), `f32[H, n]`. A row with no visible key has lse = −∞ and
  /// output 0.
  case attnBlock = "attn.block"
  /// `%o, %lse = attn.merge %o1, %l1, %o2, %l2 {offset}` — folds the partial
  /// `(o2, l2)` into rows `offset ..< offset + m` of `(o1, l1)`:
  /// `l = logaddexp(l1, l2)`, `o = e^(l1−l)·o1 + e^(l2−l)·o2`.
  case attnMerge = "attn.merge"
  /// `send.start %t… {chan, peer, step}` — starts sending the tensors to rank
  /// `peer`; they stay untouched until the matching `send.done`.
  case sendStart = "send.start"
  /// `send.done %t… {chan, peer, step}` — waits until that send has completed.
  case sendDone = "send.done"
  /// `%t… = recv.start {chan, peer, step} : types` — posts a receive from rank
  /// `peer` into the new buffers; they may be read only after `recv.done`.
  case recvStart = "recv.start"
  /// `recv.done %t…` — waits until the receive into those buffers completed.
  case recvDone = "recv.done"
  /// `%y = all_gather %x {group, chan, step} : t` — every rank of `group`
  /// (global ranks, in order) contributes its `x`; each gets them all,
  /// concatenated along axis 0 in group order. Blocks until all have come.
  case allGather = "all_gather"
  /// `%y = all_to_all %x {group, split_axis, concat_axis, split_sizes, chan, step} : t`
  /// — `x` is cut along `split_axis` into |group| parts (equal, or
  /// `split_sizes`); part i goes to member i; the parts received are
  /// concatenated along `concat_axis` in group order.
  case allToAll = "all_to_all"
  /// `%y = repeat_kv %x {factor} : [n, KVH·f, D]` — each head repeated `factor`
  /// times in place (head j of y is head ⌊j / f⌋ of x), as Hugging Face's
  /// `repeat_kv`; lets Ulysses give every rank a kv head.
  case repeatKV = "repeat_kv"
  /// `%s = attn.scores %q, %k {causal, scale, q_tokens, k_tokens, step} : f32[H, n, m]`
  /// — scaled scores `q·kᵀ` per query head (GQA mapping as `attention`),
  /// masked entries −∞.
  case attnScores = "attn.scores"
  /// `%o = attn.apply %p, %v {col_start, q_tokens, k_tokens, step} : [n, H, Dv]`
  /// — `p[h, :, col_start ..< col_start + m] · v` for every query head.
  case attnApply = "attn.apply"
  /// `%y = concat %a, %b, … {axis} : t` — concatenation along `axis`.
  case concat
  /// `%s = linattn.state %k, %v {tokens = [start, len], …} : f32[KVH, Dk, W]`
  /// — the state the keys leave at `end = start + len`:
  /// `Σ_j λ^{end−j} φ(k_j) v'_jᵀ`, `v' = [v, 1]` when normalising (W = Dv + 1),
  /// else `v` (W = Dv). The `…` are the `linear_attention` parameters.
  case linattnState = "linattn.state"
  /// `%p = linattn.prefix %s1, … {spans = [start, len, …], at, …}` — the
  /// states (one span each) decayed to position `at` and summed:
  /// `Σ_i λ^{at − end_i} s_i` over the spans that end at or before `at` when
  /// causal, over all spans (λ = 1) otherwise.
  case linattnPrefix = "linattn.prefix"
  /// `%u = linattn.intra %q, %k, %v {tokens, …} : f32[n, H, W]` — the part of
  /// the output the local keys give (all at positions `tokens`), not yet
  /// normalised: `Σ_{j local} λ^{i−j} (φ(q_i)·φ(k_j)) v'_j`.
  case linattnIntra = "linattn.intra"
  /// `%o = linattn.finish %q, %u[, %p] {tokens, …}` — adds what the earlier
  /// (or, not causal, all other) keys give through the prefix state `p`
  /// (decayed to `start`): `u_i + λ^{i−start} φ(q_i)·p`, then normalises
  /// (`u[:Dv] / u[Dv]`) or keeps `u[:Dv]`; result in the queries' dtype.
  case linattnFinish = "linattn.finish"
}
