import CBLAS
import GraphIR

/// Measures the attention block kernel against `cblas_sgemm` on this machine:
/// GFLOP/s of each, median of several runs after a warm-up.
public enum KernelBenchmark {
  public struct Row: Sendable {
    public var name: String
    public var gflops: Double
  }

  static func median(_ runs: Int, _ body: () -> Void) -> Double {
    body()
    var times: [Double] = []
    for _ in 0..<runs {
      let t0 = Clock.now
      body()
      times.append(Clock.now - t0)
    }
    return times.sorted()[runs / 2]
  }

  /// sgemm on square n×n matrices.
  public static func sgemm(n: Int, threads: Int, runs: Int = 5) -> Row {
    openblas_set_num_threads(Int32(threads))
    let a = Tensor(shape: [n, n], values: (0..<(n * n)).map { Float($0 % 7) * 0.1 })
    let b = Tensor(shape: [n, n], values: (0..<(n * n)).map { Float($0 % 5) * 0.1 })
    let c = Tensor(shape: [n, n])
    let t = median(runs) { MatMul.gemm(m: n, n: n, k: n, a: a.pointer, lda: n, b: b.pointer, ldb: n, c: c.pointer, ldc: n) }
    return Row(name: "sgemm \(n)×\(n)×\(n)", gflops: 2 * Double(n * n * n) / t / 1e9)
  }

  /// One unmasked attention block of `block` queries against `block` keys.
  public static func attention(block: Int, heads: Int, headDim: Int, threads: Int, runs: Int = 5) -> Row {
    openblas_set_num_threads(1)
    let init_ = Initializer(seed: 1)
    let positions = (0..<Int64(block)).map { $0 }
    let q = init_.input("q", shape: [block, heads, headDim], tokens: positions)
    let k = init_.input("k", shape: [block, heads, headDim], tokens: positions)
    let v = init_.input("v", shape: [block, heads, headDim], tokens: positions)
    let mask = Mask(causal: false, window: nil)
    let t = median(runs) {
      _ = BlockAttention.run(q: q, k: k, v: v, qPositions: positions, kPositions: positions, mask: mask, scale: 0.1, threads: threads)
    }
    let flops = 4 * Double(block) * Double(block) * Double(heads) * Double(headDim)
    return Row(name: "attn.block \(block)×\(block), \(heads) heads × \(headDim)", gflops: flops / t / 1e9)
  }

  /// Bytes per second of a 256 MiB copy, counting what is read and written.
  public static func memoryBandwidth(runs: Int = 5) -> Double {
    let n = 64 << 20
    let a = Tensor(shape: [n])
    let b = Tensor(shape: [n])
    let t = median(runs) { b.pointer.update(from: a.pointer, count: n) }
    return 2 * Double(n * 4) / t
  }
}
