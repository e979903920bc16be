import ArgumentParser
import GraphIR
import HostIO
import Runtime

/// Reads, parses and verifies a model file, printing located diagnostics on
/// failure. Warnings are printed and do not fail.
struct ModelLoader {
  /// `--seq` override for the sequence dimension, if given.
  var sequenceLength: Int64?
  /// `--documents`: the model's packed documents (see `Module.bindDocuments`).
  var documents: Documents?
  /// Print no diagnostics (other MPI ranks than 0 stay silent).
  var quiet = false
  /// Fold documents into the attentions (`Module.bindDocuments`) even
  /// without `--documents`, as compiling needs; `print` and `check` keep
  /// the model as written unless `--documents` is given.
  var bindsDocuments = true

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
    // At the new length: sizes may overflow.
    let diagnostics = Verifier.diagnose(module)
    report(renderer.render(diagnostics))
    if diagnostics.contains(where: { $0.severity == .error }) {
      throw Failed(exitCode: SysExit.dataError)
    }
    guard bindsDocuments || documents != nil else { return (module, renderer) }
    do { try module.bindDocuments(documents) } catch {
      report(error.location == nil ? "\(name): error: \(error.message)\n" : renderer.render([.error(error.message, at: error.location)]))
      throw Failed(exitCode: error.isUsage ? SysExit.usage : SysExit.dataError)
    }
    // With the documents bound (a rebound N changes sizes).
    let bound = Verifier.diagnose(module).filter { $0.severity == .error }
    if !bound.isEmpty {
      report(renderer.render(bound))
      throw Failed(exitCode: SysExit.dataError)
    }
    return (module, renderer)
  }
}

/// `--seq N` and `--documents`, shared by every command that reads a model.
struct SequenceOption: ParsableArguments {
  @Option(name: .long, parsing: .unconditional, help: "Override the model's sequence length (its dimension marked sequence).")
  var seq: Int64?

  @Option(
    name: .long, parsing: .unconditional,
    help: "Packed documents attention keeps apart: cumulative lengths (cu_seqlens), as a list (0,5,6,32) or a .npy file of int32 or int64; the last must be the sequence length.")
  var documents: String?

  func validate() throws {
    if let seq, seq <= 0 {
      throw ValidationError("--seq must be a positive number of tokens, found \(seq)")
    }
    _ = try parsedDocuments()
  }

  /// `--documents` read and checked: a list or a .npy file.
  func parsedDocuments() throws -> Documents? {
    try documents.map(Self.documents)
  }

  /// Cumulative lengths from `text`: a list (0,5,6,32) or a .npy file.
  static func documents(_ text: String) throws -> Documents {
    let bounds: [Int64]
    if text.hasSuffix(".npy") {
      do {
        let file = try NPYFile(path: text)
        guard file.header.dtype.isInteger, file.header.shape.count == 1, let n = file.header.shape.first, n <= 1 << 24 else {
          throw ValidationError("--documents \(text): a .npy of cumulative lengths is one int32 or int64 axis (at most 2^24 entries)")
        }
        bounds = try file.integers(rows: [0..<n])
      } catch let error as NPYError {
        throw ValidationError("--documents \(text): \(error.reason)")
      }
    } else {
      let items = text.split(separator: ",", omittingEmptySubsequences: false).map { Int64($0.filter { $0 != " " }) }
      guard items.allSatisfy({ $0 != nil }) else {
        throw ValidationError("--documents \(text): expected comma-separated whole numbers (0,5,6,32) or a .npy file")
      }
      bounds = items.map { $0! }
    }
    guard let parsed = Documents(bounds: bounds) else {
      throw ValidationError("--documents \(text): cumulative lengths need at least two entries, the first 0, never decreasing")
    }
    return parsed
  }

  var loader: ModelLoader { ModelLoader(sequenceLength: seq, documents: try? parsedDocuments()) }
  /// For print and check: documents stay unbound unless --documents is given.
  var loaderAsWritten: ModelLoader {
    var l = loader
    l.bindsDocuments = false
    return l
  }
}
