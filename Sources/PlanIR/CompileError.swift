import GraphIR

/// A failure to compile a model or to read a plan: located diagnostics,
/// pointing into the model or the plan file, and whose fault it is.
public struct CompileError: Error, Sendable {
  /// Whose fault: the tool maps each to its exit code.
  public enum Kind: Sendable {
    /// The input file (model or plan) is wrong.
    case input
    /// The command-line options are (e.g. `--sp` too large for the sequence).
    case usage
    /// An output (a dump directory) could not be written.
    case output
    /// ringc itself is wrong: a pass broke an invariant.
    case `internal`
  }

  public var diagnostics: [Diagnostic]
  public var kind: Kind

  public var isUsage: Bool {
    get { kind == .usage }
    set { kind = newValue ? .usage : .input }
  }

  public init(_ diagnostics: [Diagnostic], kind: Kind = .input) {
    self.diagnostics = diagnostics
    self.kind = kind
  }

  public init(_ message: String, at location: SourceLocation? = nil, isUsage: Bool = false) {
    self.init([.error(message, at: location)], kind: isUsage ? .usage : .input)
  }

  public init(_ message: String, at location: SourceLocation? = nil, kind: Kind) {
    self.init([.error(message, at: location)], kind: kind)
  }
}
