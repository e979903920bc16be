import GraphIR
import Runtime
import Testing

#if canImport(Glibc)
  import Glibc
#endif

@Suite struct ElementwiseTests {
  @Test func ropeMatchesTheReferenceAtLargePositions() {
    let x = random([6, 3, 16], seed: 20)
    let positions: [Int64] = [0, 1, 17, 4095, 1_000_003, 9_999_999]
    let llama3 = Rope.Scaling.llama3(factor: 8, lowFreqFactor: 1, highFreqFactor: 4, originalMaxPositions: 64)
    for scaling in [Rope.Scaling.none, .linear(factor: 4), llama3] {
      let rope = Rope(theta: 500_000, scaling: scaling)
      let fast = ElementwiseTesting.rope(x, positions: positions, rope: rope)
      let slow = Reference.rope(x, positions: positions, rope: rope)
      #expect(maxError(fast, slow) < 1e-6, "\(scaling)")
    }
  }

  /// Frequencies as transformers 5.24 computes them (`ROPE_INIT_FUNCTIONS`,
  /// in f32) for Llama 3.1 8B (`llama3`, head_dim 128, theta 500000: indices
  /// 0 and 20 high-frequency, 40 and 45 smoothed, 48 to 63 low-frequency) and
  /// for `linear` scaling by 4 at theta 10000.
  @Test func ropeFrequenciesAreTransformers() {
    let llama3 = Rope(theta: 500_000, scaling: .llama3(factor: 8, lowFreqFactor: 1, highFreqFactor: 4, originalMaxPositions: 8192))
    let want: [(Int, Double)] = [
      (0, 1.0), (20, 1.656044088e-02), (40, 3.428102355e-05), (45, 1.229763893e-05), (48, 6.647869668e-06),
      (50, 4.411534519e-06), (63, 3.068925878e-07),
    ]
    for (i, w) in want { #expect(abs(llama3.frequency(i, headDim: 128) / w - 1) < 1e-6, "llama3 \(i)") }
    let linear = Rope(theta: 10_000, scaling: .linear(factor: 4))
    for (i, w) in [(0, 0.25), (10, 5.928434059e-02), (63, 2.886954826e-05)] {
      #expect(abs(linear.frequency(i, headDim: 128) / w - 1) < 1e-6, "linear \(i)")
    }
  }

  @Test func embedPicksRowsAndRefusesIdsOutsideTheVocabulary() throws {
    let table = random([5, 3], seed: 22)
    let rows = try ElementwiseTesting.embed(Tensor(shape: [3], values: [4, 0, 4]), table)
    #expect(rows.shape == [3, 3])
    for (n, id) in [4, 0, 4].enumerated() {
      for c in 0..<3 { #expect(rows[n * 3 + c] == table[id * 3 + c]) }
    }
    #expect(throws: RuntimeError.self) { try ElementwiseTesting.embed(Tensor(shape: [1], values: [5]), table) }
    #expect(throws: RuntimeError.self) { try ElementwiseTesting.embed(Tensor(shape: [1], values: [-1]), table) }
  }

  @Test func normsMatchTheReference() {
    let x = random([5, 64], seed: 21)
    let g = Initializer(seed: 4).weight("g", layer: nil, shape: [64])
    #expect(maxError(ElementwiseTesting.rmsnorm(x, g, eps: 1e-5), Reference.rmsnorm(x, g, eps: 1e-5)) < 1e-5)
    #expect(maxError(ElementwiseTesting.layernorm(x, eps: 1e-6), Reference.layernorm(x, eps: 1e-6)) < 1e-5)
  }

  @Test func geluBothFormsMatchTheReference() {
    for v in stride(from: Float(-6), through: 6, by: 0.37) {
      for tanhForm in [false, true] {
        let want = Reference.gelu(Double(v), tanhApproximation: tanhForm)
        #expect(abs(Double(ElementwiseTesting.gelu(v, tanhApproximation: tanhForm)) - want) < 1e-6)
      }
    }
  }
}
