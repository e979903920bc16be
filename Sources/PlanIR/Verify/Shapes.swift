import GraphIR

extension PlanVerifier {
  /// Every rank program has its source graph's signature with the sequence
  /// dimension replaced by the rank's token count under the plan's layout,
  /// and its `positions` list exactly the rank's tokens. A plan whose `dim S`,
  /// `sp` or layout was edited apart from its programs is caught here, before
  /// anything sizes a buffer from it.
  mutating func checkShapes() -> Bool {
    guard let seq = module.sequenceDim?.name else { return true }
    let bindings = module.bindings
    let layout = (try? PlanHeader(module))?.layout.description ?? "plan's"
    let before = diagnostics.count
    for g in module.graphs {
      guard let program = g.rankProgram, program.rank < ranks, let source = module.graph(named: program.source)
      else { continue }
      let rank = program.rank
      let local = Dim.literal(tokens[rank].count)
      func expected(_ t: TensorType) -> [Int64]? {
        bindings.extents(of: TensorType(t.dtype, t.dims.map { $0 == .named(seq) ? local : $0 }))
      }
      let signature = zip(g.arguments.map(\.type), source.arguments.map(\.type)).map { ($0, $1, "argument") }
        + zip(g.resultTypes, source.resultTypes).map { ($0, $1, "result") }
      guard g.arguments.count == source.arguments.count, g.resultTypes.count == source.resultTypes.count else {
        error(rank, "@\(g.name) does not have the signature of its source @\(source.name)", at: g.location)
        continue
      }
      for (i, (have, whole, what)) in signature.enumerated() where bindings.extents(of: have) != expected(whole) {
        let position = i < g.arguments.count ? i : i - g.arguments.count
        error(
          rank,
          "\(what) \(position) of @\(g.name) is \(have), but the \(layout) layout gives rank \(rank) "
            + "\(tokens[rank].count) of the \(module.sequenceDim!.value) tokens of @\(source.name)'s \(whole)",
          at: g.location)
      }
      for op in g.ops where op.opcode == .positions && TokenRanges(attribute: op.attributes["ranges"]) != tokens[rank] {
        error(rank, "positions in @\(g.name) must list the rank's tokens \(tokens[rank].attribute)", at: op.location)
      }
    }
    return diagnostics.count == before
  }
}
