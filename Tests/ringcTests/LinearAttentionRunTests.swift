import Foundation
import RingcTestSupport
import Testing

/// LASP-2, LASP-1 and the hybrids, `mpirun -np P ringc run --check` against
/// the dense recurrence, on tiny-linear's shapes with every variant of the
/// linear attention (causal or not, feature map, decay, normalisation) and a
/// length (29) no P divides.
@Suite(.serialized, .enabled(if: mpirunPath != nil, "mpirun is not installed"))
struct LinearAttentionRunTests {
  static let variants = [
    "{causal = true, decay = [0.9, 0.99]}",
    "{}",
    "{causal = true, feature_map = \"elu1\", normalize = true, decay = [0.5, 1.0]}",
    "{feature_map = \"elu1\", normalize = true}",
    "{causal = true, feature_map = \"relu\"}",
  ]

  /// tiny-linear.ir with its attention's attributes replaced.
  static func model(_ attributes: String, in dir: String) throws -> String {
    let source = try String(contentsOfFile: "\(repositoryRoot)/models/tiny-linear.ir", encoding: .utf8)
    let edited = source.replacingOccurrences(of: "{causal = true, decay = [0.9, 0.99]}", with: attributes)
    #expect(edited != source || attributes == variants[0])
    let path = "\(dir)/variant.ir"
    try edited.write(toFile: path, atomically: true, encoding: .utf8)
    return path
  }

  static func check(_ model: String, strategy: String, sp: Int, layers: Int = 2, in dir: String) throws {
    let plan = "\(dir)/\(strategy).sp\(sp).plan"
    let compiled = try ringc(["compile", model, "--sp", "\(sp)", "--seq", "29", "--strategy", strategy, "-o", plan])
    #expect(compiled.status == 0, "\(strategy) sp \(sp): \(compiled.stderr)")
    let r = try mpirun(sp, ["run", plan, "--check", "--json"])
    #expect(r.status == 0, "\(strategy) sp \(sp): \(r.stderr)")
    let json = try #require(JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as? [String: Any], "\(r.stdout)")
    #expect(json["passed"] as? Bool == true, "\(strategy) sp \(sp): \(r.stdout)")
    #expect((json["layers"] as? [Any])?.count == layers, "every attention layer is compared")
  }

  @Test(arguments: ["lasp2", "lasp1"], variants)
  func linearMatchesTheDenseRecurrence(strategy: String, attributes: String) throws {
    let dir = try temporaryDirectory()
    let model = try Self.model(attributes, in: dir)
    for sp in attributes == Self.variants[0] || attributes == Self.variants[3] ? [2, 3, 4] : [3] {
      try Self.check(model, strategy: strategy, sp: sp, in: dir)
    }
  }

  /// Hybrid (a linear and a softmax layer per block, 2 blocks): linear layers
  /// by LASP, softmax layers by the named strategy — LASP-2 in the softmax
  /// strategy's layout (zigzag, striped), LASP-1 contiguous.
  @Test(arguments: [
    "lasp2h", "lasp2+ulysses", "lasp1+ring", "lasp2+usp:2x2", "lasp2+tokenring", "lasp2+striped:3", "lasp2+usp:2x2:tokenring",
  ])
  func hybridMatchesTheDenseReference(strategy: String) throws {
    let dir = try temporaryDirectory()
    try Self.check("\(repositoryRoot)/models/tiny-hybrid.ir", strategy: strategy, sp: strategy.contains("u") ? 4 : 3, layers: 4, in: dir)
  }
}

/// Strategies that cannot lower a layer refuse it with its location.
@Suite struct LinearAttentionRefusalTests {
  @Test(arguments: [
    ("tiny-linear.ir", "ring", "29:10: error: ring splits softmax attention; linear_attention needs lasp2 or lasp1"),
    ("tiny.ir", "lasp2", "30:10: error: lasp2 lowers linear attention only"),
    ("tiny-hybrid.ir", "lasp1+tokenring", "57:11: error: tokenring needs the zigzag layout for causal attention"),
    ("tiny-hybrid.ir", "lasp1+ring-zigzag", "57:11: error: ring-zigzag needs the zigzag layout"),
  ])
  func refusesWithALocatedReason(model: String, strategy: String, message: String) throws {
    let dir = try temporaryDirectory()
    let r = try ringc(["compile", "models/\(model)", "--sp", "2", "--strategy", strategy, "-o", "\(dir)/p.plan"])
    #expect(r.status == 65)
    #expect(r.stderr.contains("models/\(model):\(message)"), "\(r.stderr)")
    #expect(!FileManager.default.fileExists(atPath: "\(dir)/p.plan"))
  }
}
