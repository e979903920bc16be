import GraphIR
import Passes
import PlanIR
import RingcTestSupport
import Testing

func loadModel(_ name: String, seq: Int64? = nil) throws -> Module {
  var m = try Parser.parse(try readText(repositoryRoot + "/models/" + name), file: name)
  if let seq { _ = m.setSequenceLength(seq) }
  return m
}

/// Compiles with a strategy's pipeline (TokenRing by default), verifying
/// after every pass, and stamps the result as a plan.
func compile(_ name: String, sp: Int, seq: Int64? = nil, strategy: Strategy = .tokenring) throws -> Module {
  var m = try loadModel(name, seq: seq)
  try PassPipeline(parsing: strategy.pipeline).run(&m, PassContext(sp: sp), verifyEach: true)
  Plan.stamp(&m)
  return m
}

/// The plan verifier's error messages.
func planErrors(_ m: Module) -> [String] {
  PlanVerifier.verify(m).filter { $0.severity == .error }.map(\.message)
}
