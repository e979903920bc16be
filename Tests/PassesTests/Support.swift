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
/// after every pass: a verified, stamped plan.
func compile(_ name: String, sp: Int, seq: Int64? = nil, strategy: Strategy = .tokenring) throws -> Module {
  var instrumentation = PassInstrumentation()
  instrumentation.verifyEach = true
  return try Compiler.compile(try loadModel(name, seq: seq), sp: sp, strategy: strategy, instrumentation: instrumentation)
}

/// The plan verifier's error messages.
func planErrors(_ m: Module) -> [String] {
  PlanVerifier.verify(m).filter { $0.severity == .error }.map(\.message)
}
