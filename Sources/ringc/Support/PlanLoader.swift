import GraphIR
import HostIO
import Passes
import PlanIR

/// Reads a plan: parse, IR verification, and the plan header checks.
enum PlanLoader {
  static func load(_ path: String) throws(ModelLoader.Failed) -> (module: Module, renderer: DiagnosticRenderer) {
    let loaded = try ModelLoader().loadWithSource(path)
    do {
      try Plan.check(loaded.module)
    } catch {
      Stderr.write(loaded.renderer.render(error.diagnostics))
      throw ModelLoader.Failed(exitCode: SysExit.dataError)
    }
    return loaded
  }

  /// The same, printing nothing (for MPI ranks other than 0).
  static func loadQuietly(_ path: String) throws(ModelLoader.Failed) -> (module: Module, renderer: DiagnosticRenderer) {
    var loader = ModelLoader()
    loader.quiet = true
    let loaded = try loader.loadWithSource(path)
    do {
      try Plan.check(loaded.module)
    } catch {
      throw ModelLoader.Failed(exitCode: SysExit.dataError)
    }
    return loaded
  }
}
