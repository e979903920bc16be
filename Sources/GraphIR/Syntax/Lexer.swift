/// Turns the bytes of a file into tokens, one at a time, keeping each token's
/// line and column. Works on raw bytes: any input, binary garbage included,
/// yields tokens (possibly `.invalid` ones) and never traps.
struct Lexer {
  let bytes: [UInt8]
  let file: String
  private var offset = 0
  private var line = 1
  private var column = 1
  private var atLineStart = true
  /// Errors met inside tokens (bad escapes, unterminated strings).
  private(set) var errors: [Diagnostic] = []

  init(bytes: [UInt8], file: String) {
    self.bytes = bytes
    self.file = file
  }

  private var here: SourceLocation {
    SourceLocation(file: file, line: line, column: column, offset: offset)
  }

  private func peek(_ ahead: Int = 0) -> UInt8? {
    offset + ahead < bytes.count ? bytes[offset + ahead] : nil
  }

  private mutating func advance() {
    let b = bytes[offset]
    offset += 1
    if b == 10 {
      line += 1
      column = 1
      atLineStart = true
    } else if b & 0xC0 != 0x80 {
      // Count columns in Unicode scalars: continuation bytes do not move the caret.
      column += 1
    }
  }

  private mutating func skipTrivia() {
    while let b = peek() {
      if b == 32 || b == 9 || b == 13 || b == 10 {
        advance()
      } else if b == 47, peek(1) == 47 {  // "//" comment to end of line
        while let c = peek(), c != 10 { advance() }
      } else {
        return
      }
    }
  }

  static func isIdentStart(_ b: UInt8) -> Bool {
    (b >= 65 && b <= 90) || (b >= 97 && b <= 122) || b == 95
  }

  static func isIdentBody(_ b: UInt8) -> Bool {
    isIdentStart(b) || (b >= 48 && b <= 57) || b == 46
  }

  static func isDigit(_ b: UInt8) -> Bool { b >= 48 && b <= 57 }

  private func text(from start: Int) -> String {
    String(decoding: bytes[start..<offset], as: UTF8.self)
  }

  mutating func next() -> Token {
    skipTrivia()
    let startsLine = atLineStart
    atLineStart = false
    let loc = here
    guard let b = peek() else { return Token(kind: .eof, text: "", location: loc, startsLine: true) }
    func token(_ kind: Token.Kind, _ text: String) -> Token {
      Token(kind: kind, text: text, location: loc, startsLine: startsLine)
    }
    switch b {
    case UInt8(ascii: "%"), UInt8(ascii: "@"):
      advance()
      let start = offset
      while let c = peek(), Self.isIdentBody(c) { advance() }
      if offset == start { return token(.invalid, String(UnicodeScalar(b))) }
      return token(b == UInt8(ascii: "%") ? .value : .symbol, text(from: start))
    case UInt8(ascii: "-") where peek(1) == UInt8(ascii: ">"):
      advance()
      advance()
      return token(.arrow, "->")
    case UInt8(ascii: "-"), UInt8(ascii: "+"), 48...57:
      return number(loc, startsLine)
    case UInt8(ascii: "\""):
      return string(loc, startsLine)
    case UInt8(ascii: "{"), UInt8(ascii: "}"), UInt8(ascii: "("), UInt8(ascii: ")"),
      UInt8(ascii: "["), UInt8(ascii: "]"), UInt8(ascii: ","), UInt8(ascii: ":"),
      UInt8(ascii: "="):
      advance()
      return token(.punct(b), String(UnicodeScalar(b)))
    default:
      if Self.isIdentStart(b) {
        let start = offset
        while let c = peek(), Self.isIdentBody(c) { advance() }
        return token(.identifier, text(from: start))
      }
      // One whole UTF-8 scalar (or one stray byte) as an invalid token.
      let start = offset
      advance()
      while let c = peek(), c & 0xC0 == 0x80, offset - start < 4 { advance() }
      let shown = String(decoding: bytes[start..<offset], as: UTF8.self)
      let printable = shown.unicodeScalars.allSatisfy { $0.value >= 32 && $0 != "\u{FFFD}" && $0.value != 127 }
      return token(.invalid, printable ? shown : "\\x" + String(b, radix: 16))
    }
  }

  /// `-12`, `4096`, `1e-05`, `0.125`, `-inf` is not accepted (no infinities).
  private mutating func number(_ loc: SourceLocation, _ startsLine: Bool) -> Token {
    let start = offset
    var isFloat = false
    if peek() == UInt8(ascii: "-") || peek() == UInt8(ascii: "+") { advance() }
    while let c = peek(), Self.isDigit(c) { advance() }
    if peek() == UInt8(ascii: "."), let d = peek(1), Self.isDigit(d) {
      isFloat = true
      advance()
      while let c = peek(), Self.isDigit(c) { advance() }
    }
    if peek() == UInt8(ascii: "e") || peek() == UInt8(ascii: "E") {
      let sign = peek(1) == UInt8(ascii: "-") || peek(1) == UInt8(ascii: "+") ? 1 : 0
      if let d = peek(1 + sign), Self.isDigit(d) {
        isFloat = true
        advance()
        if sign == 1 { advance() }
        while let c = peek(), Self.isDigit(c) { advance() }
      }
    }
    let spelling = text(from: start)
    if spelling == "-" || spelling == "+" {
      return Token(kind: .invalid, text: spelling, location: loc, startsLine: startsLine)
    }
    return Token(kind: isFloat ? .float : .integer, text: spelling, location: loc, startsLine: startsLine)
  }

  /// A double-quoted string with `\" \\ \n \t \u{hex}` escapes, on one line.
  private mutating func string(_ loc: SourceLocation, _ startsLine: Bool) -> Token {
    advance()
    var scalars = String.UnicodeScalarView()
    var pending: [UInt8] = []
    func flush() {
      scalars.append(contentsOf: String(decoding: pending, as: UTF8.self).unicodeScalars)
      pending.removeAll()
    }
    while let c = peek() {
      if c == UInt8(ascii: "\"") {
        advance()
        flush()
        return Token(kind: .string, text: String(scalars), location: loc, startsLine: startsLine)
      }
      if c == 10 { break }
      if c == UInt8(ascii: "\\") {
        flush()
        let escLoc = here
        advance()
        switch peek() {
        case UInt8(ascii: "\""): scalars.append("\""); advance()
        case UInt8(ascii: "\\"): scalars.append("\\"); advance()
        case UInt8(ascii: "n"): scalars.append("\n"); advance()
        case UInt8(ascii: "t"): scalars.append("\t"); advance()
        case UInt8(ascii: "u") where peek(1) == UInt8(ascii: "{"):
          advance()
          advance()
          var value: UInt32 = 0
          var digits = 0
          while let h = peek(), let v = Self.hexValue(h), digits < 8 {
            value = value &* 16 &+ v
            digits += 1
            advance()
          }
          if peek() == UInt8(ascii: "}"), digits > 0, let s = Unicode.Scalar(value) {
            advance()
            scalars.append(s)
          } else {
            errors.append(.error("invalid unicode escape in string", at: escLoc))
          }
        default:
          errors.append(.error("unknown escape sequence in string", at: escLoc))
        }
        continue
      }
      pending.append(c)
      advance()
    }
    flush()
    errors.append(.error("unterminated string", at: loc))
    return Token(kind: .string, text: String(scalars), location: loc, startsLine: startsLine)
  }

  private static func hexValue(_ b: UInt8) -> UInt32? {
    switch b {
    case 48...57: UInt32(b - 48)
    case 97...102: UInt32(b - 87)
    case 65...70: UInt32(b - 55)
    default: nil
    }
  }
}
