@testable import Passes
import Testing

/// The decomposition TASP circulates on: Hamiltonian rings, no directed
/// link in two, P − 1 rings (every link) for odd P and for even P from 8 to
/// 16 (searched), P − 2 for other even P.
@Suite struct HamiltonianRingsTests {
  @Test(arguments: Array(2...64))
  func ringsAreHamiltonianAndEdgeDisjoint(n: Int) {
    let r = HamiltonianRings(ranks: n)
    #expect(r.problem == nil, "\(n): \(r.problem ?? "")")
    let everyLink = n % 2 == 1 || HamiltonianRings.searchable.contains(n)
    #expect(r.rings.count == (n == 2 ? 1 : everyLink ? n - 1 : n - 2))
  }

  @Test func aBrokenSetIsNamed() {
    let shared = HamiltonianRings(n: 3, rings: [[0, 1, 2], [1, 2, 0]])
    #expect(shared.problem == "link 1 → 2 is in two rings")
    let short = HamiltonianRings(n: 3, rings: [[0, 1]])
    #expect(short.problem == "ring 0 does not visit each of the 3 ranks once")
  }
}
