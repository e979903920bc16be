import CMPI
import HostIO

#if canImport(Glibc)
  import Glibc
#endif

/// MPI point-to-point with real overlap: a progress thread owns every
/// nonblocking MPI call. The compute thread queues a transfer and goes on
/// with BLAS; the progress thread posts it (`MPI_Isend`/`MPI_Irecv`) and keeps
/// calling `MPI_Testsome`, which drives OpenMPI's progress engine, so large
/// (rendezvous) messages move while the compute thread works. MPI is
/// initialised with `MPI_THREAD_MULTIPLE`, so the main thread may still call
/// collectives (gathers for `--check` and traces) when no transfer is pending.
///
/// Messages are `MessageBuffer`s in their wire format, allocated by hand,
/// so they stay pinned from post to completion; 16-bit elements travel as a
/// 2-byte MPI type.
///
/// Every communicator it uses returns MPI errors as codes (`MPI_ERRORS_RETURN`)
/// rather than aborting inside MPI; each call's code is checked, and a failure
/// becomes a `RuntimeError` naming the call and MPI's message.
///
/// Every call that waits on other ranks (a transfer's `wait`, a collective,
/// `MPI_Finalize`) runs under a watchdog thread: a rank that has waited
/// `timeout` seconds prints one line naming itself, what it waits in and the
/// ranks and hosts it waits for, and ends the job. MPI over TCP may never
/// notice a cut link or a dead host by itself.
public final class MPICommunicator: Communicator, @unchecked Sendable {
  public let rank: Int
  public let size: Int
  /// The largest tag MPI allows here (MPI_TAG_UB).
  public let tagLimit: Int32
  /// The host each rank runs on (MPI_Get_processor_name), by rank.
  public let hosts: [String]
  /// Seconds a rank may wait on others before the watchdog ends the job.
  public let timeout: Double

  private struct Pending {
    var request: CommRequest
    var message: MessageBuffer
  }

  private let lock = UnsafeMutablePointer<pthread_mutex_t>.allocate(capacity: 1)
  private let changed = UnsafeMutablePointer<pthread_cond_t>.allocate(capacity: 1)
  private var queue: [Pending] = []
  private var stopping = false
  /// Threads blocked in `wait`: while one is, the progress thread polls every
  /// few microseconds (the compute thread has nothing to do), else it backs off.
  private var waiters = 0
  private var progressThread = pthread_t()
  /// The MPI type of one f16 or bf16 element: two bytes.
  private var halfType: MPI_Datatype?

  /// What the compute thread waits in, and since when (for the watchdog).
  private struct Blocked {
    var what: String
    var peers: [Int]
    var since: Double
  }
  private var blocked: Blocked?
  private let watched = UnsafeMutablePointer<pthread_cond_t>.allocate(capacity: 1)
  private var finalized = false
  private var failing = false
  private var watchdogThread = pthread_t()

  /// Initialises MPI (thread level MULTIPLE), learns every rank's host, and
  /// starts the progress thread and the watchdog.
  public init(timeout: Double = 600) throws {
    self.timeout = timeout
    var provided: Int32 = 0
    try Self.check(MPI_Init_thread(nil, nil, Int32(MPI_THREAD_MULTIPLE), &provided), "MPI_Init_thread")
    try Self.check(MPI_Comm_set_errhandler(cmpi_comm_world(), cmpi_errors_return()), "MPI_Comm_set_errhandler")
    guard provided >= Int32(MPI_THREAD_MULTIPLE) else {
      throw RuntimeError("this MPI library does not support MPI_THREAD_MULTIPLE (it offers level \(provided))")
    }
    var r: Int32 = 0
    var s: Int32 = 0
    try Self.check(MPI_Comm_rank(cmpi_comm_world(), &r), "MPI_Comm_rank")
    try Self.check(MPI_Comm_size(cmpi_comm_world(), &s), "MPI_Comm_size")
    rank = Int(r)
    size = Int(s)
    var flag: Int32 = 0
    var value: UnsafeMutablePointer<Int32>?
    try Self.check(MPI_Comm_get_attr(cmpi_comm_world(), cmpi_tag_ub_key(), &value, &flag), "MPI_Comm_get_attr(MPI_TAG_UB)")
    tagLimit = flag != 0 ? (value?.pointee ?? 32767) : 32767
    hosts = try Self.processorNames(size: size)
    try Self.check(MPI_Type_contiguous(2, cmpi_byte(), &halfType), "MPI_Type_contiguous")
    try Self.check(MPI_Type_commit(&halfType), "MPI_Type_commit")
    pthread_mutex_init(lock, nil)
    pthread_cond_init(changed, nil)
    pthread_cond_init(watched, nil)
    progressThread = try Self.startThread { self.progressLoop() }
    watchdogThread = try Self.startThread { self.watchdogLoop() }
  }

  /// Stops the progress thread and finalises MPI (under the watchdog:
  /// `MPI_Finalize` waits for every rank).
  public func finalize() throws {
    pthread_mutex_lock(lock)
    stopping = true
    pthread_cond_broadcast(changed)
    pthread_mutex_unlock(lock)
    pthread_join(progressThread, nil)
    try Self.check(MPI_Type_free(&halfType), "MPI_Type_free")
    try waiting(on: others, in: "MPI_Finalize") { try Self.check(MPI_Finalize(), "MPI_Finalize") }
    pthread_mutex_lock(lock)
    finalized = true
    pthread_cond_signal(watched)
    pthread_mutex_unlock(lock)
    pthread_join(watchdogThread, nil)
  }

  /// "rank R on host H".
  private func describe(_ rank: Int) -> String { "rank \(rank) on host \(hosts[rank])" }

  /// Prints `ringc: rank R on host H: reason` and ends the whole job with
  /// exit code 70. Only the first failure of a rank prints; a second thread
  /// that fails meanwhile waits for the end.
  public func fail(_ reason: String, code: Int32 = 70) -> Never {
    pthread_mutex_lock(lock)
    let first = !failing
    failing = true
    pthread_mutex_unlock(lock)
    if first {
      Stderr.write("ringc: \(describe(rank)): \(reason)\n")
      abort(code)
    }
    while true { pause() }
  }

  /// MPI_Abort has mpirun stop every rank and exit with `code`. Over a link
  /// that is down it may never return, so an alarm ends this rank two
  /// seconds later whatever MPI does (with 70: a signal handler cannot
  /// capture the code).
  private func abort(_ code: Int32) -> Never {
    signal(SIGALRM) { _ in _exit(70) }
    alarm(2)
    MPI_Abort(cmpi_comm_world(), code)
    _exit(code)
  }

  public func send(_ message: MessageBuffer, to peer: Int, tag: Int32, label: String) -> CommRequest {
    enqueue(message, .send, peer, tag, label)
  }

  public func receive(into message: MessageBuffer, from peer: Int, tag: Int32, label: String) -> CommRequest {
    enqueue(message, .receive, peer, tag, label)
  }

  private func enqueue(
    _ message: MessageBuffer, _ direction: CommRequest.Direction, _ peer: Int, _ tag: Int32, _ label: String
  ) -> CommRequest {
    let request = CommRequest(
      direction: direction, peer: peer, tag: tag, bytes: message.byteCount, label: label, postedAt: Clock.now)
    pthread_mutex_lock(lock)
    queue.append(Pending(request: request, message: message))
    pthread_cond_broadcast(changed)
    pthread_mutex_unlock(lock)
    return request
  }

  public func wait(_ request: CommRequest) throws {
    waiting(on: [request.peer], in: request.label) {
      pthread_mutex_lock(lock)
      waiters += 1
      while request.completedAt == nil { pthread_cond_wait(changed, lock) }
      waiters -= 1
      pthread_mutex_unlock(lock)
    }
    if let failure = request.failure { throw RuntimeError(failure) }
  }

  /// Collectives for results and traces, on the main thread; `label` names
  /// the collective for the watchdog.
  public func gatherBytes(_ bytes: [UInt8], root: Int = 0, label: String) throws -> [[UInt8]]? {
    try waiting(on: rank == root ? others : [root], in: label) { try mpiGather(bytes, root: root) }
  }

  /// MPI counts are 32-bit: a gather moves its parts in rounds of under
  /// 2 GiB in all, each rank sending its next piece (or nothing) per round.
  private func mpiGather(_ bytes: [UInt8], root: Int) throws -> [[UInt8]]? {
    var count = Int64(bytes.count)
    var counts = [Int64](repeating: 0, count: size)
    try Self.check(MPI_Gather(&count, 8, cmpi_byte(), &counts, 8, cmpi_byte(), Int32(root), cmpi_comm_world()), "MPI_Gather")
    // Every rank learns how many rounds the largest part needs.
    let piece = Int(Int32.max) / max(size, 1)
    var rounds = Int64((bytes.count + piece - 1) / piece)
    var allRounds: Int64 = 0
    try Self.check(MPI_Allreduce(&rounds, &allRounds, 1, cmpi_int64(), cmpi_op_max(), cmpi_comm_world()), "MPI_Allreduce")
    var parts = rank == root ? counts.map { [UInt8](repeating: 0, count: Int($0)) } : []
    for round in 0..<Int(allRounds) {
      let offset = round * piece
      var roundCounts = counts.map { Int32(clamping: max(0, min(Int($0) - offset, piece))) }
      var displacements = [Int32](repeating: 0, count: size)
      for i in 1..<max(size, 1) where i < size { displacements[i] = displacements[i - 1] + roundCounts[i - 1] }
      let total = rank == root ? Int(roundCounts.reduce(0) { $0 + Int($1) }) : 0
      var received = [UInt8](repeating: 0, count: max(total, 1))
      // Only the root knows every count; each rank knows its own.
      let mineCount = Int32(clamping: max(0, min(bytes.count - offset, piece)))
      var mine = mineCount > 0 ? Array(bytes[offset..<(offset + Int(mineCount))]) : [0]
      try Self.check(
        MPI_Gatherv(&mine, mineCount, cmpi_byte(), &received, &roundCounts, &displacements, cmpi_byte(), Int32(root), cmpi_comm_world()),
        "MPI_Gatherv")
      guard rank == root else { continue }
      for i in 0..<size where roundCounts[i] > 0 {
        let from = Int(displacements[i])
        parts[i].replaceSubrange(offset..<(offset + Int(roundCounts[i])), with: received[from..<(from + Int(roundCounts[i]))])
      }
    }
    return rank == root ? parts : nil
  }

  public func gatherFloats(_ values: UnsafeMutableBufferPointer<Float>, root: Int = 0, label: String) throws -> [[Float]]? {
    let raw = UnsafeRawBufferPointer(values)
    return try gatherBytes(Array(raw), root: root, label: label)?.map { bytes in
      bytes.withUnsafeBytes { Array($0.bindMemory(to: Float.self)) }
    }
  }

  public func barrier(label: String) throws {
    try waiting(on: others, in: label) { try Self.check(MPI_Barrier(cmpi_comm_world()), "MPI_Barrier") }
  }

  /// The largest of every rank's `value`.
  public func maximum(_ value: Double, label: String) throws -> Double {
    var mine = value
    var result = 0.0
    try waiting(on: others, in: label) {
      try Self.check(MPI_Allreduce(&mine, &result, 1, cmpi_double(), cmpi_op_max(), cmpi_comm_world()), "MPI_Allreduce")
    }
    return result
  }

  // MARK: - Collectives on sub-groups

  private var groupCommunicators: [[Int]: MPI_Comm] = [:]

  /// A communicator for `group`, created the first time the group is used
  /// (`MPI_Comm_create_group` involves only the group's members, and every
  /// member reaches a group's first collective at the same op).
  private func communicator(_ group: [Int]) throws -> MPI_Comm {
    if group == Array(0..<size) { return cmpi_comm_world() }
    if let c = groupCommunicators[group] { return c }
    var world: MPI_Group?
    var sub: MPI_Group?
    var comm: MPI_Comm?
    try Self.check(MPI_Comm_group(cmpi_comm_world(), &world), "MPI_Comm_group")
    var ranks = group.map(Int32.init)
    try Self.check(MPI_Group_incl(world, Int32(group.count), &ranks, &sub), "MPI_Group_incl over ranks \(group)")
    let tag = Int32(truncatingIfNeeded: group.reduce(17) { $0 &* 31 &+ $1 }) & 0x7fff
    // The groups only describe the communicator; free them once it exists.
    defer {
      MPI_Group_free(&sub)
      MPI_Group_free(&world)
    }
    try Self.check(MPI_Comm_create_group(cmpi_comm_world(), sub, tag, &comm), "MPI_Comm_create_group over ranks \(group)")
    guard let comm else { throw RuntimeError("MPI_Comm_create_group gave no communicator for ranks \(group)") }
    try Self.check(MPI_Comm_set_errhandler(comm, cmpi_errors_return()), "MPI_Comm_set_errhandler")
    groupCommunicators[group] = comm
    return comm
  }

  /// The MPI type of one element in `format`.
  private func datatype(_ format: WireFormat) -> MPI_Datatype? { format == .f32 ? cmpi_float() : halfType }

  public func allGather(_ tensor: Tensor, as format: WireFormat, group: [Int], label: String) throws -> [[Float]] {
    try waiting(on: group.filter { $0 != rank }, in: label) { try mpiAllGather(MessageBuffer(tensor, as: format), group) }
  }

  private func mpiAllGather(_ mine: MessageBuffer, _ group: [Int]) throws -> [[Float]] {
    let comm = try communicator(group)
    var count = Int32(mine.count)
    var counts = [Int32](repeating: 0, count: group.count)
    try Self.check(MPI_Allgather(&count, 1, cmpi_int(), &counts, 1, cmpi_int(), comm), "MPI_Allgather over ranks \(group)")
    var displacements = [Int32](repeating: 0, count: group.count)
    for i in 1..<max(group.count, 1) where i < group.count { displacements[i] = displacements[i - 1] + counts[i - 1] }
    let all = MessageBuffer(uninitialized: Int(counts.reduce(0, +)), mine.format)
    let type = datatype(mine.format)
    try Self.check(
      MPI_Allgatherv(mine.bytes, count, type, all.bytes, &counts, &displacements, type, comm),
      "MPI_Allgatherv over ranks \(group)")
    return (0..<group.count).map { all.floats(Int(displacements[$0])..<Int(displacements[$0] + counts[$0])) }
  }

  public func allToAll(_ parts: [[Float]], as format: WireFormat, group: [Int], label: String) throws -> [[Float]] {
    try waiting(on: group.filter { $0 != rank }, in: label) { try mpiAllToAll(parts, format, group) }
  }

  private func mpiAllToAll(_ parts: [[Float]], _ format: WireFormat, _ group: [Int]) throws -> [[Float]] {
    let comm = try communicator(group)
    var sendCounts = parts.map { Int32($0.count) }
    var receiveCounts = [Int32](repeating: 0, count: group.count)
    try Self.check(
      MPI_Alltoall(&sendCounts, 1, cmpi_int(), &receiveCounts, 1, cmpi_int(), comm), "MPI_Alltoall over ranks \(group)")
    func offsets(_ counts: [Int32]) -> [Int32] { counts.indices.map { i in counts.prefix(i).reduce(0, +) } }
    var sendOffsets = offsets(sendCounts)
    var receiveOffsets = offsets(receiveCounts)
    let sendBuffer = MessageBuffer(concatenating: parts, as: format)
    let receiveBuffer = MessageBuffer(uninitialized: Int(receiveCounts.reduce(0, +)), format)
    let type = datatype(format)
    try Self.check(
      MPI_Alltoallv(
        sendBuffer.bytes, &sendCounts, &sendOffsets, type, receiveBuffer.bytes, &receiveCounts, &receiveOffsets, type,
        comm),
      "MPI_Alltoallv over ranks \(group)")
    return (0..<group.count).map {
      receiveBuffer.floats(Int(receiveOffsets[$0])..<Int(receiveOffsets[$0] + receiveCounts[$0]))
    }
  }

  // MARK: - Watchdog

  private var others: [Int] { (0..<size).filter { $0 != rank } }

  /// Runs `body`, which waits on `peers` in `what`, under the watchdog.
  private func waiting<T>(on peers: [Int], in what: String, _ body: () throws -> T) rethrows -> T {
    pthread_mutex_lock(lock)
    blocked = Blocked(what: what, peers: peers, since: Clock.now)
    pthread_cond_signal(watched)
    pthread_mutex_unlock(lock)
    defer {
      pthread_mutex_lock(lock)
      blocked = nil
      pthread_mutex_unlock(lock)
    }
    return try body()
  }

  private func watchdogLoop() {
    pthread_mutex_lock(lock)
    while !finalized {
      guard let b = blocked else {
        pthread_cond_wait(watched, lock)
        continue
      }
      let left = b.since + timeout - Clock.now
      if left <= 0 {
        pthread_mutex_unlock(lock)
        let seconds = timeout.rounded() == timeout && timeout < 1e15 ? String(Int(timeout)) : String(timeout)
        fail("timed out after \(seconds) s in \(b.what) waiting for \(b.peers.map(describe).joined(separator: ", "))")
      }
      var ts = timespec()
      clock_gettime(CLOCK_REALTIME, &ts)
      let nanos = Int(ts.tv_nsec) + Int(min(left, 3600) * 1e9)
      ts.tv_sec += nanos / 1_000_000_000
      ts.tv_nsec = nanos % 1_000_000_000
      pthread_cond_timedwait(watched, lock, &ts)
    }
    pthread_mutex_unlock(lock)
  }

  /// Starts a thread running `body`.
  private static func startThread(_ body: @escaping () -> Void) throws -> pthread_t {
    final class Box {
      let body: () -> Void
      init(_ body: @escaping () -> Void) { self.body = body }
    }
    var thread = pthread_t()
    let box = Unmanaged.passRetained(Box(body))
    let status = pthread_create(&thread, nil, { context in
      Unmanaged<Box>.fromOpaque(context!).takeRetainedValue().body()
      return nil
    }, box.toOpaque())
    guard status == 0 else {
      box.release()
      throw RuntimeError("cannot start the communication thread: \(String(cString: strerror(status)))")
    }
    return thread
  }

  /// Every rank's MPI_Get_processor_name, by rank.
  private static func processorNames(size: Int) throws -> [String] {
    let width = Int(MPI_MAX_PROCESSOR_NAME)
    var mine = [CChar](repeating: 0, count: width)
    var length: Int32 = 0
    try check(MPI_Get_processor_name(&mine, &length), "MPI_Get_processor_name")
    var all = [CChar](repeating: 0, count: width * size)
    try check(
      MPI_Allgather(&mine, Int32(width), cmpi_byte(), &all, Int32(width), cmpi_byte(), cmpi_comm_world()),
      "MPI_Allgather of the host names")
    return (0..<size).map { r in
      String(decoding: all[r * width..<(r + 1) * width].prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }
  }

  // MARK: - Progress thread

  private func progressLoop() {
    var active: [(request: CommRequest, message: MessageBuffer)] = []
    var handles: [MPI_Request?] = []
    var idle: UInt32 = 10
    var spins = 0
    while true {
      pthread_mutex_lock(lock)
      while queue.isEmpty && active.isEmpty && !stopping { pthread_cond_wait(changed, lock) }
      let posts = queue
      queue.removeAll()
      let stop = stopping && queue.isEmpty && active.isEmpty && posts.isEmpty
      pthread_mutex_unlock(lock)
      if stop { return }
      for p in posts {
        var handle: MPI_Request? = nil
        let code: Int32
        switch p.request.direction {
        case .send:
          code = MPI_Isend(
            p.message.bytes, Int32(p.message.count), datatype(p.message.format), Int32(p.request.peer), p.request.tag,
            cmpi_comm_world(), &handle)
        case .receive:
          code = MPI_Irecv(
            p.message.bytes, Int32(p.message.count), datatype(p.message.format), Int32(p.request.peer), p.request.tag,
            cmpi_comm_world(), &handle)
        }
        if code != MPI_SUCCESS {
          let call = p.request.direction == .send ? "MPI_Isend to" : "MPI_Irecv from"
          finish(p.request, failure: Self.failure(code, "\(call) rank \(p.request.peer) (tag \(p.request.tag))"))
          continue
        }
        active.append((p.request, p.message))
        handles.append(handle)
      }
      if active.isEmpty { continue }
      var done: Int32 = 0
      var indices = [Int32](repeating: 0, count: handles.count)
      var statuses = [MPI_Status](repeating: MPI_Status(), count: handles.count)
      let code = MPI_Testsome(Int32(handles.count), &handles, &done, &indices, &statuses)
      if code != MPI_SUCCESS {
        for a in active { finish(a.request, failure: Self.failure(code, "MPI_Testsome")) }
        active.removeAll()
        handles.removeAll()
        continue
      }
      if done > 0 && done != MPI_UNDEFINED {
        // statuses[j] belongs to active[indices[j]].
        for j in 0..<Int(done) {
          let i = Int(indices[j])
          let request = active[i].request
          if request.direction == .receive {
            let message = active[i].message
            var received: Int32 = 0
            let counted = MPI_Get_count(&statuses[j], datatype(message.format), &received)
            if counted != MPI_SUCCESS {
              finish(request, failure: Self.failure(counted, "MPI_Get_count from rank \(request.peer) (tag \(request.tag))"))
              continue
            }
            if Int(received) != message.count {
              finish(
                request,
                failure: "received \(received) \(message.format) elements from rank \(request.peer) (tag \(request.tag)), expected \(message.count)")
              continue
            }
          }
          finish(request, failure: nil)
        }
        idle = 10
        spins = 0
        let finished = Set(indices.prefix(Int(done)).map(Int.init))
        active = active.enumerated().filter { !finished.contains($0.offset) }.map(\.element)
        handles = handles.enumerated().filter { !finished.contains($0.offset) }.map(\.element)
      } else {
        pthread_mutex_lock(lock)
        let someoneWaits = waiters > 0
        pthread_mutex_unlock(lock)
        if someoneWaits {
          // Poll flat out for a moment (small messages land in microseconds),
          // then sleep between polls: with more ranks than cores a spinning
          // thread would take the core from a rank that still computes.
          spins += 1
          if spins < 200 { sched_yield() } else { usleep(5) }
        } else {
          spins = 0
          // Back off (10 µs up to 0.5 ms) so the progress thread leaves the
          // core to the compute thread; each test moves the transfers on.
          usleep(idle)
          idle = min(idle * 2, 500)
        }
      }
    }
  }

  // MARK: - Errors

  /// Throws unless `code` is `MPI_SUCCESS`.
  private static func check(_ code: Int32, _ call: @autoclosure () -> String) throws {
    if code != MPI_SUCCESS { throw RuntimeError(failure(code, call())) }
  }

  /// "`call` failed: MPI's message for `code`".
  private static func failure(_ code: Int32, _ call: String) -> String {
    var text = [CChar](repeating: 0, count: Int(cmpi_max_error_string()))
    var length: Int32 = 0
    guard MPI_Error_string(code, &text, &length) == MPI_SUCCESS else { return "\(call) failed with MPI error code \(code)" }
    let message = String(decoding: text.prefix(Int(length)).map { UInt8(bitPattern: $0) }, as: UTF8.self)
    return "\(call) failed: \(message) (MPI error code \(code))"
  }

  private func finish(_ request: CommRequest, failure: String?) {
    pthread_mutex_lock(lock)
    request.failure = failure
    request.completedAt = Clock.now
    pthread_cond_broadcast(changed)
    pthread_mutex_unlock(lock)
  }
}
