import ArgumentParser
import GraphIR
import HostIO

struct Check: ParsableCommand {
  static let configuration = CommandConfiguration(
    abstract: "Parse and verify model files; print a one-line summary of each.")

  @Argument(help: "Model files (.ir); '-' reads standard input.")
  var files: [String]

  @OptionGroup var sequence: SequenceOption

  func validate() throws {
    if files.isEmpty { throw ValidationError("give at least one model file") }
  }

  func run() throws {
    var failure: ExitCode?
    for path in files {
      do {
        let module = try sequence.loaderAsWritten.load(path)
        Stdout.write("\(path): \(Self.describe(module))\n")
      } catch {
        failure = failure ?? error.exitCode
      }
    }
    if let failure { throw failure }
  }

  static func describe(_ module: Module) -> String {
    let s = ModuleSummary(module)
    var line = "@\(module.name): \(s.layers) layer\(s.layers == 1 ? "" : "s"), "
    line += "\(formatCount(s.parameters)) parameters, "
    line += "\(s.attentionNodes) attention node\(s.attentionNodes == 1 ? "" : "s"), "
    if let seq = s.sequence {
      line += "sequence \(seq.name) = \(seq.length)"
    } else {
      line += "no sequence dimension"
    }
    return line
  }

  /// 6979321856 -> "6.98B (6979321856)".
  static func formatCount(_ n: Int64) -> String {
    let units: [(Double, String)] = [(1e12, "T"), (1e9, "B"), (1e6, "M"), (1e3, "K")]
    for (scale, suffix) in units where Double(n) >= scale {
      let v = (Double(n) / scale * 100).rounded() / 100
      return "\(v)\(suffix) (\(n))"
    }
    return String(n)
  }
}
