import ArgumentParser
import GraphIR
import HostIO
import Passes
import PlanIR

/// Reads a plan as untrusted input: parse, IR verification, the header
/// checks and the plan verifier (shapes, pairing, deadlock, coverage). Every
/// command that reads a plan goes through here, so none acts on a plan the
/// verifier would reject.
enum PlanLoader {
  static func load(_ path: String) throws(ModelLoader.Failed) -> (module: Module, renderer: DiagnosticRenderer) {
    try load(path, quiet: false)
  }

  /// The same, printing nothing (for MPI ranks other than 0).
  static func loadQuietly(_ path: String) throws(ModelLoader.Failed) -> (module: Module, renderer: DiagnosticRenderer) {
    try load(path, quiet: true)
  }

  /// The stats of a loaded plan; a plan ringc cannot count (FLOPs past 2⁶³)
  /// is an input error like any other.
  static func stats(_ loaded: (module: Module, renderer: DiagnosticRenderer)) throws(ExitCode) -> PlanStats {
    do { return try PlanStats(loaded.module) } catch {
      Stderr.write(loaded.renderer.render(error.diagnostics))
      throw SysExit.dataError
    }
  }

  private static func load(_ path: String, quiet: Bool) throws(ModelLoader.Failed) -> (module: Module, renderer: DiagnosticRenderer) {
    var loader = ModelLoader()
    loader.quiet = quiet
    let loaded = try loader.loadWithSource(path)
    var problems: [Diagnostic]
    do {
      try Plan.check(loaded.module)
      problems = PlanVerifier.verify(loaded.module)
    } catch {
      problems = error.diagnostics
    }
    if !problems.isEmpty {
      if !quiet { Stderr.write(loaded.renderer.render(problems)) }
      throw ModelLoader.Failed(exitCode: SysExit.dataError)
    }
    return loaded
  }
}
