/// The header of a NumPy `.npy` file, formats 1.0, 2.0 and 3.0, checked as
/// untrusted input: the magic `\x93NUMPY`, the version, the header length
/// (2 bytes little-endian in 1.0, 4 in 2.0 and 3.0), then a Python dict
/// literal padded with spaces and a newline:
///
///     {'descr': '<f4', 'fortran_order': False, 'shape': (32, 64), }
///
/// The data follows in C order and must fill the rest of the file exactly.
/// ringc reads little-endian int32, int64 and float32 arrays (`=` and `|`,
/// native order, are little-endian on every host ringc runs on).
public struct NPYHeader: Equatable, Sendable {
  public enum DType: Sendable {
    case int32, int64, float32

    /// Bytes per element.
    public var width: Int { self == .int64 ? 8 : 4 }
    /// The `descr` NumPy writes for it.
    public var descr: String {
      switch self {
      case .int32: "<i4"
      case .int64: "<i8"
      case .float32: "<f4"
      }
    }
    public var isInteger: Bool { self != .float32 }
  }

  public let dtype: DType
  public let shape: [Int]
  /// Bytes before the data: magic, version, length and dict.
  public let dataOffset: Int
  /// Elements in the array (1 for shape `()`).
  public let count: Int

  /// The most header bytes ringc reads (NumPy itself refuses more than
  /// 10000 unless told otherwise).
  public static let maxLength = 65536
  /// The bytes before the dict in each format.
  static func prefixLength(major: UInt8) -> Int { major == 1 ? 10 : 12 }

  /// `(32, 64)`, as the header spells a shape.
  public static func shapeText(_ shape: [Int]) -> String {
    "(" + shape.map(String.init).joined(separator: ", ") + (shape.count == 1 ? ",)" : ")")
  }

  /// Parses the header at the start of `bytes` (the file's first bytes, up
  /// to `prefixLength + maxLength` of them) of a file of `fileSize` bytes.
  public init(_ bytes: [UInt8], fileSize: Int, path: String) throws(NPYError) {
    func fail(_ reason: String) -> NPYError { NPYError(path: path, kind: .malformed, reason: reason) }
    let magic: [UInt8] = [0x93] + Array("NUMPY".utf8)
    guard bytes.count >= 10, Array(bytes[0..<6]) == magic else {
      throw fail("not a .npy file (it does not start with \\x93NUMPY and a version)")
    }
    let (major, minor) = (bytes[6], bytes[7])
    guard (1...3).contains(major), minor == 0 else {
      throw fail("format version \(major).\(minor) is not one ringc reads (1.0, 2.0 or 3.0)")
    }
    let prefix = Self.prefixLength(major: major)
    guard bytes.count >= prefix else { throw fail("the file ends inside the header (\(fileSize) bytes)") }
    let length = (8..<prefix).reversed().reduce(0) { $0 << 8 | Int(bytes[$1]) }
    guard length <= Self.maxLength else {
      throw fail("header length \(length) is more than the \(Self.maxLength) bytes ringc reads")
    }
    guard prefix + length <= fileSize, prefix + length <= bytes.count else {
      throw fail("header length \(length) goes past the end of the \(fileSize)-byte file")
    }
    dataOffset = prefix + length
    let text = Array(bytes[prefix..<dataOffset])
    if let i = text.firstIndex(where: { $0 >= 0x80 }) {
      throw fail("the header holds a byte that is not ASCII at offset \(prefix + i)")
    }
    let fields: HeaderDict.Fields
    do throws(HeaderDict.Parser.Failure) { fields = try HeaderDict.parse(text, offset: prefix) } catch {
      throw fail("the header is not a dict literal: \(error.reason)")
    }

    guard case .string(let descr) = fields.descr else {
      throw fail("dtype \(fields.descr) is a structured or object dtype; ringc reads int32, int64 and float32")
    }
    let order = descr.first.flatMap { "<>=|".contains($0) ? $0 : nil }
    let kind = order == nil ? descr : String(descr.dropFirst())
    switch kind {
    case "i4": dtype = .int32
    case "i8": dtype = .int64
    case "f4": dtype = .float32
    default: throw fail("dtype '\(descr)' is not one ringc reads: int32 ('<i4'), int64 ('<i8') or float32 ('<f4')")
    }
    if order == ">" { throw fail("dtype '\(descr)' is big-endian; ringc reads little-endian data ('<\(kind)')") }

    switch fields.fortranOrder {
    case .bool(false): break
    case .bool(true):
      throw fail("fortran_order is True (column-major); save a C-ordered array (numpy.ascontiguousarray)")
    case let other: throw fail("fortran_order must be True or False, found \(other)")
    }

    guard case .tuple(let dims) = fields.shape else {
      throw fail("shape \(fields.shape) is not a tuple (a 1-d shape is written (n,))")
    }
    var shape: [Int] = []
    for d in dims {
      guard case .int(let n) = d else { throw fail("shape \(fields.shape) has an entry that is not an integer: \(d)") }
      guard n >= 0 else { throw fail("shape \(fields.shape) has a negative entry \(n)") }
      shape.append(n)
    }
    self.shape = shape
    // Every size below comes from the file: none may overflow.
    var count = 1
    for n in shape {
      let (product, overflow) = count.multipliedReportingOverflow(by: n)
      guard !overflow else { throw fail("shape \(Self.shapeText(shape)) has more elements than ringc can count") }
      count = product
    }
    self.count = count
    let (data, overflow) = count.multipliedReportingOverflow(by: dtype.width)
    let (total, past) = dataOffset.addingReportingOverflow(data)
    guard !overflow, !past else {
      throw fail("shape \(Self.shapeText(shape)) of \(dtype.descr) needs more bytes than any file holds")
    }
    let needs = "shape \(Self.shapeText(shape)) of \(dtype.descr) needs \(total) bytes (\(dataOffset) of header, \(data) of data)"
    if total > fileSize { throw fail("truncated: \(needs), the file has \(fileSize)") }
    if total < fileSize { throw fail("\(needs), but the file has \(fileSize): \(fileSize - total) bytes too many") }
  }
}

/// The dict of a header: exactly the keys `descr`, `fortran_order` and
/// `shape`, each once, with Python literal values.
private enum HeaderDict {
  /// A Python literal as headers use them; `description` is how the
  /// messages quote it.
  enum Literal: CustomStringConvertible {
    case string(String), bool(Bool), int(Int), tuple([Literal]), list([Literal]), other(String)

    var description: String {
      switch self {
      case .string(let s): "'\(s)'"
      case .bool(let b): b ? "True" : "False"
      case .int(let n): String(n)
      case .tuple(let items): "(" + items.map(\.description).joined(separator: ", ") + (items.count == 1 ? ",)" : ")")
      case .list(let items): "[" + items.map(\.description).joined(separator: ", ") + "]"
      case .other(let s): s
      }
    }
  }

  static let keys = ["descr", "fortran_order", "shape"]

  struct Fields {
    var descr: Literal
    var fortranOrder: Literal
    var shape: Literal
  }

  /// Parses `text`, which starts at byte `offset` of the file.
  static func parse(_ text: [UInt8], offset: Int) throws(Parser.Failure) -> Fields {
    var p = Parser(text: text, base: offset)
    let fields = try p.dict()
    p.skipSpace()
    guard p.at == text.count else { throw Parser.Failure("'\(p.character)' after the closing brace at offset \(p.offset)") }
    guard let descr = fields["descr"], let order = fields["fortran_order"], let shape = fields["shape"] else {
      throw Parser.Failure("it has no '\(keys.first { fields[$0] == nil } ?? "")'")
    }
    return Fields(descr: descr, fortranOrder: order, shape: shape)
  }

  struct Parser {
    struct Failure: Error {
      var reason: String
      init(_ reason: String) { self.reason = reason }
    }

    let text: [UInt8]
    /// Where `text` starts in the file.
    let base: Int
    var at = 0
    var depth = 0

    init(text: [UInt8], base: Int) {
      self.text = text
      self.base = base
    }

    /// The file offset of `at`, as messages give it.
    var offset: Int { base + at }

    var character: String { at < text.count ? String(UnicodeScalar(text[at])) : "end of header" }

    mutating func skipSpace() {
      while at < text.count, [0x20, 0x09, 0x0a, 0x0d].contains(text[at]) { at += 1 }
    }

    mutating func expect(_ c: Unicode.Scalar) throws(Failure) {
      skipSpace()
      guard at < text.count, text[at] == UInt8(ascii: c) else {
        throw Failure("expected '\(c)' at offset \(offset), found \(at < text.count ? "'\(character)'" : "the end")")
      }
      at += 1
    }

    /// Whether the next non-space character is `c` (consumed if so).
    mutating func take(_ c: Unicode.Scalar) -> Bool {
      skipSpace()
      guard at < text.count, text[at] == UInt8(ascii: c) else { return false }
      at += 1
      return true
    }

    mutating func dict() throws(Failure) -> [String: Literal] {
      try expect("{")
      var fields: [String: Literal] = [:]
      while !take("}") {
        skipSpace()
        guard case .string(let key) = try literal() else { throw Failure("a key that is not a string at offset \(offset)") }
        guard HeaderDict.keys.contains(key) else { throw Failure("unknown key '\(key)'") }
        guard fields[key] == nil else { throw Failure("key '\(key)' appears twice") }
        try expect(":")
        fields[key] = try literal()
        if !take(",") {
          try expect("}")
          break
        }
      }
      return fields
    }

    /// A string, True, False, an integer, or a tuple or list of literals.
    mutating func literal() throws(Failure) -> Literal {
      skipSpace()
      guard at < text.count else { throw Failure("a value is missing at the end") }
      let c = text[at]
      switch c {
      case UInt8(ascii: "'"), UInt8(ascii: "\""):
        let start = at + 1
        guard let end = text[start...].firstIndex(of: c) else { throw Failure("a string is not closed") }
        at = end + 1
        return .string(String(decoding: text[start..<end], as: UTF8.self))
      case UInt8(ascii: "("), UInt8(ascii: "["):
        depth += 1
        defer { depth -= 1 }
        guard depth <= 8 else { throw Failure("values nest too deep at offset \(offset)") }
        at += 1
        let close: Unicode.Scalar = c == UInt8(ascii: "(") ? ")" : "]"
        var items: [Literal] = []
        var trailingComma = false
        while !take(close) {
          items.append(try literal())
          trailingComma = take(",")
          if !trailingComma {
            try expect(close)
            break
          }
        }
        // `(3)` is the number 3; only `(3,)` is a tuple.
        if close == ")" && items.count == 1 && !trailingComma { return items[0].parenthesized }
        return close == ")" ? .tuple(items) : .list(items)
      default:
        let start = at
        while at < text.count, !",:)]} \t\r\n".utf8.contains(text[at]) { at += 1 }
        let word = String(decoding: text[start..<at], as: UTF8.self)
        if word.isEmpty { throw Failure("unexpected '\(character)' at offset \(offset)") }
        if word == "True" || word == "False" { return .bool(word == "True") }
        let digits = word.hasPrefix("-") ? word.dropFirst() : Substring(word)
        if !digits.isEmpty, digits.allSatisfy({ ("0"..."9").contains($0) }) {
          guard let n = Int(word) else { throw Failure("the integer \(word) is too large") }
          return .int(n)
        }
        return .other(word)
      }
    }
  }
}

extension HeaderDict.Literal {
  /// `(x)` as written: an integer stays what it is, anything else is quoted
  /// with its parentheses.
  fileprivate var parenthesized: HeaderDict.Literal {
    if case .tuple = self { return self }
    return .other("(\(description))")
  }
}
