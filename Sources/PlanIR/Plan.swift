import GraphIR

/// A compiled plan: a scheduled module split over `sp` ranks, with the rank
/// programs `@g.rR` and the version of the plan format.
public enum Plan {
  /// Bumped whenever the meaning of a plan changes.
  public static let version: Int64 = 1

  /// Stamps `module` as a plan of this version.
  public static func stamp(_ module: inout Module) {
    module.attributes["plan_version"] = .int(version)
  }

  /// Checks that `module` is a plan ringc can read; returns its header.
  @discardableResult
  public static func check(_ module: Module) throws(CompileError) -> PlanHeader {
    guard case .int(let v)? = module.attributes["plan_version"] else {
      throw CompileError("module @\(module.name) is not a plan (no plan_version); compile it with 'ringc compile'", at: module.location)
    }
    guard v == version else {
      throw CompileError("plan version \(v) is not supported; this ringc reads version \(version)", at: module.location)
    }
    guard Stage(of: module) == .scheduled, module.ranks != nil else {
      throw CompileError("plan @\(module.name) must be stage \"scheduled\" with an sp attribute", at: module.location)
    }
    return try PlanHeader(module)
  }

  /// The whole-sequence model a plan was compiled from: its source graphs
  /// (those without a rank suffix), dims and weights, at stage graph.
  public static func sourceModule(_ plan: Module) -> Module {
    var m = plan
    m.graphs = plan.graphs.filter { family(of: $0.name) == nil }
    m.attributes = plan.attributes.filter { !PlanHeader.attributeNames.contains($0.key) }
    return m
  }

  /// The per-rank token layout of a plan or partitioned module.
  public static func tokens(_ module: Module) throws(CompileError) -> [TokenRanges] {
    let header = try PlanHeader(module)
    let (p, layout) = (header.sp, header.layout)
    guard let seq = module.sequenceDim else {
      throw CompileError("module @\(module.name) has no sequence dimension", at: module.location)
    }
    if seq.value < layout.minimumSequence(ranks: p) || p % layout.groupSize != 0 {
      throw CompileError("sequence \(seq.value) and sp \(p) do not fit the \(layout) layout", at: module.location)
    }
    return layout.tokens(sequence: seq.value, ranks: p)
  }

  /// The name of rank `rank`'s copy of graph `name`: `layer.r3`.
  public static func rankGraphName(_ name: String, rank: Int) -> String { "\(name).r\(rank)" }

  /// Splits `layer.r3` into ("layer", 3).
  public static func family(of graphName: String) -> (name: String, rank: Int)? {
    guard let dot = graphName.lastIndex(of: "."),
      graphName[graphName.index(after: dot)...].first == "r",
      let rank = Int(graphName[graphName.index(dot, offsetBy: 2)...])
    else { return nil }
    return (String(graphName[..<dot]), rank)
  }

  /// Graph families: base name → each rank's graph, in rank order.
  public static func families(_ module: Module) -> [(name: String, graphs: [Graph])] {
    var order: [String] = []
    var byName: [String: [Int: Graph]] = [:]
    for g in module.graphs {
      guard let (name, rank) = family(of: g.name) else { continue }
      if byName[name] == nil { order.append(name) }
      byName[name, default: [:]][rank] = g
    }
    return order.map { name in
      (name, byName[name]!.keys.sorted().map { byName[name]![$0]! })
    }
  }

  /// The type of every value of `g`.
  public static func valueTypes(of g: Graph) -> [String: TensorType] {
    var t = Dictionary(g.arguments.map { ($0.name, $0.type) }, uniquingKeysWith: { a, _ in a })
    for op in g.ops { for (n, ty) in zip(op.results, op.resultTypes) { t[n] = ty } }
    return t
  }
}
