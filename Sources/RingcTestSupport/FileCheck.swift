/// One check directive: `// CHECK:` and its `-NEXT`, `-NOT`, `-LABEL` and
/// `-SAME` forms, under the prefix a RUN line chose.
public struct CheckDirective: Sendable {
  public enum Kind: String, Sendable { case check = "", next = "-NEXT", not = "-NOT", label = "-LABEL", same = "-SAME" }
  public var line: Int
  public var prefix: String
  public var kind: Kind
  public var pattern: String

  init?(parsing text: String, line: Int, prefixes: Set<String>) throws(IRTestFileError) {
    guard let match = text.firstMatch(of: Self.syntax), prefixes.contains(String(match.output.1)) else { return nil }
    self.line = line
    prefix = String(match.output.1)
    kind = Kind(rawValue: String(match.output.2 ?? ""))!
    pattern = match.output.3.trimmingSpaces()
    if pattern.isEmpty { throw IRTestFileError(line: line, message: "\(name) has no pattern") }
    if kind == .label, pattern.contains("[[") {
      throw IRTestFileError(line: line, message: "\(name) cannot bind or use variables: labels are matched first")
    }
  }

  nonisolated(unsafe) private static let syntax = #/// *([A-Z0-9_]+)(-NEXT|-NOT|-LABEL|-SAME)?:(.*)/#

  var name: String { prefix + kind.rawValue }
}

/// Matches check directives against an output, as LLVM's FileCheck does, line
/// by line:
///
/// - `CHECK` matches a line after the previous match;
/// - `CHECK-NEXT` the line right after it, `CHECK-SAME` the rest of its line;
/// - `CHECK-NOT` must match none of the lines between the previous match and
///   the next one (or the end of the label's block);
/// - `CHECK-LABEL`s are matched first, in order, and split the output into
///   blocks: the directives after a label match only inside its block.
struct FileCheck {
  var directives: [CheckDirective]

  /// Throws the first directive that does not hold, as `file:line: …`.
  func match(_ output: String, file: String) throws(CheckFailure) {
    let lines = output.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
    var variables: [String: String] = [:]
    // Each block: the label's matched line (or -1) and its directives.
    var blocks: [(start: Int, directives: [CheckDirective])] = [(-1, [])]
    for d in directives {
      if d.kind == .label {
        let from = blocks.last!.start + 1
        guard let found = try find(d, in: lines, from..<lines.count, &variables, file: file) else {
          throw failure(d, file, "not found after output line \(from)")
        }
        blocks.append((found.line, [d]))
      } else {
        blocks[blocks.count - 1].directives.append(d)
      }
    }
    for (i, block) in blocks.enumerated() {
      let end = i + 1 < blocks.count ? blocks[i + 1].start : lines.count
      try match(block.directives, lines, start: block.start, end: end, &variables, file: file)
    }
  }

  private func match(
    _ directives: [CheckDirective], _ lines: [String], start: Int, end: Int, _ variables: inout [String: String], file: String
  ) throws(CheckFailure) {
    var last = start
    var lastEnd = start >= 0 ? lines[start].endIndex : "".endIndex
    var pendingNot: [CheckDirective] = []
    for d in directives {
      switch d.kind {
      case .not:
        pendingNot.append(d)
        continue
      case .label:
        if let found = try find(d, in: lines, last..<end, &variables, file: file) { lastEnd = found.end }
        continue
      case .check:
        guard let found = try find(d, in: lines, last + 1..<end, &variables, file: file) else {
          throw failure(d, file, "not found after output line \(last + 1)")
        }
        try checkNot(pendingNot, lines, last + 1..<found.line, variables, file: file)
        (last, lastEnd) = (found.line, found.end)
      case .next:
        guard let found = try find(d, in: lines, last + 1..<min(last + 2, end), &variables, file: file) else {
          throw failure(d, file, "does not match output line \(last + 2): '\(last + 1 < lines.count ? lines[last + 1] : "<end of output>")'")
        }
        (last, lastEnd) = (found.line, found.end)
      case .same:
        guard last >= 0, let found = try find(d, in: lines, last..<last + 1, after: lastEnd, &variables, file: file) else {
          throw failure(d, file, "does not match the rest of output line \(last + 1): '\(last >= 0 ? String(lines[last][lastEnd...]) : "")'")
        }
        lastEnd = found.end
      }
      pendingNot = []
    }
    try checkNot(pendingNot, lines, last + 1..<end, variables, file: file)
  }

  /// The first line in `range` that `d` matches (from `after` on the first
  /// line, if given), binding its captures.
  private func find(
    _ d: CheckDirective, in lines: [String], _ range: Range<Int>, after: String.Index? = nil, _ variables: inout [String: String],
    file: String
  ) throws(CheckFailure) -> (line: Int, end: String.Index)? {
    let (regex, groups) = try compile(d, variables, file: file)
    for i in range where i >= 0 {
      let text = lines[i]
      let from = i == range.lowerBound ? after ?? text.startIndex : text.startIndex
      guard let m = text[from...].firstMatch(of: regex) else { continue }
      for (group, name) in groups { variables[name] = m.output[group]?.substring.map(String.init) ?? "" }
      return (i, m.range.upperBound)
    }
    return nil
  }

  private func checkNot(_ nots: [CheckDirective], _ lines: [String], _ range: Range<Int>, _ variables: [String: String], file: String)
    throws(CheckFailure)
  {
    for d in nots {
      let (regex, _) = try compile(d, variables, file: file)
      if let i = range.first(where: { lines[$0].firstMatch(of: regex) != nil }) {
        throw failure(d, file, "matches output line \(i + 1): '\(lines[i])'")
      }
    }
  }

  private func compile(_ d: CheckDirective, _ variables: [String: String], file: String) throws(CheckFailure) -> (Regex<AnyRegexOutput>, [String: String]) {
    do {
      return try CheckPattern(source: d.pattern).regex(variables)
    } catch {
      throw failure(d, file, error.message)
    }
  }

  private func failure(_ d: CheckDirective, _ file: String, _ what: String) -> CheckFailure {
    CheckFailure("\(file):\(d.line): \(d.name): '\(d.pattern)' \(what)")
  }
}
