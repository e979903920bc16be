import ArgumentParser
import GraphIR
import HostIO

struct Print: ParsableCommand {
  static let configuration = CommandConfiguration(
    abstract: "Print a model in canonical form (print ∘ parse is the identity on canonical text).")

  @Argument(help: "The model file (.ir), or '-' for standard input.")
  var file: String

  @Option(name: .shortAndLong, help: "Write to this file (atomically) instead of standard output.")
  var output: String = "-"

  @Flag(help: "Let -o name the input file itself (its comments are lost).")
  var overwriteInput = false

  @OptionGroup var sequence: SequenceOption

  func validate() throws {
    if !overwriteInput, output != "-", FileIO.sameFile(output, file) {
      throw ValidationError("-o \(output) is the input itself; its comments would be lost (pass --overwrite-input if that is what you want)")
    }
  }

  func run() throws {
    let module: Module
    do {
      module = try sequence.loaderAsWritten.load(file)
    } catch {
      throw error.exitCode
    }
    do {
      try FileIO.write(Printer().print(module), to: output)
    } catch {
      Stderr.write("error: \(error)\n")
      throw SysExit.cannotCreate
    }
  }
}
