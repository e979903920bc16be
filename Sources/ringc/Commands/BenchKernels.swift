import ArgumentParser
import HostIO
import Runtime

struct BenchKernels: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "bench-kernels",
    abstract: "Measure the attention block and linear-attention kernels' GFLOP/s next to cblas_sgemm's on this machine.")

  @Option(parsing: .unconditional, help: "Threads (cores) to use.")
  var threads: Int = 1

  @Option(parsing: .unconditional, help: "Head dimension.")
  var headDim: Int = 128

  @Option(parsing: .unconditional, help: "Heads per block.")
  var heads: Int = 8

  @Option(parsing: .upToNextOption, help: "Block sizes (queries = keys).")
  var blocks: [Int] = [256, 512, 1024]

  @Option(parsing: .upToNextOption, help: "Token counts of the linear-attention kernel (causal and not); none: skip it.")
  var linearTokens: [Int] = []

  func validate() throws {
    if threads < 1 { throw ValidationError("--threads must be at least 1, found \(threads)") }
    if headDim < 1 || heads < 1 || blocks.contains(where: { $0 < 1 }) || linearTokens.contains(where: { $0 < 1 }) {
      throw ValidationError("--head-dim, --heads, --blocks and --linear-tokens must be positive")
    }
  }

  func run() throws {
    // Attention first: OpenBLAS's worker threads keep spinning for a while
    // after a threaded sgemm and would steal the cores from the heads' threads.
    let rows = blocks.map { KernelBenchmark.attention(block: $0, heads: heads, headDim: headDim, threads: threads) }
      + linearTokens.flatMap { n in
        [false, true].map { KernelBenchmark.linearAttention(tokens: n, heads: heads, headDim: headDim, threads: threads, causal: $0) }
      }
    let reference = KernelBenchmark.sgemm(n: 1024, threads: threads)
    Stdout.write("threads \(threads)\n\(padRight(reference.name, 50)) \(fmt(reference.gflops)) GFLOP/s\n")
    for r in rows {
      Stdout.write("\(padRight(r.name, 50)) \(fmt(r.gflops)) GFLOP/s  \(fmt(r.gflops / reference.gflops * 100))% of sgemm\n")
    }
  }

  func fmt(_ v: Double) -> String { String((v * 10).rounded() / 10) }
}
