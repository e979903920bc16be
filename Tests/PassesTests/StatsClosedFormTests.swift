import GraphIR
@testable import Passes
import PlanIR
import RingcTestSupport
import Testing

/// `PlanStats` against the closed forms of the TokenRing paper's schedule
/// (../shared/reference/algorithms.md, §a.2–a.3), written out here
/// independently of the pass.
@Suite struct StatsClosedFormTests {
  /// Chunk sizes: the first S mod C chunks get one token more.
  static func chunks(_ s: Int64, _ c: Int) -> [Int64] {
    (0..<c).map { s / Int64(c) + (Int64($0) < s % Int64(c) ? 1 : 0) }
  }

  static func mod(_ x: Int, _ p: Int) -> Int { ((x % p) + p) % p }

  /// (step, src, dst, kind) -> bytes, from the closed forms.
  static func expectedNonCausal(s: Int64, p: Int, h: Int64, d: Int64, e: Int64) -> [String: Int64] {
    let c = chunks(s, p)
    var out: [String: Int64] = [:]
    for r in 0..<p {
      for step in 0..<(p - 1) {
        out["\(step) \(r) \(mod(r + 1, p)) query"] = c[mod(r - step, p)] * h * d * e
      }
      for step in 2..<(p + 1) where p >= 2 {
        // The partial of step−1 (owner r−step+1) goes home; the tail (step P) goes to r+1.
        let owner = mod(r - step + 1, p)
        out["\(step) \(r) \(owner) partial"] = c[owner] * h * d * e
        out["\(step) \(r) \(owner) lse"] = c[owner] * h * 4
      }
    }
    return out
  }

  static func expectedZigzag(s: Int64, p: Int, h: Int64, d: Int64, e: Int64) -> [String: Int64] {
    let c = chunks(s, 2 * p)
    func front(_ r: Int) -> Int64 { c[r] }
    func back(_ r: Int) -> Int64 { c[2 * p - 1 - r] }
    var out: [String: Int64] = [:]
    for r in 0..<p {
      for step in 0..<(p - 1) {
        let owner = mod(r + step, p)
        // The receiver r−1 needs the full Q only if the owner comes after it:
        // rank 0's receiver is P−1 (always after), and past the wrap the owner is before.
        let rows = r >= 1 && r + step < p ? front(owner) + back(owner) : back(owner)
        out["\(step) \(r) \(mod(r - 1, p)) query"] = rows * h * d * e
      }
      for step in 2..<(p + 1) where p >= 2 {
        let owner = mod(r + step - 1, p)
        let rows = owner > r ? front(owner) + back(owner) : back(owner)
        out["\(step) \(r) \(owner) partial"] = rows * h * d * e
        out["\(step) \(r) \(owner) lse"] = rows * h * 4
      }
    }
    return out
  }

  /// Pass-Q: TokenRing's query messages; every partial (and its lse) goes
  /// home at step P, from the rank that computed it at step t.
  static func expectedPassQ(s: Int64, p: Int, h: Int64, d: Int64, e: Int64, causal: Bool) -> [String: Int64] {
    var out = causal ? expectedZigzag(s: s, p: p, h: h, d: d, e: e) : expectedNonCausal(s: s, p: p, h: h, d: d, e: e)
    out = out.filter { !$0.key.hasSuffix("partial") && !$0.key.hasSuffix("lse") }
    for r in 0..<p {
      for t in 1..<p {
        let owner = mod(causal ? r + t : r - t, p)
        let rows: Int64
        if causal {
          let c = chunks(s, 2 * p)
          rows = owner > r ? c[owner] + c[2 * p - 1 - owner] : c[2 * p - 1 - owner]
        } else {
          rows = chunks(s, p)[owner]
        }
        out["\(p) \(r) \(owner) partial"] = rows * h * d * e
        out["\(p) \(r) \(owner) lse"] = rows * h * 4
      }
    }
    return out
  }

  @Test(arguments: [(2, 24), (3, 23), (4, 29)])
  func passQBytes(sp: Int, seq: Int) throws {
    let causal = try PlanStats(try compile("tiny.ir", sp: sp, seq: Int64(seq), strategy: .passq))
    #expect(Self.measured(causal) == Self.expectedPassQ(s: Int64(seq), p: sp, h: 4, d: 16, e: 4, causal: true))
    let full = try PlanStats(try compile("tiny-dit.ir", sp: sp, seq: Int64(seq), strategy: .passq))
    #expect(Self.measured(full) == Self.expectedPassQ(s: Int64(seq), p: sp, h: 4, d: 8, e: 4, causal: false))
  }

  /// The stats of models/tiny.ir with `window` and `documents` on its
  /// attention, compiled and verified after every pass.
  static func windowedTiny(
    _ strategy: Strategy, sp: Int, seq: Int, window: Int?, documents: [Int64]? = nil, layout: TokenLayout.Kind? = nil
  ) throws -> PlanStats {
    let attributes = (window.map { [", window = \($0)"] } ?? []) + (documents.map { [", documents = \($0)"] } ?? [])
    let text = try readText(repositoryRoot + "/models/tiny.ir")
      .replacing("{causal = true}", with: "{causal = true\(attributes.joined())}")
    var model = try Parser.parse(text, file: "tiny.ir")
    _ = model.setSequenceLength(Int64(seq))
    var instrumentation = PassInstrumentation()
    instrumentation.verifyEach = true
    return try PlanStats(try Compiler.compile(model, sp: sp, strategy: strategy, layout: layout, instrumentation: instrumentation))
  }

  /// Every message of every program (none at all is an empty table: a
  /// window of 1 sees only the diagonal).
  static func allMessages(_ stats: PlanStats) -> [String: Int64] {
    var out: [String: Int64] = [:]
    for m in stats.programs.flatMap(\.messages) { out["\(m.step) \(m.src) \(m.dst) \(m.kind)", default: 0] += m.bytes }
    return out
  }

  /// A sliding window W on the rings (causal): each of a rank's token runs
  /// (one on the contiguous ring, its zigzag chunks joined when adjacent on
  /// ring-zigzag) travels r → r + 1 only as far as the farthest rank whose
  /// queries see it, so bytes are the visible blocks' bytes. tiny: K and V
  /// of 2 kv heads × 16, f32.
  @Test(arguments: [
    (Strategy.ring, 4, 32, 1), (.ring, 4, 32, 5), (.ring, 4, 32, 9), (.ring, 4, 32, 17), (.ring, 4, 32, 40), (.ring, 3, 29, 11),
    (.ring, 5, 27, 6), (.ringZigzag, 4, 32, 1), (.ringZigzag, 4, 32, 3), (.ringZigzag, 4, 32, 6), (.ringZigzag, 4, 32, 13),
    (.ringZigzag, 3, 29, 7), (.ringZigzag, 5, 27, 4), (.ringZigzag, 2, 13, 40),
  ])
  func aWindowedRingSendsOnlyWhatIsSeen(strategy: Strategy, sp: Int, seq: Int, window: Int) throws {
    try Self.ringSendsOnlyWhatIsSeen(strategy, sp: sp, seq: seq, window: window, documents: nil)
  }

  /// The same with packed documents (document_causal), with and without a window.
  @Test(arguments: [
    (Strategy.ring, 4, 32, nil, [0, 1, 9, 10, 25, 32]), (.ring, 3, 29, 5, [0, 14, 15, 29]), (.ringZigzag, 4, 32, nil, [0, 1, 9, 10, 25, 32]),
    (.ringZigzag, 4, 32, 3, [0, 20, 21, 22, 32]), (.ringZigzag, 3, 29, nil, [0, 29]), (.ringZigzag, 5, 27, nil, [0, 3, 4, 5, 27]),
  ] as [(Strategy, Int, Int, Int?, [Int64])])
  func aRingWithDocumentsSendsOnlyWhatIsSeen(strategy: Strategy, sp: Int, seq: Int, window: Int?, documents: [Int64]) throws {
    try Self.ringSendsOnlyWhatIsSeen(strategy, sp: sp, seq: seq, window: window, documents: documents)
  }

  /// Ring on a document-balancing layout: many runs per rank, each moved
  /// as far as the farthest rank that sees it (runs apart in a rank's rows
  /// are gathered into one message).
  @Test(arguments: [
    (TokenLayout.Kind.documentZigzag, 4, 32, nil, [0, 1, 9, 10, 25, 32]), (.documentGreedy, 4, 64, nil, [0, 40, 41, 50, 64]),
    (.documentZigzag, 3, 29, 5, [0, 14, 15, 29]), (.documentGreedy, 3, 48, 7, [0, 2, 30, 31, 48]),
  ] as [(TokenLayout.Kind, Int, Int, Int?, [Int64])])
  func aRingOnADocumentLayoutSendsOnlyWhatIsSeen(layout: TokenLayout.Kind, sp: Int, seq: Int, window: Int?, documents: [Int64]) throws {
    try Self.ringSendsOnlyWhatIsSeen(.ring, sp: sp, seq: seq, window: window, documents: documents, layout: layout)
  }

  static func ringSendsOnlyWhatIsSeen(
    _ strategy: Strategy, sp: Int, seq: Int, window: Int?, documents: [Int64]?, layout: TokenLayout.Kind? = nil
  ) throws {
    let stats = try Self.windowedTiny(strategy, sp: sp, seq: seq, window: window, documents: documents, layout: layout)
    let zigzag = strategy == .ringZigzag
    let sizes = Self.chunks(Int64(seq), zigzag ? 2 * sp : sp)
    let starts = sizes.indices.map { sizes.prefix($0).reduce(0, +) }
    func chunk(_ i: Int) -> Range<Int64> { starts[i]..<(starts[i] + sizes[i]) }
    let balanced = layout.map { TokenLayout($0, documents: documents.flatMap { Documents(bounds: $0) }).tokens(sequence: Int64(seq), ranks: sp) }
    func runs(_ m: Int) -> [Range<Int64>] {
      balanced?[m].ranges ?? TokenRanges(zigzag ? [chunk(m), chunk(2 * sp - 1 - m)] : [chunk(m)]).ranges
    }
    let mask = Mask(causal: true, window: window.map(Int64.init), documents: documents.flatMap { Documents(bounds: $0) })
    var expected: [String: Int64] = [:]
    for j in 0..<sp {
      func holder(_ t: Int) -> Int { Self.mod(j + t, sp) }
      var hops = [Int64](repeating: 0, count: sp)
      for k in runs(j) {
        let farthest = (1..<sp).last { t in runs(holder(t)).contains { mask.anyVisible($0, k) } } ?? 0
        for t in 0..<farthest { hops[t] += 2 * Int64(k.count) * 2 * 16 * 4 }
      }
      for t in 0..<sp where hops[t] > 0 { expected["\(t) \(holder(t)) \(holder(t + 1)) kv"] = hops[t] }
    }
    #expect(Self.allMessages(stats) == expected, "\(strategy) sp \(sp) seq \(seq) window \(String(describing: window)) documents \(String(describing: documents))")
  }

  /// All-gather under documents (on its zigzag layout and both document
  /// layouts): one message per ordered pair at step 0, carrying exactly the
  /// sender's runs some query of the receiver sees (none where none does).
  @Test(arguments: [
    (nil, 4, 32, nil, [0, 1, 9, 10, 25, 32]), (nil, 3, 29, 5, [0, 14, 15, 29]), (TokenLayout.Kind.documentZigzag, 4, 32, nil, [0, 1, 9, 10, 25, 32]),
    (.documentGreedy, 4, 64, nil, [0, 40, 41, 50, 64]), (.documentGreedy, 3, 48, 7, [0, 2, 30, 31, 48]),
  ] as [(TokenLayout.Kind?, Int, Int, Int?, [Int64])])
  func aMaskedAllGatherSendsOnlyWhatIsSeen(layout: TokenLayout.Kind?, sp: Int, seq: Int, window: Int?, documents: [Int64]) throws {
    let stats = try Self.windowedTiny(.allgather, sp: sp, seq: seq, window: window, documents: documents, layout: layout)
    let docs = Documents(bounds: documents)
    let tokens = TokenLayout(layout ?? .zigzag, documents: docs).tokens(sequence: Int64(seq), ranks: sp)
    let mask = Mask(causal: true, window: window.map(Int64.init), documents: docs)
    var expected: [String: Int64] = [:]
    for (src, dst) in (0..<sp).flatMap({ a in (0..<sp).map { (a, $0) } }) where src != dst {
      let seen = tokens[src].ranges.filter { k in tokens[dst].ranges.contains { mask.anyVisible($0, k) } }
      let rows = seen.reduce(0) { $0 + Int64($1.count) }
      if rows > 0 { expected["0 \(src) \(dst) kv"] = 2 * rows * 2 * 16 * 4 }
    }
    #expect(Self.allMessages(stats) == expected, "layout \(String(describing: layout)) sp \(sp) seq \(seq) window \(String(describing: window))")
  }

  /// TokenRing with a sliding window W (causal zigzag): each of an owner's
  /// token runs (its zigzag chunks, joined when adjacent) travels r → r − 1
  /// only as far as the farthest holder whose keys it sees, and a holder
  /// sends home the partial of just the runs that see its keys. tiny: 4
  /// heads × 16, f32 (an lse is 4 bytes per head and row).
  @Test(arguments: [
    (4, 32, 1, nil), (4, 32, 3, nil), (4, 32, 6, nil), (4, 32, 11, nil), (4, 32, 40, nil), (3, 29, 7, nil), (5, 27, 4, nil),
    (2, 13, 5, nil), (4, 32, nil, [0, 1, 9, 10, 25, 32]), (4, 32, 3, [0, 20, 21, 22, 32]), (3, 29, nil, [0, 29]),
    (5, 27, nil, [0, 3, 4, 5, 27]),
  ] as [(Int, Int, Int?, [Int64]?)])
  func aMaskedTokenRingSendsOnlyWhatIsSeen(sp: Int, seq: Int, window: Int?, documents: [Int64]?) throws {
    let stats = try Self.windowedTiny(.tokenring, sp: sp, seq: seq, window: window, documents: documents)
    let sizes = Self.chunks(Int64(seq), 2 * sp)
    let starts = sizes.indices.map { sizes.prefix($0).reduce(0, +) }
    func chunk(_ i: Int) -> Range<Int64> { starts[i]..<(starts[i] + sizes[i]) }
    func runs(_ m: Int) -> [Range<Int64>] { TokenRanges([chunk(m), chunk(2 * sp - 1 - m)]).ranges }
    let mask = Mask(causal: true, window: window.map(Int64.init), documents: documents.flatMap { Documents(bounds: $0) })
    func sees(_ q: Range<Int64>, _ h: Int) -> Bool { runs(h).contains { mask.anyVisible(q, $0) } }
    var expected: [String: Int64] = [:]
    for o in 0..<sp {
      func holder(_ t: Int) -> Int { Self.mod(o - t, sp) }
      for q in runs(o) {
        // Hops 0 ..< farthest: from holder(t) to holder(t + 1) at step t.
        let farthest = (1..<sp).last { sees(q, holder($0)) } ?? 0
        for t in 0..<farthest { expected["\(t) \(holder(t)) \(holder(t + 1)) query", default: 0] += Int64(q.count) * 4 * 16 * 4 }
      }
      for t in 1..<sp {
        let seen = runs(o).filter { sees($0, holder(t)) }.reduce(Int64(0)) { $0 + Int64($1.count) }
        guard seen > 0 else { continue }
        expected["\(t + 1) \(holder(t)) \(o) partial"] = seen * 4 * 16 * 4
        expected["\(t + 1) \(holder(t)) \(o) lse"] = seen * 4 * 4
      }
    }
    #expect(Self.allMessages(stats) == expected, "sp \(sp) seq \(seq) window \(String(describing: window)) documents \(String(describing: documents))")
  }

  /// LoongTrain's double ring, 1 × 8 with inner windows of 2 (non-causal,
  /// contiguous): inside an inner ring a block moves one hop at each outer
  /// step's first step; at the same time every rank sends the block it
  /// started the outer step with to the same place in the next inner ring.
  @Test func doubleRingBytesPerLink() throws {
    let (p, w, seq): (Int, Int, Int64) = (8, 2, 40)
    let stats = try PlanStats(
      try compile("tiny-dit.ir", sp: p, seq: seq, strategy: .loongtrain(Strategy.LoongTrain(heads: 1, context: p, window: w))))
    let c = Self.chunks(seq, p)
    var expected: [String: Int64] = [:]
    for r in 0..<p {
      let (g, j) = (r / w, r % w)
      // The block r holds at step s = o·w + i: that of (g − o)·w + (j − i) mod w.
      func holder(_ s: Int) -> Int { Self.mod((g - s / w) * w + Self.mod(j - s % w, w), p) }
      // tiny-dit: K and V of 4 heads × 8, f32.
      func kv(_ owner: Int) -> Int64 { 2 * c[owner] * 4 * 8 * 4 }
      // Ring step s is plan step s + 3: steps 0–2 are the head all-to-alls (here in groups of one).
      for s in 0..<p {
        if s % w != w - 1 && s < p - 1 { expected["\(s + 3) \(r) \(g * w + Self.mod(j + 1, w)) kv", default: 0] += kv(holder(s)) }
        if s % w == 0 && s + w < p { expected["\(s + 3) \(r) \(Self.mod(r + w, p)) kv", default: 0] += kv(holder(s)) }
      }
    }
    #expect(Self.measured(stats) == expected)
  }

  /// TASP (non-causal, contiguous): at every step s < P − 1 each link of
  /// each Hamiltonian ring carries exactly one K/V part, the one that
  /// started s hops back on that ring; parts are the rank's rows cut R ways.
  /// Across nodes (`tasp:nodeM`) the same holds for the m per-node rings.
  @Test(arguments: [(3, 23, 0), (5, 43, 0), (6, 61, 0), (8, 103, 0), (4, 23, 2), (8, 61, 4), (6, 31, 2)])
  func taspCarriesOnePartPerLinkPerStep(sp: Int, seq: Int, nodeSize: Int) throws {
    let kind: Strategy.TASPRings = nodeSize == 0 ? .mesh : .nodes(nodeSize)
    let stats = try PlanStats(try compile("tiny-dit.ir", sp: sp, seq: Int64(seq), strategy: .tasp(kind)))
    let rings = try #require(nodeSize == 0 ? HamiltonianRings(ranks: sp) : HamiltonianRings(ranks: sp, nodeSize: nodeSize))
    let part = Self.ringParts(seq: Int64(seq), sp: sp, rings: rings.rings.count)
    var expected: [String: Int64] = [:]
    for step in 0..<(sp - 1) {
      for (i, ring) in rings.rings.enumerated() {
        for (at, r) in ring.enumerated() {
          let origin = ring[Self.mod(at - step, sp)]
          // K and V of 4 heads × 8, f32.
          expected["\(step) \(r) \(ring[(at + 1) % sp]) kv"] = 2 * part(origin, i) * 4 * 8 * 4
        }
      }
    }
    #expect(Self.measured(stats) == expected)
  }

  /// TokenRing over TASP's rings (non-causal): at step s < P − 1 each ring
  /// link carries one query part (the one that started s hops back); at
  /// step s ≥ 1 each holder sends that part's partial and lse home.
  @Test(arguments: [(3, 23), (5, 43), (6, 61), (8, 103)])
  func tokenRingOverTASPBytes(sp: Int, seq: Int) throws {
    let stats = try PlanStats(try compile("tiny-dit.ir", sp: sp, seq: Int64(seq), strategy: .tokenringTASP(.mesh)))
    let rings = HamiltonianRings(ranks: sp)
    let part = Self.ringParts(seq: Int64(seq), sp: sp, rings: rings.rings.count)
    var expected: [String: Int64] = [:]
    for step in 0..<sp {
      for (i, ring) in rings.rings.enumerated() {
        for (at, r) in ring.enumerated() {
          let owner = ring[Self.mod(at - step, sp)]
          // 4 heads × 8, f32; lse f32 per head and row.
          if step < sp - 1 { expected["\(step) \(r) \(ring[(at + 1) % sp]) query", default: 0] += part(owner, i) * 4 * 8 * 4 }
          if step >= 1 {
            expected["\(step) \(r) \(owner) partial", default: 0] += part(owner, i) * 4 * 8 * 4
            expected["\(step) \(r) \(owner) lse", default: 0] += part(owner, i) * 4 * 4
          }
        }
      }
    }
    #expect(Self.measured(stats) == expected)
  }

  /// TokenRing over TASP's rings, causal (zigzag: rank o holds chunks o and
  /// 2P−1−o). Holder h > o needs only the part's rows in o's back chunk,
  /// h < o all of it; so a part travels whole while some rank still to come
  /// on its ring is before o, then as its back rows only, then not at all
  /// when it has none. A partial carries the rows its holder computed.
  @Test(arguments: [(3, 31), (5, 53), (6, 67), (8, 131)])
  func tokenRingOverTASPTrimsCausalParts(sp: Int, seq: Int) throws {
    let stats = try PlanStats(try compile("tiny.ir", sp: sp, seq: Int64(seq), strategy: .tokenringTASP(.mesh)))
    let rings = HamiltonianRings(ranks: sp).rings
    let c = Self.chunks(Int64(seq), 2 * sp)
    let (front, back) = ({ (o: Int) in c[o] }, { (o: Int) in c[2 * sp - 1 - o] })
    // Rows of o's part i, as a range of o's local rows (front chunk first).
    func part(_ o: Int, _ i: Int) -> Range<Int64> {
      let n = front(o) + back(o)
      let (q, r) = (n / Int64(rings.count), n % Int64(rings.count))
      let start = Int64(i) * q + min(Int64(i), r)
      return start..<(start + q + (Int64(i) < r ? 1 : 0))
    }
    func backRows(_ o: Int, _ i: Int) -> Int64 {
      let r = part(o, i)
      return max(0, r.upperBound - max(r.lowerBound, front(o)))
    }
    var expected: [String: Int64] = [:]
    for (i, ring) in rings.enumerated() {
      for (at, owner) in ring.enumerated() {
        // The rank `hops` along ring i from the owner.
        func holder(_ hops: Int) -> Int { ring[(at + hops) % sp] }
        for step in 0..<sp {
          let (from, to) = (holder(step), holder(step + 1))
          if step < sp - 1 {
            let earlierAhead = (step + 1..<sp).contains { holder($0) < owner }
            let rows = earlierAhead ? Int64(part(owner, i).count) : backRows(owner, i)
            // 4 query heads × 16, f32.
            if rows > 0 { expected["\(step) \(from) \(to) query", default: 0] += rows * 4 * 16 * 4 }
          }
          if step >= 1 {
            let rows = from > owner ? backRows(owner, i) : Int64(part(owner, i).count)
            if rows > 0 {
              expected["\(step) \(from) \(owner) partial", default: 0] += rows * 4 * 16 * 4
              expected["\(step) \(from) \(owner) lse", default: 0] += rows * 4 * 4
            }
          }
        }
      }
    }
    #expect(Self.measured(stats) == expected)
  }

  /// Rows of part i of rank j's contiguous chunk cut into `rings` parts:
  /// the first `chunk mod rings` parts one row longer.
  static func ringParts(seq: Int64, sp: Int, rings: Int) -> (Int, Int) -> Int64 {
    let c = chunks(seq, sp)
    return { j, i in c[j] / Int64(rings) + (Int64(i) < c[j] % Int64(rings) ? 1 : 0) }
  }

  static func measured(_ stats: PlanStats) -> [String: Int64] {
    let program = stats.programs.first { !$0.messages.isEmpty }!
    var out: [String: Int64] = [:]
    for m in program.messages { out["\(m.step) \(m.src) \(m.dst) \(m.kind)", default: 0] += m.bytes }
    return out
  }

  @Test(arguments: [(2, 24), (3, 23), (4, 24), (5, 27)])
  func nonCausalBytesAndFlops(sp: Int, seq: Int) throws {
    let stats = try PlanStats(try compile("tiny-dit.ir", sp: sp, seq: Int64(seq)))
    // tiny-dit: 4 heads × head_dim 8, f32.
    #expect(Self.measured(stats) == Self.expectedNonCausal(s: Int64(seq), p: sp, h: 4, d: 8, e: 4))
    let c = Self.chunks(Int64(seq), sp)
    let program = stats.programs.first { !$0.stepFlops.isEmpty }!
    for step in 0..<sp {
      for r in 0..<sp {
        // FLOP(a, b) = 2·(D + Dv)·H·a·b for an unmasked block.
        #expect(program.stepFlops[step]?[r] == 2 * 16 * 4 * c[Self.mod(r - step, sp)] * c[r])
      }
    }
  }

  @Test(arguments: [(2, 32), (3, 31), (4, 32), (5, 29), (4, 43)])
  func zigzagBytesAndFlops(sp: Int, seq: Int) throws {
    let stats = try PlanStats(try compile("tiny.ir", sp: sp, seq: Int64(seq)))
    // tiny: 4 query heads × head_dim 16, f32.
    #expect(Self.measured(stats) == Self.expectedZigzag(s: Int64(seq), p: sp, h: 4, d: 16, e: 4))
    let c = Self.chunks(Int64(seq), 2 * sp)
    let program = stats.programs.first { !$0.stepFlops.isEmpty }!
    let perPair: Int64 = 2 * 32 * 4
    for r in 0..<sp {
      let (f, b) = (c[r], c[2 * sp - 1 - r])
      #expect(program.stepFlops[0]?[r] == perPair * (f * (f + 1) / 2 + b * (b + 1) / 2 + f * b))
      for step in 1..<sp {
        let j = Self.mod(r + step, sp)
        let pairs = j > r ? (c[j] + c[2 * sp - 1 - j]) * f : c[2 * sp - 1 - j] * (f + b)
        #expect(program.stepFlops[step]?[r] == perPair * pairs)
      }
    }
  }

  @Test func evenZigzagStepsAreBalanced() throws {
    let stats = try PlanStats(try compile("llama2-7b.ir", sp: 8, seq: 16384))
    let program = stats.programs.first { !$0.stepFlops.isEmpty }!
    for step in 1..<8 {
      #expect(Set(program.stepFlops[step]!).count == 1, "step \(step) is balanced")
    }
  }
}
