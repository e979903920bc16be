/// How a sequence of S tokens is split over P ranks.
///
/// The sequence is cut into chunks; when S is not a multiple of the chunk
/// count C, the first `S mod C` chunks get one token more (no padding).
/// - `contiguous`: P chunks, rank r holds chunk r.
/// - `zigzag`: 2P chunks, rank r holds chunk r then chunk 2P−1−r, which
///   balances causal attention (every rank gets one early and one late chunk).
/// - `K/U` (`zigzag/2`, `contiguous/4`): USP's two levels. Layout K splits the
///   sequence over P/U groups of U consecutive ranks; each group's tokens are
///   then cut into U consecutive pieces, one per rank of the group.
public struct TokenLayout: Hashable, Sendable, CustomStringConvertible {
  public enum Kind: String, CaseIterable, Sendable {
    case contiguous, zigzag
  }

  public var kind: Kind
  /// Ranks that share one group's tokens (the Ulysses degree of USP); 1 otherwise.
  public var groupSize: Int

  public init(_ kind: Kind, groupSize: Int = 1) {
    self.kind = kind
    self.groupSize = groupSize
  }

  public static let contiguous = TokenLayout(.contiguous)
  public static let zigzag = TokenLayout(.zigzag)

  /// Parses `contiguous`, `zigzag`, `zigzag/2`.
  public init?(_ text: String) {
    let parts = text.split(separator: "/", omittingEmptySubsequences: false)
    guard let kind = Kind(rawValue: String(parts[0])), parts.count <= 2 else { return nil }
    var group = 1
    if parts.count == 2 {
      guard let g = Int(parts[1]), g >= 1 else { return nil }
      group = g
    }
    self.init(kind, groupSize: group)
  }

  public var description: String { groupSize == 1 ? kind.rawValue : "\(kind.rawValue)/\(groupSize)" }

  /// Chunks the sequence is cut into for `groups` groups.
  public func chunkCount(groups: Int) -> Int {
    switch kind {
    case .contiguous: groups
    case .zigzag: 2 * groups
    }
  }

  /// The fewest tokens that give every rank at least one.
  public func minimumSequence(ranks: Int) -> Int64 {
    Int64(chunkCount(groups: max(1, ranks / groupSize))) * Int64(groupSize)
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

  /// The chunks group `group` holds, in the order its rows store them.
  public func chunkIndices(group: Int, groups: Int) -> [Int] {
    switch kind {
    case .contiguous: [group]
    case .zigzag: [group, 2 * groups - 1 - group]
    }
  }

  /// The global tokens of each group's rows (before the split among its ranks).
  public func groupTokens(sequence: Int64, groups: Int) -> [TokenRanges] {
    let chunks = Self.chunks(sequence: sequence, count: chunkCount(groups: groups))
    return (0..<groups).map { g in TokenRanges(chunkIndices(group: g, groups: groups).map { chunks[$0] }) }
  }

  /// The global tokens of each rank's rows.
  public func tokens(sequence: Int64, ranks: Int) -> [TokenRanges] {
    let groups = max(1, ranks / groupSize)
    return groupTokens(sequence: sequence, groups: groups).flatMap { whole -> [TokenRanges] in
      let pieces = Self.chunks(sequence: whole.count, count: groupSize)
      return pieces.map { whole.rows($0.lowerBound, Int64($0.count)) }
    }
  }
}
