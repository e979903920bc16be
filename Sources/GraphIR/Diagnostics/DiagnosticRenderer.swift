/// Renders diagnostics the way compilers do:
///
///     models/tiny.ir:12:8: error: unknown op 'matmull'
///         %q = matmull %h, @wq : f32[S,64]
///              ^~~~~~~
///
/// The source line is looked up through `sources` (file name -> bytes); very
/// long lines are cut to a window around the column so a 100 MB one-line file
/// still gives a readable message.
public struct DiagnosticRenderer {
  public var sources: [String: [UInt8]]
  /// Characters of source shown around the caret at most.
  static let window = 120

  public init(sources: [String: [UInt8]] = [:]) { self.sources = sources }

  public func render(_ diagnostic: Diagnostic) -> String {
    var out = ""
    render(diagnostic, into: &out)
    for note in diagnostic.notes { render(note, into: &out) }
    return out
  }

  public func render(_ diagnostics: [Diagnostic]) -> String {
    diagnostics.map(render).joined()
  }

  private func render(_ d: Diagnostic, into out: inout String) {
    if let loc = d.location {
      out += "\(loc): \(d.severity.rawValue): \(d.message)\n"
      if let bytes = sources[loc.file] { out += sourceExcerpt(bytes, loc) }
    } else {
      out += "\(d.severity.rawValue): \(d.message)\n"
    }
  }

  private func sourceExcerpt(_ bytes: [UInt8], _ loc: SourceLocation) -> String {
    guard loc.offset >= 0, loc.offset <= bytes.count else { return "" }
    var start = loc.offset
    while start > 0, bytes[start - 1] != 10, loc.offset - start < 4 * Self.window { start -= 1 }
    var end = loc.offset
    while end < bytes.count, bytes[end] != 10, end - loc.offset < 4 * Self.window { end += 1 }
    // Decode, replace control characters so the terminal is not disturbed.
    let scalars = Array(String(decoding: bytes[start..<end], as: UTF8.self).unicodeScalars)
      .map { $0.value < 32 || $0.value == 127 ? (($0 == "\t") ? " " : "?") : Character($0) }
    let caretIndex = String(decoding: bytes[start..<loc.offset], as: UTF8.self)
      .unicodeScalars.count
    // Cut to a window that keeps the caret visible.
    let from = max(0, min(caretIndex - Self.window / 2, scalars.count - Self.window))
    let to = min(scalars.count, from + Self.window)
    let shown = String(scalars[from..<to])
    var width = 1
    var i = caretIndex + 1
    while i < to, Self.isWordCharacter(scalars[i]) { width += 1; i += 1 }
    let prefix = from > 0 ? "..." : ""
    let pad = String(repeating: " ", count: prefix.count + caretIndex - from)
    let marker = "^" + String(repeating: "~", count: width - 1)
    return "\(prefix)\(shown)\n\(pad)\(marker)\n"
  }

  private static func isWordCharacter(_ c: Character) -> Bool {
    c.isLetter || c.isNumber || c == "_" || c == "."
  }
}
