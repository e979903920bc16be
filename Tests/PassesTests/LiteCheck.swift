/// A small FileCheck: matches `CHECK`, `CHECK-NEXT`, `CHECK-NOT` and
/// `CHECK-LABEL` lines against an output text. Patterns are literal text; the
/// output is searched line by line in order, like LLVM's FileCheck.
struct LiteCheck {
  enum Directive { case check, next, not, label }
  struct Line {
    var directive: Directive
    var pattern: String
  }

  var lines: [Line] = []

  init(_ checks: String) {
    for raw in checks.split(separator: "\n") {
      let text = raw.drop(while: { $0 == " " || $0 == "/" })
      for (prefix, d) in [("CHECK-NEXT:", Directive.next), ("CHECK-NOT:", .not), ("CHECK-LABEL:", .label), ("CHECK:", .check)]
      where text.hasPrefix(prefix) {
        lines.append(Line(directive: d, pattern: text.dropFirst(prefix.count).trimmingCharacters(in: " ")))
        break
      }
    }
  }

  /// Nil when every directive matches, else what failed.
  func match(_ output: String) -> String? {
    let out = output.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
    var position = 0
    var lastMatch = -1
    var pendingNot: [String] = []
    for line in lines {
      switch line.directive {
      case .not:
        pendingNot.append(line.pattern)
      case .check, .label:
        guard let i = (position..<out.count).first(where: { out[$0].contains(line.pattern) }) else {
          return "CHECK: '\(line.pattern)' not found after line \(position + 1)"
        }
        if let bad = notViolation(pendingNot, out, position..<i) { return bad }
        pendingNot = []
        lastMatch = i
        position = i + 1
      case .next:
        let i = lastMatch + 1
        guard i < out.count, out[i].contains(line.pattern) else {
          return "CHECK-NEXT: '\(line.pattern)' is not on line \(i + 1) (found '\(i < out.count ? out[i] : "end of output")')"
        }
        lastMatch = i
        position = i + 1
      }
    }
    return notViolation(pendingNot, out, position..<out.count)
  }

  private func notViolation(_ patterns: [String], _ out: [String], _ range: Range<Int>) -> String? {
    for p in patterns {
      if let i = range.first(where: { out[$0].contains(p) }) { return "CHECK-NOT: '\(p)' found on line \(i + 1)" }
    }
    return nil
  }
}

extension Substring {
  func trimmingCharacters(in set: Character) -> String {
    String(drop(while: { $0 == set }).reversed().drop(while: { $0 == set }).reversed())
  }
}
