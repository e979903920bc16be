#if canImport(Glibc)
  import Glibc
#endif

/// Monotonic seconds, for timings, traces and timeouts.
public enum Clock {
  public static var now: Double {
    var ts = timespec()
    clock_gettime(CLOCK_MONOTONIC, &ts)
    return Double(ts.tv_sec) + Double(ts.tv_nsec) * 1e-9
  }
}
