import CGlibcExtras
import CHost

#if canImport(Glibc)
  import Glibc
#endif

/// Manually allocated f32 storage. MPI's nonblocking calls need buffers whose
/// address does not move from `Isend`/`Irecv` to `Wait`, which Swift arrays
/// do not promise; this one is pinned until it is freed.
///
/// Every step allocates fresh activations of the sizes it freed a moment
/// ago; `Allocation.keepFreedMemory()` makes the C heap reuse them instead of
/// mapping (and faulting in) new pages each time.
public final class TensorStorage: @unchecked Sendable {
  public let count: Int
  public let pointer: UnsafeMutablePointer<Float>
  private let memory: AlignedMemory

  /// Zero-filled storage, or with `zeroed: false` storage the caller will
  /// overwrite entirely (saves touching every page twice).
  public init(count: Int, zeroed: Bool = true) {
    self.count = count
    memory = .allocate(elements: max(count, 1), of: MemoryLayout<Float>.stride, alignment: 64)
    pointer = memory.start.bindMemory(to: Float.self, capacity: max(count, 1))
    if zeroed { pointer.initialize(repeating: 0, count: max(count, 1)) }
  }

  deinit { memory.free() }
}

/// Bytes starting on an `alignment` boundary (64: a cache line, an AVX-512
/// load; a page for `Allocation.reserve`), carved out of a plain `malloc`
/// of alignment − 1 bytes more. Not `posix_memalign`: glibc's aligned path
/// splits chunks in a way that later big requests do not reuse, so the heap
/// grew 64 MiB per rank inside the timed region of a P = 2 attention layer
/// (S = 4096) and every new page cost a fault; with `malloc` the same
/// sequence of sizes reuses the freed chunks.
struct AlignedMemory {
  let base: UnsafeMutableRawPointer
  let start: UnsafeMutableRawPointer

  /// `elements` × `size` bytes (`alignment` a power of two); nil when they
  /// do not fit in memory or in an `Int`.
  init?(elements: Int, of size: Int, alignment: Int) {
    let (bytes, overflow) = elements.multipliedReportingOverflow(by: size)
    let (padded, overflow2) = bytes.addingReportingOverflow(alignment - 1)
    guard !overflow, !overflow2, let base = malloc(padded) else { return nil }
    self.base = base
    let misalignment = Int(bitPattern: base) & (alignment - 1)
    start = base + (misalignment == 0 ? 0 : alignment - misalignment)
  }

  /// The same, or `Allocation.onFailure` when it cannot be had.
  static func allocate(elements: Int, of size: Int, alignment: Int) -> AlignedMemory {
    guard let memory = AlignedMemory(elements: elements, of: size, alignment: alignment) else {
      let (bytes, overflow) = elements.multipliedReportingOverflow(by: size)
      Allocation.onFailure(overflow ? .max : bytes)
    }
    return memory
  }

  func free() { Glibc.free(base) }
}

/// A dense row-major f32 tensor. Every float dtype executes as f32; `i32`
/// positions are stored as exact floats (exact below 2²⁴ tokens).
///
/// Tensors are values of the interpreter's SSA environment: ops create new
/// ones and never write into their inputs, so storage can be shared (reshape).
public struct Tensor: @unchecked Sendable {
  public var shape: [Int]
  public let storage: TensorStorage

  public init(shape: [Int]) {
    self.shape = shape
    storage = TensorStorage(count: shape.reduce(1, *))
  }

  /// A tensor whose every element the caller writes before reading.
  public init(uninitialized shape: [Int]) {
    self.shape = shape
    storage = TensorStorage(count: shape.reduce(1, *), zeroed: false)
  }

  public init(shape: [Int], storage: TensorStorage) {
    precondition(shape.reduce(1, *) == storage.count, "shape \(shape) does not fit \(storage.count) elements")
    self.shape = shape
    self.storage = storage
  }

  public init(shape: [Int], values: [Float]) {
    self.init(shape: shape)
    precondition(values.count == count)
    values.withUnsafeBufferPointer { storage.pointer.update(from: $0.baseAddress!, count: count) }
  }

  public var count: Int { storage.count }
  public var pointer: UnsafeMutablePointer<Float> { storage.pointer }
  public var buffer: UnsafeMutableBufferPointer<Float> { UnsafeMutableBufferPointer(start: pointer, count: count) }
  public var values: [Float] { Array(buffer) }

  /// The elements per row (axis 0).
  public var rowSize: Int { shape.isEmpty ? 1 : count / max(shape[0], 1) }

  public subscript(i: Int) -> Float {
    get { pointer[i] }
    nonmutating set { pointer[i] = newValue }
  }

  /// The same elements under a new shape.
  public func reshaped(_ newShape: [Int]) -> Tensor { Tensor(shape: newShape, storage: storage) }
}

/// How the runtime asks the C heap to treat big buffers.
public enum Allocation {
  /// What a failed tensor allocation does with the bytes it asked for. The
  /// kernels allocate deep inside and do not throw; `ringc run` replaces
  /// this with a handler that names the rank and the op and ends the job.
  /// Set only while no other thread allocates.
  nonisolated(unsafe) public static var onFailure: (Int) -> Never = crash

  /// The default: a crash naming the bytes.
  public static func crash(bytes: Int) -> Never { fatalError("out of memory allocating \(bytes) bytes for a tensor") }

  /// Serve every allocation from the heap (never a fresh mapping) and never
  /// give freed memory back to the system, so the activations of one step
  /// reuse the pages of the last instead of faulting in new ones. Called once
  /// by `ringc run` before it executes a plan.
  public static func keepFreedMemory() {
    mallopt(M_MMAP_MAX, 0)
    mallopt(M_TRIM_THRESHOLD, Int32.max)
  }

  /// Grows the heap by `bytes` of pages already faulted in, so the first
  /// use of the working set does not pay a page fault per 4 KiB (1.5 µs
  /// each on the VM this was measured on: 200 MiB of activations cost a
  /// rank ~75 ms of a 1 s run). Like a GPU framework's caching allocator,
  /// the memory is taken before the timed region; with `keepFreedMemory()`
  /// it stays in the heap for the activations to reuse.
  public static func reserve(bytes: Int) {
    guard bytes > 0 else { return }
    let page = 4096
    let size = (bytes + page - 1) / page * page
    // From the same `malloc` path the tensors take, so they reuse these pages.
    guard let memory = AlignedMemory(elements: size, of: 1, alignment: page) else { return }
    ringc_populate(memory.start, size)
    memory.free()
  }
}
