/// How a sequence of S tokens is split over P ranks.
///
/// The sequence is cut into chunks; when S is not a multiple of the chunk
/// count C, the first `S mod C` chunks get one token more (no padding).
/// - `contiguous`: P chunks, rank r holds chunk r.
/// - `zigzag`: 2P chunks, rank r holds chunk r then chunk 2P−1−r, which
///   balances causal attention (every rank gets one early and one late chunk).
public enum TokenLayout: String, CaseIterable, Sendable {
  case contiguous, zigzag

  public func chunkCount(ranks: Int) -> Int {
    switch self {
    case .contiguous: ranks
    case .zigzag: 2 * ranks
    }
  }

  /// The chunks' global ranges, in sequence order.
  public static func chunks(sequence: Int64, count: Int) -> [Range<Int64>] {
    let c = Int64(count)
    let base = sequence / c
    let extra = sequence % c
    var start: Int64 = 0
    return (0..<c).map { i in
      let len = base + (i < extra ? 1 : 0)
      defer { start += len }
      return start..<(start + len)
    }
  }

  /// The chunks rank `rank` holds, in the order its rows store them.
  public func chunkIndices(rank: Int, ranks: Int) -> [Int] {
    switch self {
    case .contiguous: [rank]
    case .zigzag: [rank, 2 * ranks - 1 - rank]
    }
  }

  /// The global tokens of each rank's rows.
  public func tokens(sequence: Int64, ranks: Int) -> [TokenRanges] {
    let chunks = Self.chunks(sequence: sequence, count: chunkCount(ranks: ranks))
    return (0..<ranks).map { r in TokenRanges(chunkIndices(rank: r, ranks: ranks).map { chunks[$0] }) }
  }
}
