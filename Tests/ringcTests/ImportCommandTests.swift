import Foundation
import RingcTestSupport
import Testing

/// `ringc import`: a config file or directory in, a model out, and one line
/// with the sysexits code for every bad input.
@Suite struct ImportCommandTests {
  static let tiny = """
    {"architectures": ["LlamaForCausalLM"], "model_type": "llama", "hidden_size": 64, "intermediate_size": 128,
     "num_hidden_layers": 2, "num_attention_heads": 4, "num_key_value_heads": 2, "vocab_size": 100,
     "max_position_embeddings": 64, "rms_norm_eps": 1e-05, "rope_theta": 10000.0, "torch_dtype": "float32"}
    """

  func configDirectory(_ text: String = tiny) throws -> String {
    let dir = try temporaryDirectory() + "/tiny-llama"
    try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
    try text.write(toFile: dir + "/config.json", atomically: true, encoding: .utf8)
    return dir
  }

  @Test func aDirectoryImportsToStandardOutputAndTheModelCompiles() throws {
    let dir = try configDirectory()
    let r = try ringc(["import", dir])
    #expect(r.status == 0, "\(r.stderr)")
    #expect(r.stderr.isEmpty)
    #expect(r.stdout.hasPrefix("// tiny-llama: LlamaForCausalLM (model_type \"llama\")\n// Imported from \(dir)/config.json by `ringc import`"))
    #expect(r.stdout.contains("module @tiny_llama {"))
    let model = dir + "/tiny.ir"
    let written = try ringc(["import", dir + "/config.json", "-o", model, "--seq", "32", "--layers", "1"])
    #expect(written.status == 0, "\(written.stderr)")
    let check = try ringc(["check", model])
    #expect(check.stdout.contains("@tiny: 1 layer,"), "\(check.stdout)\(check.stderr)")
    #expect(check.stdout.contains("sequence S = 32"))
    let compiled = try ringc(["compile", model, "--sp", "2", "-o", dir + "/tiny.plan"])
    #expect(compiled.status == 0, "\(compiled.stderr)")
  }

  @Test func aMistralWindowIsServedByTheRingsAndCollectivesAndRefusedByTheRest() throws {
    let dir = try configDirectory(Self.tiny.replacing("LlamaForCausalLM", with: "MistralForCausalLM")
      .replacing("\"llama\"", with: "\"mistral\"").replacing("\"max_position", with: "\"sliding_window\": 16, \"max_position"))
    let model = dir + "/mistral.ir"
    #expect(try ringc(["import", dir, "-o", model]).status == 0)
    for strategy in ["tokenring", "ring", "ring-zigzag", "allgather", "ulysses"] {
      let r = try ringc(["compile", model, "--sp", "2", "--strategy", strategy, "-o", dir + "/\(strategy).plan"])
      #expect(r.status == 0, "\(strategy): \(r.stderr)")
    }
    let refused = try ringc(["compile", model, "--sp", "2", "--strategy", "striped", "-o", dir + "/a.plan"])
    #expect(refused.status == 65)
    #expect(
      refused.stderr.contains("error: striped does not support sliding-window attention yet; use tokenring, ring, ring-zigzag, allgather, ulysses"),
      "\(refused.stderr)")
    // compare and --strategy auto choose among the strategies that serve it.
    let compared = try ringc(["compare", model, "--sp", "2", "--profile", "h100-sxm-8"])
    #expect(compared.status == 0, "\(compared.stderr)")
    #expect(compared.stdout.contains("on h100-sxm-8, 2 ranks"), "\(compared.stdout)")
    #expect(compared.stdout.contains("cannot serve: striped does not support sliding-window attention"), "\(compared.stdout)")
    let auto = try ringc(["compile", model, "--sp", "2", "--strategy", "auto", "--profile", "h100-sxm-8", "-o", dir + "/auto.plan"])
    #expect(auto.status == 0, "\(auto.stderr)")
  }

  @Test func badInputsGiveOneLineAndTheirExitCode() throws {
    let dir = try temporaryDirectory()
    try "{\"architectures\": [\"LlamaForCausalLM\"],".write(toFile: dir + "/broken.json", atomically: true, encoding: .utf8)
    try Self.tiny.replacing("\"torch_dtype\"", with: "\"hidden_act\": \"relu\", \"torch_dtype\"")
      .write(toFile: dir + "/relu.json", atomically: true, encoding: .utf8)
    for (arguments, status, message) in [
      (["import", dir + "/missing.json"], Int32(66), "error: cannot read \(dir)/missing.json: No such file or directory"),
      (["import", dir], 66, "error: cannot read \(dir)/config.json"),
      (["import", dir + "/broken.json"], 65, "\(dir)/broken.json: error: not valid JSON"),
      (["import", dir + "/relu.json"], 65, "\(dir)/relu.json: error: 'hidden_act' is \"relu\""),
      (["import", dir + "/relu.json", "--dtype", "f64"], 64, "--dtype 'f64' is not one of bf16, f16, f32"),
      (["import", dir + "/relu.json", "--layers", "0"], 64, "--layers must be a positive number of layers, found 0"),
    ] {
      let r = try ringc(arguments)
      #expect(r.status == status, "\(arguments): \(r.stderr)")
      #expect(r.stderr.contains(message), "\(arguments): \(r.stderr)")
      #expect(r.stdout.isEmpty)
    }
    let tooMany = try ringc(["import", try configDirectory(), "--layers", "3"])
    #expect(tooMany.status == 64)
    #expect(tooMany.stderr.hasSuffix("error: --layers 3 is more than the config's 2 (num_hidden_layers)\n"), "\(tooMany.stderr)")
  }

  @Test func theConfigIsNeverOverwritten() throws {
    let dir = try configDirectory()
    let config = dir + "/config.json"
    for arguments in [["import", config, "-o", config], ["import", dir, "-o", config]] {
      let r = try ringc(arguments)
      #expect(r.status == 64, "\(arguments)")
      #expect(r.stderr.contains("-o \(config) is the config itself; the model would replace it"), "\(r.stderr)")
      #expect(try String(contentsOfFile: config, encoding: .utf8) == Self.tiny)
    }
  }

  @Test func unknownKeysAreWarnedAbout() throws {
    let dir = try configDirectory(Self.tiny.replacing("\"torch_dtype\"", with: "\"logit_scale\": 2.0, \"torch_dtype\""))
    let r = try ringc(["import", dir])
    #expect(r.status == 0)
    #expect(r.stderr == "\(dir)/config.json: warning: 'logit_scale' is not a key ringc knows for LlamaForCausalLM; it was not imported\n")
    #expect(r.stdout.contains("// Not imported, unknown to ringc: logit_scale."))
  }
}
