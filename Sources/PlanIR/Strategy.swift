import GraphIR

/// The sequence-parallel strategies `ringc compile --strategy` offers, as a
/// plan names them in its `strategy` attribute. `Passes` gives each its
/// pipeline (`Strategy.pipeline`).
public enum Strategy: Hashable, Sendable, CustomStringConvertible {
  /// Queries travel, partials go home (Wang et al. 2024). Zigzag when causal.
  case tokenring
  /// K/V travel one hop forward per step over contiguous chunks (Liu et al.).
  case ring
  /// Ring with the zigzag layout: balanced causal work, half blocks.
  case ringZigzag
  /// Ring over the striped layout (Brandon et al.): stripes of W tokens dealt
  /// round-robin; nil: 64 stripes per rank.
  case striped(width: Int64?)
  /// Ring Self-Attention (Li et al. 2021): keys circulate to build whole score
  /// rows, then values circulate. Holds f32[H, n, S] scores per rank.
  case rsa
  /// All-to-all from sequence shards to head shards and back (DeepSpeed-Ulysses).
  case ulysses
  /// Ulysses degree × ring degree = P (Fang & Zhao); the ring part is `ring`
  /// or `tokenring`.
  case usp(ulysses: Int, ring: Int, inner: Inner)
  /// All-gather K and V, attend local queries (Llama 3 / Megatron CP).
  case allgather

  public enum Inner: String, Sendable { case ring, tokenring }

  /// What `--strategy` accepts, for messages.
  public static let spellings = ["tokenring", "ring", "ring-zigzag", "striped[:W]", "rsa", "ulysses", "usp:UxR[:ring|tokenring]", "allgather"]

  public init?(_ text: String) {
    switch text {
    case "tokenring": self = .tokenring
    case "ring": self = .ring
    case "ring-zigzag": self = .ringZigzag
    case "rsa": self = .rsa
    case "ulysses": self = .ulysses
    case "allgather": self = .allgather
    case "striped": self = .striped(width: nil)
    default:
      if text.hasPrefix("striped:") {
        guard let w = Int64(text.dropFirst("striped:".count)), w >= 1 else { return nil }
        self = .striped(width: w)
        return
      }
      let parts = text.split(separator: ":")
      guard parts.count == 2 || parts.count == 3, parts[0] == "usp" else { return nil }
      let degrees = parts[1].split(separator: "x")
      guard degrees.count == 2, let u = Int(degrees[0]), let r = Int(degrees[1]), u >= 1, r >= 1,
        u <= TokenLayout.maxGroupSize, r <= TokenLayout.maxGroupSize
      else { return nil }
      let inner = parts.count == 3 ? Inner(rawValue: String(parts[2])) : .ring
      guard let inner else { return nil }
      self = .usp(ulysses: u, ring: r, inner: inner)
    }
  }

  public var description: String {
    switch self {
    case .tokenring: "tokenring"
    case .ring: "ring"
    case .ringZigzag: "ring-zigzag"
    case .striped(let w): w.map { "striped:\($0)" } ?? "striped"
    case .rsa: "rsa"
    case .ulysses: "ulysses"
    case .allgather: "allgather"
    case .usp(let u, let r, let inner): "usp:\(u)x\(r):\(inner.rawValue)"
    }
  }
}
