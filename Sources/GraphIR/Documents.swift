/// Packed documents in one sequence, as cumulative lengths (`cu_seqlens`):
/// document d holds tokens `bounds[d] ..< bounds[d + 1]`, and attention never
/// crosses a boundary. Written `documents = [0, 5, 6, 32]` on an attention
/// and on the plan's blocks; lengths may be 1, and a length of 0 is an empty
/// document that holds no token.
public struct Documents: Hashable, Sendable {
  public let bounds: [Int64]

  /// Nil unless `bounds` starts at 0, has at least two entries and never
  /// decreases.
  public init?(bounds: [Int64]) {
    guard bounds.count >= 2, bounds[0] == 0, zip(bounds, bounds.dropFirst()).allSatisfy({ $0 <= $1 }) else { return nil }
    self.bounds = bounds
  }

  public init?(attribute: Attribute?) {
    guard case .ints(let v)? = attribute else { return nil }
    self.init(bounds: v)
  }

  public var attribute: Attribute { .ints(bounds) }
  /// The tokens the documents cover: 0 ..< the last bound.
  public var length: Int64 { bounds[bounds.count - 1] }

  /// The document holding token t (the last non-empty one at or before t).
  public func index(of t: Int64) -> Int { max(0, bounds.partitionIndex { $0 > t } - 1) }

  /// Document d's tokens.
  public func tokens(_ d: Int) -> Range<Int64> { bounds[d]..<bounds[min(d + 1, bounds.count - 1)] }

  /// The documents `r` meets, each with its part of `r`.
  public func parts(of r: Range<Int64>) -> [(document: Int, range: Range<Int64>)] {
    guard !r.isEmpty else { return [] }
    return (index(of: r.lowerBound)...index(of: r.upperBound - 1)).compactMap { d in
      let part = r.clamped(to: tokens(d))
      return part.isEmpty ? nil : (d, part)
    }
  }
}
