import ArgumentParser
import HostIO
import Runtime
import Timeline

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

  @Option(parsing: .unconditional, help: "Key/value heads (grouped-query attention; default: as many as --heads).")
  var kvHeads: Int?

  @Option(parsing: .upToNextOption, help: "Block sizes (queries = keys).")
  var blocks: [Int] = [256, 512, 1024]

  @Flag(help: "Causal blocks (query i sees keys j ≤ i; FLOPs count the visible pairs only).")
  var causal = false

  @Option(parsing: .unconditional, help: "Timed runs per row (the median is reported), after one warm-up.")
  var runs = 5

  @Option(parsing: .unconditional, help: "Query rows per head in one attention tile (for tuning the kernel; default: the kernel's choice).")
  var queryTile: Int?

  @Option(parsing: .unconditional, help: "Keys in one attention tile (for tuning the kernel; default: the kernel's choice).")
  var keyTile: Int?

  @Option(
    parsing: .unconditional,
    help: "How a tile's two products run: blas (cblas_sgemm) or panels (AVX-512 loops on packed keys); default: the kernel's choice.")
  var products: TileProducts?

  @Flag(help: "Print one JSON object: each row's name, median seconds and GFLOP/s.")
  var json = false

  @Option(parsing: .upToNextOption, help: "Token counts of the linear-attention kernel (causal and not); none: skip it.")
  var linearTokens: [Int] = []

  func validate() throws {
    if threads < 1 { throw ValidationError("--threads must be at least 1, found \(threads)") }
    if headDim < 1 || heads < 1 || blocks.contains(where: { $0 < 1 }) || linearTokens.contains(where: { $0 < 1 }) {
      throw ValidationError("--head-dim, --heads, --blocks and --linear-tokens must be positive")
    }
    if let kvHeads, kvHeads < 1 || heads % kvHeads != 0 {
      throw ValidationError("--kv-heads must divide --heads (\(heads)), found \(kvHeads)")
    }
    if (queryTile ?? 1) < 1 || (keyTile ?? 1) < 1 { throw ValidationError("--query-tile and --key-tile must be positive") }
    if runs < 1 { throw ValidationError("--runs must be at least 1, found \(runs)") }
    if let products, !TileProducts.available.contains(products) {
      throw ValidationError("--products \(products) needs AVX-512, which this CPU does not run")
    }
    // Each block's Q, K and V are n × heads × head_dim floats.
    for n in blocks + linearTokens {
      let (nh, o1) = n.multipliedReportingOverflow(by: heads)
      let (elements, o2) = nh.multipliedReportingOverflow(by: headDim)
      if o1 || o2 || elements > 1 << 31 {
        throw ValidationError("a block of \(n) tokens × --heads \(heads) × --head-dim \(headDim) is over 2^31 floats per tensor")
      }
    }
  }

  func run() throws {
    // Measure under the heap settings `ringc run` uses: with glibc's
    // defaults, a tile's 256 KiB of scratch is a fresh mapping each call,
    // faulted in again (8 × 64 heads, n = 256: 63.6 against 74.4 GFLOP/s).
    Allocation.keepFreedMemory()
    // Attention first: OpenBLAS's worker threads keep spinning for a while
    // after a threaded sgemm and would steal the cores from the heads' threads.
    let rows = blocks.map {
      KernelBenchmark.attention(block: $0, heads: heads, kvHeads: kvHeads, headDim: headDim, threads: threads, causal: causal, runs: runs,
        tiles: queryTile == nil && keyTile == nil
          ? nil : BlockAttention.Tiles(query: queryTile ?? BlockAttention.queryTile, key: keyTile ?? BlockAttention.keyTile),
        products: products)
    }
      + linearTokens.flatMap { n in
        [false, true].map { KernelBenchmark.linearAttention(tokens: n, heads: heads, headDim: headDim, threads: threads, causal: $0, runs: runs) }
      }
    if json {
      let entries = rows.map { r -> JSONValue in ["name": JSONValue(r.name), "seconds": JSONValue(r.seconds), "gflops": JSONValue(r.gflops)] }
      let report: JSONValue = ["threads": JSONValue(threads), "rows": .array(entries)]
      Stdout.write(report.serialized() + "\n")
      return
    }
    let reference = KernelBenchmark.sgemm(n: 1024, threads: threads)
    Stdout.write("threads \(threads)\n\(padRight(reference.name, 50)) \(fmt(reference.gflops)) GFLOP/s\n")
    for r in rows {
      Stdout.write("\(padRight(r.name, 50)) \(fmt(r.gflops)) GFLOP/s  \(fmt(r.gflops / reference.gflops * 100))% of sgemm\n")
    }
  }

  func fmt(_ v: Double) -> String { String((v * 10).rounded() / 10) }
}

extension TileProducts: ExpressibleByArgument {
  public init?(argument: String) {
    switch argument {
    case "blas": self = .blas
    case "panels": self = .panels
    default: return nil
    }
  }
  public static var allValueStrings: [String] { ["blas", "panels"] }
}
