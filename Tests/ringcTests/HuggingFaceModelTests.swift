import Foundation
import RingcTestSupport
import Testing

/// Hugging Face checkpoints end to end: `ringc import` of each fixture's
/// config, `compile`, `mpirun -np P ringc run --weights DIR --input ids.npy
/// --output logits.npy`, compared with the logits transformers computed
/// (`scripts/make-hf-fixtures.py`; `Tests/Fixtures/hf/README.md`).
@Suite(.serialized, .enabled(if: mpirunPath != nil, "mpirun is not installed"))
struct HuggingFaceModelTests {
  static let fixtures = repositoryRoot + "/Tests/Fixtures/hf"
  /// Max |ringc − transformers| relative to the largest |logit|, in f32.
  static let tolerance = 1e-4

  /// The fixtures and the strategies that run them (Mistral's sliding
  /// window on every strategy that honours windows).
  static let cases: [(String, [String])] = {
    let all = ["tokenring", "ring-zigzag", "ulysses", "usp:2x2", "allgather"]
    return [
      ("llama-gqa", all), ("llama-tied", all), ("llama-sharded", ["tokenring"]), ("qwen2", all), ("qwen3", all),
      ("mistral", all + ["ring", "usp:2x2:tokenring"]),
    ]
  }()

  /// Imports fixture `name` into `dir`; returns the model's path.
  static func importModel(_ name: String, into dir: String) throws -> String {
    let model = "\(dir)/\(name).ir"
    let r = try ringc(["import", "\(fixtures)/\(name)", "-o", model])
    #expect(r.status == 0, "\(name): \(r.stderr)")
    return model
  }

  /// Runs `model` at P ranks with `strategy` on the fixture's first `seq`
  /// tokens; returns the max relative error against transformers' logits.
  static func relativeError(_ name: String, model: String, strategy: String, sp: Int, seq: Int, in dir: String) throws -> Double {
    let ids = try NPYFixture.read("\(fixtures)/\(name)/ids.npy")
    let want = try NPYFixture.read("\(fixtures)/\(name)/logits.npy")
    let input = "\(dir)/ids\(seq).npy"
    try Data(NPYFixture.encodeInt64(Array(ids.values.prefix(seq)).map { Int64($0) })).write(to: URL(fileURLWithPath: input))
    let plan = "\(dir)/\(name).\(strategy).sp\(sp).s\(seq).plan"
    let compiled = try ringc(["compile", model, "--sp", "\(sp)", "--seq", "\(seq)", "--strategy", strategy, "-o", plan])
    #expect(compiled.status == 0, "\(name) \(strategy) sp \(sp): \(compiled.stderr)")
    let output = "\(dir)/\(name).\(strategy).sp\(sp).s\(seq).npy"
    let r = try mpirun(sp, ["run", plan, "--weights", "\(fixtures)/\(name)", "--input", input, "--output", output, "--check", "--quiet"])
    #expect(r.status == 0, "\(name) \(strategy) sp \(sp): \(r.stderr)")
    let got = try NPYFixture.read(output)
    let vocab = want.shape[1]
    #expect(got.shape == [seq, vocab], "\(name) \(strategy) sp \(sp)")
    var (maxError, maxReference) = (0.0, 0.0)
    for i in 0..<min(got.values.count, seq * vocab) {
      maxError = max(maxError, abs(got.values[i] - want.values[i]))
      maxReference = max(maxReference, abs(want.values[i]))
    }
    return maxReference > 0 ? maxError / maxReference : .infinity
  }

  /// Every fixture and strategy at P = 4 on all 24 tokens, and on 13 (not a
  /// multiple of 2P, so the layouts' pieces are uneven).
  @Test(arguments: cases)
  func logitsMatchTransformers(name: String, strategies: [String]) throws {
    let dir = try temporaryDirectory()
    let model = try Self.importModel(name, into: dir)
    for strategy in strategies {
      for seq in [24, 13] {
        let error = try Self.relativeError(name, model: model, strategy: strategy, sp: 4, seq: seq, in: dir)
        #expect(error <= Self.tolerance, "\(name) \(strategy) sp 4 seq \(seq): max relative error \(error)")
      }
    }
  }

  /// One and two ranks, for the first strategy each fixture takes.
  @Test(arguments: cases)
  func fewerRanksMatchToo(name: String, strategies: [String]) throws {
    let dir = try temporaryDirectory()
    let model = try Self.importModel(name, into: dir)
    for sp in [1, 2] {
      let error = try Self.relativeError(name, model: model, strategy: strategies[0], sp: sp, seq: 24, in: dir)
      #expect(error <= Self.tolerance, "\(name) \(strategies[0]) sp \(sp): max relative error \(error)")
    }
  }
}

/// The `.npy` files the fixtures use (little-endian `<f4`, `<i8`, `<i4`,
/// format 1.0), read independently of ringc's own reader.
enum NPYFixture {
  struct Array {
    var shape: [Int]
    var values: [Double]
  }

  struct Malformed: Error, CustomStringConvertible {
    var description: String
  }

  static func read(_ path: String) throws -> Array {
    let bytes = [UInt8](try Data(contentsOf: URL(fileURLWithPath: path)))
    guard bytes.count >= 10, bytes[0] == 0x93, bytes[6] == 1 else { throw Malformed(description: "\(path): not a version 1 .npy") }
    let length = Int(bytes[8]) | Int(bytes[9]) << 8
    let header = String(decoding: bytes[10..<(10 + length)], as: UTF8.self)
    guard let descr = header.firstMatch(of: /'descr': '([<|]?[a-z]\d)'/)?.1, let dims = header.firstMatch(of: /'shape': \(([^)]*)\)/)?.1
    else { throw Malformed(description: "\(path): header \(header)") }
    let shape = dims.split(separator: ",").compactMap { Int($0.trimmingCharacters(in: .whitespaces)) }
    let data = bytes[(10 + length)...]
    let count = shape.reduce(1, *)
    func word(_ i: Int, _ width: Int) -> UInt64 {
      (0..<width).reduce(UInt64(0)) { $0 | UInt64(data[data.startIndex + i * width + $1]) << (8 * $1) }
    }
    let values: [Double]
    switch descr {
    case "<f4": values = (0..<count).map { Double(Float(bitPattern: UInt32(word($0, 4)))) }
    case "<i8": values = (0..<count).map { Double(Int64(bitPattern: word($0, 8))) }
    case "<i4": values = (0..<count).map { Double(Int32(bitPattern: UInt32(word($0, 4)))) }
    default: throw Malformed(description: "\(path): dtype \(descr)")
    }
    return Array(shape: shape, values: values)
  }

  static func encodeInt64(_ values: [Int64]) -> [UInt8] {
    var header = "{'descr': '<i8', 'fortran_order': False, 'shape': (\(values.count),), }"
    header += String(repeating: " ", count: (64 - (10 + header.utf8.count + 1) % 64) % 64) + "\n"
    var bytes: [UInt8] = [0x93] + Swift.Array("NUMPY".utf8) + [1, 0, UInt8(header.utf8.count & 0xff), UInt8(header.utf8.count >> 8)]
    bytes += header.utf8
    for v in values { bytes += (0..<8).map { UInt8(truncatingIfNeeded: UInt64(bitPattern: v) >> (8 * $0)) } }
    return bytes
  }
}
