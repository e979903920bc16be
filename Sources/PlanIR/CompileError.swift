import GraphIR

/// A failure to compile a model or to read a plan: located diagnostics,
/// pointing into the model or the plan file.
public struct CompileError: Error, Sendable {
  public var diagnostics: [Diagnostic]
  /// The problem is the command-line options (e.g. `--sp` too large for the
  /// sequence), not the input file.
  public var isUsage = false
  public init(_ diagnostics: [Diagnostic]) { self.diagnostics = diagnostics }
  public init(_ message: String, at location: SourceLocation? = nil, isUsage: Bool = false) {
    diagnostics = [.error(message, at: location)]
    self.isUsage = isUsage
  }
}
