import CLibXML2
import GraphIR

/// Reads a device profile: libxml2 parses it, validates it against
/// `device-profile.xsd` (errors come back as `FILE:LINE: error: …`), and the
/// checks XSD cannot express follow (a device list per PCIe switch that
/// covers every device once, a network for several nodes).
public enum ProfileLoader {
  public struct Failure: Error, CustomStringConvertible, Sendable {
    public var description: String
  }

  /// Collects libxml2's structured errors.
  private final class Errors {
    var lines: [String] = []
  }

  public static func load(path: String, schema: String) throws(Failure) -> DeviceProfile {
    xmlLineNumbersDefault(1)
    let errors = Errors()
    let context = Unmanaged.passUnretained(errors).toOpaque()
    let handler: xmlStructuredErrorFunc = { context, error in
      guard let context, let error else { return }
      let errors = Unmanaged<Errors>.fromOpaque(context).takeUnretainedValue()
      let file = error.pointee.file.map { String(cString: $0) } ?? "?"
      var message = error.pointee.message.map { String(cString: $0) } ?? "invalid"
      while message.hasSuffix("\n") { message.removeLast() }
      errors.lines.append("\(file):\(error.pointee.line): error: \(message)")
    }
    xmlSetStructuredErrorFunc(context, handler)
    defer { xmlSetStructuredErrorFunc(nil, nil) }

    guard let schemaContext = xmlSchemaNewParserCtxt(schema) else {
      throw Failure(description: "\(schema): error: cannot read the profile schema")
    }
    defer { xmlSchemaFreeParserCtxt(schemaContext) }
    xmlSchemaSetParserStructuredErrors(schemaContext, handler, context)
    guard let parsedSchema = xmlSchemaParse(schemaContext) else {
      throw Failure(description: errors.lines.joined(separator: "\n") + "\n\(schema): error: invalid profile schema")
    }
    defer { xmlSchemaFree(parsedSchema) }
    guard let document = xmlReadFile(path, nil, Int32(XML_PARSE_NONET.rawValue)) else {
      throw Failure(description: errors.lines.isEmpty ? "\(path): error: cannot read the profile" : errors.lines.joined(separator: "\n"))
    }
    defer { xmlFreeDoc(document) }
    guard let validation = xmlSchemaNewValidCtxt(parsedSchema) else {
      throw Failure(description: "\(path): error: cannot validate the profile")
    }
    defer { xmlSchemaFreeValidCtxt(validation) }
    xmlSchemaSetValidStructuredErrors(validation, handler, context)
    if xmlSchemaValidateDoc(validation, document) != 0 || !errors.lines.isEmpty {
      throw Failure(description: errors.lines.joined(separator: "\n"))
    }
    guard let root = xmlDocGetRootElement(document) else { throw Failure(description: "\(path): error: empty profile") }
    return try Reader(path: path).profile(root)
  }

  /// Walks a validated document; units become SI.
  private struct Reader {
    let path: String

    func fail(_ node: UnsafeMutablePointer<xmlNode>, _ message: String) -> Failure {
      Failure(description: "\(path):\(xmlGetLineNo(node)): error: \(message)")
    }

    func children(_ node: UnsafeMutablePointer<xmlNode>, _ name: String) -> [UnsafeMutablePointer<xmlNode>] {
      var out: [UnsafeMutablePointer<xmlNode>] = []
      var child = node.pointee.children
      while let c = child {
        if c.pointee.type == XML_ELEMENT_NODE, String(cString: c.pointee.name) == name { out.append(c) }
        child = c.pointee.next
      }
      return out
    }

    func child(_ node: UnsafeMutablePointer<xmlNode>, _ name: String) -> UnsafeMutablePointer<xmlNode>? {
      children(node, name).first
    }

    func text(_ node: UnsafeMutablePointer<xmlNode>, _ attribute: String) throws(Failure) -> String {
      guard let raw = xmlGetProp(node, attribute) else { throw fail(node, "missing attribute '\(attribute)'") }
      defer { cxml_free(raw) }
      return String(cString: raw)
    }

    func number(_ node: UnsafeMutablePointer<xmlNode>, _ attribute: String) throws(Failure) -> Double {
      let t = try text(node, attribute)
      guard let v = Double(t), v.isFinite, v > 0 else { throw fail(node, "'\(attribute)' must be a positive number, found '\(t)'") }
      return v
    }

    func bandwidth(_ node: UnsafeMutablePointer<xmlNode>, _ attribute: String, unit: String = "unit") throws(Failure) -> Double {
      let v = try number(node, attribute)
      switch try text(node, unit) {
      case "GB/s": return v * 1e9
      case "MB/s": return v * 1e6
      case "Gb/s": return v * 1e9 / 8
      case let u: throw fail(node, "unknown bandwidth unit '\(u)'")
      }
    }

    func seconds(_ node: UnsafeMutablePointer<xmlNode>, _ attribute: String, unit: String) throws(Failure) -> Double {
      let v = try number(node, attribute)
      switch try text(node, unit) {
      case "ns": return v * 1e-9
      case "us": return v * 1e-6
      case "ms": return v * 1e-3
      case let u: throw fail(node, "unknown time unit '\(u)'")
      }
    }

    func profile(_ root: UnsafeMutablePointer<xmlNode>) throws(Failure) -> DeviceProfile {
      guard let device = child(root, "device"), let nodes = child(root, "nodes"), let topology = child(root, "topology"),
        let memory = child(device, "memory"), let launch = child(device, "launch-overhead"),
        let matmul = child(device, "matmul-efficiency"), let attention = child(device, "attention-efficiency"),
        let latency = child(topology, "latency")
      else { throw fail(root, "the profile misses a required element") }
      var peak: [DType: Double] = [:]
      for p in children(device, "peak") {
        guard let dtype = DType(rawValue: try text(p, "dtype")) else { throw fail(p, "unknown dtype") }
        let scale = try text(p, "unit") == "TFLOP/s" ? 1e12 : 1e9
        peak[dtype] = try number(p, "value") * scale
      }
      var points: [(block: Double, efficiency: Double)] = []
      for p in children(attention, "point") {
        let e = try number(p, "efficiency")
        if e > 1 { throw fail(p, "efficiency must be at most 1, found \(e)") }
        points.append((try number(p, "block"), e))
      }
      points.sort { $0.block < $1.block }
      let capacityScale: Double =
        switch try text(memory, "capacity-unit") {
        case "GiB": 1_073_741_824
        case "MiB": 1_048_576
        default: 1e9
        }
      let count = Int(try number(nodes, "count"))
      let perNode = Int(try number(nodes, "devices-per-node"))
      let kind: DeviceProfile.Topology
      if let mesh = child(topology, "full-mesh") {
        kind = .fullMesh(link: try bandwidth(mesh, "link-bandwidth"))
      } else if let sw = child(topology, "switch") {
        kind = .switch(port: try bandwidth(sw, "port-bandwidth"))
      } else if let tree = child(topology, "pcie-tree") {
        var switches: [[Int]] = []
        for s in children(tree, "pcie-switch") {
          let devices = try text(s, "devices").split(separator: " ").compactMap { Int($0) }
          switches.append(devices)
        }
        let all = switches.flatMap { $0 }.sorted()
        if all != Array(0..<perNode) {
          throw fail(tree, "the PCIe switches must list every device 0…\(perNode - 1) of a node once, found \(all)")
        }
        kind = .pcieTree(port: try bandwidth(tree, "port-bandwidth"), uplink: try bandwidth(tree, "uplink-bandwidth"), switches: switches)
      } else if let ring = child(topology, "ring") {
        kind = .ring(link: try bandwidth(ring, "link-bandwidth"), bidirectional: try text(ring, "bidirectional") == "true")
      } else {
        throw fail(topology, "the topology needs full-mesh, switch, pcie-tree or ring")
      }
      var network: (Double, Double)?
      if let n = child(root, "network") {
        network = (try bandwidth(n, "bandwidth"), try seconds(n, "latency", unit: "latency-unit"))
      } else if count > 1 {
        throw fail(nodes, "\(count) nodes need a <network> element: the links between nodes are missing")
      }
      return DeviceProfile(
        name: try text(root, "name"), deviceName: try text(device, "name"), peak: peak,
        matmulEfficiency: try number(matmul, "value"), attentionEfficiency: points,
        attentionTile: try child(device, "attention-tile").map { node throws(Failure) in
          DeviceProfile.AttentionTile(
            queries: Int64(try number(node, "queries")), keys: Int64(try number(node, "keys")),
            partialCost: xmlHasProp(node, "partial-cost") != nil ? try number(node, "partial-cost") : 1)
        },
        memoryBandwidth: try bandwidth(memory, "bandwidth", unit: "bandwidth-unit"),
        memoryCapacity: try number(memory, "capacity") * capacityScale,
        launchOverhead: try seconds(launch, "value", unit: "unit"), nodes: count, devicesPerNode: perNode,
        computeUnits: try child(root, "compute-units").map { node throws(Failure) in Int(try number(node, "count")) },
        topology: kind, flowCap: try child(topology, "flow-cap").map { node throws(Failure) in try bandwidth(node, "bandwidth") },
        latency: try seconds(latency, "value", unit: "unit"), network: network,
        sharingEfficiency: try child(root, "compute-units").map { node throws(Failure) in
          xmlHasProp(node, "sharing-efficiency") != nil ? try number(node, "sharing-efficiency") : 1
        } ?? 1)
    }
  }
}
