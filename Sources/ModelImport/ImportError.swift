/// Why an import failed: one line naming the config file and, where there is
/// one, the key and its value.
public struct ImportError: Error, Sendable, Equatable, CustomStringConvertible {
  public enum Kind: Sendable, Equatable {
    /// The config cannot be read (sysexits 66).
    case noInput
    /// The config is not JSON, or describes a model ringc does not import (65).
    case dataError
    /// A flag does not fit the config, such as more `--layers` than it has (64).
    case usage
  }

  public var kind: Kind
  public var file: String
  public var message: String

  public init(_ kind: Kind, file: String, _ message: String) {
    self.kind = kind
    self.file = file
    self.message = message
  }

  /// `FILE: error: MESSAGE`; a file that cannot be read says so itself
  /// (`error: cannot read FILE: …`).
  public var description: String { kind == .noInput ? "error: \(message)" : "\(file): error: \(message)" }
}
