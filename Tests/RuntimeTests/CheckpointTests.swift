import Foundation
import GraphIR
import RingcTestSupport
import Runtime
import Testing

/// Checkpoints as transformers saves them, written by the tests: a model's
/// weights load from a directory with one file, from an index and its shards,
/// or from one file, in F32, F16 or BF16; every bad checkpoint is one problem
/// naming its file, found before anything runs.
@Suite struct CheckpointTests {
  /// An embedding, per-layer q projections stored transposed, and a tied LM
  /// head: the embedding table read transposed.
  static let model = try! Parser.parse(try! readText(repositoryRoot + "/Tests/IRTextTests/Inputs/lm-ends.ir"))
  static let instances = WeightSource.instances(model)
  static let embed = LMEndsCheckpoint.embed
  static let q0 = LMEndsCheckpoint.q0
  static let q1 = LMEndsCheckpoint.q1
  static let shards = LMEndsCheckpoint.shards

  /// A fresh directory holding `files` (name → bytes).
  static func directory(_ files: [String: [UInt8]]) throws -> String {
    let dir = NSTemporaryDirectory() + "ringc-checkpoint-" + UUID().uuidString
    try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
    for (name, bytes) in files { try Data(bytes).write(to: URL(fileURLWithPath: dir + "/" + name)) }
    return dir
  }

  /// A directory with `model.safetensors.index.json` and the shards.
  static func sharded(_ shards: [(file: String, tensors: [TestTensor])] = shards) throws -> String {
    var files = ["model.safetensors.index.json": Array(SafeTensorsWriter.index(shards).utf8)]
    for shard in shards { files[shard.file] = SafeTensorsWriter.file(shard.tensors) }
    return try directory(files)
  }

  static func failure(_ path: String, for instances: [WeightSource.Instance] = instances) -> CheckpointError? {
    do {
      _ = try Checkpoint(path: path, for: instances)
      return nil
    } catch {
      return error
    }
  }

  static func transposed(_ t: TestTensor) -> [Float] {
    let (r, c) = (t.shape[0], t.shape[1])
    return (0..<c * r).map { i in t.values[(i % r) * c + i / r] }
  }

  /// Every weight of lm-ends reads its tensor: the embedding as stored, the
  /// head and the q projections transposed for other ops, as stored for
  /// matmul.
  static func expectWeights(_ checkpoint: Checkpoint, _ e: TestTensor = embed, _ a: TestTensor = q0, _ b: TestTensor = q1) throws {
    let weights = WeightSource(initializer: Initializer(seed: 0), checkpoint: checkpoint)
    func instance(_ name: String, _ layer: Int?) throws -> WeightSource.Instance {
      try #require(instances.first { $0.decl.name == name && $0.layer == layer })
    }
    #expect(try weights.weight(instance("embed", nil)).values == e.values)
    #expect(try weights.weight(instance("head", nil)).values == transposed(e))
    #expect(try weights.weight(instance("wq", 1)).values == transposed(b))
    let rows = try #require(weights.storedRows(try instance("wq", 0)))
    let stored = try rows(0..<8)
    #expect(stored.shape == [8, 8] && stored.values == a.values)
    #expect(try rows(2..<3).values == Array(a.values[16..<24]))
  }

  @Test func aDirectoryWithOneFileLoads() throws {
    let dir = try Self.directory(["model.safetensors": SafeTensorsWriter.file([Self.embed, Self.q0, Self.q1])])
    try Self.expectWeights(try Checkpoint(path: dir, for: Self.instances))
  }

  @Test func anIndexAndItsShardsLoadAndOnlyTheShardsTheModelReadsAreOpened() throws {
    // The index lists a shard that is not there; no weight of the model is in it.
    var shards = Self.shards
    shards.append((file: "extra.safetensors", tensors: [TestTensor("lm_head.bias", [32], seed: 4)]))
    let dir = try Self.sharded(shards)
    try FileManager.default.removeItem(atPath: dir + "/extra.safetensors")
    try Self.expectWeights(try Checkpoint(path: dir, for: Self.instances))
    try Self.expectWeights(try Checkpoint(path: dir + "/", for: Self.instances))
    try Self.expectWeights(try Checkpoint(path: dir + "/model.safetensors.index.json", for: Self.instances))
  }

  @Test func aSingleFileLoadsWhateverItsName() throws {
    let dir = try Self.directory(["weights.safetensors": SafeTensorsWriter.file([Self.q1, Self.embed, Self.q0])])
    try Self.expectWeights(try Checkpoint(path: dir + "/weights.safetensors", for: Self.instances))
  }

  @Test func theSingleFileIsPreferredToAnIndexAsTransformersDoes() throws {
    let dir = try Self.sharded()
    let a = TestTensor(Self.q0.name, [8, 8], values: Self.q1.values)
    let b = TestTensor(Self.q1.name, [8, 8], values: Self.q0.values)
    try Data(SafeTensorsWriter.file([Self.embed, a, b])).write(to: URL(fileURLWithPath: dir + "/model.safetensors"))
    try Self.expectWeights(try Checkpoint(path: dir, for: Self.instances), Self.embed, a, b)
  }

  @Test func f16AndBF16ConvertToTheSameFloats() throws {
    let e = TestTensor(Self.embed.name, [32, 8], dtype: "F16", values: Self.embed.values)
    let a = TestTensor(Self.q0.name, [8, 8], dtype: "BF16", values: Self.q0.values)
    let dir = try Self.directory(["model.safetensors": SafeTensorsWriter.file([e, a, Self.q1])])
    try Self.expectWeights(try Checkpoint(path: dir, for: Self.instances))
    // Values below F16's and BF16's precision round as they do.
    let fine = TestTensor(Self.embed.name, [32, 8], values: (0..<256).map { 1 + Float($0) / 4096 })
    let half = TestTensor(Self.embed.name, [32, 8], dtype: "F16", values: fine.values)
    let brain = TestTensor(Self.embed.name, [32, 8], dtype: "BF16", values: fine.values)
    for (t, expected) in [(half, fine.values.map { Float(Float16($0)) }), (brain, fine.values.map { Float(bitPattern: $0.bitPattern & 0xFFFF_0000) })] {
      let one = try Self.directory(["model.safetensors": SafeTensorsWriter.file([t, Self.q0, Self.q1])])
      let weights = WeightSource(initializer: Initializer(seed: 0), checkpoint: try Checkpoint(path: one, for: Self.instances))
      #expect(try weights.weight(Self.instances[0]).values == expected)
    }
  }

  @Test func aMissingTensorIsNamedWithTheWeightThatReadsIt() throws {
    let dir = try Self.directory(["model.safetensors": SafeTensorsWriter.file([Self.embed, Self.q0])])
    let error = try #require(Self.failure(dir))
    #expect(error.problems == [
      .init(file: dir + "/model.safetensors", "tensor 'model.layers.1.self_attn.q_proj.weight' is missing; weight @wq of layer 1 reads it")
    ])
    #expect(error.exitCode == 65)
  }

  @Test func aTensorMissingFromTheIndexOrFromItsShardIsNamed() throws {
    let unlisted = try Self.sharded(Array(Self.shards.prefix(2)))
    #expect(Self.failure(unlisted)?.problems == [
      .init(
        file: unlisted + "/model.safetensors.index.json",
        "tensor 'model.layers.1.self_attn.q_proj.weight' is not in the weight_map; weight @wq of layer 1 reads it")
    ])
    let dir = try Self.sharded()
    try Data(SafeTensorsWriter.file([Self.q0])).write(to: URL(fileURLWithPath: dir + "/model-00003-of-00003.safetensors"))
    #expect(Self.failure(dir)?.problems == [
      .init(
        file: dir + "/model-00003-of-00003.safetensors",
        "tensor 'model.layers.1.self_attn.q_proj.weight' is missing (the index puts it in this file); weight @wq of layer 1 reads it")
    ])
  }

  @Test func aWrongShapeNamesBothShapes() throws {
    let wide = TestTensor(Self.embed.name, [8, 32], seed: 1)
    let dir = try Self.directory(["model.safetensors": SafeTensorsWriter.file([wide, Self.q0, Self.q1])])
    #expect(Self.failure(dir)?.problems == [
      .init(
        file: dir + "/model.safetensors",
        "tensor 'model.embed_tokens.weight' has shape [8, 32]; weight @embed needs [32, 8] (the tensor is stored transposed: declare the weight with transpose = true)")
    ])
  }

  static let projection = try! Parser.parse(
    """
    module @m {
      dim S = 4 {sequence = true}
      weight @up : f32[8,16] {source = "mlp.up_proj.weight", transpose = true}
      weight @mix : f32[4,16] {source = "mix.weight", transpose = true}
      graph @main(%x: f32[S,8]) -> f32[S,16] {
        %y = matmul %x, @up : f32[S,16]
        %z = add %y, @mix : f32[S,16]
        return %z
      }
    }
    """)

  @Test func aTransposedWeightsShapeIsExplained() throws {
    let mix = TestTensor("mix.weight", [16, 4], seed: 5)
    for (stored, hint) in [([8, 16], " (the tensor is not stored transposed: drop transpose = true)"), ([16, 4], "")] {
      let dir = try Self.directory(["model.safetensors": SafeTensorsWriter.file([TestTensor("mlp.up_proj.weight", stored, seed: 6), mix])])
      #expect(Self.failure(dir, for: WeightSource.instances(Self.projection))?.problems == [
        .init(
          file: dir + "/model.safetensors",
          "tensor 'mlp.up_proj.weight' has shape \(stored); weight @up is [8, 16] with transpose = true, so the checkpoint must store it as [16, 8]\(hint)")
      ])
    }
  }

  /// The matmul reads the stored `[N, K]` matrix through sgemm's transposed
  /// operand, `add` a transposed copy; both equal the model's `[K, N]`.
  @Test func transposedWeightsComputeWhatTheModelSays() throws {
    let up = TestTensor("mlp.up_proj.weight", [16, 8], seed: 6)
    let mix = TestTensor("mix.weight", [16, 4], seed: 5)
    let dir = try Self.directory(["model.safetensors": SafeTensorsWriter.file([up, mix])])
    let checkpoint = try Checkpoint(path: dir, for: WeightSource.instances(Self.projection))
    let interpreter = Interpreter(
      module: Self.projection, weights: WeightSource(initializer: Initializer(seed: 0), checkpoint: checkpoint), communicator: nil,
      tags: nil, options: Interpreter.Options())
    let x = random([4, 8], seed: 7)
    let got = try interpreter.run("main", [x])[0]
    let y = Reference.matmul(x, Tensor(shape: [8, 16], values: Self.transposed(up)))
    let expected = zip(y.values, Self.transposed(mix)).map { $0 + $1 }
    #expect(got.shape == [4, 16])
    #expect(maxError(got, Tensor(shape: [4, 16], values: expected)) < 1e-6)
  }

  @Test func aDtypeRingcDoesNotReadIsNamed() throws {
    let wide = TestTensor(Self.embed.name, [32, 8], dtype: "F64", seed: 1)
    let dir = try Self.directory(["model.safetensors": SafeTensorsWriter.file([wide, Self.q0, Self.q1])])
    #expect(Self.failure(dir)?.problems == [
      .init(file: dir + "/model.safetensors", "tensor 'model.embed_tokens.weight' has dtype F64; ringc reads F32, F16 and BF16")
    ])
  }

  @Test func aTruncatedShardIsFoundBeforeAnyRead() throws {
    let dir = try Self.sharded()
    let shard = dir + "/model-00002-of-00003.safetensors"
    let bytes = try Data(contentsOf: URL(fileURLWithPath: shard))
    try bytes.dropLast(4).write(to: URL(fileURLWithPath: shard))
    let error = try #require(Self.failure(dir))
    #expect(error.problems.count == 1)
    #expect(error.problems.first?.file == shard)
    #expect(
      error.problems.first?.message
        == "tensor 'model.layers.0.self_attn.q_proj.weight' data offsets [0, 256] lie outside the file's 252 bytes of data (is the file truncated?)")
    #expect(error.exitCode == 65)
  }

  @Test func anIndexNamingAMissingShardIsOneProblemAtTheIndex() throws {
    let dir = try Self.sharded()
    try FileManager.default.removeItem(atPath: dir + "/model-00003-of-00003.safetensors")
    let error = try #require(Self.failure(dir))
    #expect(error.problems == [
      .init(
        file: dir + "/model.safetensors.index.json",
        "tensor 'model.layers.1.self_attn.q_proj.weight' is in model-00003-of-00003.safetensors, which cannot be read: No such file or directory",
        unreadable: true)
    ])
    #expect(error.exitCode == 66)
  }

  @Test func aHeaderLongerThanTheFileIsRefused() throws {
    let dir = try Self.directory(["model.safetensors": [232, 3, 0, 0, 0, 0, 0, 0] + Array("{}".utf8)])
    #expect(Self.failure(dir)?.problems == [.init(file: dir + "/model.safetensors", "header length 1000 does not fit the 10-byte file")])
    let short = try Self.directory(["model.safetensors": [2, 0, 0]])
    #expect(Self.failure(short)?.problems.first?.message == "not a safetensors file: it has 3 bytes, fewer than the 8 of its header length")
  }

  @Test(arguments: [
    ("{\"a\": ", "the header is not valid JSON"),
    ("[1, 2]", "the header is not a safetensors header: at the top level, "),
    ("{\"w\": {\"dtype\": \"F32\", \"data_offsets\": [0, 0]}}", "the header is not a safetensors header: 'w' has no 'shape'"),
    ("{\"__metadata__\": {\"format\": 1}}", "the header is not a safetensors header: at '__metadata__' 'format', "),
    ("{\"w\": {\"dtype\": \"F32\", \"shape\": [1], \"data_offsets\": [0]}}", "tensor 'w' has data_offsets [0]; they must be [begin, end]"),
  ])
  func aMalformedHeaderIsRefused(header: String, message: String) throws {
    let text = Array(header.utf8)
    let dir = try Self.directory(["model.safetensors": (0..<8).map { UInt8(truncatingIfNeeded: text.count >> (8 * $0)) } + text])
    let error = try #require(Self.failure(dir))
    #expect(error.problems.count == 1 && error.problems[0].file == dir + "/model.safetensors")
    // After a comma, the JSON decoder's own words.
    #expect(message.hasSuffix(", ") ? error.problems[0].message.hasPrefix(message) : error.problems[0].message == message, "\(error)")
  }

  @Test(arguments: ["../model-00001-of-00003.safetensors", "/etc/passwd", "sub/model.safetensors", "..", ""])
  func aShardOutsideTheIndexsDirectoryIsRefused(shard: String) throws {
    var shards = Self.shards
    shards[0].file = shard
    let dir = try Self.sharded(Array(shards[1...]))
    try Data(SafeTensorsWriter.index(shards).utf8).write(to: URL(fileURLWithPath: dir + "/model.safetensors.index.json"))
    #expect(Self.failure(dir)?.problems == [
      .init(
        file: dir + "/model.safetensors.index.json",
        "the weight_map puts tensor 'model.embed_tokens.weight' in \"\(shard)\"; a shard must be a file name in the index's directory")
    ])
  }

  @Test(arguments: [
    ("not json", "the index is not valid JSON"),
    ("{\"metadata\": {}}", "the index is not a safetensors index, {\"weight_map\": {tensor: shard file}}: the top level has no 'weight_map'"),
    ("{\"weight_map\": [\"a\"]}", "the index is not a safetensors index, {\"weight_map\": {tensor: shard file}}: at 'weight_map', "),
    ("{\"weight_map\": {\"a\": 3}}", "the index is not a safetensors index, {\"weight_map\": {tensor: shard file}}: at 'weight_map' 'a', "),
  ])
  func aMalformedIndexIsRefused(index: String, message: String) throws {
    let dir = try Self.directory(["model.safetensors.index.json": Array(index.utf8)])
    let error = try #require(Self.failure(dir))
    #expect(error.problems.count == 1 && error.problems[0].file == dir + "/model.safetensors.index.json")
    #expect(message.hasSuffix(", ") ? error.problems[0].message.hasPrefix(message) : error.problems[0].message == message, "\(error)")
    #expect(error.exitCode == 65)
  }

  @Test func aCheckpointOfAnotherModelSaysSo() throws {
    let other = [TestTensor("encoder.weight", [4], seed: 1), TestTensor("decoder.weight", [4], seed: 2)]
    let dir = try Self.directory(["model.safetensors": SafeTensorsWriter.file(other)])
    #expect(Self.failure(dir)?.problems == [
      .init(
        file: dir + "/model.safetensors",
        "none of the 3 tensors the model reads is here, so this does not look like a checkpoint of this model (missing 'model.embed_tokens.weight', 'model.layers.0.self_attn.q_proj.weight', 'model.layers.1.self_attn.q_proj.weight')")
    ])
  }

  @Test func aPathWithNoCheckpointCannotBeRead() throws {
    let empty = try Self.directory([:])
    #expect(Self.failure(empty)?.problems == [
      .init(file: empty, "the directory has neither model.safetensors nor model.safetensors.index.json", unreadable: true)
    ])
    #expect(Self.failure(empty + "/absent")?.problems == [.init(file: empty + "/absent", "cannot read it: No such file or directory", unreadable: true)])
    #expect(Self.failure(empty + "/absent")?.exitCode == 66)
  }

  @Test func aReportListsTheFirstProblemsAndCountsTheRest() {
    let error = CheckpointError((0..<7).map { CheckpointError.Problem(file: "f\($0)", "bad") })
    let lines = error.report(flag: "--weights").split(separator: "\n")
    #expect(lines.count == CheckpointError.reported + 1)
    #expect(lines.first == "error: --weights f0: bad")
    #expect(lines.last == "error: --weights: 2 more problems (7 in all)")
  }
}
