/// Which (query, key) token pairs attention lets through, by global position:
/// causal keeps key j ≤ query i; a window W keeps i − j < W (causal) or
/// |i − j| < W (not causal); documents keep only pairs of one document
/// (document_causal with causal, document_full without).
public struct Mask: Equatable, Sendable {
  public var causal: Bool
  public var window: Int64?
  public var documents: Documents?

  public init(causal: Bool, window: Int64?, documents: Documents? = nil) {
    self.causal = causal
    self.window = window
    self.documents = documents
  }

  public init(_ attributes: Attributes) {
    causal = attributes["causal"] == .bool(true)
    if case .int(let w)? = attributes["window"] { window = w } else { window = nil }
    documents = Documents(attribute: attributes["documents"])
  }

  /// Whether the mask hides whole blocks of a causal or full attention's
  /// pairs: a window or documents (causal alone hides only the future).
  public var isLocal: Bool { window != nil || documents != nil }

  /// The mask inside one document.
  private var withinDocument: Mask { Mask(causal: causal, window: window) }

  public func visible(_ q: Int64, _ k: Int64) -> Bool {
    if let d = documents, d.index(of: q) != d.index(of: k) { return false }
    if causal && k > q { return false }
    if let w = window, abs(q - k) >= w { return false }
    return true
  }

  /// Whether any pair of `q × k` is visible (both non-empty ranges).
  public func anyVisible(_ q: Range<Int64>, _ k: Range<Int64>) -> Bool {
    if let d = documents {
      // Only documents both ranges meet; no list is built (lowering asks this P²·runs² times).
      let first = max(d.index(of: q.lowerBound), d.index(of: k.lowerBound))
      let last = min(d.index(of: q.upperBound - 1), d.index(of: k.upperBound - 1))
      return first <= last && (first...last).contains { doc in
        let (qs, ks) = (q.clamped(to: d.tokens(doc)), k.clamped(to: d.tokens(doc)))
        return !qs.isEmpty && !ks.isEmpty && withinDocument.anyVisible(qs, ks)
      }
    }
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

  /// One span holding every key some query of `q` (non-empty) can see: the
  /// documents `q` meets, cut by the window and, when causal, by `q`'s end.
  /// A superset (keys inside may still be hidden); lowering searches sorted
  /// key runs with it instead of testing each one.
  public func keySpan(of q: Range<Int64>) -> Range<Int64> {
    var (lo, hi) = (Int64.min, Int64.max)
    if let d = documents {
      lo = d.tokens(d.index(of: q.lowerBound)).lowerBound
      hi = d.tokens(d.index(of: q.upperBound - 1)).upperBound
    }
    if causal { hi = min(hi, q.upperBound) }
    if let w = window {
      lo = max(lo, q.lowerBound.subtractingSaturating(w - 1))
      if !causal { hi = min(hi, q.upperBound.addingSaturating(w - 1)) }
    }
    return lo..<max(lo, hi)
  }

  /// The indices of `keys` (sorted, disjoint ranges) that meet `q`'s key
  /// span, by binary search: the only ones `q` can see.
  public func keyIndices(of q: Range<Int64>, in keys: [Range<Int64>]) -> Range<Int> {
    let span = keySpan(of: q)
    let first = keys.partitionIndex { $0.upperBound > span.lowerBound }
    return first..<keys[first...].partitionIndex { $0.lowerBound >= span.upperBound }
  }

  /// Whether every pair of `q × k` is visible (both non-empty ranges).
  public func allVisible(_ q: Range<Int64>, _ k: Range<Int64>) -> Bool {
    if let d = documents {
      let first = d.index(of: q.lowerBound)
      guard [q.upperBound - 1, k.lowerBound, k.upperBound - 1].allSatisfy({ d.index(of: $0) == first }) else { return false }
      return withinDocument.allVisible(q, k)
    }
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

  /// Visible pairs of `q × k`, counted exactly (for FLOPs); `Int64.max`
  /// when the count does not fit, which makes any FLOP count from it overflow.
  public func visiblePairs(_ q: Range<Int64>, _ k: Range<Int64>) -> Int64 {
    if let d = documents {
      return d.parts(of: q).reduce(Int64(0)) { sum, part in
        let keys = k.clamped(to: d.tokens(part.document))
        return keys.isEmpty ? sum : sum.addingSaturating(withinDocument.visiblePairs(part.range, keys))
      }
    }
    // Counts of long sequences pass 2⁶³ in the middle: work in 128 bits.
    func clamped(_ x: Int128) -> Int64 { x > Int128(Int64.max) ? .max : Int64(x) }
    if !causal && window == nil { return clamped(Int128(q.count) * Int128(k.count)) }
    if window == nil {
      // Causal: row i sees min(d, i + 1) − c keys of c..<d, an arithmetic series.
      let (a, b, c, d) = (Int128(q.lowerBound), Int128(q.upperBound), Int128(k.lowerBound), Int128(k.upperBound))
      let lo = max(a, c)
      let hi = min(b, d)
      var pairs: Int128 = 0
      if hi > lo { pairs += ((hi - c) * (hi - c + 1) - (lo - c) * (lo - c + 1)) / 2 }
      return clamped(pairs + (d - c) * max(0, b - max(a, d)))
    }
    // Windowed: row i sees lo(i) ..< hi(i) with lo = max(c, i − w + 1) and
    // hi = min(d, i + 1) (causal) or min(d, i + w); hi − lo is linear between
    // the rows where either bound changes slope, so each piece is a series.
    let w = Int128(window!)
    let (c, d) = (Int128(k.lowerBound), Int128(k.upperBound))
    func width(_ i: Int128) -> Int128 {
      let lo = max(c, i - w + 1)
      let hi = min(d, causal ? i + 1 : i + w)
      return hi - lo
    }
    let (a, b) = (Int128(q.lowerBound), Int128(q.upperBound))
    let cuts = [c + w - 1, causal ? d - 1 : d - w].filter { $0 > a && $0 < b }.sorted()
    var pairs: Int128 = 0
    var start = a
    for end in cuts + [b] where end > start {
      pairs += Self.positiveSum(first: width(start), last: width(end - 1), count: end - start)
      start = end
    }
    return clamped(pairs)
  }

  /// Σ max(0, x) over the `count` terms of an arithmetic sequence with step
  /// −1, 0 or +1 from `first` to `last`.
  private static func positiveSum(first: Int128, last: Int128, count: Int128) -> Int128 {
    if first == last { return max(0, first) * count }
    let (lo, hi) = (min(first, last), max(first, last))
    let from = max(lo, 1)
    return hi < from ? 0 : (from + hi) * (hi - from + 1) / 2
  }

  /// Visible pairs of the rows `q` against the keys `k`, in
  /// O((|q| + |k|) log |k|) ranges: query i sees the keys in
  /// [lo(i), hi(i)) (lo = i − w + 1 with a window, hi = i + 1 causal or
  /// i + w), so its count is C(hi(i)) − C(lo(i)) with C(x) = |k ∩ (−∞, x)|,
  /// and a range of queries sums to differences of H(x) = Σ_{t<x} C(t),
  /// which prefix sums over the sorted key ranges give in closed form.
  public func visiblePairs(_ q: TokenRanges, _ k: TokenRanges) -> Int64 {
    if documents != nil {
      // Range by range, each split at the document boundaries; of sorted,
      // disjoint key ranges only those meeting the query range's key span.
      let keys = k.ranges.sorted { $0.lowerBound < $1.lowerBound }
      let disjoint = zip(keys, keys.dropFirst()).allSatisfy { $0.upperBound <= $1.lowerBound }
      return q.ranges.reduce(0) { sum, qr in
        keys[disjoint ? keyIndices(of: qr, in: keys) : keys.indices].reduce(sum) { $0.addingSaturating(visiblePairs(qr, $1)) }
      }
    }
    func clamped(_ x: Int128) -> Int64 { x > Int128(Int64.max) ? .max : Int64(max(0, x)) }
    if !causal && window == nil { return clamped(Int128(q.count) * Int128(k.count)) }
    if let w = window, w <= 0 { return 0 }
    let keys = k.ranges.sorted { $0.lowerBound < $1.lowerBound }
    guard zip(keys, keys.dropFirst()).allSatisfy({ $0.upperBound <= $1.lowerBound }) else {
      // Overlapping key ranges (no plan has them): range by range.
      return q.ranges.reduce(0) { sum, qr in k.ranges.reduce(sum) { $0.addingSaturating(visiblePairs(qr, $1)) } }
    }
    let sums = KeyPrefixSums(keys)
    // hi(i) = i + up, lo(i) = i + down (no lower bound without a window).
    let up: Int128 = causal ? 1 : Int128(window!)
    let down: Int128? = window.map { 1 - Int128($0) }
    var pairs: Int128 = 0
    for r in q.ranges {
      let (a, b) = (Int128(r.lowerBound), Int128(r.upperBound))
      pairs += sums.h(b + up) - sums.h(a + up)
      if let down { pairs -= sums.h(b + down) - sums.h(a + down) }
    }
    return clamped(pairs)
  }
}

/// H(x) = Σ_{t<x} |keys ∩ (−∞, t)| over sorted disjoint key ranges: a range
/// [s, e) of length n adds 0 below s, m(m − 1)/2 at x = s + m inside, and
/// n(n − 1)/2 + (x − e)·n beyond, so the ranges wholly below x sum from
/// prefix sums and at most one range holds x.
private struct KeyPrefixSums {
  let ranges: [Range<Int64>]
  /// Over the first j ranges: Σ n(n − 1)/2, Σ n, Σ e·n.
  var triangles: [Int128] = [0]
  var lengths: [Int128] = [0]
  var endTimesLength: [Int128] = [0]

  init(_ ranges: [Range<Int64>]) {
    self.ranges = ranges
    for r in ranges {
      let n = Int128(r.count)
      triangles.append(triangles.last! + n * (n - 1) / 2)
      lengths.append(lengths.last! + n)
      endTimesLength.append(endTimesLength.last! + Int128(r.upperBound) * n)
    }
  }

  func h(_ x: Int128) -> Int128 {
    // Ranges ending at or below x: a prefix, as the ranges are sorted and disjoint.
    let lo = ranges.partitionIndex { Int128($0.upperBound) > x }
    var total = triangles[lo] + x * lengths[lo] - endTimesLength[lo]
    if lo < ranges.count, Int128(ranges[lo].lowerBound) < x {
      let m = x - Int128(ranges[lo].lowerBound)
      total += m * (m - 1) / 2
    }
    return total
  }
}
