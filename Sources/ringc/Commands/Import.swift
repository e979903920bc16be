import ArgumentParser
import GraphIR
import HostIO
import ModelImport

struct Import: ParsableCommand {
  static let configuration = CommandConfiguration(
    abstract: "Write a model (.ir) from a Hugging Face config.json.",
    discussion: """
      Imports LlamaForCausalLM, Qwen2ForCausalLM, Qwen3ForCausalLM and MistralForCausalLM as transformers
      computes them: token ids in, logits out, every weight named by its checkpoint tensor. The header
      comment says where the model came from and every config key that was not imported.
      Without -o the model goes to standard output; its name comes from the -o file, else the config's.
      """)

  @Argument(help: "A config.json, or a directory holding one.")
  var config: String

  @Option(name: .shortAndLong, help: "Write to this file (atomically) instead of standard output.")
  var output: String = "-"

  @Option(name: .long, parsing: .unconditional, help: "Tokens S (default: max_position_embeddings, at most 8192).")
  var seq: Int64?

  @Option(parsing: .unconditional, help: "Import only the first L decoder layers (a truncated model, for quick runs).")
  var layers: Int64?

  @Option(help: "The dtype instead of the config's torch_dtype: bf16, f16 or f32.")
  var dtype: String?

  func validate() throws {
    if let seq, seq <= 0 { throw ValidationError("--seq must be a positive number of tokens, found \(seq)") }
    if let layers, layers <= 0 { throw ValidationError("--layers must be a positive number of layers, found \(layers)") }
    if let dtype, DType(rawValue: dtype)?.isFloat != true {
      throw ValidationError("--dtype '\(dtype)' is not one of bf16, f16, f32")
    }
    let input = ConfigReader.configPath(config)
    if output != "-", FileIO.sameFile(output, input) || FileIO.sameFile(output, config) {
      throw ValidationError("-o \(output) is the config itself; the model would replace it")
    }
  }

  func run() throws {
    let options = ModelImporter.Options(
      sequence: seq, layers: layers, dtype: dtype.flatMap(DType.init(rawValue:)),
      name: output == "-" ? nil : ModelWriter.moduleName(forFile: output))
    let imported: ModelImporter.Imported
    do {
      imported = try ModelImporter.importModel(config, options: options)
    } catch {
      Stderr.write("\(error)\n")
      switch error.kind {
      case .noInput: throw SysExit.noInput
      case .dataError: throw SysExit.dataError
      case .usage: throw SysExit.usage
      }
    }
    for warning in imported.warnings { Stderr.write(warning + "\n") }
    do {
      try FileIO.write(imported.text, to: output)
    } catch {
      Stderr.write("error: \(error)\n")
      throw SysExit.cannotCreate
    }
  }
}
