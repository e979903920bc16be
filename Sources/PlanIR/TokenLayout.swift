import GraphIR

/// How a sequence of S tokens is split over P ranks.
///
/// The sequence is cut into chunks; when S is not a multiple of the chunk
/// count C, the first `S mod C` chunks get one token more (no padding).
/// - `contiguous`: P chunks, rank r holds chunk r.
/// - `zigzag`: 2P chunks, rank r holds chunk r then chunk 2P−1−r, which
///   balances causal attention (every rank gets one early and one late chunk).
/// - `striped:W`: stripes of W tokens dealt round-robin, stripe i to rank
///   i mod P (Striped Attention; W = 1 is its token-level layout). Every rank
///   sees every part of the sequence, so causal work is nearly balanced.
/// - `K/U` (`zigzag/2`, `contiguous/4`): USP's two levels. Layout K splits the
///   sequence over P/U groups of U consecutive ranks; each group's tokens are
///   then cut into U consecutive pieces, one per rank of the group.
/// - `K/U/strided`: the same pieces, group g's piece k on rank k·(P/U) + g, so
///   a group's ranks are P/U apart and the ranks holding the same piece of
///   every group are consecutive (LoongTrain's context-first placement).
/// - `document-zigzag`, `document-greedy`: balanced for packed documents
///   (`DocumentBalance`): per-document zigzag, or chunks dealt greedily by
///   their visible pairs. They need the documents (`documents`, taken from
///   the model's attentions) and are one-level.
public struct TokenLayout: Hashable, Sendable, CustomStringConvertible {
  public enum Kind: String, CaseIterable, Sendable {
    case contiguous, zigzag, striped
    case documentZigzag = "document-zigzag"
    case documentGreedy = "document-greedy"

    /// A layout that balances packed documents.
    public var balancesDocuments: Bool { self == .documentZigzag || self == .documentGreedy }
  }

  /// The strategies whose lowering takes a document-balancing layout.
  public static let documentLayoutStrategies: [Strategy] = [.tokenring, .ring, .allgather]

  public var kind: Kind
  /// Ranks that share one group's tokens (the Ulysses degree of USP); 1 otherwise.
  public var groupSize: Int
  /// Tokens per stripe of the striped layout (0 for the others).
  public var stripeWidth: Int64
  /// A group's ranks are strided (P/U apart) instead of consecutive.
  public var strided: Bool
  /// The documents a document layout balances, and whether the attention is
  /// causal (the greedy dispatch weighs chunks by visible pairs); not part of
  /// the layout's name: a plan's are its attentions' (`PlanHeader`). Without
  /// them a document layout balances the sequence as one document.
  public var documents: Documents?
  public var causal = true

  public init(
    _ kind: Kind, groupSize: Int = 1, stripeWidth: Int64 = 0, strided: Bool = false, documents: Documents? = nil, causal: Bool = true
  ) {
    self.kind = kind
    self.documents = kind.balancesDocuments ? documents : nil
    self.causal = causal
    self.groupSize = groupSize
    self.stripeWidth = kind == .striped ? max(1, stripeWidth) : 0
    self.strided = strided && groupSize > 1
  }

  /// The ranks of group `g` of `ranks`, in the order of its pieces.
  public func members(group g: Int, ranks: Int) -> [Int] {
    let groups = max(1, ranks / groupSize)
    return (0..<groupSize).map { strided ? $0 * groups + g : g * groupSize + $0 }
  }

  /// The group rank `r` belongs to.
  public func group(of r: Int, ranks: Int) -> Int {
    strided ? r % max(1, ranks / groupSize) : r / groupSize
  }

  /// Stripes per rank the striped layout aims for when no width is given.
  public static let defaultStripesPerRank: Int64 = 64

  /// The striped layout with the default width for this sequence and rank count.
  public static func striped(sequence: Int64, ranks: Int) -> TokenLayout {
    TokenLayout(.striped, stripeWidth: max(1, sequence / (Int64(ranks) * defaultStripesPerRank)))
  }

  public static let contiguous = TokenLayout(.contiguous)
  public static let zigzag = TokenLayout(.zigzag)

  /// The most ranks a group may have: no plan has more ranks than this.
  public static let maxGroupSize = 1 << 20

  /// Parses `contiguous`, `zigzag`, `zigzag/2`, `striped:64`; a stripe is at
  /// least one token and a group at most `maxGroupSize` ranks.
  public init?(_ text: String) {
    if text.hasPrefix("striped:") {
      guard let w = Int64(text.dropFirst("striped:".count)), w >= 1 else { return nil }
      self.init(.striped, stripeWidth: w)
      return
    }
    let parts = text.split(separator: "/", omittingEmptySubsequences: false)
    guard let kind = Kind(rawValue: String(parts[0])), kind != .striped, parts.count <= 3,
      !kind.balancesDocuments || parts.count == 1
    else { return nil }
    var group = 1
    if parts.count >= 2 {
      guard let g = Int(parts[1]), g >= 1, g <= Self.maxGroupSize else { return nil }
      group = g
    }
    if parts.count == 3 && (parts[2] != "strided" || group == 1) { return nil }
    self.init(kind, groupSize: group, strided: parts.count == 3)
  }

  public var description: String {
    if kind == .striped { return "striped:\(stripeWidth)" }
    return groupSize == 1 ? kind.rawValue : "\(kind.rawValue)/\(groupSize)\(strided ? "/strided" : "")"
  }

  /// Stripes of the striped layout over `sequence` tokens (0 for the others).
  public func stripeCount(sequence: Int64) -> Int64 {
    kind == .striped ? sequence / stripeWidth + (sequence % stripeWidth == 0 ? 0 : 1) : 0
  }

  /// The most stripes one rank may hold: every stripe is a range in the
  /// plan's attributes (the checks and cost model take them in time about
  /// linear in their number), so a rank's stripes make its plan grow: at
  /// this limit a plan of 8 ranks is about 20 MB.
  public static let stripeLimit: Int64 = 16384

  /// Chunks the sequence is cut into for `groups` groups.
  public func chunkCount(groups: Int) -> Int {
    switch kind {
    case .contiguous, .striped, .documentZigzag, .documentGreedy: groups
    case .zigzag: 2 * groups
    }
  }

  /// The fewest tokens that give every rank at least one.
  public func minimumSequence(ranks: Int) -> Int64 {
    // Per-document zigzag deals 2P chunk slots; fewer tokens leave a rank none.
    if kind == .documentZigzag { return 2 * Int64(ranks) }
    return Int64(chunkCount(groups: max(1, ranks / groupSize))) * Int64(groupSize)
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
    case .contiguous, .striped, .documentZigzag, .documentGreedy: [group]
    case .zigzag: [group, 2 * groups - 1 - group]
    }
  }

  /// The global tokens of each group's rows (before the split among its ranks).
  public func groupTokens(sequence: Int64, groups: Int) -> [TokenRanges] {
    let whole = documents ?? Documents(bounds: [0, sequence])!
    switch kind {
    case .documentZigzag: return DocumentBalance.zigzag(whole, sequence: sequence, ranks: groups)
    case .documentGreedy:
      return DocumentBalance.greedy(Mask(causal: causal, window: nil, documents: whole), sequence: sequence, ranks: groups)
    default: break
    }
    if kind == .striped {
      var stripes = [[Range<Int64>]](repeating: [], count: groups)
      var start: Int64 = 0
      var i = 0
      while start < sequence {
        let end = start + min(stripeWidth, sequence - start)
        stripes[i % groups].append(start..<end)
        start = end
        i += 1
      }
      return stripes.map(TokenRanges.init)
    }
    let chunks = Self.chunks(sequence: sequence, count: chunkCount(groups: groups))
    return (0..<groups).map { g in TokenRanges(chunkIndices(group: g, groups: groups).map { chunks[$0] }) }
  }

  /// The global tokens of each rank's rows.
  public func tokens(sequence: Int64, ranks: Int) -> [TokenRanges] {
    let groups = max(1, ranks / groupSize)
    var out = [TokenRanges](repeating: TokenRanges([]), count: groups * groupSize)
    for (g, whole) in groupTokens(sequence: sequence, groups: groups).enumerated() {
      let pieces = Self.chunks(sequence: whole.count, count: groupSize)
      for (piece, rank) in zip(pieces, members(group: g, ranks: ranks)) {
        out[rank] = whole.rows(piece.lowerBound, Int64(piece.count))
      }
    }
    return out
  }
}
