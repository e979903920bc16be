import GraphIR
import PlanIR

/// What must hold of a module at each stage, checked by the pipeline after
/// every pass. A violation is a bug of the pass that left it, reported at
/// the first offending value.
enum StageInvariants {
  static func check(_ module: Module, after pass: String) -> [Diagnostic] {
    switch Stage(of: module) {
    case .graph: return []
    case .partitioned, .scheduled: return concreteDims(module, after: pass)
    }
  }

  /// Every dim of every rank program is a literal: lowerings size blocks,
  /// heads and messages from them.
  static func concreteDims(_ module: Module, after pass: String) -> [Diagnostic] {
    for g in module.graphs where g.rankProgram != nil {
      for a in g.arguments where a.type.dims.contains(where: \.isNamed) {
        return [.error("internal error: pass '\(pass)' left argument %\(a.name) of @\(g.name) with a named dim: \(a.type)", at: a.location)]
      }
      for op in g.ops {
        if let t = op.resultTypes.first(where: { $0.dims.contains(where: \.isNamed) }) {
          return [.error("internal error: pass '\(pass)' left '\(op.opcode.rawValue)' in @\(g.name) with a named dim: \(t)", at: op.location)]
        }
      }
    }
    return []
  }
}

extension Dim {
  var isNamed: Bool { if case .named = self { true } else { false } }
}
