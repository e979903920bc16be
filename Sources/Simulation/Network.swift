/// The links of a profile as directed resources with capacities (bytes/s),
/// and the route and latency of a flow from one device to another.
struct Network {
  private(set) var capacities: [Double] = []
  /// Each resource's name (`n0 out 3`), for errors.
  private(set) var names: [String] = []
  private var ids: [String: Int] = [:]
  let profile: DeviceProfile

  /// Per device of a node, the PCIe switch it is under.
  private let switchOf: [Int]

  init(_ profile: DeviceProfile) {
    self.profile = profile
    var switchOf: [Int] = []
    if case .pcieTree(_, _, let switches) = profile.topology {
      switchOf = [Int](repeating: 0, count: profile.devicesPerNode)
      for (s, devices) in switches.enumerated() { for d in devices where switchOf.indices.contains(d) { switchOf[d] = s } }
    }
    self.switchOf = switchOf
  }

  private mutating func resource(_ name: String, _ capacity: Double) -> Int {
    if let id = ids[name] { return id }
    capacities.append(capacity)
    names.append(name)
    ids[name] = capacities.count - 1
    return capacities.count - 1
  }

  /// The resources a flow from `src` to `dst` uses, and its latency.
  mutating func route(_ src: Int, _ dst: Int) -> (resources: [Int], latency: Double) {
    let perNode = profile.devicesPerNode
    let (srcNode, dstNode) = (src / perNode, dst / perNode)
    if srcNode != dstNode, let net = profile.network {
      // Across nodes: out through the sender's NIC, in through the receiver's.
      return ([resource("nic-out \(src)", net.bandwidth), resource("nic-in \(dst)", net.bandwidth)], net.latency)
    }
    let (a, b) = (src % perNode, dst % perNode)
    let node = "n\(srcNode)"
    switch profile.topology {
    case .fullMesh(let link):
      return ([resource("\(node) link \(a)->\(b)", link)], profile.latency)
    case .switch(let port):
      return ([resource("\(node) out \(a)", port), resource("\(node) in \(b)", port)], profile.latency)
    case .pcieTree(let port, let uplink, _):
      let (sa, sb) = (switchOf[a], switchOf[b])
      var path = [resource("\(node) out \(a)", port), resource("\(node) in \(b)", port)]
      if sa != sb {
        // PXB: up through the sender's switch, down through the receiver's.
        path += [resource("\(node) up \(sa)", uplink), resource("\(node) down \(sb)", uplink)]
        return (path, 2 * profile.latency)
      }
      return (path, profile.latency)
    case .ring(let link, let bidirectional):
      let n = perNode
      let forward = ((b - a) % n + n) % n
      let backward = n - forward
      let goForward = !bidirectional || forward <= backward
      let hops = goForward ? forward : backward
      var path: [Int] = []
      var at = a
      for _ in 0..<hops {
        let next = goForward ? (at + 1) % n : (at - 1 + n) % n
        path.append(resource("\(node) link \(at)->\(next)", link))
        at = next
      }
      return (path, Double(hops) * profile.latency)
    }
  }
}
