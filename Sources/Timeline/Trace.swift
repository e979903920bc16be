/// What happened (or, from the simulator, what is predicted to happen) on one
/// rank: compute intervals, waits, and transfers, with their FLOPs or bytes;
/// written as Chrome/Perfetto trace events, so measured and predicted
/// timelines open side by side.
public struct Trace: Sendable {
  public enum Track: Int, Sendable {
    case compute = 0, send = 1, receive = 2

    var name: String {
      switch self {
      case .compute: "compute"
      case .send: "send"
      case .receive: "recv"
      }
    }
  }

  public struct Event: Sendable {
    public var track: Track
    public var name: String
    public var start: Double
    public var end: Double
    /// FLOPs for compute, bytes for transfers, 0 for waits.
    public var amount: Int64
    /// True for time the compute track spent waiting on communication.
    public var isWait: Bool

    public init(track: Track, name: String, start: Double, end: Double, amount: Int64, isWait: Bool) {
      self.track = track
      self.name = name
      self.start = start
      self.end = end
      self.amount = amount
      self.isWait = isWait
    }
  }

  public var rank: Int
  public var origin: Double
  public private(set) var events: [Event] = []

  public init(rank: Int, origin: Double) {
    self.rank = rank
    self.origin = origin
  }

  public mutating func add(_ e: Event) { events.append(e) }

  /// Seconds of compute (ops, not waits).
  public var computeSeconds: Double {
    events.filter { $0.track == .compute && !$0.isWait }.reduce(0) { $0 + $1.end - $1.start }
  }

  /// Seconds the compute track waited for transfers: exposed communication.
  public var exposedSeconds: Double {
    events.filter(\.isWait).reduce(0) { $0 + $1.end - $1.start }
  }

  /// Seconds during which at least one transfer was in flight.
  public var communicationSeconds: Double {
    let intervals = events.filter { $0.track != .compute }.map { ($0.start, $0.end) }.sorted { $0.0 < $1.0 }
    var total = 0.0
    var current: (Double, Double)?
    for (s, e) in intervals {
      if let c = current, s <= c.1 {
        current = (c.0, max(c.1, e))
      } else {
        if let c = current { total += c.1 - c.0 }
        current = (s, e)
      }
    }
    if let c = current { total += c.1 - c.0 }
    return total
  }

  /// This rank's events as Chrome trace event objects (one process per rank,
  /// one thread per track), timestamps in µs from `origin`.
  public func chromeEvents() -> [JSONValue] {
    let pid = JSONValue(rank)
    var out: [JSONValue] = [
      ["ph": "M", "name": "process_name", "pid": pid, "args": ["name": JSONValue("rank \(rank)")]]
    ]
    for t in [Track.compute, .send, .receive] {
      out.append(["ph": "M", "name": "thread_name", "pid": pid, "tid": JSONValue(t.rawValue), "args": ["name": JSONValue(t.name)]])
    }
    for e in events {
      let ts = (e.start - origin) * 1e6
      let dur = max(0, e.end - e.start) * 1e6
      let key = e.track == .compute ? "flops" : "bytes"
      out.append([
        "ph": "X", "name": JSONValue(e.name), "cat": JSONValue(e.isWait ? "wait" : e.track.name), "pid": pid,
        "tid": JSONValue(e.track.rawValue), "ts": JSONValue(Self.fixed(ts)), "dur": JSONValue(Self.fixed(dur)),
        "args": .object([(key, JSONValue(e.amount))]),
      ])
    }
    return out
  }

  /// Microseconds to three decimals (nanoseconds), so traces stay small.
  static func fixed(_ v: Double) -> Double { (v * 1000).rounded() / 1000 }
}

/// A whole trace file around every rank's events.
public func chromeTraceJSON(_ events: [JSONValue]) -> String {
  JSONValue.object([("displayTimeUnit", "ms"), ("traceEvents", .array(events))]).serialized() + "\n"
}

/// A whole trace file from every rank's events.
public func chromeTraceJSON(_ traces: [Trace]) -> String {
  chromeTraceJSON(traces.flatMap { $0.chromeEvents() })
}
