import GraphIR

/// A cluster as the simulator sees it, in SI units (FLOP/s, bytes/s, s).
/// Read from `profiles/*.xml` by `ProfileLoader`.
public struct DeviceProfile: Sendable {
  public enum Topology: Sendable {
    /// A dedicated link per ordered pair of devices.
    case fullMesh(link: Double)
    /// One port per device into a non-blocking crossbar.
    case `switch`(port: Double)
    /// Devices under PCIe switches (`switches[i]` lists their devices), a port
    /// per device, an uplink per switch to a common parent.
    case pcieTree(port: Double, uplink: Double, switches: [[Int]])
    /// Links between neighbours (r, r+1); flows take the shorter way.
    case ring(link: Double, bidirectional: Bool)
  }

  public var name: String
  public var deviceName: String
  /// Peak FLOP/s by dtype.
  public var peak: [DType: Double]
  public var matmulEfficiency: Double
  /// (block tokens, efficiency), sorted by block; used where no
  /// `attentionKernel` is given.
  public var attentionEfficiency: [(block: Double, efficiency: Double)]
  /// A published kernel's measured rates, when the profile has them.
  public var attentionKernel: AttentionKernel?
  /// The tile the attention kernel walks masked blocks in; nil: the cost
  /// of a masked block is its visible pairs' (no tile is computed in vain).
  public var attentionTile: AttentionTile?
  public var memoryBandwidth: Double
  public var memoryCapacity: Double
  public var launchOverhead: Double
  public var nodes: Int
  public var devicesPerNode: Int
  /// Devices share this many compute units (a CPU host's cores); nil: one each.
  public var computeUnits: Int?
  public var topology: Topology
  /// The most one flow moves per second, whatever the links allow; nil: no cap.
  public var flowCap: Double?
  /// Per hop.
  public var latency: Double
  /// Between nodes: per device NIC bandwidth (per direction) and latency.
  public var network: (bandwidth: Double, latency: Double)?
  /// What devices time-sharing one unit get done together, relative to one alone.
  public var sharingEfficiency: Double = 1
  /// The share of compute speed a device loses while it sends or receives.
  public var overlapSlowdown: Double = 0
  /// Every number as written, with its source (`ringc profiles --show`).
  public var entries: [ProfileEntry] = []

  /// All devices; `Int.max` for counts no loaded profile has (the loader
  /// keeps them within `ProfileLimits.devices`).
  public var devices: Int {
    let (product, overflow) = nodes.multipliedReportingOverflow(by: devicesPerNode)
    return overflow ? .max : product
  }

  /// Queries × keys per tile, and what a pair of a tile the mask cuts costs
  /// relative to one of an unmasked tile (≥ 1: computed, then masked).
  public struct AttentionTile: Sendable {
    public var queries: Int64
    public var keys: Int64
    public var partialCost: Double
  }

  /// Peak FLOP/s for `dtype`; a dtype the profile does not list gets the f16
  /// peak, else the lowest listed.
  public func peak(for dtype: DType) -> Double {
    peak[dtype] ?? peak[.f16] ?? peak.values.min() ?? 1
  }

  /// Attention efficiency at a block of `block` tokens: piecewise linear in
  /// log(block) between the points, flat outside them.
  public func attentionEfficiency(block: Double) -> Double {
    attentionEfficiency.logInterpolated(at: block) { ($0.block, $0.efficiency) } ?? 1
  }
}
