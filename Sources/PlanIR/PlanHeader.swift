import GraphIR

/// What a partitioned or scheduled module says of itself, as typed fields:
/// printed as the module's attributes
///
///     module @m {layout = "zigzag", plan_version = 2, sp = 2, stage = "scheduled", strategy = "tokenring"} {
///
/// and read back, validated, in one place.
public struct PlanHeader: Sendable, Equatable {
  public var stage: Stage
  public var sp: Int
  public var layout: TokenLayout
  /// Nil until a lowering pass has run.
  public var strategy: Strategy?
  /// Set by `Plan.stamp` once the plan is verified.
  public var version: Int64?

  /// The attributes a header owns; everything else belongs to the model.
  public static let attributeNames: Set<String> = ["stage", "sp", "layout", "strategy", "plan_version"]

  public init(stage: Stage, sp: Int, layout: TokenLayout, strategy: Strategy? = nil, version: Int64? = nil) {
    self.stage = stage
    self.sp = sp
    self.layout = layout
    self.strategy = strategy
    self.version = version
  }

  /// The header of `module`; an error at the module if it has none or a
  /// field cannot be read.
  public init(_ module: Module) throws(CompileError) {
    stage = Stage(of: module)
    guard stage != .graph else {
      throw CompileError("module @\(module.name) is a whole model (no stage); it has no plan header", at: module.location)
    }
    guard let sp = module.ranks else {
      throw CompileError("module @\(module.name) needs an sp attribute between 1 and \(1 << 20)", at: module.location)
    }
    self.sp = sp
    guard case .string(let name)? = module.attributes["layout"], var layout = TokenLayout(name) else {
      throw CompileError(
        "module @\(module.name) has no layout ringc reads (contiguous, zigzag, zigzag/U, striped:W, document-zigzag, document-greedy)",
        at: module.location)
    }
    if layout.kind.balancesDocuments {
      // A document layout is a function of the documents the model's attentions keep apart.
      let found = DocumentBalance.documents(of: module)
      guard let documents = found.documents else {
        throw CompileError(
          "module @\(module.name) has the \(layout) layout, but its attentions \(found.agree ? "keep no documents apart" : "keep different documents apart")",
          at: module.location)
      }
      (layout.documents, layout.causal) = (documents, found.causal)
    }
    self.layout = layout
    if let attribute = module.attributes["strategy"] {
      guard case .string(let name) = attribute, let strategy = Strategy(name) else {
        throw CompileError("module @\(module.name) names strategy \(attribute), which ringc does not know", at: module.location)
      }
      self.strategy = strategy
    }
    if case .int(let v)? = module.attributes["plan_version"] { version = v }
  }

  /// Writes the header into `module`'s attributes, replacing any earlier one.
  public func write(to module: inout Module) {
    for name in Self.attributeNames { module.attributes[name] = nil }
    module.attributes["stage"] = .string(stage.rawValue)
    module.attributes["sp"] = .int(Int64(sp))
    module.attributes["layout"] = .string(layout.description)
    if let strategy { module.attributes["strategy"] = .string(strategy.description) }
    if let version { module.attributes["plan_version"] = .int(version) }
  }
}
