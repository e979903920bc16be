import CLibXML2
import GraphIR

/// Reads a device profile: the file is read with a bound (`ProfileFile`),
/// libxml2 parses it and validates it against `device-profile.xsd`, and the
/// checks XSD cannot express follow: every value within `ProfileLimits` once
/// in SI units, a device list per PCIe switch that covers every device once,
/// a network for several nodes. Every error names the file, line and column.
public enum ProfileLoader {
  /// One error libxml2 reported, located once the document is read.
  private struct Report {
    var file: String
    var line: Int
    var column: Int
    var node: UnsafeMutablePointer<xmlNode>?
    var message: String
  }

  private final class Reports {
    var list: [Report] = []
  }

  public static func load(path: String, schema: String) throws(Failure) -> DeviceProfile {
    let source = try ProfileSource(file: path, bytes: try ProfileFile.read(path))
    try ProfileFile.check(schema)
    guard !source.bytes.isEmpty else { throw Failure("the profile is empty", at: source.location(0)) }
    xmlLineNumbersDefault(1)
    let reports = Reports()
    let context = Unmanaged.passUnretained(reports).toOpaque()
    let handler: xmlStructuredErrorFunc = { context, error in
      guard let context, let error else { return }
      var message = error.pointee.message.map { String(cString: $0) } ?? "invalid"
      while message.hasSuffix("\n") { message.removeLast() }
      Unmanaged<Reports>.fromOpaque(context).takeUnretainedValue().list.append(
        Report(
          file: error.pointee.file.map { String(cString: $0) } ?? "", line: Int(error.pointee.line),
          column: Int(error.pointee.int2), node: error.pointee.node?.assumingMemoryBound(to: xmlNode.self),
          message: message))
    }
    xmlSetStructuredErrorFunc(context, handler)
    defer { xmlSetStructuredErrorFunc(nil, nil) }

    guard let schemaContext = xmlSchemaNewParserCtxt(schema) else {
      throw Failure("cannot read the profile schema", at: SourceLocation(file: schema, line: 1, column: 1, offset: 0))
    }
    defer { xmlSchemaFreeParserCtxt(schemaContext) }
    xmlSchemaSetParserStructuredErrors(schemaContext, handler, context)
    guard let parsedSchema = xmlSchemaParse(schemaContext) else {
      let reader = Reader(source: source, root: nil)
      throw Failure(
        reports.list.map(reader.diagnostic) + [.error("invalid profile schema", at: SourceLocation(file: schema, line: 1, column: 1, offset: 0))])
    }
    defer { xmlSchemaFree(parsedSchema) }
    let options = Int32(XML_PARSE_NONET.rawValue | XML_PARSE_BIG_LINES.rawValue)
    let parsed = source.bytes.withUnsafeBytes { raw in
      xmlReadMemory(raw.baseAddress!.assumingMemoryBound(to: CChar.self), Int32(raw.count), path, nil, options)
    }
    guard let document = parsed else {
      let reader = Reader(source: source, root: nil)
      throw Failure(reports.list.isEmpty ? [.error("cannot parse the profile", at: source.location(0))] : reports.list.map(reader.diagnostic))
    }
    defer { xmlFreeDoc(document) }
    let reader = Reader(source: source, root: xmlDocGetRootElement(document))
    guard let validation = xmlSchemaNewValidCtxt(parsedSchema) else {
      throw Failure("cannot validate the profile", at: source.location(0))
    }
    defer { xmlSchemaFreeValidCtxt(validation) }
    xmlSchemaSetValidStructuredErrors(validation, handler, context)
    if xmlSchemaValidateDoc(validation, document) != 0 || !reports.list.isEmpty {
      throw Failure(reports.list.map(reader.diagnostic))
    }
    guard let root = xmlDocGetRootElement(document) else { throw Failure("the profile is empty", at: source.location(0)) }
    return try reader.profile(root)
  }

  private static let bandwidthUnits: [String: Double] = ["GB/s": 1e9, "MB/s": 1e6, "Gb/s": 1e9 / 8]
  private static let timeUnits: [String: Double] = ["ns": 1e-9, "us": 1e-6, "ms": 1e-3]
  private static let rateUnits: [String: Double] = ["TFLOP/s": 1e12, "GFLOP/s": 1e9]
  private static let exponentialUnits: [String: Double] = ["T/s": 1e12, "G/s": 1e9]
  private static let sizeUnits: [String: Double] = ["GiB": 1_073_741_824, "MiB": 1_048_576, "GB": 1e9]

  /// Walks a validated document; units become SI.
  private struct Reader {
    typealias Node = UnsafeMutablePointer<xmlNode>
    let source: ProfileSource
    /// Each element's place in document order: its start tag in `source`.
    let indices: [Node: Int]

    init(source: ProfileSource, root: Node?) {
      self.source = source
      var indices: [Node: Int] = [:]
      var pending = root.map { [$0] } ?? []
      while let node = pending.popLast() {
        indices[node] = indices.count
        var children: [Node] = []
        var child = node.pointee.children
        while let c = child {
          if c.pointee.type == XML_ELEMENT_NODE { children.append(c) }
          child = c.pointee.next
        }
        pending += children.reversed()
      }
      self.indices = indices
    }

    /// Where `node` starts, or where its `attribute`'s value does.
    func location(_ node: Node, _ attribute: String?) -> SourceLocation {
      if let i = indices[node], i < source.tags.count, source.tags[i].name == String(cString: node.pointee.name) {
        let tag = source.tags[i]
        return source.location(attribute.flatMap { tag.values[$0] } ?? tag.offset)
      }
      return SourceLocation(file: source.file, line: Int(xmlGetLineNo(node)), column: 1, offset: 0)
    }

    /// A libxml2 error, at the attribute or element it is about when it names one.
    func diagnostic(_ report: Report) -> Diagnostic {
      let file = report.file.isEmpty ? source.file : report.file
      if file == source.file, let node = report.node {
        if node.pointee.type == XML_ATTRIBUTE_NODE, let element = node.pointee.parent {
          return .error(report.message, at: location(element, String(cString: node.pointee.name)))
        }
        if node.pointee.type == XML_ELEMENT_NODE {
          return .error(report.message, at: location(node, Self.attributeNamed(in: report.message)))
        }
      }
      return .error(report.message, at: SourceLocation(file: file, line: report.line, column: max(1, report.column), offset: 0))
    }

    /// `b` of a message `Element 'a', attribute 'b': …`.
    static func attributeNamed(in message: String) -> String? {
      guard let start = message.firstRange(of: "attribute '")?.upperBound,
        let end = message[start...].firstIndex(of: "'")
      else { return nil }
      return String(message[start..<end])
    }

    func fail(_ node: Node, _ attribute: String?, _ message: String) -> Failure {
      Failure(message, at: location(node, attribute))
    }

    func children(_ node: Node, _ name: String) -> [Node] {
      var out: [Node] = []
      var child = node.pointee.children
      while let c = child {
        if c.pointee.type == XML_ELEMENT_NODE, String(cString: c.pointee.name) == name { out.append(c) }
        child = c.pointee.next
      }
      return out
    }

    func child(_ node: Node, _ name: String) -> Node? {
      children(node, name).first
    }

    func text(_ node: Node, _ attribute: String) throws(Failure) -> String {
      guard let t = optionalText(node, attribute) else { throw fail(node, nil, "missing attribute '\(attribute)'") }
      return t
    }

    /// `attribute` of `node` as a whole number within `range`.
    func integer(_ node: Node, _ attribute: String, within range: ClosedRange<Int>) throws(Failure) -> Int {
      let t = try text(node, attribute)
      guard let v = Int(t.trimmed), range.contains(v) else {
        throw fail(node, attribute, "'\(attribute)' of <\(name(node))> must be between \(range.lowerBound) and \(range.upperBound), found \(t)")
      }
      return v
    }

    /// `attribute` of `node` in SI units: scaled by its unit (named by
    /// `unit`, nil: dimensionless), within `bound`.
    func value(
      _ node: Node, _ attribute: String, unit: String? = nil, _ units: [String: Double] = [:], within bound: ProfileLimits.Bound
    ) throws(Failure) -> Double {
      let t = try text(node, attribute)
      var scale = 1.0
      var written = t
      if let unit {
        let u = try text(node, unit)
        guard let s = units[u] else { throw fail(node, unit, "unknown unit '\(u)' for '\(attribute)'") }
        scale = s
        written += " " + u
      }
      guard let v = Double(t.trimmed), bound.range.contains(v * scale) else {
        throw fail(node, attribute, "'\(attribute)' of <\(name(node))> must be \(bound.text), found \(written)")
      }
      return v * scale
    }

    func bandwidth(_ node: Node, _ attribute: String, unit: String = "unit") throws(Failure) -> Double {
      try value(node, attribute, unit: unit, bandwidthUnits, within: ProfileLimits.bandwidth)
    }

    func seconds(_ node: Node, _ attribute: String, unit: String) throws(Failure) -> Double {
      try value(node, attribute, unit: unit, timeUnits, within: ProfileLimits.time)
    }

    func name(_ node: Node) -> String { String(cString: node.pointee.name) }

    /// `attribute` of `node` if present.
    func optionalText(_ node: Node, _ attribute: String) -> String? {
      guard let raw = xmlGetProp(node, attribute) else { return nil }
      defer { cxml_free(raw) }
      return String(cString: raw)
    }

    /// Where `node`'s numbers come from.
    func origin(_ node: Node) -> ProfileEntry.Origin {
      if let s = optionalText(node, "source") { return .source(s) }
      if let a = optionalText(node, "assumption") { return .assumption(a) }
      return .unstated
    }

    /// `attribute` as written, with the unit attribute `unit` names.
    func written(_ node: Node, _ attribute: String, unit: String? = nil) -> String {
      [optionalText(node, attribute), unit.flatMap { optionalText(node, $0) }].compactMap { $0 }.joined(separator: " ")
    }

    /// The kernel's curves: `seq` and `rate` lists of one length, each seq
    /// a block size the cost model takes, at most one curve per head_dim and mask.
    func kernel(_ node: Node, entries: inout [ProfileEntry]) throws(Failure) -> AttentionKernel {
      let name = try text(node, "name")
      guard let dtype = DType(rawValue: try text(node, "dtype")) else { throw fail(node, "dtype", "unknown dtype") }
      var curves: [AttentionKernel.Curve] = []
      for c in children(node, "curve") {
        let headDim = Int64(try integer(c, "head-dim", within: ProfileLimits.tile))
        guard let mask = AttentionKernel.MaskKind(rawValue: try text(c, "mask")) else { throw fail(c, "mask", "mask must be full or causal") }
        let unit = try text(c, "unit")
        guard let scale = rateUnits[unit] else { throw fail(c, "unit", "unknown unit for 'rate'") }
        let seqs = try text(c, "seq").split(whereSeparator: \.isWhitespace).map { t throws(Failure) -> Double in
          guard let v = Double(t), ProfileLimits.block.range.contains(v), v == v.rounded() else {
            throw fail(c, "seq", "every 'seq' of <curve> must be a whole number \(ProfileLimits.block.text), found \(t)")
          }
          return v
        }
        let rates = try text(c, "rate").split(whereSeparator: \.isWhitespace).map { t throws(Failure) -> Double in
          guard let v = Double(t), ProfileLimits.peak.range.contains(v * scale) else {
            throw fail(c, "rate", "every 'rate' of <curve> must be \(ProfileLimits.peak.text), found \(t)")
          }
          return v * scale
        }
        guard seqs.count == rates.count, !seqs.isEmpty else {
          throw fail(c, "rate", "<curve> lists \(seqs.count) seq values but \(rates.count) rates; give one rate per seq")
        }
        guard Set(seqs).count == seqs.count else { throw fail(c, "seq", "<curve> lists a seq twice") }
        guard !curves.contains(where: { $0.headDim == headDim && $0.mask == mask }) else {
          throw fail(c, "head-dim", "a second \(mask.rawValue) curve for head_dim \(headDim)")
        }
        curves.append(AttentionKernel.Curve(headDim: headDim, mask: mask, points: Array(zip(seqs, rates))))
        entries.append(
          ProfileEntry(
            key: "attention \(name) head_dim \(headDim) \(mask.rawValue)",
            value: zip(seqs, rates).map { "\(Int($0)):\(Self.number($1 / scale))" }.joined(separator: " ") + " (seq:\(unit))",
            origin: origin(c) == .unstated ? origin(node) : origin(c), location: location(c, nil)))
      }
      var parallelism: AttentionKernel.Parallelism?
      if let p = child(node, "parallelism") {
        parallelism = AttentionKernel.Parallelism(
          tileRows: Int64(try integer(p, "tile-rows", within: ProfileLimits.tile)),
          slots: Int64(try integer(p, "slots", within: ProfileLimits.devices)))
        entries.append(
          ProfileEntry(
            key: "attention \(name) grid", value: "a CTA per head and \(written(p, "tile-rows")) rows, \(written(p, "slots")) at once",
            origin: origin(p), location: location(p, nil)))
      }
      var exponentialRate: Double?
      if let e = child(node, "exponentials") {
        let rate = try value(e, "rate", unit: "unit", exponentialUnits, within: ProfileLimits.exponentials)
        // A score costs 4·head_dim FLOPs and one exponential: no curve may beat that.
        for c in curves {
          for p in c.points where AttentionKernel.flopsPerScore(headDim: c.headDim) / p.rate <= 1 / rate {
            throw fail(
              e, "rate",
              "an exponential rate of \(written(e, "rate", unit: "unit")) is too low for the head_dim \(c.headDim) \(c.mask.rawValue) curve's \(Self.number(p.rate / 1e12)) TFLOP/s at seq \(Int(p.seq)): each score takes one exponential")
          }
        }
        exponentialRate = rate
        entries.append(
          ProfileEntry(
            key: "attention \(name) exponentials", value: written(e, "rate", unit: "unit"), origin: origin(e), location: location(e, "rate")))
      }
      return AttentionKernel(name: name, dtype: dtype, curves: curves, parallelism: parallelism, exponentialRate: exponentialRate)
    }

    static func number(_ x: Double) -> String {
      x == x.rounded() && abs(x) < 1e15 ? String(Int64(x)) : String(x)
    }

    func profile(_ root: Node) throws(Failure) -> DeviceProfile {
      guard let device = child(root, "device"), let nodes = child(root, "nodes"), let topology = child(root, "topology"),
        let memory = child(device, "memory"), let launch = child(device, "launch-overhead"),
        let matmul = child(device, "matmul-efficiency"), let latency = child(topology, "latency")
      else { throw fail(root, nil, "the profile misses a required element") }
      var entries: [ProfileEntry] = []
      func note(_ key: String, _ node: Node, _ attribute: String, unit: String? = nil) {
        entries.append(ProfileEntry(key: key, value: written(node, attribute, unit: unit), origin: origin(node), location: location(node, attribute)))
      }
      var peak: [DType: Double] = [:]
      for p in children(device, "peak") {
        guard let dtype = DType(rawValue: try text(p, "dtype")) else { throw fail(p, "dtype", "unknown dtype") }
        peak[dtype] = try value(p, "value", unit: "unit", rateUnits, within: ProfileLimits.peak)
        note("peak \(dtype.rawValue)", p, "value", unit: "unit")
      }
      let matmulEfficiency = try value(matmul, "value", within: ProfileLimits.efficiency)
      note("matmul efficiency", matmul, "value")
      var points: [(block: Double, efficiency: Double)] = []
      if let attention = child(device, "attention-efficiency") {
        for p in children(attention, "point") {
          points.append((try value(p, "block", within: ProfileLimits.block), try value(p, "efficiency", within: ProfileLimits.efficiency)))
        }
        points.sort { $0.block < $1.block }
        entries.append(
          ProfileEntry(
            key: "attention efficiency", value: points.map { "\(Int($0.block)):\($0.efficiency)" }.joined(separator: " ") + " (block:efficiency)",
            origin: origin(attention), location: location(attention, nil)))
      }
      var kernel: AttentionKernel?
      if let node = child(device, "attention-kernel") {
        let k = try self.kernel(node, entries: &entries)
        // Its curves are rates of that dtype: the peak scales them to others.
        guard peak[k.dtype] != nil else {
          throw fail(node, "dtype", "the attention kernel's curves are \(k.dtype.rawValue) rates, but the device lists no \(k.dtype.rawValue) peak")
        }
        kernel = k
      }
      var tile: DeviceProfile.AttentionTile?
      if let node = child(device, "attention-tile") {
        guard kernel == nil else {
          throw fail(node, nil, "<attention-tile> costs the tiles of an attention-efficiency curve; an attention-kernel's causal curve already holds what its cut tiles cost")
        }
        tile = DeviceProfile.AttentionTile(
          queries: Int64(try integer(node, "queries", within: ProfileLimits.tile)),
          keys: Int64(try integer(node, "keys", within: ProfileLimits.tile)),
          partialCost: xmlHasProp(node, "partial-cost") != nil ? try value(node, "partial-cost", within: ProfileLimits.partialCost) : 1)
        entries.append(
          ProfileEntry(
            key: "attention tile", value: "\(written(node, "queries")) × \(written(node, "keys")), partial cost \(optionalText(node, "partial-cost") ?? "1")",
            origin: origin(node), location: location(node, nil)))
      }
      note("memory bandwidth", memory, "bandwidth", unit: "bandwidth-unit")
      note("memory capacity", memory, "capacity", unit: "capacity-unit")
      note("launch overhead", launch, "value", unit: "unit")
      var slowdown = 0.0
      if let node = child(device, "overlap-slowdown") {
        let t = try text(node, "value")
        guard let v = Double(t.trimmed), v >= 0, v < 1 else {
          throw fail(node, "value", "'value' of <overlap-slowdown> must be at least 0 and below 1, found \(t)")
        }
        slowdown = v
        note("compute slowdown while communicating", node, "value")
      }
      note("nodes", nodes, "count")
      note("devices per node", nodes, "devices-per-node")
      let count = try integer(nodes, "count", within: ProfileLimits.devices)
      let perNode = try integer(nodes, "devices-per-node", within: ProfileLimits.devices)
      let (devices, overflow) = count.multipliedReportingOverflow(by: perNode)
      guard !overflow, ProfileLimits.devices.contains(devices) else {
        throw fail(
          nodes, "count",
          "\(count) nodes × \(perNode) devices per node is more than the \(ProfileLimits.devices.upperBound) devices a profile may have")
      }
      let kind: DeviceProfile.Topology
      if let mesh = child(topology, "full-mesh") {
        kind = .fullMesh(link: try bandwidth(mesh, "link-bandwidth"))
        note("full-mesh link bandwidth", mesh, "link-bandwidth", unit: "unit")
      } else if let sw = child(topology, "switch") {
        kind = .switch(port: try bandwidth(sw, "port-bandwidth"))
        note("switch port bandwidth", sw, "port-bandwidth", unit: "unit")
      } else if let tree = child(topology, "pcie-tree") {
        kind = .pcieTree(
          port: try bandwidth(tree, "port-bandwidth"), uplink: try bandwidth(tree, "uplink-bandwidth"),
          switches: try switches(tree, devices: perNode))
        note("PCIe port bandwidth", tree, "port-bandwidth", unit: "unit")
        note("PCIe uplink bandwidth", tree, "uplink-bandwidth", unit: "unit")
      } else if let ring = child(topology, "ring") {
        kind = .ring(link: try bandwidth(ring, "link-bandwidth"), bidirectional: try text(ring, "bidirectional") == "true")
        note("ring link bandwidth", ring, "link-bandwidth", unit: "unit")
      } else {
        throw fail(topology, nil, "the topology needs full-mesh, switch, pcie-tree or ring")
      }
      var network: (Double, Double)?
      if let n = child(root, "network") {
        network = (try bandwidth(n, "bandwidth"), try seconds(n, "latency", unit: "latency-unit"))
        note("network bandwidth per device", n, "bandwidth", unit: "unit")
        note("network latency", n, "latency", unit: "latency-unit")
      } else if count > 1 {
        throw fail(nodes, "count", "\(count) nodes need a <network> element: the links between nodes are missing")
      }
      let units = child(root, "compute-units")
      var flowCap: Double?
      if let node = child(topology, "flow-cap") {
        flowCap = try bandwidth(node, "bandwidth")
        note("flow cap", node, "bandwidth", unit: "unit")
      }
      note("latency per hop", latency, "value", unit: "unit")
      if let units {
        note("compute units", units, "count")
        if xmlHasProp(units, "sharing-efficiency") != nil { note("sharing efficiency of a compute unit", units, "sharing-efficiency") }
      }
      return DeviceProfile(
        name: try text(root, "name"), deviceName: try text(device, "name"), peak: peak,
        matmulEfficiency: matmulEfficiency, attentionEfficiency: points, attentionKernel: kernel,
        attentionTile: tile,
        memoryBandwidth: try bandwidth(memory, "bandwidth", unit: "bandwidth-unit"),
        memoryCapacity: try value(memory, "capacity", unit: "capacity-unit", sizeUnits, within: ProfileLimits.capacity),
        launchOverhead: try seconds(launch, "value", unit: "unit"), nodes: count, devicesPerNode: perNode,
        computeUnits: try units.map { node throws(Failure) in try integer(node, "count", within: ProfileLimits.devices) },
        topology: kind, flowCap: flowCap,
        latency: try seconds(latency, "value", unit: "unit"), network: network,
        sharingEfficiency: try units.map { node throws(Failure) in
          xmlHasProp(node, "sharing-efficiency") != nil ? try value(node, "sharing-efficiency", within: ProfileLimits.efficiency) : 1
        } ?? 1,
        overlapSlowdown: slowdown, entries: entries)
    }

    /// The devices under each PCIe switch of `tree`: each of a node's
    /// `devices` under exactly one.
    func switches(_ tree: Node, devices: Int) throws(Failure) -> [[Int]] {
      // The switch each device is under (-1: none yet); `devices` is bounded by `ProfileLimits.devices`.
      var owner = [Int](repeating: -1, count: devices)
      var out: [[Int]] = []
      for (s, node) in children(tree, "pcie-switch").enumerated() {
        var listed: [Int] = []
        for token in try text(node, "devices").split(whereSeparator: \.isWhitespace) {
          guard let d = Int(token), d >= 0, d < devices else {
            throw fail(node, "devices", "PCIe switch \(s) lists device \(token), but a node has devices 0…\(devices - 1)")
          }
          if owner[d] >= 0 { throw fail(node, "devices", "device \(d) is under PCIe switch \(owner[d]) already") }
          owner[d] = s
          listed.append(d)
        }
        out.append(listed)
      }
      if let missing = owner.firstIndex(of: -1) {
        throw fail(tree, nil, "the PCIe switches must list every device 0…\(devices - 1) of a node once; device \(missing) is under none")
      }
      return out
    }
  }
}

extension String {
  /// Without leading and trailing whitespace, as XSD reads numbers.
  fileprivate var trimmed: Substring {
    let start = firstIndex { !$0.isWhitespace } ?? endIndex
    let end = lastIndex { !$0.isWhitespace }.map(index(after:)) ?? start
    return self[start..<end]
  }
}
