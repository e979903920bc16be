import CKernels
import GraphIR

/// The fast kernels' entry points for tests (the kernels themselves are internal).
public enum MatMulTesting {
  public static func run(_ a: Tensor, _ b: Tensor) -> Tensor { MatMul.run(a, b) }
  public static func runTransposed(_ a: Tensor, n: Int, k: Int, blockElements: Int, rows: (Range<Int>) -> Tensor) -> Tensor {
    MatMul.runTransposed(a, n: n, k: k, blockElements: blockElements, rows: rows)
  }
}

public enum FastExpTesting {
  /// Every instruction set this CPU runs (scalar, AVX2, AVX-512).
  public static var instructionSets: [Int32] { Array(0...FastExp.best) }
  /// exp of each value and their sum, with `isa`.
  public static func exp(_ values: [Float], isa: Int32) -> (values: [Float], sum: Float) {
    var out = values
    let sum = out.withUnsafeMutableBufferPointer { FastExp.expShiftedSum($0.baseAddress!, count: $0.count, shift: 0, isa: isa) }
    return (out, sum)
  }
  public static func maximum(_ values: [Float], isa: Int32) -> Float {
    var copy = values
    return copy.withUnsafeMutableBufferPointer { FastExp.maximum($0.baseAddress!, count: $0.count, isa: isa) }
  }
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

public enum TileProductsTesting {
  /// q · kᵀ for q `[rows, d]` and k `[cols, d]` (row-major), written over NaN
  /// (so a score left unwritten shows).
  public static func scores(_ products: TileProducts, q: [Float], k: [Float], rows: Int, cols: Int, d: Int) -> [Float] {
    var keys = k
    if products == .panels {
      keys = [Float](repeating: .nan, count: TileProducts.panelFloats(keys: cols, d: d))
      keys.withUnsafeMutableBufferPointer { ringc_pack_key_panels(k, cols, d, d, $0.baseAddress!) }
    }
    var s = [Float](repeating: .nan, count: rows * cols)
    s.withUnsafeMutableBufferPointer { out in
      products.scores(queries: q, rows: rows, d: d, keys: keys, ldk: d, cols: cols, into: out.baseAddress!)
    }
    return s
  }

  /// acc + p · v (or p · v over NaN when `acc` is nil) for p `[rows, cols]`,
  /// v `[cols, dv]`.
  public static func outputs(_ products: TileProducts, p: [Float], v: [Float], acc: [Float]?, rows: Int, cols: Int, dv: Int) -> [Float] {
    var o = acc ?? [Float](repeating: .nan, count: rows * dv)
    o.withUnsafeMutableBufferPointer { out in
      products.outputs(weights: p, rows: rows, cols: cols, values: v, ldv: dv, dv: dv, into: out.baseAddress!, accumulate: acc != nil)
    }
    return o
  }
}
