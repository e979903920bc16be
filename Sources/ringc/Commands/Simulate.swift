import ArgumentParser
import GraphIR
import Passes
import HostIO
import PlanIR
import Simulation
import Timeline

struct Simulate: ParsableCommand {
  static let configuration = CommandConfiguration(
    abstract: "Predict a plan's time on a device profile: per layer, per step compute vs communication.")

  @Argument(help: "The plan file.")
  var plan: String

  @Option(help: "A profile name (see 'ringc profiles') or an XML file.")
  var profile: String

  @Option(help: "Write the predicted timeline as a Chrome/Perfetto trace (the runtime's format).")
  var trace: String?

  @Flag(help: "Print one JSON object.")
  var json = false

  func run() throws {
    let loaded: (module: Module, renderer: DiagnosticRenderer)
    do { loaded = try PlanLoader.load(plan) } catch { throw error.exitCode }
    let device = try loadProfile(profile)
    let report: SimulationReport
    do {
      report = try Simulator(plan: loaded.module, profile: device).run()
    } catch let failure as Simulator.Failure {
      Stderr.write(loaded.renderer.render(failure.diagnostic))
      throw SysExit.dataError
    } catch let error as CompileError {
      Stderr.write(loaded.renderer.render(error.diagnostics))
      throw SysExit.dataError
    } catch {
      Stderr.write("error: \(error)\n")
      throw SysExit.dataError
    }
    if let trace, let program = report.programs.max(by: { $0.seconds * Double(max(1, $0.layers.count)) < $1.seconds * Double(max(1, $1.layers.count)) }) {
      do { try FileIO.write(chromeTraceJSON(program.traces), to: trace) } catch {
        Stderr.write("error: \(error)\n")
        throw SysExit.cannotCreate
      }
    }
    Stdout.write(json ? SimulationText.json(report) : SimulationText.text(report, plan: plan))
  }
}

/// Loads a profile, reporting errors as `FILE:LINE:COL: error: …`: exit 65
/// for a malformed profile, 66 for one that cannot be opened.
func loadProfile(_ nameOrPath: String) throws -> DeviceProfile {
  do {
    return try ProfileLocator.load(nameOrPath)
  } catch {
    Stderr.write("\(error)\n")
    throw error.kind == .unreadable ? SysExit.noInput : SysExit.dataError
  }
}

enum SimulationText {
  static func text(_ r: SimulationReport, plan: String) -> String {
    let layers = r.programs.reduce(0) { $0 + $1.layers.count }
    var out = "\(plan) on \(r.profile) (\(r.ranks) ranks): \(milliseconds(r.totalSeconds)) ms per forward pass (\(layers) layers)\n"
    for p in r.programs where !p.steps.isEmpty || p.layers.count > 0 {
      let range = p.layers.isEmpty ? "once" : p.layers.count == 1 ? "layer \(p.layers[0])" : "layers \(p.layers.first!)–\(p.layers.last!)"
      out += "\n@\(p.family) (\(range)): \(milliseconds(p.seconds)) ms, exposed communication \(milliseconds(p.exposed.max() ?? 0)) ms (most on one rank)\n"
      if p.steps.isEmpty { continue }
      out += "  step        ms   compute ms   comm ms   critical\n"
      for s in p.steps {
        out += "  \(padLeft("\(s.step)", 4))  \(padLeft(milliseconds(s.seconds), 8))  \(padLeft(milliseconds(s.compute), 11))  \(padLeft(milliseconds(s.communication), 8))   \(s.critical)\n"
      }
      out += "  (ms: each step's span on the critical path; \(milliseconds(p.outsideSteps)) ms lie in no step)\n"
    }
    return out
  }

  static func json(_ r: SimulationReport) -> String {
    var layers: [(Int, JSONValue)] = []
    for p in r.programs {
      let steps = p.steps.map { s -> JSONValue in
        [
          "step": JSONValue(s.step), "ms": JSONValue(s.seconds * 1e3), "compute_ms": JSONValue(s.compute * 1e3),
          "comm_ms": JSONValue(s.communication * 1e3), "critical": JSONValue(s.critical),
        ]
      }
      for l in p.layers {
        layers.append(
          (l, [
            "layer": JSONValue(l), "program": JSONValue(p.family), "ms": JSONValue(p.seconds * 1e3),
            "exposed_ms": JSONValue((p.exposed.max() ?? 0) * 1e3), "steps": .array(steps),
            "outside_steps_ms": JSONValue(p.outsideSteps * 1e3),
          ]))
      }
    }
    let report: JSONValue = [
      "profile": JSONValue(r.profile), "ranks": JSONValue(r.ranks), "total_ms": JSONValue(r.totalSeconds * 1e3),
      "layers": .array(layers.sorted { $0.0 < $1.0 }.map(\.1)),
    ]
    return report.serialized() + "\n"
  }

}

struct Profiles: ParsableCommand {
  static let configuration = CommandConfiguration(
    abstract: "List the device profiles ringc can find, or show every number of one with its source.")

  @Option(name: .long, help: "A profile (a name or an XML file): print each number, its unit and where it comes from.")
  var show: String?

  func run() throws {
    if let show {
      let p = try loadProfile(show)
      Stdout.write(Self.describe(p))
      return
    }
    guard let (dir, names) = ProfileLocator.available() else {
      Stderr.write("error: no profiles folder found (set RINGC_PROFILES or run from the repository)\n")
      throw SysExit.noInput
    }
    var out = "profiles in \(dir):\n"
    for name in names {
      do {
        let p = try ProfileLocator.load(name)
        let topology: String =
          switch p.topology {
          case .fullMesh(let l): "full-mesh, \(gbps(l)) per link"
          case .switch(let port): "switch, \(gbps(port)) per port"
          case .pcieTree(let port, let up, let sw): "pcie-tree (\(sw.count) switches), \(gbps(port)) per port, \(gbps(up)) uplinks"
          case .ring(let l, let both): "\(both ? "bidirectional" : "unidirectional") ring, \(gbps(l)) per link"
          }
        out += "  \(name): \(p.nodes) × \(p.devicesPerNode) \(p.deviceName), \(topology)\(p.network.map { ", network \(gbps($0.bandwidth)) per device" } ?? "")\n"
      } catch {
        out += "  \(name): invalid (\(error.description.split(separator: "\n").first ?? ""))\n"
      }
    }
    Stdout.write(out)
  }

  func gbps(_ v: Double) -> String { "\((v / 1e8).rounded() / 10) GB/s" }

  /// Every number of `p` as written, each with its source or assumption.
  static func describe(_ p: DeviceProfile) -> String {
    var out = "\(p.name): \(p.nodes) × \(p.devicesPerNode) \(p.deviceName)\n"
    let width = min(44, p.entries.map(\.key.count).max() ?? 0)
    for e in p.entries {
      out += "  \(e.key)\(String(repeating: " ", count: max(0, width - e.key.count)))  \(e.value)\n"
      switch e.origin {
      case .source(let s): out += "      source: \(s)\n"
      case .assumption(let a): out += "      assumption: \(a)\n"
      case .unstated: out += "      (no source given)\n"
      }
    }
    let assumptions = p.entries.filter { if case .assumption = $0.origin { true } else { false } }.count
    let unstated = p.entries.filter { $0.origin == .unstated }.count
    out += "\(p.entries.count) entries: \(p.entries.count - assumptions - unstated) cited, \(assumptions) assumptions, \(unstated) without a source\n"
    return out
  }
}
