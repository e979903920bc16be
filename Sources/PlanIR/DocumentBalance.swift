import GraphIR

/// Layouts that balance attention work per rank for packed documents (a
/// `documents` mask), where one long document would otherwise load the ranks
/// holding it and leave the others idle:
///
/// - per-document zigzag (torch's per-document head-tail balancer): every
///   document is cut into 2P chunks and rank r takes chunks r and 2P−1−r of
///   each, so each rank holds one early and one late piece of every document
///   and the causal triangle of each is shared evenly. A document's remainder
///   tokens (length mod 2P) go one each to the next chunk slots in turn
///   (slot 2r: rank r's head, 2r+1: its tail), so token counts differ by at
///   most two over the whole sequence.
/// - greedy dispatch (MagiAttention's dispatcher): the sequence is cut into
///   `chunksPerRank`·P chunks; taken by visible (query, key) pairs, most
///   first, each goes to the least-loaded rank that holds fewer than
///   `chunksPerRank`, so every rank gets the same number of chunks.
///
/// Both return each rank's tokens in sequence order.
public enum DocumentBalance {
  /// Chunks per rank of the greedy dispatch: enough for the heaviest chunk to
  /// be a small share of a rank's work, few enough that the plan's runs stay short.
  public static let chunksPerRank: Int64 = 16

  /// The documents the softmax attentions of `module`'s whole-sequence
  /// graphs keep apart (nil when none does, or when two disagree: then
  /// `agree` is false) and whether any is causal.
  public static func documents(of module: Module) -> (documents: Documents?, agree: Bool, causal: Bool) {
    let attentions = module.graphs.filter { $0.rankProgram == nil }.flatMap(\.ops).filter { $0.opcode == .attention }
    let all = attentions.map { Documents(attribute: $0.attributes["documents"]) }
    let causal = attentions.contains { $0.attributes["causal"] == .bool(true) }
    guard let first = all.first ?? nil, all.allSatisfy({ $0 == first }) else { return (nil, all.allSatisfy { $0 == nil }, causal) }
    return (first, true, causal)
  }

  public static func zigzag(_ documents: Documents, sequence: Int64, ranks: Int) -> [TokenRanges] {
    let slots = Int64(2 * ranks)
    var pieces = [[Range<Int64>]](repeating: [], count: ranks)
    var nextExtra: Int64 = 0
    for d in documents.bounds.indices.dropLast() {
      let doc = documents.tokens(d).clamped(to: 0..<sequence)
      let (base, extra) = (Int64(doc.count) / slots, Int64(doc.count) % slots)
      var start = doc.lowerBound
      for c in 0..<slots {
        // Chunk c is rank c's head (slot 2c) or rank 2P−1−c's tail (slot 2(2P−1−c)+1).
        let (rank, slot) = c < Int64(ranks) ? (Int(c), 2 * c) : (Int(slots - 1 - c), 2 * (slots - 1 - c) + 1)
        let gets = (slot - nextExtra + slots) % slots < extra ? 1 : 0
        let end = start + base + Int64(gets)
        if end > start { pieces[rank].append(start..<end) }
        start = end
      }
      nextExtra = (nextExtra + extra) % slots
    }
    return pieces.map { TokenRanges($0.sorted { $0.lowerBound < $1.lowerBound }) }
  }

  public static func greedy(_ mask: Mask, sequence: Int64, ranks: Int) -> [TokenRanges] {
    let perRank = max(1, min(chunksPerRank, sequence / Int64(ranks)))
    let chunks = TokenLayout.chunks(sequence: sequence, count: Int(perRank) * ranks)
    let everything = 0..<sequence
    let work = chunks.map { mask.visiblePairs($0, everything) }
    let order = chunks.indices.sorted { work[$0] != work[$1] ? work[$0] > work[$1] : $0 < $1 }
    var load = [Int64](repeating: 0, count: ranks)
    var held = [[Range<Int64>]](repeating: [], count: ranks)
    for c in order {
      var best = -1
      for r in 0..<ranks where Int64(held[r].count) < perRank && (best < 0 || load[r] < load[best]) { best = r }
      held[best].append(chunks[c])
      load[best] = load[best].addingReportingOverflow(work[c]).overflow ? .max : load[best] + work[c]
    }
    return held.map { TokenRanges($0.sorted { $0.lowerBound < $1.lowerBound }) }
  }
}
