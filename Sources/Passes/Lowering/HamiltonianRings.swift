/// Edge-disjoint directed Hamiltonian rings over n ranks: the decomposition
/// of the logical full mesh TASP circulates K/V on (Wang et al., arXiv
/// 2509.26541). Each ring is an order of all n ranks; a rank sends to the
/// one after it. No directed link (a → b) belongs to two rings.
///
/// - n odd, n = 2k + 1: Walecki's construction. With ranks 0 ..< 2k on a
///   circle and rank 2k as the hub, cycle i (i < k) is the hub followed by
///   the zigzag i, i+1, i−1, i+2, i−2, …, i+k (mod 2k); the k cycles cover
///   every undirected edge once, and each taken both ways gives n − 1 rings
///   that use every directed link.
/// - n even, 8 ≤ n ≤ 16: n − 1 rings on every link, which exist for every
///   even n but 4 and 6 (Tillson 1980), found by a depth-first search with
///   seeded random order (`searched`), bounded in steps; every result is
///   checked (`problem`).
/// - other even n, or when the search runs out: the k = (n − 2)/2 cycles
///   for the n − 1 ranks below, each with rank n − 1 inserted on its
///   diameter edge (ends distinct across cycles), both ways: n − 2 rings,
///   leaving n links unused.
/// - n = 2: the one ring 0 → 1 → 0; n = 1: none.
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
      if n % 2 == 0, Self.searchable.contains(n), let found = Self.searched(n) {
        rings = found
        return
      }
      let cycles = n % 2 == 1 ? Self.walecki(n) : Self.withInsertedRank(Self.walecki(n - 1), rank: n - 1)
      rings = cycles.flatMap { [$0, [$0[0]] + $0.dropFirst().reversed()] }
    }
  }

  /// Even rank counts searched for a ring on every link (a few ms each).
  static let searchable = 8...16

  /// n − 1 arc-disjoint directed Hamiltonian cycles of the complete digraph,
  /// built one at a time by depth-first search from rank 0 over unused
  /// links, neighbours in a seeded random order, retrying a cycle up to 30
  /// times before backtracking; nil after `budget` search steps or 20 seeds.
  static func searched(_ n: Int, budget: Int = 400_000) -> [[Int]]? {
    for seed in 0..<20 {
      var search = CycleSearch(n: n, seed: UInt64(seed + 1), budget: budget)
      if search.build(0) {
        let r = HamiltonianRings(n: n, rings: search.cycles)
        if r.problem == nil { return search.cycles }
      }
    }
    return nil
  }

  /// The state of one seeded search.
  private struct CycleSearch {
    let n: Int
    var state: UInt64
    var budget: Int
    var used: Set<Int> = []
    var cycles: [[Int]] = []

    init(n: Int, seed: UInt64, budget: Int) { (self.n, state, self.budget) = (n, seed, budget) }

    /// SplitMix64: a fixed sequence per seed, so a plan compiles the same every time.
    mutating func random() -> UInt64 {
      state &+= 0x9E37_79B9_7F4A_7C15
      var z = state
      z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
      z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
      return z ^ (z >> 31)
    }

    func arc(_ a: Int, _ b: Int) -> Int { a * n + b }

    mutating func cycle(_ path: inout [Int], _ visited: inout [Bool]) -> Bool {
      budget -= 1
      if budget < 0 { return false }
      let u = path[path.count - 1]
      if path.count == n { return !used.contains(arc(u, path[0])) }
      var next = (0..<n).filter { !visited[$0] && !used.contains(arc(u, $0)) }
      for i in stride(from: next.count - 1, to: 0, by: -1) { next.swapAt(i, Int(random() % UInt64(i + 1))) }
      for v in next {
        visited[v] = true
        path.append(v)
        if cycle(&path, &visited) { return true }
        path.removeLast()
        visited[v] = false
        if budget < 0 { return false }
      }
      return false
    }

    mutating func build(_ k: Int) -> Bool {
      if k == n - 1 { return true }
      for _ in 0..<30 {
        var path = [0]
        var visited = [Bool](repeating: false, count: n)
        visited[0] = true
        guard cycle(&path, &visited) else { return false }
        let arcs = (0..<n).map { arc(path[$0], path[($0 + 1) % n]) }
        used.formUnion(arcs)
        cycles.append(path)
        if build(k + 1) { return true }
        cycles.removeLast()
        used.subtract(arcs)
        if budget < 0 { return false }
      }
      return false
    }
  }

  /// Walecki's k undirected Hamiltonian cycles of the complete graph on n = 2k + 1 ranks.
  static func walecki(_ n: Int) -> [[Int]] {
    let k = (n - 1) / 2
    let m = 2 * k
    return (0..<k).map { i in
      var path = [i]
      for step in 1..<m {
        // +1, −1, +2, −2, …: the zigzag across the circle.
        let offset = step % 2 == 1 ? (step + 1) / 2 : -(step / 2)
        path.append(((i + offset) % m + m) % m)
      }
      return [m] + path
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
    var links: Set<[Int]> = []
    for (i, ring) in rings.enumerated() {
      guard ring.count == n, Set(ring) == Set(0..<n) else { return "ring \(i) does not visit each of the \(n) ranks once" }
      for j in 0..<n where !links.insert([ring[j], ring[(j + 1) % n]]).inserted {
        return "link \(ring[j]) → \(ring[(j + 1) % n]) is in two rings"
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
