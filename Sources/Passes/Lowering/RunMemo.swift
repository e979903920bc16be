/// The run-level questions a masked lowering asks, answered once for all the
/// ranks that lower one attention: every rank asks the same ones of the same
/// runs (which runs of member q see which of member k; which runs of an
/// owner travel on after step s), so remembering them takes lowering under
/// documents from O(P³) mask checks to O(P²). One per attention (one mask);
/// a ring group's answers are kept apart by its members.
final class RunMemo {
  private var groups: [[Int]: Int] = [:]
  private var visible: [Key: (q: [Int], k: [Int])] = [:]
  private var forwarded: [Key: [Int]] = [:]

  private struct Key: Hashable {
    var group: Int
    var what: Int
    var a: Int
    var b: Int
  }

  /// What the emitters forward: the ring's key runs or TokenRing's query runs.
  enum Travelling: Int {
    case keys, queries
  }

  /// The slot of the ring group with these members.
  func group(_ members: [Int]) -> Int {
    if let g = groups[members] { return g }
    groups[members] = groups.count
    return groups.count - 1
  }

  func visibleRuns(group: Int, queries q: Int, keys k: Int, _ compute: () -> (q: [Int], k: [Int])) -> (q: [Int], k: [Int]) {
    let key = Key(group: group, what: 0, a: q, b: k)
    if let v = visible[key] { return v }
    let v = compute()
    visible[key] = v
    return v
  }

  /// ∪ over t in s + 1 ..< steps of `needed(t)`: the owner's runs some later
  /// step still uses. Each step's union is the next one's plus that step's
  /// runs, so it is filled back from the first step already known.
  func forwarded(
    group: Int, _ what: Travelling, owner: Int, after s: Int, steps: Int, needed: (Int) -> [Int]
  ) -> [Int] {
    func key(_ t: Int) -> Key { Key(group: group, what: 1 + what.rawValue, a: owner, b: t) }
    var t = s
    while t < steps - 1, forwarded[key(t)] == nil { t += 1 }
    var runs = t < steps - 1 ? forwarded[key(t)]! : []
    while t > s {
      t -= 1
      runs = Array(Set(runs).union(needed(t + 1))).sorted()
      forwarded[key(t)] = runs
    }
    return runs
  }
}
