extension RandomAccessCollection {
  /// The first index whose element satisfies `isAfter`, in a collection
  /// where it is false for a prefix and true for the rest (a binary search);
  /// `endIndex` if none does. Inlinable so that other modules get it
  /// specialized for their collection: generic, each probe went through the
  /// protocol.
  @inlinable
  public func partitionIndex(where isAfter: (Element) throws -> Bool) rethrows -> Index {
    var lo = startIndex
    var n = count
    while n > 0 {
      let half = n / 2
      let mid = index(lo, offsetBy: half)
      if try isAfter(self[mid]) {
        n = half
      } else {
        lo = index(after: mid)
        n -= half + 1
      }
    }
    return lo
  }
}
