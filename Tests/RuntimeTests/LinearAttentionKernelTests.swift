import GraphIR
import Runtime
import Testing

/// The chunked linear-attention kernels, run as a sequence-parallel plan runs
/// them (each part: its own keys through `intra`, the earlier parts' states
/// through `prefix` and `finish`), against the pairwise Double reference.
@Suite struct LinearAttentionKernelTests {
  static let cases: [LinearAttention] = [
    LinearAttention(causal: true),
    LinearAttention(causal: false),
    LinearAttention(causal: true, featureMap: .elu1, decay: [0.9, 0.99], normalize: true),
    LinearAttention(causal: false, featureMap: .elu1, normalize: true),
    LinearAttention(causal: true, featureMap: .relu, decay: [1, 0.95]),
  ]

  /// Parts of 40, 70 and 43 rows: the middle one crosses a chunk edge (64).
  static let parts = [0..<40, 40..<110, 110..<153]

  func inputs(_ n: Int) -> (q: Tensor, k: Tensor, v: Tensor) {
    (random([n, 4, 8], seed: 11), random([n, 2, 8], seed: 12), random([n, 2, 6], seed: 13))
  }

  func rows(_ t: Tensor, _ r: Range<Int>) -> Tensor {
    let size = t.rowSize
    return Tensor(shape: [r.count] + t.shape.dropFirst(), values: Array(t.buffer[(r.lowerBound * size)..<(r.upperBound * size)]))
  }

  func relativeError(_ a: Tensor, _ reference: Tensor) -> Float {
    maxError(a, reference) / max(reference.values.map(abs).max() ?? 1, 1e-30)
  }

  @Test(arguments: cases)
  func splitKernelsMatchTheReference(params: LinearAttention) {
    let (q, k, v) = inputs(153)
    let reference = Reference.linearAttention(q: q, k: k, v: v, params: params)
    var out: [Float] = []
    for (index, part) in Self.parts.enumerated() {
      let (qp, kp, vp) = (rows(q, part), rows(k, part), rows(v, part))
      let u = LinearAttentionKernel.intra(q: qp, k: kp, v: vp, params: params)
      let others = Self.parts.indices.filter { params.causal ? $0 < index : $0 != index }
      let states = others.map { LinearAttentionKernel.state(k: rows(k, Self.parts[$0]), v: rows(v, Self.parts[$0]), params: params) }
      let prefix = others.isEmpty
        ? nil
        : LinearAttentionKernel.prefix(
          states: states, ends: others.map { Int64(Self.parts[$0].upperBound) }, at: Int64(part.lowerBound), params: params)
      out += LinearAttentionKernel.finish(q: qp, intra: u, prefix: prefix, params: params).values
    }
    #expect(relativeError(Tensor(shape: reference.shape, values: out), reference) < 1e-5)
  }

  @Test(arguments: cases)
  func recurrenceMatchesTheReference(params: LinearAttention) {
    let (q, k, v) = inputs(100)
    let reference = Reference.linearAttention(q: q, k: k, v: v, params: params)
    #expect(relativeError(DenseAttention.linear(q: q, k: k, v: v, params: params), reference) < 1e-5)
  }

  /// A causal prefix skips states that end after `at` (a later rank's).
  @Test func prefixSkipsLaterStates() {
    let params = LinearAttention(causal: true, decay: [0.5])
    let s = Tensor(shape: [1, 1, 1], values: [4])
    let p = LinearAttentionKernel.prefix(states: [s, s], ends: [8, 20], at: 10, params: params)
    #expect(p.values == [1])  // 4 · 0.5², the second state ignored
  }
}
