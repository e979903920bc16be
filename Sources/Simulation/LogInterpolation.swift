#if canImport(Glibc)
  import Glibc
#endif

extension Array {
  /// For points sorted by x: y piecewise linear in log(x) between them,
  /// flat outside them; nil without points. `point` reads an element's (x, y).
  func logInterpolated(at x: Double, _ point: (Element) -> (x: Double, y: Double)) -> Double? {
    guard let first = self.first.map(point), let last = self.last.map(point) else { return nil }
    if x <= first.x { return first.y }
    if x >= last.x { return last.y }
    for (a, b) in zip(lazy.map(point), dropFirst().lazy.map(point)) where x <= b.x {
      let t = (log2(x) - log2(a.x)) / (log2(b.x) - log2(a.x))
      return a.y + t * (b.y - a.y)
    }
    return last.y
  }
}
