/// Checks a parsed module: names, types, op signatures, SSA order.
///
/// Rules, each reported with the location of the offending item:
/// - named dimensions are declared once, positive, and at most one is the
///   sequence; every type uses declared dimensions and has fewer than 2⁶³
///   elements and bytes;
/// - symbols (dims, weights, channels, graphs) are unique; `@main` exists,
///   or in a module split over ranks, a program of it for every rank, and
///   each rank program names a whole-sequence source graph;
/// - in each graph, values are defined once and before use, each op matches
///   its `OpSpec` (operand count, attributes) and its type rule, and the
///   annotated result types equal the inferred ones; the graph ends with one
///   `return` whose operands match the signature;
/// - `repeat` calls a graph of type `(T) -> T` that repeats nothing itself,
///   of the same rank as the caller;
/// - every `chan` names a declared channel;
/// - a `documents` result is only ever an attention's fourth operand, and
///   an attention's fourth operand is always one.
///
/// A failing op poisons its results, so one mistake gives one error, not a
/// cascade.
public struct Verifier {
  let module: Module
  let bindings: DimBindings
  let symbols: SymbolTable
  private(set) var diagnostics: [Diagnostic] = []
  /// Warnings of one kind reported at most.
  static let warningLimit = 10
  /// The most iterations a `repeat` may have: far above any model's layer
  /// count, low enough that per-layer tables stay small.
  public static let maxRepeat: Int64 = 1 << 16
  /// The largest `step` an op may carry (plans use a few per attention).
  public static let maxStep: Int64 = 1 << 20

  public init(_ module: Module) {
    self.module = module
    self.bindings = module.bindings
    self.symbols = SymbolTable(module)
  }

  /// All diagnostics (errors and warnings) for `module`, with at most
  /// `Parser.errorLimit` errors and a last one counting the rest, so one
  /// broken attribute of a large plan gives a readable report.
  public static func diagnose(_ module: Module) -> [Diagnostic] {
    var v = Verifier(module)
    v.run()
    let errors = v.diagnostics.filter { $0.severity == .error }
    guard errors.count > Parser.errorLimit else { return v.diagnostics }
    var kept = 0
    var out = v.diagnostics.filter { d in
      guard d.severity == .error else { return true }
      kept += 1
      return kept <= Parser.errorLimit
    }
    out.append(.error("\(errors.count - Parser.errorLimit) more errors not shown", at: module.location))
    return out
  }

  /// Throws the errors for `module`, if any.
  public static func verify(_ module: Module) throws(DiagnosticError) {
    let errors = diagnose(module).filter { $0.severity == .error }
    if !errors.isEmpty { throw DiagnosticError(errors) }
  }

  private mutating func error(_ message: String, at loc: SourceLocation?, notes: [Diagnostic] = []) {
    diagnostics.append(.error(message, at: loc, notes: notes))
  }

  mutating func run() {
    checkDims()
    var declared: [String: SourceLocation?] = [:]
    func declare(_ name: String, _ loc: SourceLocation?, _ v: inout Verifier) {
      if let previous = declared[name] {
        v.error(
          "symbol @\(name) is already defined", at: loc,
          notes: [.note("previous definition is here", at: previous)])
      } else {
        declared[name] = loc
      }
    }
    for w in module.weights {
      declare(w.name, w.location, &self)
      checkType(w.type, at: w.location)
    }
    for c in module.channels { declare(c.name, c.location, &self) }
    for g in module.graphs { declare(g.name, g.location, &self) }
    checkRankPrograms()
    for g in module.graphs {
      checkGraph(g)
      checkDocumentUses(g)
    }
    checkWeightSources()
    warnUnusedWeights()
  }

  /// A checkpoint name per instance: `{l}` in the source of a weight that a
  /// repeated graph reads (one tensor per layer), nowhere else.
  private mutating func checkWeightSources() {
    let repeated = Set(module.graphs.flatMap { g in
      g.ops.filter { $0.opcode == .repeat }.compactMap { op -> String? in
        if case .symbol(let s)? = op.operands.first { s } else { nil }
      }
    })
    var perLayer: Set<String> = []
    var once: Set<String> = []
    for g in module.graphs {
      for op in g.ops where op.opcode != .repeat {
        for case .symbol(let s) in op.operands {
          if repeated.contains(g.rankProgram?.source ?? g.name) { perLayer.insert(s) } else { once.insert(s) }
        }
      }
    }
    let placeholder = WeightDecl.layerPlaceholder
    for w in module.weights {
      if w.transpose && w.type.rank != 2 {
        error("weight @\(w.name) is \(w.type); only a matrix can be stored transposed", at: w.location)
      }
      guard let source = w.source else { continue }
      if source.isEmpty { error("weight @\(w.name) has an empty source", at: w.location) }
      let layered = source.contains(placeholder)
      if perLayer.contains(w.name) && !layered {
        error("weight @\(w.name) has one instance per layer, but its source \"\(source)\" has no \(placeholder) for the layer index", at: w.location)
      } else if once.contains(w.name) && layered {
        error("weight @\(w.name) is used outside repeated graphs, so its source \"\(source)\" cannot have \(placeholder)", at: w.location)
      }
    }
  }

  /// Rank programs: only in a module split over ranks, each rank's copy of a
  /// whole-sequence graph at most once, and every rank has its `@main`.
  private mutating func checkRankPrograms() {
    let ranks = module.ranks
    var seen: [RankProgram: SourceLocation?] = [:]
    for g in module.graphs {
      guard let p = g.rankProgram else { continue }
      guard let ranks else {
        error("graph @\(g.name) is a rank program, but module @\(module.name) has no sp attribute", at: g.location)
        continue
      }
      if p.rank >= ranks {
        error("graph @\(g.name) is rank \(p.rank)'s program, but the module has \(ranks) ranks", at: g.location)
      }
      if let source = symbols.graphs[p.source] {
        if source.rankProgram != nil {
          error("graph @\(g.name)'s source @\(p.source) is itself a rank program", at: g.location)
        }
      } else {
        error("graph @\(g.name)'s source @\(p.source) is not defined", at: g.location)
      }
      if let previous = seen[p] {
        error(
          "graph @\(g.name) is a second program of @\(p.source) for rank \(p.rank)", at: g.location,
          notes: [.note("the first is here", at: previous)])
      }
      seen[p] = g.location
    }
    guard let ranks else {
      if symbols.graphs[Module.entryGraphName] == nil {
        error("module @\(module.name) has no graph @\(Module.entryGraphName)", at: module.location)
      }
      return
    }
    let missing = (0..<ranks).filter { seen[RankProgram(source: Module.entryGraphName, rank: $0)] == nil }
    if let first = missing.first {
      let more = missing.count > 1 ? " (and \(missing.count - 1) more ranks)" : ""
      error(
        "module @\(module.name) has no program of @\(Module.entryGraphName) for rank \(first)\(more)",
        at: module.location)
    }
  }

  private mutating func checkDims() {
    var seen: [String: SourceLocation?] = [:]
    var sequence: DimDecl?
    for d in module.dims {
      if let previous = seen[d.name] {
        error(
          "dimension \(d.name) is already defined", at: d.location,
          notes: [.note("previous definition is here", at: previous)])
      }
      seen[d.name] = d.location
      if d.value <= 0 { error("dimension \(d.name) must be positive, found \(d.value)", at: d.location) }
      for (key, value) in d.attributes {
        if key != "sequence" {
          error("unknown attribute '\(key)' on dim \(d.name); expected 'sequence'", at: d.location)
        } else if case .bool = value {
        } else {
          error("attribute 'sequence' must be a boolean, found \(value.kindName)", at: d.location)
        }
      }
      if d.isSequence {
        if let first = sequence {
          error(
            "only one dimension can be the sequence; \(first.name) already is", at: d.location,
            notes: [.note("\(first.name) is declared here", at: first.location)])
        }
        sequence = sequence ?? d
      }
    }
  }

  /// Checks that `type` uses declared dimensions and that its size fits.
  @discardableResult
  private mutating func checkType(_ type: TensorType, at loc: SourceLocation?) -> Bool {
    for case .named(let name) in type.dims where bindings.values[name] == nil {
      error("unknown dimension '\(name)' in type \(type); declare it with 'dim \(name) = N'", at: loc)
      return false
    }
    if bindings.byteCount(of: type) == nil {
      let extents = bindings.extents(of: type)?.map(String.init).joined(separator: "×") ?? ""
      error("type \(type) is too large: \(extents) elements overflow a 64-bit size", at: loc)
      return false
    }
    return true
  }

  private mutating func warnUnusedWeights() {
    var used: Set<String> = []
    for g in module.graphs {
      for op in g.ops { for case .symbol(let s) in op.operands { used.insert(s) } }
    }
    let unused = module.weights.filter { !used.contains($0.name) }
    for w in unused.prefix(Self.warningLimit) {
      diagnostics.append(Diagnostic(.warning, "weight @\(w.name) is never used", at: w.location))
    }
    if unused.count > Self.warningLimit {
      diagnostics.append(
        Diagnostic(.warning, "\(unused.count - Self.warningLimit) more weights are never used", at: unused[Self.warningLimit].location))
    }
  }

  // MARK: - Graphs

  private mutating func checkGraph(_ g: Graph) {
    /// Known value types; nil marks a poisoned value (its definition failed).
    var values: [String: TensorType?] = [:]
    var definedAt: [String: SourceLocation?] = [:]
    let laterDefinitions = Dictionary(
      g.ops.flatMap { op in op.results.map { ($0, op.location) } }, uniquingKeysWith: { a, _ in a })
    for a in g.arguments {
      if let previous = definedAt[a.name] {
        error(
          "value %\(a.name) is defined twice", at: a.location,
          notes: [.note("previous definition is here", at: previous)])
      }
      values.updateValue(checkType(a.type, at: a.location) ? a.type : nil, forKey: a.name)
      definedAt[a.name] = a.location
    }
    for t in g.resultTypes { checkType(t, at: g.location) }
    var returned = false
    for op in g.ops {
      if returned {
        error("op '\(op.opcode.rawValue)' follows the graph's return", at: op.location)
        break
      }
      // Operand types, resolved; nil entries are poisoned or undefined.
      var operandTypes: [TensorType?] = []
      var operandsOK = true
      for (i, operand) in op.operands.enumerated() {
        switch operand {
        case .value(let name):
          if let known = values[name] {
            operandTypes.append(known)
            if known == nil { operandsOK = false }
          } else {
            operandsOK = false
            operandTypes.append(nil)
            if let later = laterDefinitions[name] {
              error(
                "value %\(name) is used before its definition", at: op.location(ofOperand: i),
                notes: [.note("%\(name) is defined here", at: later)])
            } else {
              error("use of undefined value %\(name)", at: op.location(ofOperand: i))
            }
          }
        case .symbol(let name):
          if let w = symbols.weights[name] {
            operandTypes.append(w.type)
          } else if op.opcode == .repeat, i == 0, symbols.graphs[name] != nil {
            operandTypes.append(nil)
          } else {
            operandsOK = false
            operandTypes.append(nil)
            let what = symbols.graphs[name] != nil ? "a graph, not a weight" : "not defined"
            error("symbol @\(name) is \(what)", at: op.location(ofOperand: i))
          }
        }
      }
      let results = checkOp(op, in: g, operandTypes: operandTypes, operandsOK: operandsOK)
      for (i, name) in op.results.enumerated() {
        if let previous = definedAt[name] {
          error(
            "value %\(name) is defined twice", at: op.location,
            notes: [.note("previous definition is here", at: previous)])
        }
        definedAt[name] = op.location
        values.updateValue(results.flatMap { i < $0.count ? $0[i] : nil }, forKey: name)
      }
      if op.opcode == .return { returned = true }
    }
    if !returned {
      error("graph @\(g.name) does not end with 'return'", at: g.location)
    }
  }

  /// Checks one op; returns its result types, or nil if it is poisoned.
  private mutating func checkOp(
    _ op: Op, in g: Graph, operandTypes: [TensorType?], operandsOK: Bool
  ) -> [TensorType]? {
    let spec = op.opcode.spec
    let name = op.opcode.rawValue
    var ok = true
    if !spec.operands.contains(op.operands.count) {
      let expected =
        spec.operands.lowerBound == spec.operands.upperBound
        ? "\(spec.operands.lowerBound)" : "\(spec.operands.lowerBound) to \(spec.operands.upperBound)"
      error("'\(name)' takes \(expected) operand(s), found \(op.operands.count)", at: op.location)
      ok = false
    }
    if !spec.results.contains(op.results.count) {
      let expected =
        spec.results.lowerBound == spec.results.upperBound
        ? "\(spec.results.lowerBound)" : "at least \(spec.results.lowerBound)"
      error("'\(name)' has \(expected) result(s), found \(op.results.count)", at: op.location)
      ok = false
    }
    for (key, kind) in spec.required where op.attributes[key] == nil {
      error("'\(name)' requires attribute '\(key)' (\(kind.name))", at: op.location)
      ok = false
    }
    for key in op.attributes.keys.sorted() {
      let value = op.attributes[key]!
      guard let kind = spec.required[key] ?? spec.optional[key] ?? (key == OpSpec.predicted ? .ints : nil) else {
        let known = (Array(spec.required.keys) + Array(spec.optional.keys)).sorted()
        let hint = known.isEmpty ? "it takes none" : "expected " + known.map { "'\($0)'" }.joined(separator: ", ")
        error("unknown attribute '\(key)' for '\(name)'; \(hint)", at: op.location)
        ok = false
        continue
      }
      if !kind.accepts(value) {
        error("attribute '\(key)' of '\(name)' must be \(kind.name), found \(value.kindName)", at: op.location)
        ok = false
      }
    }
    if case .symbol(let chan)? = op.attributes["chan"], module.channel(named: chan) == nil {
      error("channel @\(chan) is not declared; declare it with 'channel @\(chan) {carries = K}'", at: op.location)
      ok = false
    }
    // Steps and peers become MPI tags and ranks: keep them in range here.
    if case .int(let step)? = op.attributes["step"], step < 0 || step > Self.maxStep {
      error("'\(name)' step \(step) is outside 0 ... \(Self.maxStep)", at: op.location)
      ok = false
    }
    if case .int(let peer)? = op.attributes["peer"], peer < 0 || peer >= 1 << 20 {
      error("'\(name)' peer \(peer) is not a rank index", at: op.location)
      ok = false
    }
    for t in op.resultTypes where !checkType(t, at: op.location) { ok = false }
    guard ok, operandsOK else { return nil }
    let types = operandTypes.map { $0 }
    switch op.opcode {
    case .return: return checkReturn(op, g, types)
    case .repeat: return checkRepeat(op, in: g, types)
    case .recvStart: return op.resultTypes
    case .sendStart, .sendDone, .recvDone: return []
    default: break
    }
    let tensors = types.compactMap { $0 }
    do {
      let inferred = try TypeRules(bindings: bindings).infer(op, tensors)
      for (declared, expected) in zip(op.resultTypes, inferred)
      where bindings.concrete(declared) != bindings.concrete(expected) {
        error(
          "result type \(declared) of '\(name)' does not match the inferred type \(expected)",
          at: op.location)
        return nil
      }
      return op.resultTypes
    } catch {
      var notes: [Diagnostic] = []
      if let i = error.operand, case .value(let v) = op.operands[i],
        let def = definition(of: v, in: g)
      {
        notes.append(.note("%\(v) is defined here", at: def))
      }
      let at = error.operand.flatMap { op.location(ofOperand: $0) } ?? op.location
      self.error(error.message, at: at, notes: notes)
      return nil
    }
  }

  /// Documents describe the sequence, not a tensor to compute with: they
  /// reach attention masks only, which is what lets `bindDocuments` fold them.
  private mutating func checkDocumentUses(_ g: Graph) {
    let documents = Set(g.ops.filter { $0.opcode == .documents }.flatMap(\.results))
    for op in g.ops {
      for (i, operand) in op.operands.enumerated() {
        guard case .value(let v) = operand else { continue }
        let mask = op.opcode == .attention && i == 3
        if documents.contains(v) && !mask {
          error("documents %\(v) can only be an attention's fourth operand, not operand \(i) of '\(op.opcode.rawValue)'", at: op.location(ofOperand: i))
        } else if mask && !documents.contains(v) {
          error("attention's fourth operand %\(v) must be a 'documents' result of this graph", at: op.location(ofOperand: i))
        }
      }
    }
  }

  private func definition(of value: String, in g: Graph) -> SourceLocation? {
    if let a = g.arguments.first(where: { $0.name == value }) { return a.location }
    return g.ops.first(where: { $0.results.contains(value) })?.location
  }

  private mutating func checkReturn(_ op: Op, _ g: Graph, _ types: [TensorType?]) -> [TensorType]? {
    let got = types.compactMap { $0 }
    let matches =
      got.count == g.resultTypes.count
      && zip(got, g.resultTypes).allSatisfy { bindings.concrete($0) == bindings.concrete($1) }
    if !matches {
      error(
        "return types (\(got.map(\.description).joined(separator: ", "))) do not match graph @\(g.name)'s "
          + "result types (\(g.resultTypes.map(\.description).joined(separator: ", ")))",
        at: op.location)
    }
    return []
  }

  private mutating func checkRepeat(_ op: Op, in caller: Graph, _ types: [TensorType?]) -> [TensorType]? {
    guard case .symbol(let callee) = op.operands[0], let g = symbols.graphs[callee] else {
      error("'repeat' needs a graph symbol as its first operand", at: op.location(ofOperand: 0))
      return nil
    }
    guard case .value = op.operands[1], let x = types[1] else {
      error("'repeat' needs a value as its second operand", at: op.location(ofOperand: 1))
      return nil
    }
    if case .int(let n)? = op.attributes["count"], n < 1 || n > Self.maxRepeat {
      error("repeat count must be between 1 and \(Self.maxRepeat), found \(n)", at: op.location)
      return nil
    }
    if callee == Module.entryGraphName || g.rankProgram?.source == Module.entryGraphName {
      error("'repeat' cannot call the entry graph @\(callee)", at: op.location(ofOperand: 0))
      return nil
    }
    if g.rankProgram?.rank != caller.rankProgram?.rank {
      let whose = { (p: RankProgram?) in p.map { "rank \($0.rank)'s program" } ?? "a whole-sequence graph" }
      error(
        "'repeat' in @\(caller.name), \(whose(caller.rankProgram)), calls @\(callee), \(whose(g.rankProgram))",
        at: op.location(ofOperand: 0))
      return nil
    }
    let calleeNote = [Diagnostic.note("@\(callee) is defined here", at: g.location)]
    guard g.arguments.count == 1, g.resultTypes.count == 1,
      bindings.concrete(g.arguments[0].type) == bindings.concrete(g.resultTypes[0])
    else {
      error(
        "'repeat' needs a graph of type (T) -> T; @\(callee) has \(g.arguments.count) argument(s) "
          + "and \(g.resultTypes.count) result(s)", at: op.location(ofOperand: 0), notes: calleeNote)
      return nil
    }
    if g.ops.contains(where: { $0.opcode == .repeat }) {
      error("@\(callee) repeats a graph itself; nested repeats are not supported",
        at: op.location(ofOperand: 0), notes: calleeNote)
      return nil
    }
    if bindings.concrete(x) != bindings.concrete(g.arguments[0].type) {
      error("'repeat' passes \(x) to @\(callee), which takes \(g.arguments[0].type)",
        at: op.location(ofOperand: 1), notes: calleeNote)
      return nil
    }
    if bindings.concrete(op.resultTypes[0]) != bindings.concrete(g.resultTypes[0]) {
      error("result type \(op.resultTypes[0]) of 'repeat' does not match @\(callee)'s \(g.resultTypes[0])",
        at: op.location)
      return nil
    }
    return op.resultTypes
  }
}
