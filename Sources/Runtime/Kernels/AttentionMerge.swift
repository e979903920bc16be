#if canImport(Glibc)
  import Glibc
#endif

/// Folds a partial `(o2, l2)` into rows `offset ..< offset + m` of `(o1, l1)`
/// with the stable σ-form (../shared/reference/algorithms.md §1):
/// `w = σ(l2 − l1)`, `o = o1 − w·(o1 − o2)`, `l = max + log1p(exp(−|l1 − l2|))`.
/// A side whose lse is −∞ (no visible key) contributes nothing, so two empty
/// partials never produce NaN.
public enum AttentionMerge {
  public static func run(
    o1: Tensor, l1: Tensor, o2: Tensor, l2: Tensor, offset: Int
  ) -> (out: Tensor, lse: Tensor) {
    let (n, h, dv) = (o1.shape[0], o1.shape[1], o1.shape[2])
    let m = o2.shape[0]
    let out = Tensor(shape: o1.shape)
    let lse = Tensor(shape: l1.shape)
    out.pointer.update(from: o1.pointer, count: o1.count)
    lse.pointer.update(from: l1.pointer, count: l1.count)
    for head in 0..<h {
      for r in 0..<m {
        let row = offset + r
        let a = l1[head * n + row]
        let b = l2[head * m + r]
        if b == -.infinity { continue }
        let target = out.pointer + (row * h + head) * dv
        let source = o2.pointer + (r * h + head) * dv
        if a == -.infinity {
          target.update(from: source, count: dv)
          lse[head * n + row] = b
          continue
        }
        let w = 1 / (1 + expf(a - b))  // σ(b − a)
        for c in 0..<dv { target[c] -= w * (target[c] - source[c]) }
        lse[head * n + row] = max(a, b) + log1pf(expf(-abs(a - b)))
      }
    }
    return (out, lse)
  }
}
