/// A JSON value, and the one serializer every JSON file and `--json` report
/// goes through (RFC 8259).
///
/// Objects keep their keys in the order given, so output is deterministic.
/// Doubles print as Swift's shortest round-tripping decimal (`0.1`, `1e-05`);
/// JSON has no infinity or NaN, so a non-finite double is written as `null`.
public enum JSONValue: Sendable {
  case null
  case bool(Bool)
  case int(Int64)
  case double(Double)
  case string(String)
  case array([JSONValue])
  case object([(key: String, value: JSONValue)])
  /// Text that is already JSON (from `serialized()`, as ranks exchange
  /// events), written verbatim.
  case raw(String)

  public init(_ value: some BinaryInteger) { self = .int(Int64(value)) }
  public init(_ value: Double) { self = .double(value) }
  public init(_ value: String) { self = .string(value) }
  public init(_ value: Bool) { self = .bool(value) }

  /// Compact JSON on one line, `", "` between items and `": "` after keys.
  public func serialized() -> String {
    var out = ""
    write(to: &out)
    return out
  }

  private func write(to out: inout String) {
    switch self {
    case .null: out += "null"
    case .bool(let b): out += b ? "true" : "false"
    case .int(let i): out += String(i)
    case .double(let d): out += d.isFinite ? "\(d)" : "null"
    case .string(let s): Self.writeString(s, to: &out)
    case .raw(let text): out += text
    case .array(let items):
      out += "["
      for (i, item) in items.enumerated() {
        if i > 0 { out += ", " }
        item.write(to: &out)
      }
      out += "]"
    case .object(let members):
      out += "{"
      for (i, member) in members.enumerated() {
        if i > 0 { out += ", " }
        Self.writeString(member.key, to: &out)
        out += ": "
        member.value.write(to: &out)
      }
      out += "}"
    }
  }

  /// A string literal: `"` and `\` escaped, control characters as `\n`,
  /// `\r`, `\t` or `\u00XX`; everything else, non-ASCII included, as UTF-8.
  private static func writeString(_ s: String, to out: inout String) {
    out += "\""
    for c in s.unicodeScalars {
      switch c {
      case "\"": out += "\\\""
      case "\\": out += "\\\\"
      case "\n": out += "\\n"
      case "\r": out += "\\r"
      case "\t": out += "\\t"
      case _ where c.value < 0x20:
        let hex = String(c.value, radix: 16)
        out += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
      default: out.unicodeScalars.append(c)
      }
    }
    out += "\""
  }
}

extension JSONValue: ExpressibleByDictionaryLiteral {
  public init(dictionaryLiteral elements: (String, JSONValue)...) {
    self = .object(elements.map { (key: $0.0, value: $0.1) })
  }
}

extension JSONValue: ExpressibleByArrayLiteral {
  public init(arrayLiteral elements: JSONValue...) { self = .array(elements) }
}

extension JSONValue: ExpressibleByStringLiteral {
  public init(stringLiteral value: String) { self = .string(value) }
}
