import ArgumentParser
import GraphIR
import HostIO
import Passes
import PlanIR
import Timeline

struct Stats: ParsableCommand {
  static let configuration = CommandConfiguration(
    abstract: "Per layer, step and rank: attention FLOPs and bytes sent and received per peer.")

  @Argument(help: "The plan file.")
  var plan: String

  @Flag(help: "Print one JSON object instead of tables.")
  var json = false

  func run() throws {
    let loaded: (module: Module, renderer: DiagnosticRenderer)
    do { loaded = try PlanLoader.load(plan) } catch { throw error.exitCode }
    let stats = try PlanLoader.stats(loaded)
    let unmasked = Self.unmaskedBytes(loaded.module)
    Stdout.write(json ? StatsReport.json(stats, unmasked: unmasked) : StatsReport.text(stats, unmasked: unmasked))
  }

  /// What the plan's strategy sends, with its own layout, when its
  /// attentions keep their causal or full mask but no window or documents:
  /// plain passing, the figure needed-only sending is measured against. Nil
  /// for a plan without such a mask, or one ringc cannot recompile.
  static func unmaskedBytes(_ plan: Module) -> Int64? {
    guard let header = try? PlanHeader(plan), let strategy = header.strategy else { return nil }
    var source = Plan.sourceModule(plan)
    var masked = false
    for g in source.graphs.indices {
      for i in source.graphs[g].ops.indices where source.graphs[g].ops[i].opcode == .attention {
        for key in ["window", "documents"] where source.graphs[g].ops[i].attributes.removeValue(forKey: key) != nil { masked = true }
      }
    }
    guard masked, let compiled = try? Compiler.compile(source, sp: header.sp, strategy: strategy) else { return nil }
    return (try? PlanStats(compiled))?.allMessagesBytes
  }
}

/// Renders `PlanStats` as tables or JSON.
enum StatsReport {
  static func text(_ s: PlanStats, unmasked: Int64? = nil) -> String {
    var out = "plan: \(s.strategy), sp \(s.sp), \(s.layout) layout, sequence \(s.sequence), \(s.layerCount) layers\n"
    for p in s.programs where !p.layers.isEmpty {
      out += "\n@\(p.family): layers \(rangeText(p.layers)) (\(p.layers.count) × this program)\n"
      out += "  attention FLOPs per step and rank:\n"
      out += "    step " + (0..<s.sp).map { pad("r\($0)", 12) }.joined() + "\n"
      for step in p.stepFlops.keys.sorted() {
        out += "    " + pad("\(step)", 4) + " " + p.stepFlops[step]!.map { pad(formatFlops($0), 12) }.joined() + "\n"
      }
      out += "  bytes per step (sent by each rank):\n"
      let steps = Set(p.messages.map(\.step)).sorted()
      for step in steps {
        let sent = (0..<s.sp).map { r in p.messages.filter { $0.step == step && $0.src == r }.reduce(0) { $0 + $1.bytes } }
        out += "    " + pad("\(step)", 4) + " " + sent.map { pad(formatBytes($0), 10) }.joined() + "\n"
      }
      out += "  per rank, one layer:\n"
      for r in 0..<s.sp {
        let flops = p.stepFlops.values.reduce(0) { $0 + $1[r] }
        var line = "    r\(r): attention \(formatFlops(flops)), matmul \(formatFlops(p.matmulFlops[r])), "
        line += "sent \(formatBytes(s.bytesSent(p, rank: r))), received \(formatBytes(s.bytesReceived(p, rank: r))), "
        line += "peak attention memory \(formatBytes(p.peakBytes[r]))"
        let peers = Dictionary(grouping: p.messages.filter { $0.src == r }, by: \.dst)
          .map { ($0.key, $0.value.reduce(0) { $0 + $1.bytes }) }.sorted { $0.0 < $1.0 }
        if !peers.isEmpty { line += " (to " + peers.map { "r\($0.0): \(formatBytes($0.1))" }.joined(separator: ", ") + ")" }
        out += line + "\n"
      }
      // A mask that cuts the sequence unevenly (documents, a window) shows here.
      let work = (0..<s.sp).map { r in p.stepFlops.values.reduce(0) { $0 + $1[r] } }
      if s.sp > 1, let most = work.max(), let least = work.min() {
        let ratio = least > 0 ? " (\((Double(most) / Double(least) * 100).rounded() / 100)× the least)" : ""
        out += "  attention work per rank: most \(formatFlops(most)), least \(formatFlops(least))\(ratio)\n"
      }
      if let extra = p.replicatedKVBytes.max(), extra > 0 {
        out += "  kv heads replicated for the head all-to-all (more head-parallel ranks than kv heads): \(formatBytes(extra)) more sent by a rank per layer\n"
      }
    }
    let total = s.allMessagesBytes
    out += "\ntotal over \(s.layerCount) layers: \(formatBytes(total)) sent\n"
    if let unmasked {
      let saved = unmasked > 0 ? " (\(((1 - Double(total) / Double(unmasked)) * 1000).rounded() / 10)% less)" : ""
      out += "  without the window and documents (plain passing, \(s.strategy)'s own layout): \(formatBytes(unmasked))\(saved)\n"
    }
    if let (r, m) = s.memory.enumerated().max(by: { $0.element.total < $1.element.total }) {
      out += memoryText(m, rank: r)
    }
    return out
  }

  /// The device memory of the rank that holds the most.
  static func memoryText(_ m: DeviceMemory, rank r: Int) -> String {
    var out = "device memory of r\(r), the fullest rank (forward pass, declared dtypes):\n"
    out += "  weights      \(padLeft(formatBytes(m.weights), 12))  (every rank holds all: sequence parallelism splits tokens, not weights)\n"
    out += "  activations  \(padLeft(formatBytes(m.activations), 12))  (most live at once; the attention region alone: \(formatBytes(m.attention)))\n"
    out += "  total        \(padLeft(formatBytes(m.total), 12))\n"
    out += "  keeping the KV cache for decoding would add \(formatBytes(m.kvCache))\n"
    return out
  }

  static func json(_ s: PlanStats, unmasked: Int64? = nil) -> String {
    var layers: [(Int, JSONValue)] = []
    for p in s.programs {
      for layer in p.layers {
        let steps = p.stepFlops.keys.sorted().map { step -> JSONValue in
          let sent = (0..<s.sp).map { r in p.messages.filter { $0.step == step && $0.src == r }.reduce(0) { $0 + $1.bytes } }
          return [
            "step": JSONValue(step), "flops": .array(p.stepFlops[step]!.map { JSONValue($0) }),
            "bytes_sent": .array(sent.map { JSONValue($0) }),
          ]
        }
        let ranks = (0..<s.sp).map { r -> JSONValue in
          [
            "rank": JSONValue(r), "attention_flops": JSONValue(p.stepFlops.values.reduce(0) { $0 + $1[r] }),
            "matmul_flops": JSONValue(p.matmulFlops[r]), "bytes_sent": JSONValue(s.bytesSent(p, rank: r)),
            "bytes_received": JSONValue(s.bytesReceived(p, rank: r)), "peak_bytes": JSONValue(p.peakBytes[r]),
            "replicated_kv_bytes": JSONValue(p.replicatedKVBytes.isEmpty ? 0 : p.replicatedKVBytes[r]),
          ]
        }
        layers.append((layer, ["layer": JSONValue(layer), "program": JSONValue(p.family), "steps": .array(steps), "ranks": .array(ranks)]))
      }
    }
    let messages = s.allMessages.map { m -> JSONValue in
      [
        "layer": JSONValue(m.layer), "step": JSONValue(m.step), "src": JSONValue(m.src), "dst": JSONValue(m.dst),
        "kind": JSONValue(m.kind), "bytes": JSONValue(m.bytes),
      ]
    }
    let report: JSONValue = [
      "sp": JSONValue(s.sp), "strategy": JSONValue(s.strategy), "layout": JSONValue(s.layout), "sequence": JSONValue(s.sequence),
      "bytes_sent": JSONValue(s.allMessagesBytes), "unmasked_bytes_sent": unmasked.map { JSONValue($0) } ?? .null,
      "layers": .array(layers.sorted { $0.0 < $1.0 }.map(\.1)), "messages": .array(messages),
      "device_memory": .array(
        s.memory.enumerated().map { r, m in
          [
            "rank": JSONValue(r), "weights": JSONValue(m.weights), "activations": JSONValue(m.activations),
            "attention": JSONValue(m.attention), "total": JSONValue(m.total), "kv_cache": JSONValue(m.kvCache),
          ]
        }),
    ]
    return report.serialized() + "\n"
  }

  /// 1.2e12 -> "1.2 TFLOP".
  static func formatFlops(_ f: Int64) -> String {
    for (scale, unit) in [(1e15, "PFLOP"), (1e12, "TFLOP"), (1e9, "GFLOP"), (1e6, "MFLOP"), (1e3, "KFLOP")]
    where Double(f) >= scale {
      return "\((Double(f) / scale * 100).rounded() / 100) \(unit)"
    }
    return "\(f) FLOP"
  }

  /// Right-aligned, with a space after values too wide, so columns never touch.
  static func pad(_ s: String, _ width: Int) -> String {
    s.count >= width ? s + " " : padLeft(s, width)
  }

  static func rangeText(_ layers: [Int]) -> String {
    guard let first = layers.first, let last = layers.last else { return "none" }
    return first == last ? "\(first)" : "\(first)–\(last)"
  }
}

extension PlanStats {
  var allMessagesBytes: Int64 {
    programs.reduce(0) { sum, p in sum + Int64(p.layers.count) * p.messages.reduce(0) { $0 + $1.bytes } }
  }
}
