/// A lexical token of the `.ir` format.
struct Token: Sendable {
  enum Kind: Equatable, Sendable {
    case identifier  // module, graph, matmul, attn.block, true, S, bf16
    case value  // %name
    case symbol  // @name
    case integer
    case float
    case string
    case punct(UInt8)  // { } ( ) [ ] , : =
    case arrow  // ->
    case invalid  // a byte that starts no token
    case eof
  }

  var kind: Kind
  /// The spelling without its sigil (for `%`/`@`) or quotes (for strings,
  /// escapes already decoded).
  var text: String
  var location: SourceLocation
  /// True if nothing but whitespace or comments precede it on its line.
  var startsLine: Bool

  /// How the token reads in a message: `'%x'`, `end of file`.
  var quoted: String {
    switch kind {
    case .eof: "end of file"
    case .value: "'%\(text)'"
    case .symbol: "'@\(text)'"
    case .string: "string \(Attribute.quote(text))"
    case .invalid: "invalid character '\(text)'"
    default: "'\(text)'"
    }
  }
}
