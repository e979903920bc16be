/// A failure while executing a plan; the message names what failed.
public struct RuntimeError: Error, CustomStringConvertible, Sendable {
  public var description: String
  public init(_ description: String) { self.description = description }
}
