import GraphIR
import PlanIR
import Simulation

/// The one way from a model to a verified plan, for `ringc compile`,
/// `run --seq`, `compare`, `--strategy auto` and the tests:
///
///     model ──strategy's pipeline (or the given one)──▶ scheduled
///           ──overlap-schedule (with a profile)──▶ stamped ──plan verifier──▶ plan
///
/// Constant documents are folded into their attentions first (inputs must
/// have been bound with `Module.bindDocuments`). A pipeline that does not end at stage `scheduled` is a usage error; a
/// plan the verifier rejects is ringc's bug (`internal`), never written.
public enum Compiler {
  /// `layout` replaces the strategy's own layout (a document-balancing one;
  /// the strategy's lowering says whether it takes it).
  public static func compile(
    _ model: Module, sp: Int, strategy: Strategy, layout: TokenLayout.Kind? = nil, pipeline: PassPipeline? = nil,
    profile: DeviceProfile? = nil, memoryBudget: Double? = nil,
    instrumentation: PassInstrumentation = PassInstrumentation()
  ) throws(CompileError) -> Module {
    var passes: PassPipeline
    if let pipeline {
      passes = pipeline
    } else {
      passes = try PassPipeline(parsing: strategy.pipeline)
      if let layout {
        for i in passes.passes.indices {
          guard var shard = passes.passes[i] as? ShardSequencePass else { continue }
          shard.layout = layout
          passes.passes[i] = shard
        }
      }
    }
    if let profile, pipeline == nil {
      passes.passes.append(OverlapSchedulePass(profile: profile, memoryBudget: memoryBudget))
    }
    var module = model
    // Passes read one spelling of a mask: documents folded into the attentions.
    do { try module.bindDocuments(nil) } catch {
      throw CompileError(error.message, at: error.location, isUsage: error.isUsage)
    }
    try passes.run(&module, PassContext(sp: sp), instrumentation)
    let stage = Stage(of: module)
    guard stage == .scheduled else {
      throw CompileError(
        "the pipeline ends at stage \(stage.rawValue); a plan is scheduled, so end it with a lowering pass (\(Strategy.tokenring.passName), ring, …)",
        kind: .usage)
    }
    Plan.stamp(&module)
    let problems = PlanVerifier.verify(module)
    if !problems.isEmpty {
      throw CompileError([.error("internal error: the compiled plan fails verification", at: nil)] + problems, kind: .internal)
    }
    return module
  }
}
