/// How serious a diagnostic is.
public enum Severity: String, Sendable {
  case error, warning, note
}

/// One message about the input: a location (if any), a severity, the text and
/// notes that point at related places.
///
/// Messages start in lower case and state the numbers involved, as in MLIR.
public struct Diagnostic: Error, Sendable, Equatable {
  public var severity: Severity
  public var location: SourceLocation?
  public var message: String
  /// Extra context that points at the definitions behind the problem.
  public var notes: [Diagnostic]

  public init(
    _ severity: Severity, _ message: String, at location: SourceLocation?,
    notes: [Diagnostic] = []
  ) {
    self.severity = severity
    self.location = location
    self.message = message
    self.notes = notes
  }

  public static func error(
    _ message: String, at location: SourceLocation?, notes: [Diagnostic] = []
  ) -> Diagnostic {
    Diagnostic(.error, message, at: location, notes: notes)
  }

  public static func note(_ message: String, at location: SourceLocation?) -> Diagnostic {
    Diagnostic(.note, message, at: location)
  }
}

/// A failed parse or verification: every diagnostic found, errors first in
/// source order.
public struct DiagnosticError: Error, Sendable {
  public var diagnostics: [Diagnostic]
  public init(_ diagnostics: [Diagnostic]) { self.diagnostics = diagnostics }
}
