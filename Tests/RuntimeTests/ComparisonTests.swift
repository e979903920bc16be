import Runtime
import Testing

/// `--check` never passes a comparison with a NaN or an infinity in it: an
/// infinite reference makes every relative error 0.
@Suite struct ComparisonTests {
  @Test func aNonFiniteReferenceOrOutputFailsNamingTheElement() {
    let finite = Tensor(shape: [2, 3], values: [1, 2, 3, 4, 5, 6])
    let infinite = Tensor(shape: [2, 3], values: [1, 2, 3, 4, .infinity, 6])
    let nan = Tensor(shape: [2, 3], values: [1, .nan, 3, 4, 5, 6])

    let againstInfinity = PlanRunner.compare("output", finite, infinite)
    #expect(!againstInfinity.passes(1e-5))
    #expect(againstInfinity.nonFinite == "the reference's element [1, 1] of output is inf")

    let nanOutput = PlanRunner.compare("%a", nan, finite)
    #expect(!nanOutput.passes(1e-5))
    #expect(nanOutput.nonFinite == "the output's element [0, 1] of %a is nan")

    #expect(PlanRunner.compare("output", finite, finite).passes(1e-5))
  }
}
