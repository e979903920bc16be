import GraphIR

/// The fast kernels' entry points for tests (the kernels themselves are internal).
public enum MatMulTesting {
  public static func run(_ a: Tensor, _ b: Tensor) -> Tensor { MatMul.run(a, b) }
  public static func runTransposed(_ a: Tensor, n: Int, k: Int, blockElements: Int, rows: (Range<Int>) -> Tensor) -> Tensor {
    MatMul.runTransposed(a, n: n, k: k, blockElements: blockElements, rows: rows)
  }
}

public enum FastExpTesting {
  public static func exp(_ x: Float) -> Float { FastExp.exp(SIMD8(repeating: x))[0] }
}

public enum ElementwiseTesting {
  public static func rope(_ x: Tensor, positions: [Int64], rope: Rope) -> Tensor {
    let frequencies = (0..<x.shape[2] / 2).map { rope.frequency($0, headDim: x.shape[2]) }
    return Elementwise.rope(x, positions: Tensor(shape: [positions.count], values: positions.map(Float.init)), frequencies: frequencies)
  }
  public static func embed(_ ids: Tensor, _ table: Tensor) throws -> Tensor { try Embedding.run(ids: ids, table: table) }
  public static func rmsnorm(_ x: Tensor, _ g: Tensor, eps: Float) -> Tensor { Elementwise.rmsnorm(x, g, eps: eps) }
  public static func layernorm(_ x: Tensor, eps: Float) -> Tensor { Elementwise.layernorm(x, nil, nil, eps: eps) }
  public static func gelu(_ v: Float, tanhApproximation: Bool) -> Float { Elementwise.gelu(v, tanhApproximation: tanhApproximation) }
}
