/// Edge-disjoint directed Hamiltonian rings over n ranks: the decomposition
/// TASP circulates K/V on (Wang et al., arXiv 2509.26541). Each ring is an
/// order of all n ranks; a rank sends to the one after it. No directed link
/// (a → b) belongs to two rings.
///
/// The logical full mesh (`init(ranks:)`):
/// - n odd, n = 2k + 1: Walecki's construction. With ranks 0 ..< 2k on a
///   circle and rank 2k as the hub, cycle i (i < k) is the hub followed by
///   the zigzag i, i+1, i−1, i+2, i−2, …, i+k (mod 2k); the k cycles cover
///   every undirected edge once, and each taken both ways gives n − 1 rings
///   that use every directed link.
/// - n even, n ≥ 8: n − 1 rings on every link, which exist for every even n
///   but 4 and 6 (Tillson 1980). The n − 2 rings of the n − 1 ranks below
///   take rank n − 1 on one link each (a → b becomes a → n−1 → b); the
///   links taken out, when they chain into one path through all n − 1
///   ranks, close with rank n − 1 into ring n − 1. Which link of each ring:
///   TASP's choice for n a multiple of 4, else (n ≤ 54) a seeded
///   depth-first search (`insertingLastRank`), bounded in steps. Every
///   result is checked (`problem`).
/// - n = 4, 6, other even n, or when the search runs out: Walecki's
///   k = (n − 2)/2 cycles of the n − 1 ranks below, each with rank n − 1
///   inserted on its diameter edge (ends distinct across cycles), both
///   ways: n − 2 rings, leaving n links unused.
/// - n = 2: the one ring 0 → 1 → 0; n = 1: none.
///
/// Across nodes (`init(ranks:nodeSize:)`), TASP's (m−K_m−m)^u: in each node
/// of m ranks (m even), path r is the zigzag r, r+1, r−1, …, r+m/2 (mod m);
/// the m paths use every intra-node link once. Ring r joins path r of every
/// node, node j's end (local r + m/2) sending to node j+1's start (local r),
/// so each rank drives one inter-node link and every NIC works at once.
struct HamiltonianRings: Equatable {
  let n: Int
  let rings: [[Int]]

  init(n: Int, rings: [[Int]]) {
    (self.n, self.rings) = (n, rings)
  }

  init(ranks n: Int) {
    self.n = n
    switch n {
    case ..<2: rings = []
    case 2: rings = [[0, 1]]
    default:
      let below = Self.rotational(n % 2 == 1 ? n - 1 : n - 2)
      if n % 2 == 1 {
        rings = below
      } else if let found = Self.insertingLastRank(below, n: n) {
        rings = found
      } else {
        rings = Self.bothWays(Self.withInsertedRank(Self.walecki(n - 1), rank: n - 1))
      }
    }
  }

  /// (m−K_m−m)^u over n = m·u ranks, rank j·m + l being local rank l of
  /// node j; nil unless m is even, m ≥ 2 and u ≥ 2 (`whyNotAcrossNodes`).
  init?(ranks n: Int, nodeSize m: Int) {
    guard Self.whyNotAcrossNodes(ranks: n, nodeSize: m) == nil else { return nil }
    self.n = n
    let path = Self.zigzag(m)
    rings = (0..<m).map { r in (0..<(n / m)).flatMap { node in path.map { node * m + (r + $0) % m } } }
  }

  /// Why TASP's per-node rings do not apply to n ranks in nodes of m; nil when they do.
  static func whyNotAcrossNodes(ranks n: Int, nodeSize m: Int) -> String? {
    if m < 2 || m % 2 == 1 { return "its per-node paths need an even number of ranks per node, not \(m)" }
    if n % m != 0 { return "\(n) ranks are not whole nodes of \(m)" }
    if n / m < 2 { return "\(n) ranks are one node of \(m); use tasp (the node's full mesh)" }
    return nil
  }

  /// The offsets 0, +1, −1, +2, −2, …, +m/2 (mod m) of Walecki's zigzag over m
  /// ranks on a circle: its steps +1, −2, +3, … take each difference once.
  static func zigzag(_ m: Int) -> [Int] {
    (0..<m).map { step in
      let offset = step % 2 == 1 ? (step + 1) / 2 : -(step / 2)
      return (offset % m + m) % m
    }
  }

  /// The m directed Hamiltonian cycles of the complete digraph on m + 1
  /// ranks (m even; rank m the hub): cycle i is the hub, then i + the zigzag
  /// (mod m). Every difference mod m is one zigzag step, so the translates
  /// use each link between ranks below m once, and the hub's once each way.
  /// Cycles i and i + m/2 are one of Walecki's, both ways.
  static func rotational(_ m: Int) -> [[Int]] {
    let path = zigzag(m)
    return (0..<m).map { i in [m] + path.map { (i + $0) % m } }
  }

  /// Walecki's k undirected Hamiltonian cycles of the complete graph on n = 2k + 1 ranks.
  static func walecki(_ n: Int) -> [[Int]] { Array(rotational(n - 1).prefix((n - 1) / 2)) }

  /// Each cycle, and the same cycle backwards (from the same first rank).
  static func bothWays(_ cycles: [[Int]]) -> [[Int]] {
    cycles.flatMap { [$0, [$0[0]] + $0.dropFirst().reversed()] }
  }

  /// Even n searched when n is not a multiple of 4. Measured: found within
  /// 64 restarts of 5 000 steps up to 54 (under 0.5 s in a debug build); at
  /// 58 it was not, and the search's tail grows fast beyond.
  static let searchable = 10...54

  /// TASP's choice for n = 4(k + 1) (HamiltonAttention's `gen_hamilton_circle`):
  /// of rotational cycle i, the link into position 2k, except cycles 0,
  /// k + 1, 2k + 2 and 3k + 2 (positions 1, 4k + 2, 3 and 4k). Checked like
  /// a searched one.
  static func taspInsertion(n: Int) -> [Int] {
    let k = n / 4 - 1
    return (0..<(n - 2)).map { i in [0: 1, k + 1: 4 * k + 2, 2 * k + 2: 3, 3 * k + 2: 4 * k][i] ?? 2 * k }
  }

  /// Rings over n ranks from `cycles`, the n − 2 rotational cycles of ranks
  /// 0 ..< n − 1, by putting rank x = n − 1 on one link a_c → b_c of each
  /// cycle c, and closing the links taken out into one more ring: x, then
  /// those links chained. That needs the a_c distinct, the b_c distinct and
  /// the links to form one path (no cycle). For n a multiple of 4, TASP's
  /// choice; else, for n in `searchable`, a depth-first search over the
  /// cycles, links in a seeded random order, that keeps the start and end of
  /// every partial path so a closing link is refused in O(1); nil after
  /// `budget` steps for each of 64 seeds (short restarts: its run times are
  /// heavy-tailed).
  static func insertingLastRank(_ cycles: [[Int]], n: Int, budget: Int = 5_000) -> [[Int]]? {
    guard n >= 8, n % 2 == 0, cycles.count == n - 2 else { return nil }
    if n % 4 == 0 { return closing(cycles, at: taspInsertion(n: n), n: n) }
    guard searchable.contains(n) else { return nil }
    for seed in 0..<64 {
      var search = InsertionSearch(cycles: cycles, seed: UInt64(seed + 1), budget: budget)
      if search.choose(0), let rings = closing(cycles, at: search.choice, n: n) { return rings }
    }
    return nil
  }

  /// The rings for rank n − 1 put before position at[c] of cycle c, and the
  /// ring the links taken out close into; nil unless they are edge-disjoint
  /// Hamiltonian rings.
  static func closing(_ cycles: [[Int]], at: [Int], n: Int) -> [[Int]]? {
    let x = n - 1
    var after = [Int](repeating: -1, count: x)
    var entered = [Bool](repeating: false, count: x)
    for (cycle, i) in zip(cycles, at) {
      let a = cycle[(i + cycle.count - 1) % cycle.count]
      guard after[a] < 0 else { return nil }
      after[a] = cycle[i]
      entered[cycle[i]] = true
    }
    // The links taken out chain from the one rank none of them enters.
    guard var rank = entered.firstIndex(of: false) else { return nil }
    var last = [x, rank]
    while after[rank] >= 0, last.count <= n {
      rank = after[rank]
      last.append(rank)
    }
    let rings = zip(cycles, at).map { cycle, i in [x] + cycle[i...] + cycle[..<i] } + [last]
    return HamiltonianRings(n: n, rings: rings).problem == nil ? rings : nil
  }

  /// The state of one seeded insertion search: the chosen link of each
  /// cycle is (cycle[at − 1] → cycle[at]).
  private struct InsertionSearch {
    let cycles: [[Int]]
    var state: UInt64
    var budget: Int
    var choice: [Int]
    /// after[a] = b for a chosen link a → b, before[b] = a; −1 when none.
    var after: [Int]
    var before: [Int]
    /// For the end of a path of chosen links its start, for a start its end.
    var startOf: [Int]
    var endOf: [Int]

    init(cycles: [[Int]], seed: UInt64, budget: Int) {
      let ranks = cycles.count + 1
      (self.cycles, state, self.budget) = (cycles, seed, budget)
      choice = Array(repeating: 0, count: cycles.count)
      (after, before) = (Array(repeating: -1, count: ranks), Array(repeating: -1, count: ranks))
      (startOf, endOf) = (Array(0..<ranks), Array(0..<ranks))
    }

    /// SplitMix64: a fixed sequence per seed, so a plan compiles the same every time.
    mutating func random() -> UInt64 {
      state &+= 0x9E37_79B9_7F4A_7C15
      var z = state
      z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
      z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
      return z ^ (z >> 31)
    }

    mutating func choose(_ c: Int) -> Bool {
      if c == cycles.count { return true }
      budget -= 1
      if budget < 0 { return false }
      let cycle = cycles[c]
      var order = Array(0..<cycle.count)
      for i in stride(from: order.count - 1, to: 0, by: -1) { order.swapAt(i, Int(random() % UInt64(i + 1))) }
      for at in order {
        let (a, b) = (cycle[(at + cycle.count - 1) % cycle.count], cycle[at])
        // a must end a path and b start one, and not the same path's (a cycle).
        guard after[a] < 0, before[b] < 0, startOf[a] != b else { continue }
        let (start, end) = (startOf[a], endOf[b])
        (after[a], before[b], choice[c]) = (b, a, at)
        (endOf[start], startOf[end]) = (end, start)
        if choose(c + 1) { return true }
        (after[a], before[b]) = (-1, -1)
        (endOf[start], startOf[end]) = (a, b)
        if budget < 0 { return false }
      }
      return false
    }
  }

  /// Each of Walecki's cycles with `rank` put on its diameter edge: the path
  /// steps are +1, −2, +3, …, so its k-th edge joins i + a and i + a + k
  /// (mod 2k), and over i = 0 ..< k those ends are all 2k ranks once. The
  /// new links to `rank` are then all distinct.
  static func withInsertedRank(_ cycles: [[Int]], rank: Int) -> [[Int]] {
    cycles.map { cycle in
      // The hub is at 0, so path positions k − 1 and k are at k and k + 1.
      let k = (cycle.count - 1) / 2
      return Array(cycle[...k]) + [rank] + Array(cycle[(k + 1)...])
    }
  }

  /// Why these are not edge-disjoint Hamiltonian rings over n ranks; nil when they are.
  var problem: String? {
    var used = [Bool](repeating: false, count: n * n)
    for (i, ring) in rings.enumerated() {
      var seen = [Bool](repeating: false, count: n)
      for r in ring where (0..<n).contains(r) { seen[r] = true }
      guard ring.count == n, !seen.contains(false) else { return "ring \(i) does not visit each of the \(n) ranks once" }
      for j in 0..<n {
        let (a, b) = (ring[j], ring[(j + 1) % n])
        if used[a * n + b] { return "link \(a) → \(b) is in two rings" }
        used[a * n + b] = true
      }
    }
    return nil
  }

  /// Of `n` rows cut into a part per ring (the first `n mod R` parts one row
  /// longer), the rows of part `i`.
  func partRows(_ n: Int64, part i: Int) -> Range<Int64> {
    let count = Int64(rings.count)
    let (q, r) = (n / count, n % count)
    let start = Int64(i) * q + min(Int64(i), r)
    return start..<(start + q + (Int64(i) < r ? 1 : 0))
  }

  /// Where rank `r` sends on ring `i`, and where it receives from.
  func next(_ r: Int, ring i: Int) -> Int { rings[i][(position(r, ring: i) + 1) % n] }
  func previous(_ r: Int, ring i: Int, hops: Int = 1) -> Int { rings[i][((position(r, ring: i) - hops) % n + n) % n] }
  private func position(_ r: Int, ring i: Int) -> Int { rings[i].firstIndex(of: r)! }
}
