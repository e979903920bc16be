import GraphIR
import HostIO
import PlanIR

/// What the pass pipeline shows and checks around each pass, as MLIR's pass
/// manager does: the IR verifier after every pass, the module after some or
/// all of them (or only after those that changed it), each pass's time, and
/// numbered dumps in a directory. Text goes to `log` (standard error in the
/// tool).
public struct PassInstrumentation: Sendable {
  public var verifyEach = false
  public var printAfterAll = false
  /// Pass names; each must name a pass of the pipeline.
  public var printAfter: Set<String> = []
  public var printAfterChange = false
  public var timePasses = false
  /// Writes `00-input.ir`, then `NN-<pass>.ir` after each pass.
  public var dumpDirectory: String?
  public var log: @Sendable (String) -> Void = { _ in }

  public init() {}

  /// Refuses `printAfter` names the pipeline does not run.
  func check(_ pipeline: PassPipeline) throws(CompileError) {
    let names = Set(pipeline.passes.map(\.name))
    if let unknown = printAfter.sorted().first(where: { !names.contains($0) }) {
      throw CompileError(
        "--print-after \(unknown): the pipeline has no such pass (it runs \(pipeline.passes.map(\.name).joined(separator: ", ")))",
        kind: .usage)
    }
  }

  func started(_ module: Module) throws(CompileError) {
    guard let dumpDirectory else { return }
    do {
      try FileIO.makeDirectory(dumpDirectory)
    } catch {
      throw CompileError("--dump-dir: \(error)", kind: .output)
    }
    try dump(module, as: "00-input.ir")
  }

  /// `before` is the module the pass was given, when `printAfterChange` needs it.
  func finished(_ pass: any Pass, index: Int, before: Module?, after: Module) throws(CompileError) {
    if printAfterAll || printAfter.contains(pass.name) || (before.map { $0 != after } ?? false) {
      log("// -----// IR Dump After \(pass.name) //----- //\n" + Printer().print(after))
    }
    if dumpDirectory != nil {
      try dump(after, as: "\(index < 10 ? "0" : "")\(index)-\(pass.name).ir")
    }
  }

  func report(_ timings: [(String, Duration)]) {
    guard timePasses else { return }
    var text = "===-------------------------------------------------------------------------===\n"
    text += "  pass execution timing report\n"
    for (name, t) in timings {
      let s = Double(t.components.seconds) + Double(t.components.attoseconds) / 1e18
      text += "  \(String((s * 1e4).rounded() / 1e4)) s  \(name)\n"
    }
    log(text)
  }

  private func dump(_ module: Module, as name: String) throws(CompileError) {
    guard let dumpDirectory else { return }
    do {
      try FileIO.write(Printer().print(module), to: "\(dumpDirectory)/\(name)")
    } catch {
      throw CompileError("--dump-dir: \(error)", kind: .output)
    }
  }
}
