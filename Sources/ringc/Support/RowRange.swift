import ArgumentParser

/// A half-open range of rows as a flag gives it: `A:B`, `A:` (to the end) or
/// `:B` (from the start), with 0 ≤ A < B; `all` when the flag is absent.
struct RowRange: Equatable, CustomStringConvertible {
  var lower: Int?
  var upper: Int?

  static let all = RowRange(lower: nil, upper: nil)

  /// `A:B` as the flag gives it.
  var description: String { "\(lower.map(String.init) ?? ""):\(upper.map(String.init) ?? "")" }

  /// The rows among `count`, or nil if they do not all lie there.
  func resolved(count: Int) -> Range<Int>? {
    let (a, b) = (lower ?? 0, upper ?? count)
    return a < b && b <= count ? a..<b : nil
  }
}

extension RowRange {
  init(parsing text: String) throws(ValidationError) {
    let parts = text.split(separator: ":", omittingEmptySubsequences: false)
    func bound(_ s: Substring) throws(ValidationError) -> Int? {
      if s.isEmpty { return nil }
      guard s.allSatisfy({ ("0"..."9").contains($0) }), let n = Int(s) else {
        throw ValidationError("'\(s)' is not a row number (a whole number ≥ 0)")
      }
      return n
    }
    guard parts.count == 2, !(parts[0].isEmpty && parts[1].isEmpty) else {
      throw ValidationError("give the rows as A:B, A: or :B")
    }
    self.init(lower: try bound(parts[0]), upper: try bound(parts[1]))
    if let lower, let upper, lower >= upper { throw ValidationError("the first row \(lower) is not before the end \(upper)") }
  }
}
