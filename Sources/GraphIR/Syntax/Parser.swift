/// Parses the textual `.ir` format into a `Module`.
///
///     module   := 'module' SYMBOL attrs? '{' item* '}'
///     item     := 'dim' IDENT '=' INT attrs?
///               | 'weight' SYMBOL ':' type attrs?
///               | 'channel' SYMBOL attrs
///               | 'graph' SYMBOL '(' args? ')' '->' results ('attributes' attrs)? '{' op* '}'
///     op       := (VALUE (',' VALUE)* '=')? IDENT operands? attrs? (':' type (',' type)*)?
///     type     := DTYPE '[' (dim (',' dim)*)? ']'        dim := INT | IDENT
///     attrs    := '{' (IDENT '=' attr (',' IDENT '=' attr)*)? '}'
///     attr     := INT | FLOAT | true | false | STRING | SYMBOL | '[' (INT | FLOAT),* ']'
///
/// Whitespace, newlines included, is insignificant; `//` starts a comment. The
/// parser recovers at the next line that starts a statement, so one run reports
/// several independent errors. No recursion: nesting depth cannot exhaust the
/// stack, whatever the input.
public struct Parser {
  private var lexer: Lexer
  private var lookahead: [Token] = []
  private var diagnostics: [Diagnostic] = []
  /// Parsing stops after this many errors.
  public static let errorLimit = 20

  public init(bytes: [UInt8], file: String) {
    lexer = Lexer(bytes: bytes, file: file)
  }

  /// Parses a whole file; throws `DiagnosticError` with every error found.
  public static func parse(_ bytes: [UInt8], file: String) throws(DiagnosticError) -> Module {
    var parser = Parser(bytes: bytes, file: file)
    return try parser.parseFile()
  }

  public static func parse(_ text: String, file: String = "<input>") throws(DiagnosticError) -> Module {
    try parse(Array(text.utf8), file: file)
  }

  // MARK: - Tokens

  private mutating func peek(_ n: Int = 0) -> Token {
    while lookahead.count <= n { lookahead.append(lexer.next()) }
    return lookahead[n]
  }

  @discardableResult
  private mutating func take() -> Token {
    let t = peek()
    lookahead.removeFirst()
    return t
  }

  private mutating func isPunct(_ c: Character, _ n: Int = 0) -> Bool {
    peek(n).kind == .punct(c.asciiValue!)
  }

  private mutating func isKeyword(_ word: String, _ n: Int = 0) -> Bool {
    peek(n).kind == .identifier && peek(n).text == word
  }

  private mutating func expectPunct(_ c: Character, _ context: String) throws(Diagnostic) -> Token {
    guard isPunct(c) else { throw unexpected("'\(c)' \(context)") }
    return take()
  }

  private mutating func expect(_ kind: Token.Kind, _ what: String) throws(Diagnostic) -> Token {
    guard peek().kind == kind else { throw unexpected(what) }
    return take()
  }

  private mutating func unexpected(_ expected: String) -> Diagnostic {
    .error("expected \(expected), found \(peek().quoted)", at: peek().location)
  }

  // MARK: - Recovery

  private mutating func record(_ d: Diagnostic) {
    // A malformed token (an unterminated string) derails the parser for the
    // rest of its line and the next; the lexer's error is the one to show.
    if let bad = lexer.errors.last?.location, let here = d.location, here.offset > bad.offset, here.line - bad.line <= 1 {
      return
    }
    if diagnostics.count < Self.errorLimit { diagnostics.append(d) }
  }

  private var tooManyErrors: Bool { diagnostics.count >= Self.errorLimit }

  /// Skips to the next line that starts a module item (`dim`, `weight`,
  /// `channel`, `graph`) or closes the module, stepping over whole `{ … }` bodies.
  private mutating func syncModuleItem(from start: Int) {
    var depth = 0
    if peek().location.offset == start, peek().kind != .eof { take() }
    while peek().kind != .eof {
      let t = peek()
      if depth == 0, t.startsLine,
        t.kind == .punct(UInt8(ascii: "}"))
          || (t.kind == .identifier && ["dim", "weight", "channel", "graph"].contains(t.text))
      {
        return
      }
      if t.kind == .punct(UInt8(ascii: "{")) { depth += 1 }
      if t.kind == .punct(UInt8(ascii: "}")) { depth = max(0, depth - 1) }
      take()
    }
  }

  /// Skips to the next line that starts an op or closes the graph.
  private mutating func syncOp(from start: Int) {
    if peek().location.offset == start, peek().kind != .eof { take() }
    while peek().kind != .eof {
      let t = peek()
      if t.startsLine,
        t.kind == .value || t.kind == .identifier || t.kind == .punct(UInt8(ascii: "}"))
      {
        return
      }
      take()
    }
  }

  // MARK: - Grammar

  mutating func parseFile() throws(DiagnosticError) -> Module {
    var module = Module(name: "")
    do throws(Diagnostic) {
      let kw = peek()
      guard isKeyword("module") else { throw unexpected("'module'") }
      take()
      module.name = try expect(.symbol, "a module name such as '@model'").text
      module.location = kw.location
      if isPunct("{"), peek(1).kind == .identifier, peek(2).kind == .punct(UInt8(ascii: "=")) {
        module.attributes = try attributes()
      }
      _ = try expectPunct("{", "to open the module body")
    } catch {
      record(error)
      record(lexer.errors)
      throw DiagnosticError(diagnostics)
    }
    while !tooManyErrors {
      let start = peek().location.offset
      do throws(Diagnostic) {
        if isPunct("}") {
          take()
          if peek().kind != .eof { record(unexpected("end of file after the module")) }
          break
        }
        if peek().kind == .eof { throw unexpected("'}' to close the module") }
        guard peek().kind == .identifier else { throw unexpected("'dim', 'weight', 'channel' or 'graph'") }
        switch peek().text {
        case "dim": module.dims.append(try dimDecl())
        case "weight": module.weights.append(try weightDecl())
        case "channel": module.channels.append(try channelDecl())
        case "graph": module.graphs.append(try graph())
        default: throw unexpected("'dim', 'weight', 'channel' or 'graph'")
        }
      } catch {
        record(error)
        if peek().kind == .eof { break }
        syncModuleItem(from: start)
      }
    }
    record(lexer.errors)
    if !diagnostics.isEmpty {
      diagnostics.sort { ($0.location?.offset ?? 0) < ($1.location?.offset ?? 0) }
      throw DiagnosticError(Array(diagnostics.prefix(Self.errorLimit)))
    }
    return module
  }

  private mutating func record(_ ds: [Diagnostic]) { for d in ds { record(d) } }

  private mutating func dimDecl() throws(Diagnostic) -> DimDecl {
    let kw = take()
    let name = try expect(.identifier, "a dimension name").text
    _ = try expectPunct("=", "after the dimension name")
    let value = try integer()
    let attrs = isPunct("{") ? try attributes() : [:]
    return DimDecl(name, value, attributes: attrs, location: kw.location)
  }

  private mutating func weightDecl() throws(Diagnostic) -> WeightDecl {
    take()
    let name = try expect(.symbol, "a weight name such as '@wq'")
    _ = try expectPunct(":", "before the weight's type")
    let type = try type()
    guard isPunct("{") else { return WeightDecl(name.text, type, location: name.location) }
    let brace = peek()
    let attrs = try attributes()
    var source: String?
    var transpose = false
    for (key, value) in attrs.sorted(by: { $0.key < $1.key }) {
      switch (key, value) {
      case ("source", .string(let s)): source = s
      case ("transpose", .bool(let b)): transpose = b
      case ("source", _), ("transpose", _):
        throw Diagnostic.error("weight attribute '\(key)' must be \(key == "source" ? "a string" : "a boolean")", at: brace.location)
      default:
        throw Diagnostic.error("unknown weight attribute '\(key)' (a weight takes 'source' and 'transpose')", at: brace.location)
      }
    }
    return WeightDecl(name.text, type, source: source, transpose: transpose, location: name.location)
  }

  /// `channel @a.q {carries = "query"}`
  private mutating func channelDecl() throws(Diagnostic) -> ChannelDecl {
    take()
    let name = try expect(.symbol, "a channel name such as '@a.q'")
    let brace = peek()
    let attrs = try attributes()
    let kinds = ChannelKind.allCases.map { "\"\($0.rawValue)\"" }.joined(separator: ", ")
    guard attrs.count == 1, case .string(let text)? = attrs["carries"] else {
      throw Diagnostic.error("channel @\(name.text) needs exactly {carries = K}, K one of \(kinds)", at: brace.location)
    }
    guard let kind = ChannelKind(rawValue: text) else {
      throw Diagnostic.error("channel @\(name.text) carries \"\(text)\"; expected one of \(kinds)", at: brace.location)
    }
    return ChannelDecl(name.text, carries: kind, location: name.location)
  }

  /// `attributes {rank = R, source = @g}` after a graph's result types.
  private mutating func rankProgram(of graph: String) throws(Diagnostic) -> RankProgram {
    let keyword = take()
    let attrs = try attributes()
    guard attrs.count == 2, case .int(let rank)? = attrs["rank"], case .symbol(let source)? = attrs["source"] else {
      throw Diagnostic.error(
        "graph @\(graph) attributes must be exactly {rank = R, source = @graph}", at: keyword.location)
    }
    guard rank >= 0, rank < 1 << 20 else {
      throw Diagnostic.error("graph @\(graph) has rank \(rank); ranks are 0 ..< 2^20", at: keyword.location)
    }
    return RankProgram(source: source, rank: Int(rank))
  }

  private mutating func graph() throws(Diagnostic) -> Graph {
    take()
    let name = try expect(.symbol, "a graph name such as '@main'")
    _ = try expectPunct("(", "to open the argument list")
    var args: [GraphArgument] = []
    if !isPunct(")") {
      repeat {
        let v = try expect(.value, "an argument name such as '%x'")
        _ = try expectPunct(":", "before the argument's type")
        args.append(GraphArgument(v.text, try type(), location: v.location))
      } while try consumeComma()
    }
    _ = try expectPunct(")", "to close the argument list")
    _ = try expect(.arrow, "'->' before the result types")
    var results: [TensorType] = []
    if isPunct("(") {
      take()
      if !isPunct(")") {
        repeat { results.append(try type()) } while try consumeComma()
      }
      _ = try expectPunct(")", "to close the result types")
    } else {
      results.append(try type())
    }
    let rankProgram = isKeyword("attributes") ? try rankProgram(of: name.text) : nil
    _ = try expectPunct("{", "to open the graph body")
    var ops: [Op] = []
    while !tooManyErrors {
      if isPunct("}") {
        take()
        break
      }
      if peek().kind == .eof { throw unexpected("'}' to close graph @\(name.text)") }
      let start = peek().location.offset
      do throws(Diagnostic) {
        ops.append(try op())
      } catch {
        record(error)
        syncOp(from: start)
      }
    }
    return Graph(
      name: name.text, arguments: args, resultTypes: results, ops: ops, rankProgram: rankProgram,
      location: name.location)
  }

  private mutating func consumeComma() throws(Diagnostic) -> Bool {
    guard isPunct(",") else { return false }
    take()
    return true
  }

  private mutating func op() throws(Diagnostic) -> Op {
    var results: [String] = []
    if peek().kind == .value {
      repeat {
        results.append(try expect(.value, "a result name such as '%y'").text)
      } while try consumeComma()
      _ = try expectPunct("=", "after the result names")
    }
    let nameToken = try expect(.identifier, results.isEmpty ? "an op or a result name" : "an op name")
    guard let opcode = Opcode(rawValue: nameToken.text) else {
      throw Diagnostic.error("unknown op '\(nameToken.text)'", at: nameToken.location)
    }
    var operands: [Operand] = []
    var operandLocations: [SourceLocation] = []
    if peek().kind == .value || peek().kind == .symbol {
      repeat {
        let t = peek()
        switch t.kind {
        case .value: operands.append(.value(t.text))
        case .symbol: operands.append(.symbol(t.text))
        default: throw unexpected("an operand such as '%x' or '@w'")
        }
        operandLocations.append(t.location)
        take()
      } while try consumeComma()
    }
    let attrs = isPunct("{") ? try attributes() : [:]
    var types: [TensorType] = []
    if !results.isEmpty || isPunct(":") {
      _ = try expectPunct(":", "before the result types of '\(opcode.rawValue)'")
      repeat { types.append(try type()) } while try consumeComma()
      if types.count != results.count {
        throw Diagnostic.error(
          "'\(opcode.rawValue)' names \(results.count) result(s) but gives \(types.count) type(s)",
          at: nameToken.location)
      }
    }
    return Op(
      results: results, opcode, operands, attributes: attrs, types: types,
      location: nameToken.location, operandLocations: operandLocations)
  }

  private mutating func attributes() throws(Diagnostic) -> Attributes {
    _ = try expectPunct("{", "to open the attributes")
    var attrs: Attributes = [:]
    if !isPunct("}") {
      repeat {
        let key = try expect(.identifier, "an attribute name")
        _ = try expectPunct("=", "after attribute '\(key.text)'")
        if attrs[key.text] != nil {
          throw Diagnostic.error("attribute '\(key.text)' is given twice", at: key.location)
        }
        attrs[key.text] = try attributeValue()
      } while try consumeComma()
    }
    _ = try expectPunct("}", "to close the attributes")
    return attrs
  }

  private mutating func attributeValue() throws(Diagnostic) -> Attribute {
    let t = peek()
    switch t.kind {
    case .integer: return .int(try integer())
    case .float:
      take()
      guard let v = Double(t.text), v.isFinite else {
        throw Diagnostic.error("float literal \(t.text) is out of range", at: t.location)
      }
      return .float(v)
    case .string:
      take()
      return .string(t.text)
    case .symbol:
      take()
      return .symbol(t.text)
    case .identifier where t.text == "true" || t.text == "false":
      take()
      return .bool(t.text == "true")
    case .punct(UInt8(ascii: "[")):
      take()
      // Integers stay `ints`; one float makes the whole list `floats`.
      var values: [Attribute] = []
      if !isPunct("]") {
        repeat {
          guard peek().kind == .float else {
            values.append(.int(try integer()))
            continue
          }
          values.append(try attributeValue())
        } while try consumeComma()
      }
      _ = try expectPunct("]", "to close the list")
      let ints = values.compactMap { if case .int(let v) = $0 { v } else { nil } }
      if ints.count == values.count { return .ints(ints) }
      return .floats(values.map { a in if case .float(let f) = a { f } else if case .int(let i) = a { Double(i) } else { 0 } })
    default:
      throw unexpected("an attribute value")
    }
  }

  private mutating func integer() throws(Diagnostic) -> Int64 {
    let t = try expect(.integer, "an integer")
    guard let v = Int64(t.text) else {
      throw Diagnostic.error("integer literal \(t.text) does not fit in 64 bits", at: t.location)
    }
    return v
  }

  /// `bf16[S,4096]`; dimensions must be positive literals or names.
  private mutating func type() throws(Diagnostic) -> TensorType {
    let t = peek()
    guard t.kind == .identifier else { throw unexpected("a type such as 'f32[S,64]'") }
    guard let dtype = DType(rawValue: t.text) else {
      throw Diagnostic.error(
        "unknown dtype '\(t.text)'; expected one of \(DType.allCases.map(\.rawValue).joined(separator: ", "))",
        at: t.location)
    }
    take()
    _ = try expectPunct("[", "after the dtype")
    var dims: [Dim] = []
    if !isPunct("]") {
      repeat {
        let d = peek()
        switch d.kind {
        case .integer:
          let n = try integer()
          if n <= 0 {
            throw Diagnostic.error("dimension must be positive, found \(n)", at: d.location)
          }
          dims.append(.literal(n))
        case .identifier:
          take()
          dims.append(.named(d.text))
        default:
          throw unexpected("a dimension (a positive integer or a name)")
        }
      } while try consumeComma()
    }
    _ = try expectPunct("]", "to close the shape")
    return TensorType(dtype, dims)
  }
}
