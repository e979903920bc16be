import ArgumentParser

/// sysexits(3) codes ringc uses.
enum SysExit {
  /// Bad command-line usage.
  static let usage = ExitCode(64)
  /// The input file is malformed.
  static let dataError = ExitCode(65)
  /// An input file cannot be opened.
  static let noInput = ExitCode(66)
  /// A bug in ringc, or a run that failed on the way (timeout, lost link).
  static let software = ExitCode(70)
  /// An output file cannot be written.
  static let cannotCreate = ExitCode(73)
}
