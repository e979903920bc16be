/// Manually allocated, zero-initialised f32 storage. MPI's nonblocking calls
/// need buffers whose address does not move from `Isend`/`Irecv` to `Wait`,
/// which Swift arrays do not promise; this one is pinned until it is freed.
public final class TensorStorage: @unchecked Sendable {
  public let count: Int
  public let pointer: UnsafeMutablePointer<Float>

  public init(count: Int) {
    self.count = count
    pointer = .allocate(capacity: max(count, 1))
    pointer.initialize(repeating: 0, count: max(count, 1))
  }

  deinit { pointer.deallocate() }
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

  /// Rows (axis 0) and the elements per row.
  public var rows: Int { shape.first ?? 1 }
  public var rowSize: Int { shape.isEmpty ? 1 : count / max(shape[0], 1) }

  public subscript(i: Int) -> Float {
    get { pointer[i] }
    nonmutating set { pointer[i] = newValue }
  }

  /// The same elements under a new shape.
  public func reshaped(_ newShape: [Int]) -> Tensor { Tensor(shape: newShape, storage: storage) }
}
