import ArgumentParser
import GraphIR
import HostIO

/// Reads, parses and verifies a model file, printing located diagnostics on
/// failure. Warnings are printed and do not fail.
struct ModelLoader {
  /// `--seq` override for the sequence dimension, if given.
  var sequenceLength: Int64?
  /// Print no diagnostics (other MPI ranks than 0 stay silent).
  var quiet = false

  struct Failed: Error {
    var exitCode: ExitCode
  }

  private func report(_ text: String) {
    if !quiet { Stderr.write(text) }
  }

  func load(_ path: String) throws(Failed) -> Module {
    try loadWithSource(path).module
  }

  /// The module and a renderer that can show its source lines.
  func loadWithSource(_ path: String) throws(Failed) -> (module: Module, renderer: DiagnosticRenderer) {
    let bytes: [UInt8]
    do {
      bytes = try FileIO.read(path)
    } catch {
      report("error: \(error)\n")
      throw Failed(exitCode: SysExit.noInput)
    }
    let name = path == "-" ? "<stdin>" : path
    let renderer = DiagnosticRenderer(sources: [name: bytes])
    var module: Module
    do {
      module = try Parser.parse(bytes, file: name)
    } catch {
      report(renderer.render(error.diagnostics))
      throw Failed(exitCode: SysExit.dataError)
    }
    if let n = sequenceLength, !module.setSequenceLength(n) {
      report(
        "\(name): error: --seq \(n) given, but module @\(module.name) declares no sequence "
          + "dimension (a 'dim S = N {sequence = true}')\n")
      throw Failed(exitCode: SysExit.usage)
    }
    let diagnostics = Verifier.diagnose(module)
    report(renderer.render(diagnostics))
    if diagnostics.contains(where: { $0.severity == .error }) {
      throw Failed(exitCode: SysExit.dataError)
    }
    return (module, renderer)
  }
}

/// `--seq N`, shared by every command that reads a model.
struct SequenceOption: ParsableArguments {
  @Option(name: .long, parsing: .unconditional, help: "Override the model's sequence length (its dimension marked sequence).")
  var seq: Int64?

  func validate() throws {
    if let seq, seq <= 0 {
      throw ValidationError("--seq must be a positive number of tokens, found \(seq)")
    }
  }

  var loader: ModelLoader { ModelLoader(sequenceLength: seq) }
}
