import GraphIR

/// Checks a compiled plan across all its ranks, beyond what the IR verifier
/// checks per graph:
///
/// 0. **Shapes**: each rank program's signature and positions are its
///    source graph's under the layout's share of tokens for that rank.
/// 1. **Pairing**: every `send.start` has exactly one `recv.start` on its peer
///    with the same channel and step, and the same tensor types (so the same
///    bytes), and vice versa; every start has its done.
/// 2. **Deadlock freedom**: all ranks' programs, executed together with
///    blocking semantics (a `recv.done` waits for the peer's `send.start`, a
///    `send.done` for the peer's `recv.start`), run to the end.
/// 3. **Coverage**: following which global tokens every tensor's rows hold,
///    each rank's attention output merges, exactly once, the partial of every
///    (query, key) block the mask allows, and no block the mask hides
///    entirely is computed.
///
/// Each error names the rank, the op (its line in the plan) and the peer.
/// The rank programs of one source graph (`@layer.r0 … @layer.r{P−1}`) are checked together;
/// families are closed (their messages stay inside one call), so one
/// iteration of a repeated layer stands for all of them.
public struct PlanVerifier {
  let module: Module
  let ranks: Int
  let tokens: [TokenRanges]
  let sequence: Int64
  var diagnostics: [Diagnostic] = []
  /// Errors reported at most, so a badly broken plan gives a readable list.
  static let errorLimit = 20

  public static func verify(_ module: Module) -> [Diagnostic] {
    do {
      let ranks = try Plan.check(module).sp
      var v = PlanVerifier(module: module, ranks: ranks, tokens: try Plan.tokens(module), sequence: module.sequenceDim!.value)
      v.run()
      return v.diagnostics
    } catch {
      return error.diagnostics
    }
  }

  mutating func error(_ rank: Int, _ message: String, at loc: SourceLocation?) {
    if diagnostics.count < Self.errorLimit {
      diagnostics.append(.error("rank \(rank): \(message)", at: loc))
    }
  }

  mutating func run() {
    guard checkShapes() else { return }
    let families = Plan.families(module)
    for (name, graphs) in families {
      if graphs.count != ranks || graphs.enumerated().contains(where: { $0.element.rankProgram?.rank != $0.offset }) {
        diagnostics.append(.error("@\(name) must have one rank program for each of ranks 0 ..< \(ranks)", at: graphs.first?.location))
        continue
      }
      checkCalls(name, graphs)
      if checkPairing(graphs) { simulate(graphs) }
    }
  }

  /// Every rank must call the same families the same number of times.
  private mutating func checkCalls(_ family: String, _ graphs: [Graph]) {
    func calls(_ g: Graph) -> [String] {
      g.ops.compactMap { op in
        guard op.opcode == .repeat, case .symbol(let callee) = op.operands[0] else { return nil }
        let source = module.graph(named: callee)?.rankProgram?.source ?? callee
        return "\(source)×\(op.attributes["count"] ?? .int(0))"
      }
    }
    let reference = calls(graphs[0])
    for (r, g) in graphs.enumerated() where calls(g) != reference {
      error(r, "@\(g.name) calls \(calls(g)), but rank 0 calls \(reference)", at: g.location)
    }
  }
}
