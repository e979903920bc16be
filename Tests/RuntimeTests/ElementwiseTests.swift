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
    let fast = ElementwiseTesting.rope(x, positions: positions, theta: 500_000)
    let slow = Reference.rope(x, positions: positions, theta: 500_000)
    #expect(maxError(fast, slow) < 1e-6)
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
