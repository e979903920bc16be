import Foundation
import RingcTestSupport
import Testing

/// `mpirun -np 2 ringc run PLAN --weights CHECKPOINT` on lm-ends (an
/// embedding, per-layer q projections stored transposed, a tied LM head):
/// checkpoints as transformers saves them load and pass --check; a bad one is
/// one line from rank 0, and the same exit code from every rank, before the
/// run. Serialized: each case starts two ranks on a two-core machine.
@Suite(.serialized, .enabled(if: mpirunPath != nil, "mpirun is not installed"))
struct CheckpointRunTests {
  static let embed = LMEndsCheckpoint.embed
  static let q0 = LMEndsCheckpoint.q0
  static let q1 = LMEndsCheckpoint.q1
  static let shards = LMEndsCheckpoint.shards

  static func plan(in dir: String) throws -> String {
    let plan = dir + "/lm.plan"
    let r = try ringc(["compile", "Tests/IRTextTests/Inputs/lm-ends.ir", "--sp", "2", "-o", plan])
    #expect(r.status == 0, "\(r.stderr)")
    return plan
  }

  /// Directory `dir` holding `files` (name → bytes).
  static func write(_ files: [String: [UInt8]], to dir: String) throws -> String {
    try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
    for (name, bytes) in files { try Data(bytes).write(to: URL(fileURLWithPath: dir + "/" + name)) }
    return dir
  }

  static func sharded(_ shards: [(file: String, tensors: [TestTensor])] = shards, index: [(file: String, tensors: [TestTensor])]? = nil, to dir: String) throws -> String {
    var files = ["model.safetensors.index.json": Array(SafeTensorsWriter.index(index ?? shards).utf8)]
    for shard in shards { files[shard.file] = SafeTensorsWriter.file(shard.tensors) }
    return try write(files, to: dir)
  }

  @Test func checkpointsAsTransformersSavesThemPassTheCheck() throws {
    let dir = try temporaryDirectory()
    let plan = try Self.plan(in: dir)
    let half = [
      TestTensor(Self.embed.name, [32, 8], dtype: "F16", values: Self.embed.values),
      TestTensor(Self.q0.name, [8, 8], dtype: "BF16", values: Self.q0.values), Self.q1,
    ]
    let checkpoints = [
      try Self.write(["model.safetensors": SafeTensorsWriter.file([Self.embed, Self.q0, Self.q1])], to: dir + "/one"),
      try Self.sharded(to: dir + "/three"),
      dir + "/three/model.safetensors.index.json",
      try Self.write(["w.safetensors": SafeTensorsWriter.file([Self.q1, Self.embed, Self.q0])], to: dir + "/file") + "/w.safetensors",
      try Self.write(["model.safetensors": SafeTensorsWriter.file(half)], to: dir + "/half"),
    ]
    for checkpoint in checkpoints {
      let r = try mpirun(2, ["run", plan, "--check", "--weights", checkpoint, "--json"])
      #expect(r.status == 0, "\(checkpoint): \(r.stderr)")
      #expect(r.stdout.contains("\"passed\": true"), "\(checkpoint): \(r.stdout)")
    }
  }

  /// The checkpoint decides the output: a run with other weights differs.
  @Test func theWeightsAreTheCheckpoints() throws {
    let dir = try temporaryDirectory()
    let plan = try Self.plan(in: dir)
    let one = try Self.write(["model.safetensors": SafeTensorsWriter.file([Self.embed, Self.q0, Self.q1])], to: dir + "/one")
    let swapped = try Self.write(
      ["model.safetensors": SafeTensorsWriter.file([Self.embed, TestTensor(Self.q0.name, [8, 8], values: Self.q1.values), TestTensor(Self.q1.name, [8, 8], values: Self.q0.values)])],
      to: dir + "/swapped")
    var dumps: [Data] = []
    for checkpoint in [one, one, swapped] {
      let out = dir + "/dump-" + UUID().uuidString
      let r = try mpirun(2, ["run", plan, "--weights", checkpoint, "--dump-tensors", out])
      #expect(r.status == 0, "\(r.stderr)")
      dumps.append(try Data(contentsOf: URL(fileURLWithPath: out + "/layer1.out.npy")))
    }
    #expect(dumps[0] == dumps[1])
    #expect(dumps[0] != dumps[2])
  }

  /// A bad checkpoint, and the one line rank 0 prints for it.
  enum Bad: String, CaseIterable {
    case missingTensor, wrongShape, wrongDtype, truncatedShard, missingShard, headerBeyondFile, shardOutsideDirectory, otherModel

    /// Writes the checkpoint into `dir`; returns the error line and the exit code.
    func write(to dir: String) throws -> (line: String, status: Int32) {
      let q1 = CheckpointRunTests.q1.name
      func single(_ tensors: [TestTensor]) throws -> String {
        try CheckpointRunTests.write(["model.safetensors": SafeTensorsWriter.file(tensors)], to: dir) + "/model.safetensors"
      }
      let (embed, q0) = (CheckpointRunTests.embed, CheckpointRunTests.q0)
      switch self {
      case .missingTensor:
        return ("--weights \(try single([embed, q0])): tensor '\(q1)' is missing; weight @wq of layer 1 reads it", 65)
      case .wrongShape:
        let file = try single([embed, q0, TestTensor(q1, [4, 16], seed: 3)])
        return (
          "--weights \(file): tensor '\(q1)' has shape [4, 16]; weight @wq of layer 1 is [8, 8] with transpose = true, so the checkpoint must store it as [8, 8]",
          65
        )
      case .wrongDtype:
        let file = try single([embed, TestTensor(q0.name, [8, 8], dtype: "F64", seed: 2), CheckpointRunTests.q1])
        return ("--weights \(file): tensor '\(q0.name)' has dtype F64; ringc reads F32, F16 and BF16", 65)
      case .truncatedShard:
        let shard = try CheckpointRunTests.sharded(to: dir) + "/model-00002-of-00003.safetensors"
        try Data(contentsOf: URL(fileURLWithPath: shard)).dropLast(4).write(to: URL(fileURLWithPath: shard))
        return ("--weights \(shard): tensor '\(q0.name)' data offsets [0, 256] lie outside the file's 252 bytes of data (is the file truncated?)", 65)
      case .missingShard:
        let index = try CheckpointRunTests.sharded(Array(CheckpointRunTests.shards.prefix(2)), index: CheckpointRunTests.shards, to: dir)
          + "/model.safetensors.index.json"
        return ("--weights \(index): tensor '\(q1)' is in model-00003-of-00003.safetensors, which cannot be read: No such file or directory", 66)
      case .headerBeyondFile:
        let file = try CheckpointRunTests.write(["model.safetensors": [232, 3, 0, 0, 0, 0, 0, 0] + Array("{}".utf8)], to: dir) + "/model.safetensors"
        return ("--weights \(file): header length 1000 does not fit the 10-byte file", 65)
      case .shardOutsideDirectory:
        var shards = CheckpointRunTests.shards
        shards[0].file = "../model-00001-of-00003.safetensors"
        let index = try CheckpointRunTests.sharded(Array(shards[1...]), index: shards, to: dir) + "/model.safetensors.index.json"
        return (
          "--weights \(index): the weight_map puts tensor '\(embed.name)' in \"../model-00001-of-00003.safetensors\"; a shard must be a file name in the index's directory",
          65
        )
      case .otherModel:
        let file = try single([TestTensor("encoder.weight", [4], seed: 1)])
        return (
          "--weights \(file): none of the 3 tensors the model reads is here, so this does not look like a checkpoint of this model (missing '\(embed.name)', '\(q0.name)', '\(q1)')",
          65
        )
      }
    }
  }

  @Test(arguments: Bad.allCases)
  func aBadCheckpointIsOneLineAndOneExitCodeBeforeTheRun(bad: Bad) throws {
    let dir = try temporaryDirectory()
    let plan = try Self.plan(in: dir)
    let (line, status) = try bad.write(to: dir + "/ckpt")
    let r = try mpirun(2, ["run", plan, "--weights", dir + "/ckpt"])
    #expect(r.status == status, "\(r.stderr)")
    #expect(r.stderr.components(separatedBy: "error: \(line)\n").count == 2, "\(r.stderr)")
    #expect(r.stderr.components(separatedBy: "error: --weights").count == 2, "\(r.stderr)")
    #expect(!r.stdout.contains("on 2 ranks"), "\(r.stdout)")
  }
}
