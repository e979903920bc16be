/// Prints a module in canonical form: two-space indentation, one item per
/// line, attributes sorted by key, a blank line between sections. Comments are
/// not kept. `print ∘ parse` is the identity on canonical text.
public struct Printer {
  public init() {}

  public func print(_ module: Module) -> String {
    var out = "module @\(module.name)\(attributes(module.attributes)) {\n"
    var sections: [String] = []
    if !module.dims.isEmpty {
      sections.append(
        module.dims.map { "  dim \($0.name) = \($0.value)\(attributes($0.attributes))\n" }.joined())
    }
    if !module.weights.isEmpty {
      sections.append(module.weights.map { "  weight @\($0.name) : \($0.type)\(attributes(weightAttributes($0)))\n" }.joined())
    }
    if !module.channels.isEmpty {
      sections.append(
        module.channels.map { "  channel @\($0.name) {carries = \"\($0.carries.rawValue)\"}\n" }.joined())
    }
    for g in module.graphs { sections.append(print(g)) }
    out += sections.joined(separator: "\n")
    out += "}\n"
    return out
  }

  private func weightAttributes(_ w: WeightDecl) -> Attributes {
    var a: Attributes = [:]
    if let source = w.source { a["source"] = .string(source) }
    if w.transpose { a["transpose"] = .bool(true) }
    return a
  }

  public func print(_ graph: Graph) -> String {
    let args = graph.arguments.map { "%\($0.name): \($0.type)" }.joined(separator: ", ")
    let results =
      graph.resultTypes.count == 1
      ? graph.resultTypes[0].description
      : "(" + graph.resultTypes.map(\.description).joined(separator: ", ") + ")"
    var out = "  graph @\(graph.name)(\(args)) -> \(results)"
    if let p = graph.rankProgram { out += " attributes {rank = \(p.rank), source = @\(p.source)}" }
    out += " {\n"
    for op in graph.ops { out += "    " + print(op) + "\n" }
    return out + "  }\n"
  }

  public func print(_ op: Op) -> String {
    var line = ""
    if !op.results.isEmpty {
      line += op.results.map { "%" + $0 }.joined(separator: ", ") + " = "
    }
    line += op.opcode.rawValue
    if !op.operands.isEmpty {
      line += " " + op.operands.map(\.description).joined(separator: ", ")
    }
    line += attributes(op.attributes)
    if !op.resultTypes.isEmpty {
      line += " : " + op.resultTypes.map(\.description).joined(separator: ", ")
    }
    return line
  }

  /// ` {key = value, …}` sorted by key, or "" for none.
  public func attributes(_ attrs: Attributes) -> String {
    if attrs.isEmpty { return "" }
    let items = attrs.keys.sorted().map { "\($0) = \(attrs[$0]!)" }
    return " {" + items.joined(separator: ", ") + "}"
  }
}
