import GraphIR

/// `ringc import`: a config file in, a verified model and its text out.
public enum ModelImporter {
  public struct Options: Sendable {
    /// Tokens S instead of the default.
    public var sequence: Int64?
    /// Only the first L decoder layers.
    public var layers: Int64?
    /// The dtype instead of the config's.
    public var dtype: DType?
    /// The module's name instead of the config file's.
    public var name: String?

    public init(sequence: Int64? = nil, layers: Int64? = nil, dtype: DType? = nil, name: String? = nil) {
      self.sequence = sequence
      self.layers = layers
      self.dtype = dtype
      self.name = name
    }
  }

  public struct Imported: Sendable {
    public var spec: DecoderSpec
    public var module: Module
    public var text: String
    /// One line per config key ringc neither read nor knows to be irrelevant.
    public var warnings: [String]
  }

  public static func importModel(_ path: String, options: Options = Options()) throws(ImportError) -> Imported {
    try build(try ConfigReader.read(path), options: options)
  }

  /// The model of an already-read config.
  public static func build(_ spec: DecoderSpec, options: Options = Options()) throws(ImportError) -> Imported {
    let file = spec.provenance.path
    if let layers = options.layers, layers > spec.layers {
      throw ImportError(.usage, file: file, "--layers \(layers) is more than the config's \(spec.layers) (num_hidden_layers)")
    }
    let configName = file.hasSuffix("/config.json") ? String(file.dropLast("/config.json".count)) : file
    let writer = ModelWriter(
      spec, name: options.name ?? ModelWriter.moduleName(forFile: configName), sequence: options.sequence,
      layers: options.layers, dtype: options.dtype)
    let module = writer.module
    // Sizes the config passed can still overflow with a long --seq (the
    // logits are S × vocab): the verifier has the last word.
    if let error = Verifier.diagnose(module).first(where: { $0.severity == .error }) {
      let kind: ImportError.Kind = options.sequence == nil ? .dataError : .usage
      throw ImportError(kind, file: file, "the imported model does not verify: \(error.message)")
    }
    let warnings = spec.provenance.unknown.map {
      "\(file): warning: '\($0)' is not a key ringc knows for \(spec.architecture.rawValue); it was not imported"
    }
    return Imported(spec: spec, module: module, text: writer.text, warnings: warnings)
  }
}
