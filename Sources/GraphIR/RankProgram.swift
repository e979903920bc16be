/// Marks a graph as the program one rank runs: the graph it was split from
/// and the rank. Printed after the result types,
///
///     graph @layer.r1(%x: f32[16,64]) -> f32[16,64] attributes {rank = 1, source = @layer} {
///
/// so tools find rank 1's copy of `@layer` by these fields, never by its name.
public struct RankProgram: Sendable, Hashable {
  /// The whole-sequence graph this program is a rank's part of.
  public var source: String
  public var rank: Int

  public init(source: String, rank: Int) {
    self.source = source
    self.rank = rank
  }
}
