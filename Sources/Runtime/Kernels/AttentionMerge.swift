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
    let out = Tensor(uninitialized: o1.shape)
    let lse = Tensor(uninitialized: l1.shape)
    // Rows outside the partial are copied; rows inside are written once, blended.
    let rowSize = h * dv
    out.pointer.update(from: o1.pointer, count: offset * rowSize)
    let after = (offset + m) * rowSize
    (out.pointer + after).update(from: o1.pointer + after, count: (n - offset - m) * rowSize)
    lse.pointer.update(from: l1.pointer, count: l1.count)
    // Raw pointers: the loop runs once per output element.
    let (la, lb, lo) = (UnsafePointer(l1.pointer), UnsafePointer(l2.pointer), lse.pointer)
    for r in 0..<m {
      let row = offset + r
      for head in 0..<h {
        let a = la[head * n + row]
        let b = lb[head * m + r]
        let target = out.pointer + (row * h + head) * dv
        let mine = UnsafePointer(o1.pointer + (row * h + head) * dv)
        let source = UnsafePointer(o2.pointer + (r * h + head) * dv)
        if b == -.infinity {
          target.update(from: mine, count: dv)
        } else if a == -.infinity {
          target.update(from: source, count: dv)
          lo[head * n + row] = b
        } else {
          let w = 1 / (1 + expf(a - b))  // σ(b − a)
          for c in 0..<dv { target[c] = mine[c] - w * (mine[c] - source[c]) }
          lo[head * n + row] = max(a, b) + log1pf(expf(-abs(a - b)))
        }
      }
    }
    return (out, lse)
  }
}
