import CKernels

/// The softmax loops of the attention kernel (`CKernels/softmax.c`): exp of
/// a row of scores less its max, summed, and the max itself, in the widest
/// vectors this CPU has. `isa` is what `FastExp.best` found.
enum FastExp {
  /// The widest instruction set this CPU runs.
  static var best: Int32 { ringc_best_isa() }

  /// Replaces each `buffer[i]` by exp(buffer[i] − shift), returning their sum.
  @inline(__always)
  static func expShiftedSum(_ buffer: UnsafeMutablePointer<Float>, count: Int, shift: Float, isa: Int32) -> Float {
    ringc_exp_shifted_sum(buffer, count, shift, isa)
  }

  /// The largest of `count` floats (−∞ for none).
  @inline(__always)
  static func maximum(_ buffer: UnsafeMutablePointer<Float>, count: Int, isa: Int32) -> Float {
    ringc_max(buffer, count, isa)
  }
}
