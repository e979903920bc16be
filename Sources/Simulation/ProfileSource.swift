import GraphIR

/// The start tags of a profile's text in document order, with where each
/// attribute's value begins: libxml2 keeps a line per element but no column,
/// and an error names the line and column of the value it is about.
struct ProfileSource {
  struct Tag {
    var name: String
    var offset: Int
    /// Attribute name → offset of the first byte of its value.
    var values: [String: Int]
  }

  let file: String
  let bytes: [UInt8]
  private(set) var tags: [Tag] = []
  /// Offsets where lines begin.
  private var lineStarts: [Int] = [0]

  /// Scans `bytes`, refusing a DOCTYPE: a profile has no use for one, and
  /// entities it declared could add elements the text does not show.
  init(file: String, bytes: [UInt8]) throws(ProfileLoader.Failure) {
    self.file = file
    self.bytes = bytes
    for (i, b) in bytes.enumerated() where b == UInt8(ascii: "\n") { lineStarts.append(i + 1) }
    var i = 0
    while i < bytes.count {
      guard bytes[i] == UInt8(ascii: "<") else {
        i += 1
        continue
      }
      if has("<!--", at: i) {
        i = after("-->", from: i + 4)
      } else if has("<![CDATA[", at: i) {
        i = after("]]>", from: i + 9)
      } else if has("<!", at: i) {
        throw ProfileLoader.Failure("a device profile takes no DOCTYPE", at: location(i))
      } else if has("<?", at: i) || has("</", at: i) {
        i = after(">", from: i + 2)
      } else {
        i = startTag(at: i)
      }
    }
  }

  /// Reads the start tag at `start` (a well-formed one; anything else ends
  /// it early) and returns the offset after it.
  private mutating func startTag(at start: Int) -> Int {
    var i = start + 1
    let name = word(&i)
    var values: [String: Int] = [:]
    while i < bytes.count {
      skipSpace(&i)
      guard i < bytes.count, bytes[i] != UInt8(ascii: ">"), bytes[i] != UInt8(ascii: "/") else { break }
      let attribute = word(&i)
      skipSpace(&i)
      guard i < bytes.count, bytes[i] == UInt8(ascii: "=") else { break }
      i += 1
      skipSpace(&i)
      guard i < bytes.count, bytes[i] == UInt8(ascii: "\"") || bytes[i] == UInt8(ascii: "'") else { break }
      let quote = bytes[i]
      values[attribute] = i + 1
      i += 1
      while i < bytes.count, bytes[i] != quote { i += 1 }
      i += 1
    }
    tags.append(Tag(name: name, offset: start, values: values))
    return i
  }

  private func has(_ text: String, at i: Int) -> Bool { has(Array(text.utf8), at: i) }

  private func has(_ text: [UInt8], at i: Int) -> Bool {
    i + text.count <= bytes.count && bytes[i..<(i + text.count)].elementsEqual(text)
  }

  /// The offset after the first `text` at or after `from`, or the end.
  private func after(_ text: String, from: Int) -> Int {
    let t = Array(text.utf8)
    var i = from
    while i < bytes.count, !has(t, at: i) { i += 1 }
    return min(bytes.count, i + t.count)
  }

  private func word(_ i: inout Int) -> String {
    let start = i
    while i < bytes.count, !Self.isSpace(bytes[i]), !"=/>".utf8.contains(bytes[i]) { i += 1 }
    return String(decoding: bytes[start..<i], as: UTF8.self)
  }

  private func skipSpace(_ i: inout Int) {
    while i < bytes.count, Self.isSpace(bytes[i]) { i += 1 }
  }

  private static func isSpace(_ b: UInt8) -> Bool { b == 0x20 || b == 0x09 || b == 0x0A || b == 0x0D }

  /// Line and column (in Unicode scalars, as the IR's diagnostics count) of `offset`.
  func location(_ offset: Int) -> SourceLocation {
    // The last line starting at or before `offset` (line 0 starts at 0).
    let lo = max(0, lineStarts.partitionIndex { $0 > offset } - 1)
    let column = bytes[lineStarts[lo]..<offset].reduce(1) { $0 + ($1 & 0xC0 == 0x80 ? 0 : 1) }
    return SourceLocation(file: file, line: lo + 1, column: column, offset: offset)
  }
}
