import CBLAS

/// `[..., K] × [K, N] → [..., N]` through `cblas_sgemm`.
enum MatMul {
  /// `a × b`.
  static func run(_ a: Tensor, _ b: Tensor) -> Tensor {
    let (k, n) = (b.shape[0], b.shape[1])
    let m = a.count / k
    var out = Tensor(uninitialized: Array(a.shape.dropLast()) + [n])
    gemm(m: m, n: n, k: k, a: a.pointer, lda: k, b: b.pointer, ldb: n, c: out.pointer, ldc: n)
    out.shape = Array(a.shape.dropLast()) + [n]
    return out
  }

  /// `a × bᵀ` for `b: [n, k]` read a block of rows at a time (`rows(r)` is
  /// rows r of b, `[r.count, k]`), so a large stored matrix (an LM head) is
  /// never whole in f32: at most `blockElements` of it at once.
  static func runTransposed(
    _ a: Tensor, n: Int, k: Int, blockElements: Int = 1 << 24, rows: (Range<Int>) throws -> Tensor
  ) rethrows -> Tensor {
    let m = a.count / k
    let out = Tensor(uninitialized: Array(a.shape.dropLast()) + [n])
    let step = max(1, blockElements / max(k, 1))
    for start in stride(from: 0, to: n, by: step) {
      let block = try rows(start..<min(start + step, n))
      gemm(m: m, n: block.shape[0], k: k, a: a.pointer, lda: k, b: block.pointer, ldb: k, transB: true, c: out.pointer + start, ldc: n)
    }
    return out
  }

  /// C = alpha · op(A) · op(B) + beta · C, row-major, leading dimensions explicit.
  @inline(__always)
  static func gemm(
    m: Int, n: Int, k: Int, alpha: Float = 1, a: UnsafePointer<Float>, lda: Int, transA: Bool = false,
    b: UnsafePointer<Float>, ldb: Int, transB: Bool = false, beta: Float = 0,
    c: UnsafeMutablePointer<Float>, ldc: Int
  ) {
    if m == 0 || n == 0 { return }
    cblas_sgemm(
      CblasRowMajor, transA ? CblasTrans : CblasNoTrans, transB ? CblasTrans : CblasNoTrans,
      Int32(m), Int32(n), Int32(k), alpha, a, Int32(lda), b, Int32(ldb), beta, c, Int32(ldc))
  }
}

