/// An ordered list of global token ranges: which tokens the rows of a tensor
/// hold. Written in attributes as `[start, len, start, len, …]`.
public struct TokenRanges: Hashable, Sendable, CustomStringConvertible {
  public private(set) var ranges: [Range<Int64>]

  public init(_ ranges: [Range<Int64>]) {
    // Adjacent ranges are joined so equal token lists compare equal.
    var joined: [Range<Int64>] = []
    for r in ranges where !r.isEmpty {
      if let last = joined.last, last.upperBound == r.lowerBound {
        joined[joined.count - 1] = last.lowerBound..<r.upperBound
      } else {
        joined.append(r)
      }
    }
    self.ranges = joined
  }

  /// Decodes `[start, len, …]`; nil if malformed.
  public init?(attribute: Attribute?) {
    guard case .ints(let v)? = attribute, !v.isEmpty, v.count % 2 == 0 else { return nil }
    var rs: [Range<Int64>] = []
    for i in stride(from: 0, to: v.count, by: 2) {
      guard v[i] >= 0, v[i + 1] >= 1, v[i] <= Int64.max - v[i + 1] else { return nil }
      rs.append(v[i]..<(v[i] + v[i + 1]))
    }
    self.init(rs)
  }

  public var attribute: Attribute {
    .ints(ranges.flatMap { [$0.lowerBound, Int64($0.count)] })
  }

  /// The number of tokens.
  public var count: Int64 { ranges.reduce(0) { $0 + Int64($1.count) } }

  /// Rows `offset ..< offset + length` of this list.
  public func rows(_ offset: Int64, _ length: Int64) -> TokenRanges {
    var out: [Range<Int64>] = []
    var skip = offset
    var need = length
    for r in ranges where need > 0 {
      let n = Int64(r.count)
      if skip >= n {
        skip -= n
        continue
      }
      let take = min(n - skip, need)
      out.append((r.lowerBound + skip)..<(r.lowerBound + skip + take))
      need -= take
      skip = 0
    }
    return TokenRanges(out)
  }

  /// The global position of every row, in order.
  public var positions: [Int64] { ranges.flatMap { Array($0) } }

  public var description: String {
    ranges.map { "[\($0.lowerBound), \($0.upperBound))" }.joined(separator: " ∪ ")
  }
}
