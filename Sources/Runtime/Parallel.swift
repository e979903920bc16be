#if canImport(Glibc)
  import Glibc
#endif

/// Runs `body(0) … body(workers − 1)` on that many threads (the caller takes
/// worker 0) and returns when all are done. Plain pthreads: each call gets
/// its threads at once, unlike a lazily growing pool, so timings are steady.
enum Parallel {
  private final class Job: @unchecked Sendable {
    let body: (Int) -> Void
    let index: Int
    init(_ body: @escaping (Int) -> Void, _ index: Int) {
      self.body = body
      self.index = index
    }
  }

  static func run(_ workers: Int, _ body: @escaping (Int) -> Void) {
    if workers <= 1 {
      body(0)
      return
    }
    var threads: [pthread_t] = []
    for w in 1..<workers {
      var thread = pthread_t()
      let job = Unmanaged.passRetained(Job(body, w)).toOpaque()
      pthread_create(&thread, nil, { context in
        let job = Unmanaged<Job>.fromOpaque(context!).takeRetainedValue()
        job.body(job.index)
        return nil
      }, job)
      threads.append(thread)
    }
    body(0)
    for t in threads { pthread_join(t, nil) }
  }
}
