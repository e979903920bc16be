/// Messaging between ranks, as the interpreter needs it: nonblocking sends
/// and receives of whole messages, completed by `wait`, and the blocking
/// collectives `all_gather` and `all_to_all` lower to. Every message travels
/// in its wire format (`WireFormat`). A `label` says what the plan calls the
/// transfer (its op, attributes and line), for the message of a rank that
/// waits on it too long.
public protocol Communicator: AnyObject {
  var rank: Int { get }
  var size: Int { get }
  /// Starts sending `message`; it must stay untouched until `wait` returns.
  func send(_ message: MessageBuffer, to peer: Int, tag: Int32, label: String) -> CommRequest
  /// Starts receiving into `message` (its count and format fix the expected size).
  func receive(into message: MessageBuffer, from peer: Int, tag: Int32, label: String) -> CommRequest
  /// Blocks until the request completes; throws if it failed.
  func wait(_ request: CommRequest) throws
  /// Every member of `group` contributes `tensor`, sent in `format`; returns
  /// all contributions in group order (blocking collective).
  func allGather(_ tensor: Tensor, as format: WireFormat, group: [Int], label: String) throws -> [[Float]]
  /// Sends `parts[i]` to member i of `group`, in `format`; returns what each
  /// member sent to this rank, in group order (blocking collective).
  func allToAll(_ parts: [[Float]], as format: WireFormat, group: [Int], label: String) throws -> [[Float]]
}

/// One posted transfer. `completedAt` is set when it finishes (for traces).
public final class CommRequest: @unchecked Sendable {
  public enum Direction: String, Sendable { case send, receive }
  public let direction: Direction
  public let peer: Int
  public let tag: Int32
  /// The bytes on the wire (the message's elements at its format's width).
  public let bytes: Int
  /// What the plan calls this message:
  /// `recv.start {chan = @a.q, peer = 1, step = 0} (plan.ir:95:5)`.
  public let label: String
  public let postedAt: Double
  /// Written by the progress thread under the communicator's lock.
  public internal(set) var completedAt: Double?
  public internal(set) var failure: String?

  init(direction: Direction, peer: Int, tag: Int32, bytes: Int, label: String, postedAt: Double) {
    self.label = label
    self.direction = direction
    self.peer = peer
    self.tag = tag
    self.bytes = bytes
    self.postedAt = postedAt
  }
}
