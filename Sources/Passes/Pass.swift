import GraphIR

/// What every pass can read: the sequence-parallel degree and the options
/// given in the pipeline text (`token-ring{variant=zigzag}`).
public struct PassContext: Sendable {
  /// Ranks in the sequence-parallel group.
  public var sp: Int

  public init(sp: Int) { self.sp = sp }
}

/// A failure of a pass: located diagnostics (pointing into the input model).
public struct PassError: Error, Sendable {
  public var diagnostics: [Diagnostic]
  /// The problem is the command-line options (e.g. `--sp` too large for the
  /// sequence), not the model.
  public var isUsage = false
  public init(_ diagnostics: [Diagnostic]) { self.diagnostics = diagnostics }
  public init(_ message: String, at location: SourceLocation? = nil, isUsage: Bool = false) {
    diagnostics = [.error(message, at: location)]
    self.isUsage = isUsage
  }
}

/// A module-to-module transformation with a kebab-case name. Passes state the
/// stage they consume and produce in their doc comment.
public protocol Pass: Sendable {
  var name: String { get }
  func run(_ module: inout Module, _ context: PassContext) throws(PassError)
}

/// The stage a module declares (`stage = "graph" | "partitioned" | "scheduled"`).
public enum Stage: String, Sendable {
  /// One whole-sequence program; any topological op order.
  case graph
  /// One program per rank (`@g.rR`); `attention` is still collective: rank r
  /// computes its own tokens' rows against every rank's keys.
  case partitioned
  /// Per-rank programs with explicit communication; op order is execution
  /// order, every `*.start` has its `*.done`.
  case scheduled

  public init(of module: Module) {
    if case .string(let s)? = module.attributes["stage"], let stage = Stage(rawValue: s) {
      self = stage
    } else {
      self = .graph
    }
  }
}
