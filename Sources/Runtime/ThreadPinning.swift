import CHost

/// Pins the calling thread to one processor and back, for measurements that
/// must share a core (`ringc calibrate`'s time-sharing efficiency).
public enum ThreadPinning {
  /// False where the kernel refuses (a container's CPU set without `cpu`).
  public static func pin(toCPU cpu: Int) -> Bool { ringc_pin_to_cpu(Int32(cpu)) == 0 }

  /// Lets the thread run on every processor again.
  public static func unpin() { _ = ringc_unpin() }
}
