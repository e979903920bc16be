import CKernels

/// The two products of an attention tile, scores = Q·Kᵀ and acc (+)= P·V,
/// through `cblas_sgemm` or through CKernels' panel loops (`panels.c`).
/// sgemm packs both operands into its own layout on every call; the panel
/// loops read keys packed once per kv head (`ringc_pack_key_panels`) and
/// everything else where it lies, which is where a tile's time beyond the
/// FMAs went (one core, 256 × 512 tiles, d = 128: scores 113 against 100
/// GFLOP/s, outputs 115 against 100, in a C harness beside OpenBLAS 0.3.21).
public enum TileProducts: Sendable, Equatable {
  /// `cblas_sgemm` on key and value rows `ldk` and `ldv` apart.
  case blas
  /// AVX-512 loops on keys in panels of `RINGC_PANEL_KEYS` (the key tile a
  /// multiple of it), values in rows `ldv` apart.
  case panels

  /// Keys per panel: tiles of `.panels` start on a panel.
  static let panelKeys = Int(RINGC_PANEL_KEYS)

  /// What this CPU runs: panels need AVX-512.
  public static var available: [TileProducts] { Int(FastExp.best) >= Int(RINGC_ISA_AVX512) ? [.blas, .panels] : [.blas] }

  /// scores[i·cols + j] = Σ_c queries[i·d + c] · key_j[c], for `rows` stacked
  /// query rows and the `cols` keys from `keys` (the tile's first key: a row
  /// `ldk` apart from the next, or its panel).
  @inline(__always)
  func scores(
    queries: UnsafePointer<Float>, rows: Int, d: Int, keys: UnsafePointer<Float>, ldk: Int, cols: Int,
    into scores: UnsafeMutablePointer<Float>
  ) {
    switch self {
    case .blas:
      MatMul.gemm(m: rows, n: cols, k: d, a: queries, lda: d, b: keys, ldb: ldk, transB: true, c: scores, ldc: cols)
    case .panels:
      ringc_panel_scores(queries, rows, d, keys, cols, scores, cols)
    }
  }

  /// acc = (accumulate ? acc : 0) + P · V for `rows` rows of `cols` weights.
  @inline(__always)
  func outputs(
    weights: UnsafePointer<Float>, rows: Int, cols: Int, values: UnsafePointer<Float>, ldv: Int, dv: Int,
    into acc: UnsafeMutablePointer<Float>, accumulate: Bool
  ) {
    switch self {
    case .blas:
      MatMul.gemm(
        m: rows, n: dv, k: cols, a: weights, lda: cols, b: values, ldb: ldv, beta: accumulate ? 1 : 0, c: acc, ldc: dv)
    case .panels:
      ringc_panel_outputs(weights, rows, cols, cols, values, ldv, dv, acc, dv, accumulate ? 1 : 0)
    }
  }
}

extension TileProducts {
  /// Keys a thread copies (or packs) per kv head at most: 8 MiB at d = 128.
  static let copiedKeys = 16384

  /// Panels where AVX-512 runs and the block's keys fit one thread's copy;
  /// sgemm on longer blocks, read in place.
  public static func choose(keys m: Int) -> TileProducts {
    available.contains(.panels) && m <= copiedKeys ? .panels : .blas
  }

  /// A key tile of at least `keys`: for `.panels` a whole number of panels,
  /// since a tile starts on a panel.
  func keyTile(_ keys: Int) -> Int {
    self == .panels ? (keys + Self.panelKeys - 1) / Self.panelKeys * Self.panelKeys : keys
  }

  /// Floats in the panels of `keys` keys of `d` dimensions.
  static func panelFloats(keys m: Int, d: Int) -> Int { (m + panelKeys - 1) / panelKeys * panelKeys * d }
}
