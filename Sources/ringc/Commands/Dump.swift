import ArgumentParser
import GraphIR
import HostIO
import Passes
import PlanIR
import Timeline

struct Dump: ParsableCommand {
  static let configuration = CommandConfiguration(
    abstract: "Show a plan's per-rank programs as text, Graphviz DOT (ranks as clusters, messages as edges) or JSON.")

  enum Format: String, ExpressibleByArgument, CaseIterable {
    case text, dot, json
  }

  @Argument(help: "The plan file.")
  var plan: String

  @Option(parsing: .unconditional, help: "Only this rank.")
  var rank: Int?

  @Option(parsing: .unconditional, help: "Only the program that runs this layer (0-based).")
  var layer: Int?

  @Option(help: "text, dot or json.")
  var format: Format = .text

  func run() throws {
    let loaded: (module: Module, renderer: DiagnosticRenderer)
    do { loaded = try PlanLoader.load(plan) } catch { throw error.exitCode }
    let module = loaded.module
    let p = module.ranks ?? 1
    if let rank, rank < 0 || rank >= p {
      throw ValidationError("--rank \(rank) is outside the plan's ranks 0…\(p - 1)")
    }
    var families = Plan.families(module)
    if let layer {
      let stats = try PlanLoader.stats(loaded)
      guard let program = stats.programs.first(where: { $0.layers.contains(layer) }) else {
        throw ValidationError("--layer \(layer) is outside the plan's layers 0…\(stats.layerCount - 1)")
      }
      families = families.filter { $0.name == program.family }
    }
    let ranks = rank.map { [$0] } ?? Array(0..<p)
    switch format {
    case .text:
      for family in families {
        for r in ranks { Stdout.write(Printer().print(family.graphs[r]) + "\n") }
      }
    case .dot: Stdout.write(Self.dot(module, families, ranks))
    case .json: Stdout.write(Self.json(families, ranks))
    }
  }

  /// Ops become nodes inside one cluster per rank; each message is an edge
  /// from the sender's send.start to the receiver's recv.start.
  static func dot(_ module: Module, _ families: [(name: String, graphs: [Graph])], _ ranks: [Int]) -> String {
    var out = "digraph plan {\n  rankdir=TB;\n  node [shape=box, fontname=\"monospace\", fontsize=10];\n"
    let printer = Printer()
    for family in families {
      var sendNodes: [MessageKey: String] = [:]
      var recvNodes: [MessageKey: String] = [:]
      var bytes: [MessageKey: Int64] = [:]
      for r in ranks {
        let g = family.graphs[r]
        let types = Plan.valueTypes(of: g)
        out += "  subgraph \"cluster_\(family.name)_r\(r)\" {\n    label=\"@\(g.name) (rank \(r))\";\n"
        var previous: String?
        for (i, op) in g.ops.enumerated() {
          let node = "\"\(g.name)#\(i)\""
          let label = printer.print(op).replacingAll("\\", "\\\\").replacingAll("\"", "\\\"")
          out += "    \(node) [label=\"\(label)\"\(op.opcode.isCommunication ? ", style=filled, fillcolor=lightblue" : "")];\n"
          if let previous { out += "    \(previous) -> \(node) [style=dotted, arrowhead=none];\n" }
          previous = node
          if op.opcode == .sendStart, let key = MessageKey(op, rank: r) {
            sendNodes[key] = node
            bytes[key] = op.operands.reduce(0) { sum, o in
              if case .value(let v) = o, let t = types[v] { return sum + (module.bindings.byteCount(of: t) ?? 0) }
              return sum
            }
          }
          if op.opcode == .recvStart, let key = MessageKey(op, rank: r) {
            recvNodes[key] = node
          }
        }
        out += "  }\n"
      }
      for (key, from) in sendNodes.sorted(by: { $0.value < $1.value }) {
        guard let to = recvNodes[key] else { continue }
        out += "  \(from) -> \(to) [color=blue, label=\"\(key.chan) s\(key.step): \(formatBytes(bytes[key] ?? 0))\"];\n"
      }
    }
    return out + "}\n"
  }

  static func json(_ families: [(name: String, graphs: [Graph])], _ ranks: [Int]) -> String {
    let printer = Printer()
    let rankItems = ranks.map { r -> JSONValue in
      let graphs = families.map { family -> JSONValue in
        let g = family.graphs[r]
        let ops = g.ops.map { op -> JSONValue in
          [
            "op": JSONValue(op.opcode.rawValue),
            "results": .array(op.results.map { JSONValue("%" + $0) }),
            "operands": .array(op.operands.map { JSONValue($0.description) }),
            "attributes": .object(op.attributes.keys.sorted().map { ($0, JSONValue(op.attributes[$0]!.description)) }),
            "types": .array(op.resultTypes.map { JSONValue($0.description) }),
            "text": JSONValue(printer.print(op)),
          ]
        }
        return ["graph": JSONValue("@" + g.name), "ops": .array(ops)]
      }
      return ["rank": JSONValue(r), "graphs": .array(graphs)]
    }
    let report: JSONValue = ["ranks": .array(rankItems)]
    return report.serialized() + "\n"
  }
}

extension String {
  func replacingAll(_ old: String, _ new: String) -> String {
    split(separator: old, omittingEmptySubsequences: false).joined(separator: new)
  }
}
