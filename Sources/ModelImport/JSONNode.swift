import FoundationEssentials

/// A JSON value as FoundationEssentials' `JSONDecoder` reads it.
indirect enum JSONNode: Decodable, Equatable, CustomStringConvertible {
  case null
  case bool(Bool)
  /// A number the decoder reads as a 64-bit integer (`4096`, also `4096.0`).
  case int(Int64)
  case number(Double)
  case string(String)
  case array([JSONNode])
  case object([String: JSONNode])

  init(from decoder: any Decoder) throws {
    let c = try decoder.singleValueContainer()
    if c.decodeNil() {
      self = .null
    } else if let b = try? c.decode(Bool.self) {
      self = .bool(b)
    } else if let i = try? c.decode(Int64.self) {
      self = .int(i)
    } else if let d = try? c.decode(Double.self) {
      self = .number(d)
    } else if let s = try? c.decode(String.self) {
      self = .string(s)
    } else if let a = try? c.decode([JSONNode].self) {
      self = .array(a)
    } else {
      self = .object(try c.decode([String: JSONNode].self))
    }
  }

  /// "an integer", "a string", …: for messages about a value of the wrong kind.
  var kindName: String {
    switch self {
    case .null: "null"
    case .bool: "a boolean"
    case .int: "an integer"
    case .number: "a number"
    case .string: "a string"
    case .array: "an array"
    case .object: "an object"
    }
  }

  /// The value and its kind, as a message about a value of the wrong kind
  /// says them: `"4096" (a string)`, `null`.
  var quoted: String { self == .null ? "null" : "\(self) (\(kindName))" }

  /// The value as a message quotes it: short, JSON-like.
  var description: String {
    switch self {
    case .null: "null"
    case .bool(let b): "\(b)"
    case .int(let i): "\(i)"
    case .number(let d): "\(d)"
    case .string(let s): "\"\(s.count > 60 ? s.prefix(60) + "…" : s)\""
    case .array(let a): a.count > 4 ? "[\(a.prefix(4).map(\.description).joined(separator: ", ")), …]" : "[\(a.map(\.description).joined(separator: ", "))]"
    case .object: "{…}"
    }
  }

  /// The first key that appears twice in one object of `bytes` (valid JSON),
  /// with the keys of the objects around it: `rope_scaling.factor`.
  ///
  /// `JSONDecoder` keeps the first of two equal keys and Python's `json`
  /// (so transformers) the last; a file with one would read differently here
  /// and there, so it is refused.
  static func duplicateKey(in bytes: [UInt8]) -> String? {
    struct Frame {
      var isObject: Bool
      var keys: Set<String> = []
      var expectingKey = false
      var lastKey: String?
    }
    var stack: [Frame] = []
    var i = 0
    while i < bytes.count {
      switch bytes[i] {
      case UInt8(ascii: "{"), UInt8(ascii: "["):
        stack.append(Frame(isObject: bytes[i] == UInt8(ascii: "{"), expectingKey: bytes[i] == UInt8(ascii: "{")))
      case UInt8(ascii: "}"), UInt8(ascii: "]"):
        _ = stack.popLast()
      case UInt8(ascii: ","):
        if stack.last?.isObject == true { stack[stack.count - 1].expectingKey = true }
      case UInt8(ascii: ":"):
        if !stack.isEmpty { stack[stack.count - 1].expectingKey = false }
      case UInt8(ascii: "\""):
        let start = i
        i += 1
        while i < bytes.count, bytes[i] != UInt8(ascii: "\"") { i += bytes[i] == UInt8(ascii: "\\") ? 2 : 1 }
        guard i < bytes.count, let top = stack.last, top.isObject, top.expectingKey else { break }
        let literal = Array(bytes[start...i])
        let key = literal.contains(UInt8(ascii: "\\"))
          ? (try? JSONDecoder().decode(String.self, from: Data(literal))) ?? ""
          : String(decoding: literal.dropFirst().dropLast(), as: UTF8.self)
        if !stack[stack.count - 1].keys.insert(key).inserted {
          return (stack.dropLast().compactMap(\.lastKey) + [key]).joined(separator: ".")
        }
        stack[stack.count - 1].lastKey = key
      default:
        break
      }
      i += 1
    }
    return nil
  }
}
