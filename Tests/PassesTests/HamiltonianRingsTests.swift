@testable import Passes
import Testing

/// The decomposition TASP circulates on: Hamiltonian rings, no directed
/// link in two; P − 1 rings (every link) for odd P, for P a multiple of 4
/// from 8 (TASP's construction) and for even P from 10 to 54 (searched);
/// P − 2 for 4 and 6, which have none (Tillson 1980), and other even P.
@Suite struct HamiltonianRingsTests {
  @Test(arguments: Array(2...66) + [70, 96, 126, 128, 256])
  func ringsAreHamiltonianAndEdgeDisjoint(n: Int) {
    let r = HamiltonianRings(ranks: n)
    #expect(r.problem == nil, "\(n): \(r.problem ?? "")")
    let everyLink = n % 2 == 1 || (n % 4 == 0 && n >= 8) || (10...54).contains(n)
    #expect(r.rings.count == (n == 2 ? 1 : everyLink ? n - 1 : n - 2))
  }

  /// (m−K_m−m)^u: m rings, each a path through every node joined by one
  /// inter-node link per rank; all m(m − 1) links inside each node used.
  @Test(arguments: [(4, 2), (8, 2), (8, 4), (6, 3), (2, 5), (16, 2)])
  func acrossNodesUsesEveryLinkInsideAndOneNICPerRank(m: Int, nodes: Int) throws {
    let n = m * nodes
    let r = try #require(HamiltonianRings(ranks: n, nodeSize: m))
    #expect(r.problem == nil, "\(m)×\(nodes): \(r.problem ?? "")")
    #expect(r.rings.count == m)
    var inside = 0
    var nicSenders: Set<Int> = []
    for ring in r.rings {
      for (j, a) in ring.enumerated() {
        let b = ring[(j + 1) % n]
        if a / m == b / m {
          inside += 1
        } else {
          #expect(b / m == (a / m + 1) % nodes, "\(a) → \(b) skips a node")
          #expect(nicSenders.insert(a).inserted, "rank \(a) drives two inter-node links")
        }
      }
    }
    #expect(inside == nodes * m * (m - 1))
    #expect(nicSenders.count == n)
  }

  @Test func acrossNodesRefusesWhatItCannotBuild() {
    #expect(HamiltonianRings.whyNotAcrossNodes(ranks: 15, nodeSize: 5) == "its per-node paths need an even number of ranks per node, not 5")
    #expect(HamiltonianRings.whyNotAcrossNodes(ranks: 12, nodeSize: 8) == "12 ranks are not whole nodes of 8")
    #expect(HamiltonianRings.whyNotAcrossNodes(ranks: 8, nodeSize: 8) == "8 ranks are one node of 8; use tasp (the node's full mesh)")
    #expect(HamiltonianRings(ranks: 8, nodeSize: 8) == nil)
  }

  @Test func aBrokenSetIsNamed() {
    let shared = HamiltonianRings(n: 3, rings: [[0, 1, 2], [1, 2, 0]])
    #expect(shared.problem == "link 1 → 2 is in two rings")
    let short = HamiltonianRings(n: 3, rings: [[0, 1]])
    #expect(short.problem == "ring 0 does not visit each of the 3 ranks once")
  }
}
