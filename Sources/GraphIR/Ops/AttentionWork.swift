/// The arithmetic of attending `pairs` visible (query, key) pairs over `heads`
/// heads: Q·Kᵀ costs 2·D multiply-adds per pair and head, P·V 2·Dv. The one
/// FLOP count that stats, the cost model, the interpreter and the kernel
/// benchmark all use. `valueDim` nil counts the scores alone (`attn.scores`).
public struct AttentionWork: Sendable, Equatable {
  public var pairs: Int64
  public var heads: Int64
  public var headDim: Int64
  public var valueDim: Int64?

  public init(pairs: Int64, heads: Int64, headDim: Int64, valueDim: Int64?) {
    self.pairs = pairs
    self.heads = heads
    self.headDim = headDim
    self.valueDim = valueDim
  }

  /// Floating-point operations; nil when the count does not fit in 64 bits.
  public var flops: Int64? {
    let (width, o1) = headDim.addingReportingOverflow(valueDim ?? 0)
    let (perPair, o2) = width.multipliedReportingOverflow(by: 2)
    let (perPairAllHeads, o3) = perPair.multipliedReportingOverflow(by: heads)
    let (total, o4) = pairs.multipliedReportingOverflow(by: perPairAllHeads)
    return o1 || o2 || o3 || o4 ? nil : total
  }
}
