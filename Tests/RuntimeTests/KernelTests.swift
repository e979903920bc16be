import GraphIR
import Runtime
import Testing

func random(_ shape: [Int], seed: UInt64) -> Tensor {
  Initializer(seed: seed).input("t", shape: shape, tokens: (0..<Int64(shape[0])).map { $0 })
}

/// The largest difference; NaN on either side only where both are NaN.
func maxError(_ a: Tensor, _ b: Tensor) -> Float {
  var e: Float = 0
  for i in 0..<a.count {
    if a[i] == b[i] || (a[i].isNaN && b[i].isNaN) { continue }  // equal infinities
    let difference = abs(a[i] - b[i])
    e = difference.isNaN ? .infinity : max(e, difference)
    if e == .infinity { break }
  }
  return e
}

@Suite struct KernelTests {
  @Test func matmulMatchesTheReference() {
    let a = random([37, 19], seed: 1)
    let b = random([19, 23], seed: 2)
    #expect(maxError(Reference.matmul(a, b), Runtime.MatMulTesting.run(a, b)) < 1e-5)
  }

  /// `a × bᵀ` for `b: [N, K]`, as a matmul reads a weight stored transposed.
  @Test func matmulWithTransposedBMatchesTheReference() {
    let a = random([5, 37, 19], seed: 1)
    let stored = random([23, 19], seed: 2)
    let b = Tensor(shape: [19, 23], values: (0..<19 * 23).map { i in stored[(i % 23) * 19 + i / 23] })
    let whole = Runtime.MatMulTesting.runTransposed(a, n: 23, k: 19, blockElements: 1 << 24) { _ in stored }
    #expect(whole.shape == [5, 37, 23])
    #expect(maxError(Reference.matmul(a, b), whole) < 1e-5)
    // Read in blocks of 19·3 elements: 3 rows of the stored matrix at a time, the last block short.
    let blocked = Runtime.MatMulTesting.runTransposed(a, n: 23, k: 19, blockElements: 19 * 3) { rows in
      Tensor(shape: [rows.count, 19], values: Array(stored.buffer[(rows.lowerBound * 19)..<(rows.upperBound * 19)]))
    }
    #expect(blocked.shape == [5, 37, 23])
    #expect(maxError(Reference.matmul(a, b), blocked) < 1e-5)
  }

  /// Shapes that cross tile edges: more rows than one query tile, more keys
  /// than one key tile; the 512-row tiles of a long full block (2100 rows);
  /// keys too many to copy per kv head (16400), read in place (sgemm) or
  /// packed (panels); head dimensions 1 and 100 and stacked rows 27 and 22,
  /// which leave remainders in the panel loops' register blocks.
  @Test(arguments: [
    (5, 4, 2, 8, 7, false, Int64?.none), (130, 4, 1, 16, 600, false, nil), (200, 2, 2, 32, 200, true, nil),
    (129, 8, 2, 16, 513, true, 64), (40, 4, 4, 8, 40, false, 9), (2100, 1, 1, 8, 600, false, nil),
    (3, 2, 2, 4, 16_400, false, nil), (9, 3, 1, 100, 70, true, nil), (11, 2, 1, 1, 45, true, nil),
  ])
  func blockAttentionMatchesTheReference(n: Int, h: Int, kvh: Int, d: Int, m: Int, causal: Bool, window: Int64?) {
    let q = random([n, h, d], seed: 3)
    let k = random([m, kvh, d], seed: 4)
    let v = random([m, kvh, d], seed: 5)
    // Zigzag-like positions: two separated runs of queries, keys from 0.
    let qPositions = (0..<Int64(n)).map { $0 < Int64(n) / 2 ? $0 + 3 : $0 + Int64(m) / 2 }
    let kPositions = (0..<Int64(m)).map { $0 }
    let mask = Mask(causal: causal, window: window)
    let scale = 1 / Float(d).squareRoot()
    let slow = Reference.attention(q: q, k: k, v: v, qPositions: qPositions, kPositions: kPositions, mask: mask, scale: Double(scale))
    for products in TileProducts.available {
      let fast = BlockAttention.run(
        q: q, k: k, v: v, qPositions: qPositions, kPositions: kPositions, mask: mask, scale: scale, products: products)
      #expect(maxError(fast.out, slow.out) < 2e-6, "\(products)")
      #expect(maxError(fast.lse, slow.lse) < 2e-6, "\(products)")
    }
  }

  /// Small tiles (so many edges), one and three threads, GQA 4:1, and every
  /// kind of mask: causal with positions in order (the prefix path: keys
  /// past a tile's last query trimmed, each row a prefix), causal with
  /// positions out of order, windows and documents (the masked path).
  @Test(arguments: [
    (Mask(causal: true, window: nil), false), (Mask(causal: true, window: nil), true), (Mask(causal: false, window: nil), false),
    (Mask(causal: true, window: 7), false), (Mask(causal: true, window: nil, documents: Documents(bounds: [0, 1, 30, 31, 70, 90])), false),
    (Mask(causal: false, window: nil, documents: Documents(bounds: [0, 45, 90])), true),
  ])
  func smallTilesAndThreadsMatchTheReference(mask: Mask, shuffled: Bool) {
    let (n, h, kvh, d, m) = (37, 8, 2, 8, 90)
    let q = random([n, h, d], seed: 21)
    let k = random([m, kvh, d], seed: 22)
    let v = random([m, kvh, d], seed: 23)
    // Queries in two runs (as a zigzag rank holds them); keys 0..<m, or swapped in pairs.
    let qPositions = (0..<Int64(n)).map { $0 < 20 ? $0 + 5 : $0 + 40 }
    let kPositions = (0..<Int64(m)).map { shuffled ? $0 ^ 1 : $0 }
    let slow = Reference.attention(q: q, k: k, v: v, qPositions: qPositions, kPositions: kPositions, mask: mask, scale: 0.3)
    let tilings: [(Int, BlockAttention.Tiles?)] = [(1, .init(query: 8, key: 16)), (3, .init(query: 5, key: 11)), (1, nil)]
    for (threads, tiles) in tilings {
      for products in TileProducts.available {
        let fast = BlockAttention.run(
          q: q, k: k, v: v, qPositions: qPositions, kPositions: kPositions, mask: mask, scale: 0.3, threads: threads, tiles: tiles,
          products: products)
        let label = "\(mask) threads \(threads) tiles \(String(describing: tiles)) \(products)"
        #expect(maxError(fast.out, slow.out) < 2e-6, "\(label)")
        #expect(maxError(fast.lse, slow.lse) < 2e-6, "\(label)")
      }
    }
  }

  @Test func rowsThatSeeNoKeyGiveZeroAndMinusInfinity() {
    let q = random([4, 1, 8], seed: 6)
    let k = random([4, 1, 8], seed: 7)
    let r = BlockAttention.run(
      q: q, k: k, v: k, qPositions: [0, 1, 2, 3], kPositions: [10, 11, 12, 13], mask: Mask(causal: true, window: nil), scale: 1)
    #expect(r.lse.values.allSatisfy { $0 == -.infinity })
    #expect(r.out.values.allSatisfy { $0 == 0 })
  }

  /// Splitting the keys in two blocks and merging equals one block over all keys.
  @Test(arguments: [true, false])
  func mergingPartialsEqualsAttendingAllKeys(causal: Bool) {
    let (n, h, kvh, d, m) = (24, 4, 2, 16, 48)
    let q = random([n, h, d], seed: 8)
    let k = random([m, kvh, d], seed: 9)
    let v = random([m, kvh, d], seed: 10)
    let qPos = (0..<Int64(n)).map { $0 * 2 }
    let kPos = (0..<Int64(m)).map { $0 }
    let mask = Mask(causal: causal, window: nil)
    let whole = BlockAttention.run(q: q, k: k, v: v, qPositions: qPos, kPositions: kPos, mask: mask, scale: 0.25)
    func part(_ range: Range<Int>) -> (Tensor, Tensor) {
      let kp = Tensor(shape: [range.count, kvh, d])
      let vp = Tensor(shape: [range.count, kvh, d])
      kp.pointer.update(from: k.pointer + range.lowerBound * kvh * d, count: kp.count)
      vp.pointer.update(from: v.pointer + range.lowerBound * kvh * d, count: vp.count)
      let r = BlockAttention.run(q: q, k: kp, v: vp, qPositions: qPos, kPositions: Array(kPos[range]), mask: mask, scale: 0.25)
      return (r.out, r.lse)
    }
    // The late keys are invisible to the early rows (lse −∞ there) in the causal case.
    let (o1, l1) = part(0..<20)
    let (o2, l2) = part(20..<48)
    let merged = AttentionMerge.run(o1: o1, l1: l1, o2: o2, l2: l2, offset: 0)
    #expect(maxError(merged.out, whole.out) < 1e-6)
    #expect(maxError(merged.lse, whole.lse) < 1e-6)
  }

  @Test func mergeIntoAnOffsetTouchesOnlyThoseRows() {
    let o1 = random([6, 2, 4], seed: 11)
    let l1 = random([2, 6], seed: 12)
    let o2 = random([2, 2, 4], seed: 13)
    let l2 = random([2, 2], seed: 14)
    let r = AttentionMerge.run(o1: o1, l1: l1, o2: o2, l2: l2, offset: 3)
    for row in [0, 1, 2, 5] {
      for i in 0..<8 { #expect(r.out[row * 8 + i] == o1[row * 8 + i]) }
    }
    // Row 3, head 0: σ-weighted mix of the two.
    let w = 1 / (1 + exp(Double(l1[3]) - Double(l2[0])))
    let expected = Double(o1[24]) * (1 - w) + Double(o2[0]) * w
    #expect(abs(Double(r.out[24]) - expected) < 1e-6)
  }

  @Test func denseAttentionMatchesTheReference() {
    let q = random([33, 4, 8], seed: 15)
    let k = random([33, 2, 8], seed: 16)
    let v = random([33, 2, 8], seed: 17)
    let pos = (0..<Int64(33)).map { $0 }
    let mask = Mask(causal: true, window: nil)
    let dense = DenseAttention.run(q: q, k: k, v: v, mask: mask, scale: 0.3)
    let slow = Reference.attention(q: q, k: k, v: v, qPositions: pos, kPositions: pos, mask: mask, scale: 0.3)
    #expect(maxError(dense, slow.out) < 2e-6)
  }

  /// Every instruction set, every tail length: exp within 5e-7 of libm's
  /// in double, 0 below the range, the sum and the max exact to rounding.
  @Test(arguments: Runtime.FastExpTesting.instructionSets)
  func fastExpIsAccurate(isa: Int32) {
    var xs: [Float] = []
    var x: Float = -87
    while x < 88 {
      xs.append(x)
      x += 0.0137
    }
    let (got, _) = Runtime.FastExpTesting.exp(xs, isa: isa)
    let worst = zip(got, xs).map { abs(Double($0) - exp(Double($1))) / exp(Double($1)) }.max()!
    #expect(worst < 5e-7)
    #expect(Runtime.FastExpTesting.exp([-.infinity, -100, -87.5], isa: isa).values == [0, 0, 0])
    for n in 0..<40 {
      let row = (0..<n).map { Float($0 % 7) * -0.75 }
      let (values, sum) = Runtime.FastExpTesting.exp(row, isa: isa)
      #expect(abs(Double(sum) - values.reduce(0) { $0 + Double($1) }) < 1e-5, "n \(n)")
      #expect(Runtime.FastExpTesting.maximum(row.reversed(), isa: isa) == (n == 0 ? -.infinity : 0), "n \(n)")
    }
  }

  @Test func initializerSlicesEqualTheWhole() {
    let whole = Initializer(seed: 3).input("x", shape: [10, 4], tokens: (0..<10).map { $0 })
    let part = Initializer(seed: 3).input("x", shape: [3, 4], tokens: [2, 7, 9])
    for (r, token) in [2, 7, 9].enumerated() {
      for c in 0..<4 { #expect(part[r * 4 + c] == whole[token * 4 + c]) }
    }
    let w1 = Initializer(seed: 3).weight("wq", layer: 0, shape: [4, 4])
    let w2 = Initializer(seed: 3).weight("wq", layer: 1, shape: [4, 4])
    #expect(w1.values != w2.values, "each layer has its own weights")
  }

  @Test func npyHeaderIsWhatNumPyReads() {
    let bytes = NPY.encode(Tensor(shape: [2, 3], values: [1, 2, 3, 4, 5, 6]))
    #expect(Array(bytes.prefix(8)) == [0x93] + Array("NUMPY".utf8) + [1, 0])
    let headerLength = Int(bytes[8]) | Int(bytes[9]) << 8
    #expect((10 + headerLength) % 64 == 0)
    let header = String(decoding: bytes[10..<(10 + headerLength)], as: UTF8.self)
    #expect(header.hasPrefix("{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }"))
    #expect(bytes.count == 10 + headerLength + 24)
  }
}

#if canImport(Glibc)
  import Glibc
#endif
