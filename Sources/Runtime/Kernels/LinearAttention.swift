#if canImport(Glibc)
  import Glibc
#endif
import GraphIR

/// Linear attention kernels (semantics: `Opcode.linearAttention` and the
/// `linattn.*` plan ops). Tensors are `[n, H, D]` row-major like attention's;
/// states are f32 `[KVH, Dk, W]` with `W = Dv + 1` when normalising.
///
/// `intra` is the chunked form (GLA / LASP's "left product inside a chunk,
/// right product across chunks"): per chunk of `LinearAttention.chunk` rows,
/// the masked, decayed `φ(Q)φ(K)ᵀ` times `V'`, plus `φ(Q)` times the running
/// state of the earlier chunks — all sgemm; the state is carried in f32.
/// `Reference.linearAttention` is the slow check.
public enum LinearAttentionKernel {
  /// `linattn.state`: Σ_j λ^{n−j} φ(k_j) v'_jᵀ over local rows j (decayed to the end of the rows).
  public static func state(k: Tensor, v: Tensor, params: LinearAttention) -> Tensor {
    let (n, kvh, d) = (k.shape[0], k.shape[1], k.shape[2])
    let w = width(v, params)
    let out = Tensor(shape: [kvh, d, w])
    let phiK = UnsafeMutablePointer<Float>.allocate(capacity: max(n * d, 1))
    let values = UnsafeMutablePointer<Float>.allocate(capacity: max(n * w, 1))
    defer {
      phiK.deallocate()
      values.deallocate()
    }
    for g in 0..<kvh {
      gatherKeys(k, group: g, params: params, into: phiK)
      gatherValues(v, group: g, width: w, into: values)
      let powers = decayPowers(params.lambda(kvHead: g), count: n + 1)
      // Row j weighs λ^{n−1−j+1} = λ^{n−j}.
      for j in 0..<n where powers[n - j] != 1 {
        let weight = powers[n - j]
        for a in 0..<d { phiK[j * d + a] *= weight }
      }
      MatMul.gemm(m: d, n: w, k: n, a: phiK, lda: d, transA: true, b: values, ldb: w, c: out.pointer + g * d * w, ldc: w)
    }
    return out
  }

  /// `linattn.intra`: f32 [n, H, W], the local keys' part, not normalised; blockwise.
  public static func intra(q: Tensor, k: Tensor, v: Tensor, params: LinearAttention) -> Tensor {
    let (n, h, d) = (q.shape[0], q.shape[1], q.shape[2])
    let kvh = k.shape[1]
    let w = width(v, params)
    let out = Tensor(shape: [n, h, w])
    let phiQ = mapped(q, params.featureMap)
    let phiK = UnsafeMutablePointer<Float>.allocate(capacity: max(n * d, 1))
    let values = UnsafeMutablePointer<Float>.allocate(capacity: max(n * w, 1))
    let state = UnsafeMutablePointer<Float>.allocate(capacity: d * w)
    defer {
      phiK.deallocate()
      values.deallocate()
      state.deallocate()
    }
    let ldq = h * d, ldo = h * w
    for g in 0..<kvh {
      gatherKeys(k, group: g, params: params, into: phiK)
      gatherValues(v, group: g, width: w, into: values)
      let heads = (g * (h / kvh))..<((g + 1) * (h / kvh))
      if !params.causal {
        // Every query sees every local key: u = φ(Q) (φ(K)ᵀ V').
        MatMul.gemm(m: d, n: w, k: n, a: phiK, lda: d, transA: true, b: values, ldb: w, c: state, ldc: w)
        for head in heads {
          MatMul.gemm(m: n, n: w, k: d, a: phiQ.pointer + head * d, lda: ldq, b: state, ldb: w, c: out.pointer + head * w, ldc: ldo)
        }
        continue
      }
      chunkedCausal(
        phiQ: phiQ, phiK: phiK, values: values, state: state, heads: heads, out: out,
        shape: (n: n, d: d, w: w, ldq: ldq, ldo: ldo), lambda: params.lambda(kvHead: g))
    }
    return out
  }

  /// `linattn.prefix`: Σ λ^{at − end_i} s_i over the states whose end ≤ at (causal) or all.
  public static func prefix(states: [Tensor], ends: [Int64], at: Int64, params: LinearAttention) -> Tensor {
    let shape = states.first?.shape ?? [0, 0, 0]
    let (kvh, per) = (shape[0], shape.count == 3 ? shape[1] * shape[2] : 0)
    let out = Tensor(shape: shape)
    for (s, end) in zip(states, ends) where !params.causal || end <= at {
      for g in 0..<kvh {
        let weight = params.causal ? Float(pow(params.lambda(kvHead: g), Double(at - end))) : 1
        let (src, dst) = (s.pointer + g * per, out.pointer + g * per)
        for x in 0..<per { dst[x] += weight * src[x] }
      }
    }
    return out
  }

  /// `linattn.finish`: u_i + λ^{i} φ(q_i)·prefix (i = local row), then normalise or drop nothing.
  public static func finish(q: Tensor, intra: Tensor, prefix: Tensor?, params: LinearAttention) -> Tensor {
    let (n, h, d) = (q.shape[0], q.shape[1], q.shape[2])
    let w = intra.shape[2]
    let u = Tensor(shape: [n, h, w])
    u.pointer.update(from: intra.pointer, count: n * h * w)
    if let prefix {
      let kvh = prefix.shape[0]
      let phiQ = mapped(q, params.featureMap)
      let cross = UnsafeMutablePointer<Float>.allocate(capacity: max(n * w, 1))
      defer { cross.deallocate() }
      for head in 0..<h {
        let g = head / (h / kvh)
        MatMul.gemm(m: n, n: w, k: d, a: phiQ.pointer + head * d, lda: h * d, b: prefix.pointer + g * d * w, ldb: w, c: cross, ldc: w)
        let powers = decayPowers(params.causal ? params.lambda(kvHead: g) : 1, count: n)
        for i in 0..<n {
          let row = u.pointer + (i * h + head) * w
          for c in 0..<w { row[c] += powers[i] * cross[i * w + c] }
        }
      }
    }
    let dv = params.normalize ? w - 1 : w
    let out = Tensor(shape: [n, h, dv])
    for r in 0..<(n * h) {
      let (src, dst) = (u.pointer + r * w, out.pointer + r * dv)
      if params.normalize {
        let denominator = src[dv]
        for c in 0..<dv { dst[c] = denominator > 0 ? src[c] / denominator : 0 }
      } else {
        dst.update(from: src, count: dv)
      }
    }
    return out
  }

  // MARK: - The chunked causal product

  /// For one kv group, chunk by chunk: `u_c = (M ∘ φ(Q_c)φ(K_c)ᵀ) V'_c + Λ φ(Q_c) S`,
  /// `M[r, t] = λ^{r−t}` for t ≤ r (else 0), `Λ = diag(λ^r)`, `S` the state
  /// of the earlier chunks decayed to this chunk's start; then
  /// `S ← λ^{len} S + (Λ' φ(K_c))ᵀ V'_c` with `Λ' = diag(λ^{len−t})`.
  private static func chunkedCausal(
    phiQ: Tensor, phiK: UnsafeMutablePointer<Float>, values: UnsafeMutablePointer<Float>,
    state: UnsafeMutablePointer<Float>, heads: Range<Int>, out: Tensor,
    shape: (n: Int, d: Int, w: Int, ldq: Int, ldo: Int), lambda: Double
  ) {
    let (n, d, w) = (shape.n, shape.d, shape.w)
    let c = LinearAttention.chunk
    let powers = decayPowers(lambda, count: c + 1)
    let scores = UnsafeMutablePointer<Float>.allocate(capacity: c * c)
    let cross = UnsafeMutablePointer<Float>.allocate(capacity: c * w)
    let weightedK = UnsafeMutablePointer<Float>.allocate(capacity: c * d)
    defer {
      scores.deallocate()
      cross.deallocate()
      weightedK.deallocate()
    }
    state.initialize(repeating: 0, count: d * w)
    for start in stride(from: 0, to: n, by: c) {
      let len = min(c, n - start)
      for head in heads {
        let q = phiQ.pointer + start * shape.ldq + head * d
        let o = out.pointer + start * shape.ldo + head * w
        MatMul.gemm(m: len, n: len, k: d, a: q, lda: shape.ldq, b: phiK + start * d, ldb: d, transB: true, c: scores, ldc: len)
        for r in 0..<len {
          for t in 0..<len { scores[r * len + t] = t <= r ? scores[r * len + t] * powers[r - t] : 0 }
        }
        MatMul.gemm(m: len, n: w, k: len, a: scores, lda: len, b: values + start * w, ldb: w, c: o, ldc: shape.ldo)
        if start > 0 {
          MatMul.gemm(m: len, n: w, k: d, a: q, lda: shape.ldq, b: state, ldb: w, c: cross, ldc: w)
          for r in 0..<len {
            let row = o + r * shape.ldo
            for x in 0..<w { row[x] += powers[r] * cross[r * w + x] }
          }
        }
      }
      if start + len < n {
        for t in 0..<len {
          for a in 0..<d { weightedK[t * d + a] = powers[len - t] * phiK[(start + t) * d + a] }
        }
        MatMul.gemm(
          m: d, n: w, k: len, a: weightedK, lda: d, transA: true, b: values + start * w, ldb: w,
          beta: powers[len], c: state, ldc: w)
      }
    }
  }

  // MARK: - Gathering one kv group

  private static func width(_ v: Tensor, _ params: LinearAttention) -> Int { v.shape[2] + (params.normalize ? 1 : 0) }

  /// φ applied to every element (a copy).
  private static func mapped(_ x: Tensor, _ phi: LinearAttention.FeatureMap) -> Tensor {
    let out = Tensor(uninitialized: x.shape)
    if phi == .identity {
      out.pointer.update(from: x.pointer, count: x.count)
    } else {
      for i in 0..<x.count { out.pointer[i] = phi(x.pointer[i]) }
    }
    return out
  }

  /// φ(k) of kv head `g`, contiguous `[n, d]`.
  private static func gatherKeys(_ k: Tensor, group g: Int, params: LinearAttention, into dst: UnsafeMutablePointer<Float>) {
    let (n, kvh, d) = (k.shape[0], k.shape[1], k.shape[2])
    for j in 0..<n {
      let src = k.pointer + (j * kvh + g) * d
      for a in 0..<d { dst[j * d + a] = params.featureMap(src[a]) }
    }
  }

  /// `v'` of kv head `g`, contiguous `[n, w]`: v, then a column of ones when w = Dv + 1.
  private static func gatherValues(_ v: Tensor, group g: Int, width w: Int, into dst: UnsafeMutablePointer<Float>) {
    let (n, kvh, dv) = (v.shape[0], v.shape[1], v.shape[2])
    for j in 0..<n {
      (dst + j * w).update(from: v.pointer + (j * kvh + g) * dv, count: dv)
      if w > dv { dst[j * w + dv] = 1 }
    }
  }

  /// λ^0 … λ^{count−1}, computed in Double.
  private static func decayPowers(_ lambda: Double, count: Int) -> [Float] {
    var powers = [Float](repeating: 1, count: max(count, 1))
    guard lambda != 1 else { return powers }
    var p = 1.0
    for i in 0..<count {
      powers[i] = Float(p)
      p *= lambda
    }
    return powers
  }
}
