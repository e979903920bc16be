/// The values a profile may hold, in SI units: physically sensible bounds,
/// so that a slip (a bandwidth of 1e-308, a latency of 1e308 ms, 2^64
/// devices) is an error naming the value instead of a simulation whose clock
/// cannot advance or an allocation nothing can hold. `profiles/README.md`
/// lists them.
enum ProfileLimits {
  /// A range and how an error states it.
  struct Bound: Sendable {
    var range: ClosedRange<Double>
    var text: String
  }

  /// Bytes/s: memory, links, ports, uplinks, NICs, flow caps.
  static let bandwidth = Bound(range: 1e6...1e14, text: "between 1 MB/s and 100 TB/s")
  /// Seconds: per-hop and network latency, kernel launch overhead.
  static let time = Bound(range: 0...1, text: "at most 1 s")
  /// FLOP/s per dtype.
  static let peak = Bound(range: 1e9...1e18, text: "between 1 GFLOP/s and 1 EFLOP/s")
  /// Exponentials per second of an attention kernel's device.
  static let exponentials = Bound(range: 1e9...1e18, text: "between 1 G/s and 1 E/s")
  /// Bytes of device memory.
  static let capacity = Bound(range: 1_048_576...1_125_899_906_842_624, text: "between 1 MiB and 1 PiB")
  /// Matmul, attention and sharing efficiencies.
  static let efficiency = Bound(range: 1e-3...1, text: "between 0.001 and 1")
  /// What a pair of a tile the mask cuts costs, relative to an unmasked one.
  static let partialCost = Bound(range: 1...100, text: "between 1 and 100")
  /// Tokens per side of an attention-efficiency point.
  static let block = Bound(range: 1...4_294_967_296, text: "between 1 and 4294967296 tokens")

  /// Devices of a profile (nodes, devices per node and their product) and
  /// compute units: as many as a plan may have ranks.
  static let devices = 1...(1 << 20)
  /// Queries or keys of an attention tile.
  static let tile = 1...(1 << 20)
}
