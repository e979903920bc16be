import CBLAS
import GraphIR
import PlanIR

/// Measures the attention block kernel against `cblas_sgemm` on this machine:
/// GFLOP/s of each, median of several runs after a warm-up.
public enum KernelBenchmark {
  public struct Row: Sendable {
    public var name: String
    public var gflops: Double
    /// The median run, in seconds.
    public var seconds: Double = 0
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

  /// One attention block of `block` queries against `block` keys, full or
  /// causal, with `kvHeads` key/value heads (nil: as many as query heads).
  public static func attention(
    block: Int, heads: Int, kvHeads: Int? = nil, headDim: Int, threads: Int, causal: Bool = false, runs: Int = 5,
    tiles: BlockAttention.Tiles? = nil, products: TileProducts? = nil
  ) -> Row {
    openblas_set_num_threads(1)
    let init_ = Initializer(seed: 1)
    let positions = (0..<Int64(block)).map { $0 }
    let kvh = kvHeads ?? heads
    let q = init_.input("q", shape: [block, heads, headDim], tokens: positions)
    let k = init_.input("k", shape: [block, kvh, headDim], tokens: positions)
    let v = init_.input("v", shape: [block, kvh, headDim], tokens: positions)
    let mask = Mask(causal: causal, window: nil)
    let t = median(runs) {
      _ = BlockAttention.run(q: q, k: k, v: v, qPositions: positions, kPositions: positions, mask: mask, scale: 0.1, threads: threads, tiles: tiles,
        products: products)
    }
    let all = TokenRanges([0..<Int64(block)])
    let work = AttentionWork(pairs: mask.visiblePairs(all, all), heads: Int64(heads), headDim: Int64(headDim), valueDim: Int64(headDim))
    let flops = Double(work.flops ?? 0)
    let gqa = kvh == heads ? "" : "/\(kvh)"
    return Row(
      name: "attn.block \(block)×\(block)\(causal ? " causal" : ""), \(heads)\(gqa) heads × \(headDim)", gflops: flops / t / 1e9, seconds: t)
  }

  /// The chunked linear-attention kernel (`linattn.intra`) on `tokens` rows,
  /// counted as `LinearAttention.intraFlops` (the work the simulator charges).
  public static func linearAttention(tokens: Int, heads: Int, headDim: Int, threads: Int, causal: Bool, runs: Int = 5) -> Row {
    openblas_set_num_threads(Int32(threads))
    let init_ = Initializer(seed: 1)
    let positions = (0..<Int64(tokens)).map { $0 }
    let q = init_.input("q", shape: [tokens, heads, headDim], tokens: positions)
    let k = init_.input("k", shape: [tokens, heads, headDim], tokens: positions)
    let v = init_.input("v", shape: [tokens, heads, headDim], tokens: positions)
    let params = LinearAttention(causal: causal)
    let t = median(runs) { _ = LinearAttentionKernel.intra(q: q, k: k, v: v, params: params) }
    let flops = params.intraFlops(
      tokens: Int64(tokens), heads: Int64(heads), kvHeads: Int64(heads), headDim: Int64(headDim), width: Int64(headDim))
    return Row(name: "linattn.intra \(tokens) tokens\(causal ? " causal" : ""), \(heads) heads × \(headDim)", gflops: flops / t / 1e9, seconds: t)
  }

  /// Bytes per second of copying 64 MiB into a fresh tensor, counting what
  /// is read and written: what the runtime's memory-bound ops do, page
  /// faults of new buffers included.
  public static func memoryBandwidth(runs: Int = 5) -> Double {
    let n = 16 << 20
    let a = Tensor(shape: [n])
    for i in stride(from: 0, to: n, by: 1024) { a[i] = Float(i) }
    var checksum: Float = 0
    let t = median(runs) {
      let b = Tensor(uninitialized: [n])
      b.pointer.update(from: a.pointer, count: n)
      // Read the copy back, so it cannot be optimised away.
      checksum += b[n - 1024]
    }
    return checksum.isNaN ? 0 : 2 * Double(n * 4) / t
  }
}
