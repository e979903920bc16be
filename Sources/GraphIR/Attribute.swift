/// An attribute value in `{key = value}`.
///
/// Floats always print with a `.` or an exponent so they never read back as
/// integers; the printer uses Swift's shortest round-tripping form.
public enum Attribute: Hashable, Sendable, CustomStringConvertible {
  case int(Int64)
  case float(Double)
  case bool(Bool)
  case string(String)
  case symbol(String)
  case ints([Int64])
  /// A list with at least one non-integer number, `[0.9, 1]`.
  case floats([Double])

  public var description: String {
    switch self {
    case .int(let v): String(v)
    case .float(let v): Self.format(v)
    case .bool(let v): v ? "true" : "false"
    case .string(let s): Self.quote(s)
    case .symbol(let s): "@" + s
    case .ints(let vs): "[" + vs.map(String.init).joined(separator: ", ") + "]"
    case .floats(let vs): "[" + vs.map(Self.format).joined(separator: ", ") + "]"
    }
  }

  /// The attribute's kind.
  public var kind: AttributeKind {
    switch self {
    case .int: .int
    case .float: .float
    case .bool: .bool
    case .string: .string
    case .symbol: .symbol
    case .ints: .ints
    case .floats: .floats
    }
  }

  /// A short name of the kind, for messages ("expected a float, found a string").
  public var kindName: String { kind.name }

  static func format(_ v: Double) -> String {
    let s = String(v)
    return s.contains(".") || s.contains("e") || s.contains("n") ? s : s + ".0"
  }

  static func quote(_ s: String) -> String {
    var out = "\""
    for c in s.unicodeScalars {
      switch c {
      case "\"": out += "\\\""
      case "\\": out += "\\\\"
      case "\n": out += "\\n"
      case "\t": out += "\\t"
      default:
        if c.value < 32 || c.value == 127 {
          out += "\\u{" + String(c.value, radix: 16) + "}"
        } else {
          out.unicodeScalars.append(c)
        }
      }
    }
    return out + "\""
  }
}

/// An attribute dictionary; printed with its keys sorted, so output is stable.
public typealias Attributes = [String: Attribute]
