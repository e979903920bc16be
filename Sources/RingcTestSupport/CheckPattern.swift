/// A check directive's pattern, turned into a regular expression.
///
/// Text is literal, except that any run of spaces matches one or more spaces,
/// `{{re}}` is a regular expression, `[[NAME:re]]` matches `re` and binds what
/// it matched to `NAME`, and `[[NAME]]` matches what `NAME` was bound to (by an
/// earlier directive or earlier in this one).
struct CheckPattern {
  var source: String

  /// The expression, with the capture groups to bind: group name → variable.
  func regex(_ variables: [String: String]) throws(CheckFailure) -> (Regex<AnyRegexOutput>, [String: String]) {
    var expression = ""
    var groups: [String: String] = [:]
    var rest = Substring(source)
    while !rest.isEmpty {
      if rest.hasPrefix("{{") {
        guard let close = rest.firstRange(of: "}}") else { throw CheckFailure("unclosed '{{' in '\(source)'") }
        expression += "(?:" + rest[rest.index(rest.startIndex, offsetBy: 2)..<close.lowerBound] + ")"
        rest = rest[close.upperBound...]
      } else if rest.hasPrefix("[[") {
        guard let close = rest.firstRange(of: "]]") else { throw CheckFailure("unclosed '[[' in '\(source)'") }
        let body = rest[rest.index(rest.startIndex, offsetBy: 2)..<close.lowerBound]
        rest = rest[close.upperBound...]
        if let colon = body.firstIndex(of: ":") {
          let group = "c\(groups.count)"
          groups[group] = String(body[..<colon])
          expression += "(?<\(group)>" + body[body.index(after: colon)...] + ")"
        } else if let group = groups.first(where: { $0.value == body })?.key {
          expression += "\\k<\(group)>"
        } else if let value = variables[String(body)] {
          expression += Self.escaped(value)
        } else {
          throw CheckFailure("variable [[\(body)]] is used before it is bound")
        }
      } else if rest.first == " " {
        expression += " +"
        rest = rest.drop(while: { $0 == " " })
      } else {
        expression += Self.escaped(String(rest.first!))
        rest = rest.dropFirst()
      }
    }
    do {
      return (try Regex(expression), groups)
    } catch {
      throw CheckFailure("'\(source)' is not a valid pattern: \(error)")
    }
  }

  static func escaped(_ text: String) -> String {
    var out = ""
    for c in text {
      if "\\^$.|?*+()[]{}".contains(c) { out.append("\\") }
      out.append(c)
    }
    return out
  }
}

/// Why a check did not hold.
struct CheckFailure: Error {
  var message: String
  init(_ message: String) { self.message = message }
}
