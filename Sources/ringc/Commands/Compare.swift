import ArgumentParser
import GraphIR
import Passes
import HostIO
import Simulation
import Timeline

struct Compare: ParsableCommand {
  static let configuration = CommandConfiguration(
    abstract: "Compile and simulate every strategy that can serve a model; say which wins on a profile and why.")

  @Argument(help: "The model file (.ir).")
  var model: String

  @Option(parsing: .unconditional, help: "Ranks in the sequence-parallel group.")
  var sp: Int

  @Option(help: "A profile name (see 'ringc profiles') or an XML file.")
  var profile: String

  @OptionGroup var sequence: SequenceOption

  @Flag(help: "Print one JSON object.")
  var json = false

  func validate() throws {
    if sp < 1 { throw ValidationError("--sp must be at least 1, found \(sp)") }
  }

  func run() throws {
    let module: Module
    do { module = try sequence.loader.load(model) } catch { throw error.exitCode }
    let device = try loadProfile(profile)
    guard sp <= device.devices else {
      throw ValidationError("--sp \(sp) is more ranks than profile \(device.name) has devices (\(device.devices))")
    }
    let comparison = StrategyComparison(model: module, sp: sp, profile: device)
    Stdout.write(json ? Self.json(comparison, device) : Self.text(comparison, device, model: model, seq: module.sequenceDim?.value))
  }

  static func text(_ c: StrategyComparison, _ p: DeviceProfile, model: String, seq: Int64?) -> String {
    var out = "\(model) at \(seq.map { "S = \($0)" } ?? "its length") on \(p.name), \(c.sp) ranks\n"
    let hybrid = c.rows.contains { $0.linearSeconds != nil && $0.softmaxSeconds != nil }
    let width = max(20, c.rows.map(\.name.count).max() ?? 0)
    out += "  \(padRight("strategy", width)) ms/layer   ms/forward  sent/rank/layer  device memory   exposed ms   comm-bound steps"
    out += hybrid ? "  linear ms  softmax ms\n" : "\n"
    for r in c.rows.sorted(by: { ($0.refusal == nil ? 0 : 1, $0.layerSeconds) < ($1.refusal == nil ? 0 : 1, $1.layerSeconds) }) {
      let name = padRight(r.name, width)
      if let refusal = r.refusal {
        out += "  \(name)  cannot serve: \(refusal)\n"
        continue
      }
      out += "  \(name) \(padLeft(milliseconds(r.layerSeconds), 9)) \(padLeft(milliseconds(r.totalSeconds), 12)) \(padLeft(formatBytes(r.bytesPerRank), 17))"
      out += " \(padLeft(formatBytes(r.memory?.total ?? 0), 14)) \(padLeft(milliseconds(r.exposedSeconds), 12)) \(padLeft("\(r.communicationBoundSteps)/\(r.steps)", 18))"
      if hybrid {
        out += " \(padLeft(r.linearSeconds.map(milliseconds) ?? "-", 10)) \(padLeft(r.softmaxSeconds.map(milliseconds) ?? "-", 11))"
      }
      out += r.fits ? "\n" : "  (does not fit in \(formatBytes(Int64(p.memoryCapacity))))\n"
    }
    if let m = c.winner?.memory ?? c.rows.compactMap(\.memory).min(by: { $0.total < $1.total }) {
      out += "device memory = weights (every rank holds all, here \(formatBytes(m.weights))) + activations (most live at once); the KV cache for decoding would add \(formatBytes(m.kvCache))\n"
    }
    if let w = c.winner { out += "winner: \(w.name) — \(c.reason)\n" } else { out += "\(c.reason)\n" }
    return out
  }

  static func json(_ c: StrategyComparison, _ p: DeviceProfile) -> String {
    let rows = c.rows.map { r -> JSONValue in
      let layout = r.layout.map { JSONValue($0.rawValue) } ?? .null
      if let refusal = r.refusal {
        return ["strategy": JSONValue(r.strategy.description), "layout": layout, "refusal": JSONValue(refusal)]
      }
      return [
        "strategy": JSONValue(r.strategy.description), "layout": layout, "layer_ms": JSONValue(r.layerSeconds * 1e3),
        "total_ms": JSONValue(r.totalSeconds * 1e3), "bytes_per_rank": JSONValue(r.bytesPerRank),
        "peak_bytes": JSONValue(r.peakBytes), "device_bytes": JSONValue(r.memory?.total ?? 0),
        "weight_bytes": JSONValue(r.memory?.weights ?? 0), "activation_bytes": JSONValue(r.memory?.activations ?? 0),
        "kv_cache_bytes": JSONValue(r.memory?.kvCache ?? 0), "exposed_ms": JSONValue(r.exposedSeconds * 1e3),
        "communication_bound_steps": JSONValue(r.communicationBoundSteps), "steps": JSONValue(r.steps),
        "fits": JSONValue(r.fits),
        "linear_layer_ms": r.linearSeconds.map { JSONValue($0 * 1e3) } ?? .null,
        "softmax_layer_ms": r.softmaxSeconds.map { JSONValue($0 * 1e3) } ?? .null,
      ]
    }
    let report: JSONValue = [
      "profile": JSONValue(p.name), "winner": c.winner.map { JSONValue($0.name) } ?? .null,
      "reason": JSONValue(c.reason), "strategies": .array(rows),
    ]
    return report.serialized() + "\n"
  }

}
