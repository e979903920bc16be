import GraphIR

/// A compiled plan: a scheduled module split over `sp` ranks, with its
/// channels, the rank programs of each source graph and the version of the
/// plan format.
public enum Plan {
  /// Bumped whenever the meaning of a plan changes.
  public static let version: Int64 = 2

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
  /// (those that are no rank's program), dims and weights, at stage graph.
  public static func sourceModule(_ plan: Module) -> Module {
    var m = plan
    m.graphs = plan.sourceGraphs
    m.channels = []
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
    let stripes = layout.stripeCount(sequence: seq.value)
    if p % layout.groupSize != 0 || seq.value < layout.minimumSequence(ranks: p)
      || (layout.kind == .striped && (stripes < Int64(p) || stripes / Int64(p) > TokenLayout.stripeLimit))
    {
      throw CompileError("sequence \(seq.value) and sp \(p) do not fit the \(layout) layout", at: module.location)
    }
    return layout.tokens(sequence: seq.value, ranks: p)
  }

  /// The name given to rank `rank`'s program of graph `name`: `layer.r3`.
  /// Only a name: tools find rank programs by their `RankProgram`.
  public static func rankGraphName(_ name: String, rank: Int) -> String { "\(name).r\(rank)" }

  /// Rank programs by source graph, each family's programs in rank order.
  public static func families(_ module: Module) -> [(name: String, graphs: [Graph])] {
    var order: [String] = []
    var byName: [String: [Int: Graph]] = [:]
    for g in module.graphs {
      guard let p = g.rankProgram else { continue }
      if byName[p.source] == nil { order.append(p.source) }
      byName[p.source, default: [:]][p.rank] = g
    }
    return order.map { name in
      (name, byName[name]!.keys.sorted().map { byName[name]![$0]! })
    }
  }

  /// The type of every value of `g`.
  public static func valueTypes(of g: Graph) -> [String: TensorType] {
    var t = [String: TensorType](minimumCapacity: g.arguments.count + g.ops.reduce(0) { $0 + $1.results.count })
    for a in g.arguments where t[a.name] == nil { t[a.name] = a.type }
    for op in g.ops { for (n, ty) in zip(op.results, op.resultTypes) { t[n] = ty } }
    return t
  }
}
