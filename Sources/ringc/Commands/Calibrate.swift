import ArgumentParser
import GraphIR
import HostIO
import Runtime
import Simulation

#if canImport(Glibc)
  import Glibc
#endif

struct Calibrate: ParsableCommand {
  static let configuration = CommandConfiguration(
    abstract: "Measure this machine and write a device profile: mpirun -np 2 ringc calibrate -o profiles/host.xml",
    discussion: """
      Both ranks measure cblas_sgemm and the attention kernel on one core each at the same time (so the
      figures hold with every core busy, as in a run): the profile's f32 peak, attention-efficiency curve
      and what a tile the causal mask cuts costs; memory bandwidth into fresh buffers; and MPI point-to-point bandwidth
      and latency between the two. Ranks are modelled as devices sharing the machine's cores.
      """)

  @Option(name: .shortAndLong, help: "The profile to write (atomically).")
  var output: String

  @Option(help: "The profile's name (default: the output file's name).")
  var name: String?

  @Flag(help: "Measure small kernels only (seconds instead of a minute; a rougher profile, for smoke tests).")
  var quick = false

  func run() throws {
    let comm: MPICommunicator
    do { comm = try MPICommunicator() } catch {
      Stderr.write("error: \(error)\n")
      throw SysExit.software
    }
    guard comm.size == 2 else {
      if comm.rank == 0 {
        Stderr.write("ringc calibrate: measures MPI between two ranks; run it with mpirun -np 2 (started \(comm.size))\n")
      }
      try? comm.finalize()
      throw SysExit.usage
    }
    // Measure under the heap settings `ringc run` uses.
    Allocation.keepFreedMemory()
    let link: (bandwidth: Double, latency: Double)
    let xml: String
    do {
      link = try Self.pingPong(comm)
      try comm.barrier(label: "the barrier after the ping-pong")
      // Both on one core: what time-sharing it costs.
      let sharing = try Self.sharingEfficiency(comm, quick: quick)
      try comm.barrier(label: "the barrier after the time-sharing measurement")
      // Both ranks measure at once; rank 0's figures go into the profile.
      xml = Self.profile(name: name ?? Self.stem(output), link: link, sharing: sharing, quick: quick)
      try comm.barrier(label: "the barrier after the kernel measurements")
    } catch {
      comm.fail("\(error)")
    }
    if comm.rank == 0 {
      do { try FileIO.write(xml, to: output) } catch {
        Stderr.write("error: \(error)\n")
        try? comm.finalize()
        throw SysExit.cannotCreate
      }
      Stdout.write("wrote \(output): MPI \(String((link.bandwidth / 1e7).rounded() / 100)) GB/s, \(String((link.latency * 1e8).rounded() / 100)) µs\n")
    }
    do { try comm.finalize() } catch {
      Stderr.write("ringc calibrate: rank \(comm.rank): \(error)\n")
      throw SysExit.software
    }
  }

  /// Both ranks run the attention kernel pinned to the same core; their
  /// combined rate over one rank's rate alone (measured just before, each on
  /// its own core) is what time-sharing a core keeps.
  static func sharingEfficiency(_ comm: MPICommunicator, quick: Bool) throws -> Double {
    let (block, heads) = quick ? (128, 2) : (1024, 32)
    let alone = KernelBenchmark.attention(block: block, heads: heads, headDim: 128, threads: 1).gflops
    let pinned = ThreadPinning.pin(toCPU: 0)
    try comm.barrier(label: "the barrier before the time-sharing measurement")
    let shared = KernelBenchmark.attention(block: block, heads: heads, headDim: 128, threads: 1).gflops
    try comm.barrier(label: "the barrier after the shared kernel")
    ThreadPinning.unpin()
    // Where pinning is refused, time-sharing could not be measured: assume none lost.
    guard pinned else { return 1 }
    return min(1, 2 * shared / alone)
  }

  /// The tile the runtime takes on a causal block of `block` rows: the only
  /// blocks whose tiles the simulator counts are masked ones.
  static func causalTile(block: Int) -> BlockAttention.Tiles {
    .choose(rows: block, causal: true, products: TileProducts.choose(keys: block))
  }

  /// A causal and an unmasked block of `block` rows timed; the causal one
  /// runs its entirely visible tiles at the unmasked rate, so the rest of its
  /// time is what the tiles the mask cuts cost (at least their whole tile).
  static func partialTileCost(block: Int, heads: Int) -> Double {
    let full = KernelBenchmark.attention(block: block, heads: heads, headDim: 128, threads: 1)
    let causal = KernelBenchmark.attention(block: block, heads: heads, headDim: 128, threads: 1, causal: true)
    let n = Int64(block)
    let mask = Mask(causal: true, window: nil)
    let tile = causalTile(block: block)
    let tiles = AttentionTiles(
      q: TokenRanges([0..<n]), k: TokenRanges([0..<n]), mask: mask,
      queryTile: Int64(tile.query), keyTile: Int64(tile.key))
    // Seconds per pair of an unmasked tile, and the causal block's seconds (rates count visible pairs).
    let perPair = 1 / full.gflops
    let causalTime = Double(mask.visiblePairs(0..<n, 0..<n)) / causal.gflops
    guard tiles.partialPairs > 0 else { return 1 }
    return max(1, (causalTime / perPair - Double(tiles.fullPairs)) / Double(tiles.partialPairs))
  }

  static func stem(_ path: String) -> String {
    var base = String(path.split(separator: "/").last ?? "host")
    if base.hasSuffix(".xml") { base.removeLast(4) }
    return base
  }

  /// One-way bandwidth (64 MiB messages) and latency (8-byte messages), ping-pong.
  static func pingPong(_ comm: MPICommunicator) throws -> (bandwidth: Double, latency: Double) {
    let peer = 1 - comm.rank
    func exchange(_ t: Tensor, rounds: Int) throws -> Double {
      let message = MessageBuffer(t, as: .f32)
      let start = Clock.now
      for i in 0..<rounds {
        if (comm.rank == 0) == (i % 2 == 0) {
          try comm.wait(comm.send(message, to: peer, tag: Int32(i % 1000), label: "the ping-pong"))
        } else {
          try comm.wait(comm.receive(into: message, from: peer, tag: Int32(i % 1000), label: "the ping-pong"))
        }
      }
      return (Clock.now - start) / Double(rounds)
    }
    let small = Tensor(shape: [2])
    _ = try exchange(small, rounds: 100)
    let latency = try exchange(small, rounds: 2000)
    let big = Tensor(shape: [16 << 20])
    _ = try exchange(big, rounds: 2)
    let perMessage = try exchange(big, rounds: 10)
    return (Double(big.count * 4) / max(perMessage - latency, 1e-9), latency)
  }

  /// Compute and memory figures of one core, and the XML around them and `sharing`.
  static func profile(name: String, link: (bandwidth: Double, latency: Double), sharing: Double, quick: Bool) -> String {
    let heads = quick ? 2 : 32
    let sgemm = KernelBenchmark.sgemm(n: quick ? 256 : 1024, threads: 1).gflops * 1e9
    let blocks = quick ? [64, 128] : [128, 256, 512, 1024, 2048]
    let points = blocks.map { b in
      (b, min(1, KernelBenchmark.attention(block: b, heads: heads, headDim: 128, threads: 1).gflops * 1e9 / sgemm))
    }
    let partialCost = Self.partialTileCost(block: blocks.last!, heads: heads)
    let tile = Self.causalTile(block: blocks.last!)
    let memory = KernelBenchmark.memoryBandwidth()
    let cores = Int(sysconf(Int32(_SC_NPROCESSORS_ONLN)))
    let ram = Double(Machine.physicalMemory)
    func f(_ v: Double, _ digits: Double = 1000) -> String { String((v * digits).rounded() / digits) }
    var xml = """
      <?xml version="1.0" encoding="UTF-8"?>
      <!-- Measured by `ringc calibrate` on this host: f32 peak = cblas_sgemm 1024³ on one core; attention
           efficiency = the attention block kernel (32 heads × 128) over that peak; partial-cost = what a
           tile the causal mask cuts costs over an unmasked one, from a causal and a full block at 2048;
           memory = 64 MiB copies into fresh buffers; every core busy while measuring;
           sharing efficiency = two ranks' attention kernels pinned to one core over one alone;
           the switch port, flow cap and latency = MPI ping-pong between two ranks (shared memory). Ranks
           are devices that share the host's \(cores) cores. -->
      <device-profile name="\(name)">
        <device name="CPU core (ringc runtime, f32)">
          <peak dtype="f32" value="\(f(sgemm / 1e9, 10))" unit="GFLOP/s" source="ringc calibrate: cblas_sgemm 1024³ on one core, every core busy"/>
          <peak dtype="bf16" value="\(f(sgemm / 1e9, 10))" unit="GFLOP/s" assumption="the runtime computes in f32: the f32 rate"/>
          <peak dtype="f16" value="\(f(sgemm / 1e9, 10))" unit="GFLOP/s" assumption="the runtime computes in f32: the f32 rate"/>
          <matmul-efficiency value="1" source="ringc calibrate: the peak is the measured sgemm rate"/>
          <attention-efficiency source="ringc calibrate: the attention block kernel (\(heads) heads × 128) over the sgemm rate">

      """
    for (b, e) in points { xml += "      <point block=\"\(b)\" efficiency=\"\(f(max(e, 0.001)))\"/>\n" }
    xml += """
          </attention-efficiency>
          <attention-tile queries="\(tile.query)" keys="\(tile.key)" partial-cost="\(f(partialCost))" source="the runtime's BlockAttention tile on a causal block of \(blocks.last!) rows; partial-cost from a causal and a full block at \(blocks.last!)"/>
          <memory bandwidth="\(f(memory / 1e9, 10))" bandwidth-unit="GB/s" capacity="\(f(ram / 1_073_741_824, 10))" capacity-unit="GiB" source="ringc calibrate: 64 MiB copies into fresh buffers; the host's physical memory"/>
          <launch-overhead value="2" unit="us" assumption="the runtime's cost per op is not measured; 2 us"/>
        </device>
        <nodes count="1" devices-per-node="256" assumption="ranks are devices of this host, up to 256"/>
        <compute-units sharing-efficiency="\(f(sharing))" count="\(cores)" source="ringc calibrate: the host's online cores; two ranks' kernels pinned to one core over one alone"/>
        <topology>
          <switch port-bandwidth="\(f(link.bandwidth / 1e9))" unit="GB/s" source="ringc calibrate: MPI ping-pong of 64 MiB between two ranks"/>
          <flow-cap bandwidth="\(f(link.bandwidth / 1e9))" unit="GB/s" source="ringc calibrate: MPI ping-pong of 64 MiB between two ranks"/>
          <latency value="\(f(link.latency * 1e6))" unit="us" source="ringc calibrate: MPI ping-pong of 8 bytes between two ranks"/>
        </topology>
      </device-profile>

      """
    return xml
  }
}
