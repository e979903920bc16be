/// A position in a source file.
///
/// `line` and `column` are 1-based; `column` counts Unicode scalars, so a caret
/// lines up under the character a person sees. `offset` is the 0-based byte
/// offset of the position in the file, used to find the source line again.
public struct SourceLocation: Hashable, Sendable, CustomStringConvertible {
  public var file: String
  public var line: Int
  public var column: Int
  public var offset: Int

  public init(file: String, line: Int, column: Int, offset: Int) {
    self.file = file
    self.line = line
    self.column = column
    self.offset = offset
  }

  public var description: String { "\(file):\(line):\(column)" }
}
