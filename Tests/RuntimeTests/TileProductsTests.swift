import Runtime
import Testing

/// The panel loops against a plain double-precision product, across every
/// remainder of their register blocks (8 score rows × 32 keys, 4 output rows
/// × 64 columns): outputs over NaN, so an element left unwritten fails.
@Suite struct TileProductsTests {
  static let rows = [1, 2, 3, 4, 5, 6, 7, 8, 9, 17]
  static let widths = [1, 15, 16, 31, 32, 33, 70]
  static let depths = [1, 17, 64, 100, 130]

  static func values(_ count: Int, seed: Int) -> [Float] {
    (0..<count).map { Float((($0 &* 7919 &+ seed &* 104_729) % 2001) - 1000) / 1000 }
  }

  static func product(_ a: [Float], _ b: (Int, Int) -> Float, rows: Int, inner: Int, cols: Int) -> [Double] {
    (0..<rows * cols).map { i in (0..<inner).reduce(0.0) { $0 + Double(a[(i / cols) * inner + $1]) * Double(b($1, i % cols)) } }
  }

  static func worst(_ got: [Float], _ want: [Double]) -> Double {
    zip(got, want).map { abs(Double($0) - $1) }.reduce(0) { $1.isNaN ? .infinity : max($0, $1) }
  }

  @Test(arguments: TileProducts.available)
  func scoresMatchAPlainProduct(products: TileProducts) {
    for rows in Self.rows {
      for cols in Self.widths {
        for d in Self.depths {
          let q = Self.values(rows * d, seed: 1)
          let k = Self.values(cols * d, seed: 2)
          let want = Self.product(q, { c, j in k[j * d + c] }, rows: rows, inner: d, cols: cols)
          let got = TileProductsTesting.scores(products, q: q, k: k, rows: rows, cols: cols, d: d)
          #expect(Self.worst(got, want) < 1e-4, "\(products) rows \(rows) keys \(cols) d \(d)")
        }
      }
    }
  }

  @Test(arguments: TileProducts.available)
  func outputsMatchAPlainProduct(products: TileProducts) {
    for rows in Self.rows {
      for cols in Self.widths {
        for dv in Self.depths + Self.widths {
          let p = Self.values(rows * cols, seed: 3)
          let v = Self.values(cols * dv, seed: 4)
          let acc = Self.values(rows * dv, seed: 5)
          let product = Self.product(p, { j, c in v[j * dv + c] }, rows: rows, inner: cols, cols: dv)
          let fresh = TileProductsTesting.outputs(products, p: p, v: v, acc: nil, rows: rows, cols: cols, dv: dv)
          #expect(Self.worst(fresh, product) < 1e-4, "\(products) rows \(rows) keys \(cols) dv \(dv)")
          let added = TileProductsTesting.outputs(products, p: p, v: v, acc: acc, rows: rows, cols: cols, dv: dv)
          #expect(Self.worst(added, zip(product, acc).map { $0 + Double($1) }) < 1e-4, "\(products) rows \(rows) keys \(cols) dv \(dv) +acc")
        }
      }
    }
  }
}
