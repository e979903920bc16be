import GraphIR
import ModelImport
import RingcTestSupport
import Testing

/// Public checkpoints' configs import into models whose parameter counts
/// are the published totals (transformers' `num_parameters()`).
@Suite struct PublicConfigTests {
  static let totals: [(String, Int64)] = [
    ("Llama-2-7b-hf", 6_738_415_616), ("Llama-3.1-8B", 8_030_261_248), ("Meta-Llama-3-70B", 70_553_706_496),
    ("Llama-3.2-1B", 1_235_814_400), ("Qwen2.5-7B", 7_615_616_512), ("Qwen3-8B", 8_190_735_360),
    ("Mistral-7B-v0.1", 7_241_732_096),
  ]

  @Test(arguments: totals.indices)
  func parameterCountIsThePublishedTotal(_ i: Int) throws {
    let (name, total) = Self.totals[i]
    let model = try imported(try PublicConfig.text(name))
    #expect(ModuleSummary(model.module).parameters == total, "\(name)")
    #expect(model.warnings.isEmpty, "\(name): \(model.warnings)")
    #expect(model.spec.provenance.unknown.isEmpty, "\(name)")
  }

  @Test func llama31KeepsItsScaledRoPEAndDefaultsToAnEightThousandTokenContext() throws {
    let model = try imported(try PublicConfig.text("Llama-3.1-8B")).module
    #expect(model.sequenceDim?.value == 8192)
    let rope = try #require(model.ops("layer", .rope).first.flatMap(Rope.init))
    #expect(rope == Rope(theta: 500_000, scaling: .llama3(factor: 8, lowFreqFactor: 1, highFreqFactor: 4, originalMaxPositions: 8192)))
    #expect(model.weight(named: "wq")?.type.dtype == .bf16)
  }

  /// The bundled Llama models are `ringc import` of the configs kept beside
  /// them (regenerate with the commands in models/README.md).
  @Test(
    .enabled(if: !fileNames(in: repositoryRoot + "/models/configs", endingWith: ".json").isEmpty),
    arguments: [
      ("Llama-2-7b-hf", "llama2-7b", DType.bf16), ("Meta-Llama-3-8B", "llama3-8b", nil),
      ("Meta-Llama-3-70B", "llama3-70b", nil),
    ] as [(String, String, DType?)])
  func bundledModelsAreImportsOfTheirConfigs(_ config: String, _ model: String, _ dtype: DType?) throws {
    let path = "models/configs/\(config).json"
    let spec = try ConfigReader.parse(Array(try readText(repositoryRoot + "/" + path).utf8), file: path)
    let imported = try ModelImporter.build(spec, options: .init(dtype: dtype, name: ModelWriter.moduleName(forFile: model)))
    #expect(try readText(repositoryRoot + "/models/\(model).ir") == imported.text)
  }
}
