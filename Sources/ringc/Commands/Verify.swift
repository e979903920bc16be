import ArgumentParser
import GraphIR
import HostIO
import Passes
import PlanIR

struct Verify: ParsableCommand {
  static let configuration = CommandConfiguration(
    abstract: "Check a plan: every send has its receive, no deadlock, every attention block computed once.")

  @Argument(help: "The plan file.")
  var plan: String

  func run() throws {
    let loaded: (module: Module, renderer: DiagnosticRenderer)
    do { loaded = try PlanLoader.load(plan) } catch { throw error.exitCode }
    Stdout.write("\(plan): ok: \(Self.describe(try PlanLoader.stats(loaded)))\n")
  }

  /// "tokenring, sp 4, zigzag layout, S = 32; per layer 48 messages, at most 1.2 MB sent by one rank"
  static func describe(_ stats: PlanStats) -> String {
    let layerPrograms = stats.programs.filter { !$0.messages.isEmpty }
    var line = "\(stats.strategy), sp \(stats.sp), \(stats.layout) layout, sequence \(stats.sequence), \(stats.layerCount) layers"
    if let p = layerPrograms.first {
      let maxSent = (0..<stats.sp).map { stats.bytesSent(p, rank: $0) }.max() ?? 0
      line += "; per attention layer \(p.messages.count) messages, at most \(formatBytes(maxSent)) sent by one rank"
    }
    return line
  }
}
