/// A small deterministic generator (SplitMix64), so failures reproduce.
public struct SplitMix64: RandomNumberGenerator {
  public var state: UInt64
  public init(state: UInt64) { self.state = state }
  public mutating func next() -> UInt64 {
    state &+= 0x9E37_79B9_7F4A_7C15
    var z = state
    z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
    z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
    return z ^ (z >> 31)
  }
}

/// A device profile with round numbers: `devices` on a full mesh, each at
/// `peak` (e.g. "1\" unit=\"TFLOP/s") with efficiency 1, links of `link`
/// (e.g. "1\" unit=\"GB/s"), 10 µs latency, memory too fast to matter.
/// `fullMeshProfile(peak: "1\" unit=\"GFLOP/s", link: "50\" unit=\"MB/s")`
/// makes TokenRing's steps communication-bound on the tiny models.
public func fullMeshProfile(name: String = "mesh", peak: String, link: String, latency: String = "10", devices: Int = 4) -> String {
  """
  <?xml version="1.0"?>
  <device-profile name="\(name)">
    <device name="test">
      <peak dtype="f32" value="\(peak)"/>
      <matmul-efficiency value="1"/>
      <attention-efficiency><point block="1" efficiency="1"/></attention-efficiency>
      <memory bandwidth="100000" bandwidth-unit="GB/s" capacity="1" capacity-unit="GiB"/>
      <launch-overhead value="1" unit="ns"/>
    </device>
    <nodes count="1" devices-per-node="\(devices)"/>
    <topology>
      <full-mesh link-bandwidth="\(link)"/>
      <latency value="\(latency)" unit="us"/>
    </topology>
  </device-profile>
  """
}
