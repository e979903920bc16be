import GraphIR

/// An attention kernel's measured forward rate: published TFLOP/s curves by
/// sequence length, one per head_dim and mask (FlashAttention's benchmark:
/// q = k = seq tokens, batches of 16K tokens, so every SM stays busy).
///
/// A block is costed at the curve of its mask and the nearest head_dim,
/// read at its key count: each of the kernel's CTAs walks one tile of rows
/// over all keys, so the key count sets how well a CTA amortises its
/// prologue and epilogue, while rows only add CTAs. A block the mask
/// leaves whole reads the `full` curve; one it cuts (a causal diagonal, a
/// stripe's shifted triangle) reads the `causal` curve, whose rate is
/// counted, as the benchmark counts it, in the FLOPs of visible pairs: it
/// already holds what the cut tiles waste. Between points the rate is
/// linear in log(seq); above the last it stays flat; below the first it
/// falls as seq / (seq + n₀), a fixed per-CTA cost n₀ fitted to the first
/// two points. A block of too few CTAs to fill the device's last wave
/// (few heads, few rows) keeps less of the rate (`occupancy`). A block of a
/// smaller head_dim than its curve's keeps less of it too, where the profile
/// gives the device's exponential rate (`rate(_:headDim:keys:)`).
public struct AttentionKernel: Sendable {
  public enum MaskKind: String, Sendable { case full, causal }

  public struct Curve: Sendable {
    public var headDim: Int64
    public var mask: MaskKind
    /// (sequence tokens, FLOP/s), sorted by tokens.
    public var points: [(seq: Double, rate: Double)]

    public init(headDim: Int64, mask: MaskKind, points: [(seq: Double, rate: Double)]) {
      self.headDim = headDim
      self.mask = mask
      self.points = points.sorted { $0.seq < $1.seq }
    }

    /// The rate at `seq` tokens (see the type's comment).
    public func rate(at tokens: Double) -> Double {
      guard let first = points.first else { return 0 }
      let seq = max(1, tokens)  // a block has at least one key
      if seq < first.seq {
        guard points.count >= 2 else { return first.rate }
        let second = points[1]
        // r(n) = R·n/(n + n₀) through the first two points.
        let (n1, r1, n2, r2) = (first.seq, first.rate, second.seq, second.rate)
        let denominator = r1 * n2 - r2 * n1
        let n0 = denominator > 0 ? n1 * n2 * (r2 - r1) / denominator : 0
        guard n0 > 0 else { return first.rate }
        return r1 * (seq / (seq + n0)) / (n1 / (n1 + n0))
      }
      return points.logInterpolated(at: seq) { ($0.seq, $0.rate) } ?? first.rate
    }
  }

  /// How the kernel spreads a block over the device: one CTA per head and
  /// tile of `tileRows` query rows, `slots` CTAs resident at once.
  public struct Parallelism: Sendable {
    public var tileRows: Int64
    public var slots: Int64

    public init(tileRows: Int64, slots: Int64) {
      self.tileRows = tileRows
      self.slots = slots
    }

    /// The share of the slots a grid of `ctas` keeps busy over its waves.
    func utilisation(_ ctas: Int64) -> Double {
      guard ctas > 0, slots > 0 else { return 1 }
      let waves = (ctas + slots - 1) / slots
      return Double(ctas) / (Double(waves) * Double(slots))
    }
  }

  /// The kernel, as its source names it (e.g. FlashAttention-2).
  public var name: String
  /// The dtype the curves were measured in; other dtypes scale by peak.
  public var dtype: DType
  public var curves: [Curve]
  public var parallelism: Parallelism?
  /// Exponentials per second the device's special-function units return:
  /// each score costs one, whatever its head_dim.
  public var exponentialRate: Double?

  public init(name: String, dtype: DType, curves: [Curve], parallelism: Parallelism? = nil, exponentialRate: Double? = nil) {
    self.name = name
    self.dtype = dtype
    self.curves = curves
    self.parallelism = parallelism
    self.exponentialRate = exponentialRate
  }

  /// FLOPs a score costs in the curves' convention, forward: QKᵀ and PV,
  /// 2 · head_dim each.
  static func flopsPerScore(headDim: Int64) -> Double { 4 * Double(headDim) }

  /// The rate a block of `headDim` reads from `curve` at `keys`. A score
  /// costs a matmul part that scales with head_dim and one exponential that
  /// does not (FlashAttention-2 runs the softmax between its two matmuls, not
  /// beside them), so at head_dim d below the curve's d₀:
  ///   t(d₀) = 4·d₀ / r₀ = m + 1/E,   t(d) = m · d/d₀ + 1/E,   r = 4·d / t(d)
  /// with E the exponential rate. Above d₀ the curve's rate is kept: larger
  /// heads are limited by registers and shared memory, which this does not
  /// model, so no gain is claimed. Without an exponential rate the curve's
  /// rate stands.
  public func rate(_ curve: Curve, headDim: Int64, keys: Double) -> Double {
    let measured = curve.rate(at: keys)
    guard let exponentials = exponentialRate, headDim > 0, headDim < curve.headDim, measured > 0 else { return measured }
    let perScore = Self.flopsPerScore(headDim: curve.headDim) / measured
    // The loader refuses a curve point faster than one exponential per score allows.
    let matmul = max(0, perScore - 1 / exponentials)
    return Self.flopsPerScore(headDim: headDim) / (matmul * Double(headDim) / Double(curve.headDim) + 1 / exponentials)
  }

  /// What a block's grid keeps of the rate its curve was measured at: a
  /// block of `heads` × ⌈rows / tileRows⌉ CTAs whose last wave runs partly
  /// empty, against the benchmark's grid for the curve's head_dim (16K
  /// tokens × hidden 2048, FlashAttention's convention: 16384 · 2048 /
  /// (headDim · tileRows) CTAs). At most 1: a grid that happens to fill its
  /// waves better than the benchmark's is not taken to beat the published
  /// rate. 1 without `parallelism`.
  public func occupancy(heads: Int64, rows: Int64, curveHeadDim: Int64) -> Double {
    guard let p = parallelism, heads > 0, rows > 0, curveHeadDim > 0 else { return 1 }
    let tiles = rows / p.tileRows + (rows % p.tileRows == 0 ? 0 : 1)
    let (ctas, overflow) = heads.multipliedReportingOverflow(by: tiles)
    // The loader keeps head_dim and tile rows within 2^20: no overflow.
    let benchmark = max(1, 16384 * 2048 / (curveHeadDim * p.tileRows))
    return overflow ? 1 : min(1, p.utilisation(ctas) / p.utilisation(benchmark))
  }

  /// The curve for `mask` at the head_dim nearest `headDim` (the larger of
  /// two as near); falls back to the other mask's when none is given.
  public func curve(headDim: Int64, mask: MaskKind) -> Curve? {
    let candidates = curves.contains { $0.mask == mask } ? curves.filter { $0.mask == mask } : curves
    return candidates.min { a, b in
      let (da, db) = (abs(a.headDim - headDim), abs(b.headDim - headDim))
      return da != db ? da < db : a.headDim > b.headDim
    }
  }
}
