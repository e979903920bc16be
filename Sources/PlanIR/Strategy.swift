import GraphIR

/// The sequence-parallel strategies `ringc compile --strategy` offers, as a
/// plan names them in its `strategy` attribute. `Passes` gives each its
/// pipeline (`Strategy.pipeline`).
public indirect enum Strategy: Hashable, Sendable, CustomStringConvertible {
  /// Queries travel, partials go home (Wang et al. 2024). Zigzag when causal.
  case tokenring
  /// Pass-Q (Yang et al. 2024, arXiv 2411.01783): queries travel as in
  /// TokenRing, but each rank keeps the partials it computes for visiting
  /// queries and one all-to-all at the end returns them to their owners.
  case passq
  /// K/V travel one hop forward per step over contiguous chunks (Liu et al.).
  case ring
  /// Ring with the zigzag layout: balanced causal work, half blocks.
  case ringZigzag
  /// Ring over the striped layout (Brandon et al.): stripes of W tokens dealt
  /// round-robin; nil: 64 stripes per rank.
  case striped(width: Int64?)
  /// TASP (Wang et al. 2025): the fabric decomposed into edge-disjoint
  /// Hamiltonian rings, each rank's K/V cut into one part per ring, every
  /// ring circulating its part at once. Zigzag when causal.
  case tasp(TASPRings)
  /// TokenRing over TASP's rings: a query part per Hamiltonian ring, all
  /// travelling at once, partials straight home (no published system).
  case tokenringTASP(TASPRings)
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
  /// LoongTrain's 2D attention (Gu et al., arXiv 2406.18485): head parallel
  /// (Ulysses all-to-all in groups of H) × context parallel (a ring over C),
  /// the ring a double ring of inner windows of W ranks, placed head-first
  /// (a head group's ranks adjacent) or context-first (a ring's ranks adjacent).
  case loongtrain(LoongTrain)
  /// Linear attention over contiguous chunks (Sun et al. 2025, LASP-2 / LASP-1):
  /// `linear` lowers every `linear_attention`; `softmax`, when given, lowers
  /// the model's softmax `attention` layers (a hybrid model; LASP-2H is
  /// `lasp2` with `allgather`). Without it a softmax layer is refused.
  case linear(Linear, softmax: Strategy?)

  public enum Inner: String, Sendable { case ring, tokenring }

  /// Which Hamiltonian rings TASP's parts circulate on.
  public enum TASPRings: Hashable, Sendable {
    /// The logical full mesh of all P ranks (K_P): P − 1 rings.
    case mesh
    /// TASP's multi-node (m−K_m−m)^u: nodes of m ranks, in each m paths on
    /// every intra-node link, joined by one inter-node link per rank: m rings.
    case nodes(Int)

    /// `tasp`'s suffix: "" or ":nodeM".
    var suffix: String {
      if case .nodes(let m) = self { return ":node\(m)" }
      return ""
    }

    /// nil (the mesh) or "nodeM"; nil if malformed.
    public init?(_ text: Substring?) {
      guard let text else {
        self = .mesh
        return
      }
      guard text.hasPrefix("node"), let m = Int(text.dropFirst(4)), m >= 1, m <= TokenLayout.maxGroupSize else { return nil }
      self = .nodes(m)
    }
  }

  /// LoongTrain's degrees, window and placement.
  public struct LoongTrain: Hashable, Sendable {
    public enum Placement: String, Sendable, CaseIterable {
      /// A head group's H ranks are consecutive (its all-to-all inside a node).
      case headFirst = "head-first"
      /// A context ring's C ranks are consecutive (its ring inside a node).
      case contextFirst = "context-first"
    }
    public var heads: Int
    public var context: Int
    /// Inner-ring size of the double ring, dividing `context` (`context`: one ring).
    public var window: Int
    public var placement: Placement

    public init(heads: Int, context: Int, window: Int? = nil, placement: Placement = .headFirst) {
      (self.heads, self.context, self.window, self.placement) = (heads, context, window ?? context, placement)
    }
  }

  /// How linear attention's states move: LASP-2 gathers every rank's chunk
  /// state at once; LASP-1 passes running sums along the chain of ranks.
  public enum Linear: String, Sendable, CaseIterable { case lasp2, lasp1 }

  /// The strategy that lowers softmax `attention` (itself, or a hybrid's softmax part).
  public var softmax: Strategy? {
    if case .linear(_, let s) = self { return s }
    return self
  }

  /// What `--strategy` accepts, for messages.
  public static let spellings = [
    "tokenring", "tokenring:tasp[:nodeM]", "passq", "tasp[:nodeM]", "ring", "ring-zigzag", "striped[:W]", "rsa", "ulysses", "usp:UxR[:ring|tokenring]", "allgather",
    "loongtrain:HxC[:wW][:head-first|:context-first]", "lasp2", "lasp1", "lasp2h", "lasp2+S|lasp1+S (S: a softmax strategy)",
  ]

  public init?(_ text: String) {
    if let linear = Linear(rawValue: text) {
      self = .linear(linear, softmax: nil)
      return
    }
    if text == "lasp2h" {
      self = .linear(.lasp2, softmax: .allgather)
      return
    }
    if let plus = text.firstIndex(of: "+"), let linear = Linear(rawValue: String(text[..<plus])) {
      guard let softmax = Strategy(String(text[text.index(after: plus)...])), softmax.softmax == softmax else { return nil }
      self = .linear(linear, softmax: softmax)
      return
    }
    switch text {
    case "tokenring": self = .tokenring
    case "passq": self = .passq
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
      let parts = text.split(separator: ":", omittingEmptySubsequences: false)
      if parts.first == "tasp", parts.count <= 2, let rings = TASPRings(parts.dropFirst().first) {
        self = .tasp(rings)
        return
      }
      if parts.starts(with: ["tokenring", "tasp"]), parts.count <= 3, let rings = TASPRings(parts.dropFirst(2).first) {
        self = .tokenringTASP(rings)
        return
      }
      if parts.first == "loongtrain" {
        guard let l = Self.loongtrain(parts.dropFirst()) else { return nil }
        self = .loongtrain(l)
        return
      }
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

  /// `HxC[:wW][:head-first|:context-first]`; nil if malformed. Whether W
  /// divides C is the lowering's to say.
  private static func loongtrain(_ parts: ArraySlice<Substring>) -> LoongTrain? {
    guard let degrees = parts.first?.split(separator: "x"), degrees.count == 2, let h = Int(degrees[0]), let c = Int(degrees[1]),
      h >= 1, c >= 1, h <= TokenLayout.maxGroupSize, c <= TokenLayout.maxGroupSize
    else { return nil }
    var l = LoongTrain(heads: h, context: c)
    for part in parts.dropFirst() {
      if let placement = LoongTrain.Placement(rawValue: String(part)) {
        l.placement = placement
      } else if part.hasPrefix("w"), let w = Int(part.dropFirst()), w >= 1, w <= TokenLayout.maxGroupSize {
        l.window = w
      } else {
        return nil
      }
    }
    return l
  }

  public var description: String {
    switch self {
    case .tokenring: "tokenring"
    case .passq: "passq"
    case .tasp(let rings): "tasp\(rings.suffix)"
    case .tokenringTASP(let rings): "tokenring:tasp\(rings.suffix)"
    case .ring: "ring"
    case .ringZigzag: "ring-zigzag"
    case .striped(let w): w.map { "striped:\($0)" } ?? "striped"
    case .rsa: "rsa"
    case .ulysses: "ulysses"
    case .allgather: "allgather"
    case .usp(let u, let r, let inner): "usp:\(u)x\(r):\(inner.rawValue)"
    case .loongtrain(let l): "loongtrain:\(l.heads)x\(l.context):w\(l.window):\(l.placement.rawValue)"
    case .linear(.lasp2, .allgather?): "lasp2h"
    case .linear(let l, let s): s.map { "\(l.rawValue)+\($0)" } ?? l.rawValue
    }
  }
}
