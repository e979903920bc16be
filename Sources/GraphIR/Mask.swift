/// Which (query, key) token pairs attention lets through, by global position:
/// causal keeps key j ≤ query i; a window W keeps i − j < W (causal) or
/// |i − j| < W (not causal).
public struct Mask: Equatable, Sendable {
  public var causal: Bool
  public var window: Int64?

  public init(causal: Bool, window: Int64?) {
    self.causal = causal
    self.window = window
  }

  public init(_ attributes: Attributes) {
    causal = attributes["causal"] == .bool(true)
    if case .int(let w)? = attributes["window"] { window = w } else { window = nil }
  }

  public func visible(_ q: Int64, _ k: Int64) -> Bool {
    if causal && k > q { return false }
    if let w = window, abs(q - k) >= w { return false }
    return true
  }

  /// Whether any pair of `q × k` is visible (both non-empty ranges).
  public func anyVisible(_ q: Range<Int64>, _ k: Range<Int64>) -> Bool {
    if causal && k.lowerBound > q.upperBound - 1 { return false }
    if let w = window {
      // Smallest |i − j| over the two ranges, restricted to j ≤ i when causal.
      let gap: Int64
      if causal {
        gap = max(0, q.lowerBound - (k.upperBound - 1))
      } else if k.lowerBound > q.upperBound - 1 {
        gap = k.lowerBound - (q.upperBound - 1)
      } else if q.lowerBound > k.upperBound - 1 {
        gap = q.lowerBound - (k.upperBound - 1)
      } else {
        gap = 0
      }
      if gap >= w { return false }
    }
    return true
  }

  /// Whether every pair of `q × k` is visible (both non-empty ranges).
  public func allVisible(_ q: Range<Int64>, _ k: Range<Int64>) -> Bool {
    if causal && k.upperBound - 1 > q.lowerBound { return false }
    if let w = window {
      let far = causal ? q.upperBound - 1 - k.lowerBound
        : max(q.upperBound - 1 - k.lowerBound, k.upperBound - 1 - q.lowerBound)
      if far >= w { return false }
    }
    return true
  }

  public func anyVisible(_ q: TokenRanges, _ k: TokenRanges) -> Bool {
    q.ranges.contains { qr in k.ranges.contains { kr in anyVisible(qr, kr) } }
  }

  /// Visible pairs of `q × k`, counted exactly (for FLOPs).
  public func visiblePairs(_ q: Range<Int64>, _ k: Range<Int64>) -> Int64 {
    var total: Int64 = 0
    // Per query row, the visible keys form one interval.
    if !causal && window == nil { return Int64(q.count) * Int64(k.count) }
    if window == nil {
      // Causal: row i sees min(d, i + 1) − c keys of c..<d, an arithmetic series.
      let (a, b, c, d) = (q.lowerBound, q.upperBound, k.lowerBound, k.upperBound)
      let lo = max(a, c)
      let hi = min(b, d)
      if hi > lo { total += ((hi - c) * (hi - c + 1) - (lo - c) * (lo - c + 1)) / 2 }
      return total + (d - c) * max(0, b - max(a, d))
    }
    for i in q {
      var lo = k.lowerBound
      var hi = k.upperBound  // exclusive
      if causal { hi = min(hi, i + 1) }
      if let w = window {
        lo = max(lo, i - w + 1)
        if !causal { hi = min(hi, i + w) }
      }
      total += max(0, hi - lo)
    }
    return total
  }

  public func visiblePairs(_ q: TokenRanges, _ k: TokenRanges) -> Int64 {
    q.ranges.reduce(0) { sum, qr in k.ranges.reduce(sum) { $0 + visiblePairs(qr, $1) } }
  }
}
