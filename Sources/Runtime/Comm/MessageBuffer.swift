#if canImport(Glibc)
  import Glibc
#endif

/// A message's elements in their wire format, in hand-allocated memory that
/// stays where it is until the buffer is freed: MPI's nonblocking calls may
/// read or write it until their wait completes. An f32 message is the
/// tensor's own storage, with no copy; a 16-bit one is a converted copy.
public final class MessageBuffer: @unchecked Sendable {
  public let format: WireFormat
  public let count: Int
  public let bytes: UnsafeMutableRawPointer
  /// The tensor storage an f32 message is; nil when the buffer owns `bytes`.
  private let shared: TensorStorage?
  /// The memory of `bytes` when the buffer owns it.
  private let owned: AlignedMemory?

  public var byteCount: Int { count * format.byteSize }

  /// `tensor`'s elements in `format`, to send.
  public convenience init(_ tensor: Tensor, as format: WireFormat) {
    if format == .f32 {
      self.init(sharing: tensor.storage)
    } else {
      self.init(uninitialized: tensor.count, format)
      encode(UnsafeBufferPointer(tensor.buffer), at: 0)
    }
  }

  /// Room for `tensor`'s elements in `format`, to receive into; `unpack`
  /// then moves them into `tensor`.
  public convenience init(receiving tensor: Tensor, as format: WireFormat) {
    if format == .f32 { self.init(sharing: tensor.storage) } else { self.init(uninitialized: tensor.count, format) }
  }

  /// `parts` one after another in `format` (a collective's contributions).
  convenience init(concatenating parts: [[Float]], as format: WireFormat) {
    self.init(uninitialized: parts.reduce(0) { $0 + $1.count }, format)
    var offset = 0
    for part in parts {
      part.withUnsafeBufferPointer { encode($0, at: offset) }
      offset += part.count
    }
  }

  /// `count` elements of `format` that a receive will write.
  init(uninitialized count: Int, _ format: WireFormat) {
    self.format = format
    self.count = count
    let memory = AlignedMemory.allocate(elements: max(count, 1), of: format.byteSize, alignment: 64)
    let raw = memory.start
    if format == .f32 {
      raw.bindMemory(to: Float.self, capacity: max(count, 1))
    } else {
      raw.bindMemory(to: UInt16.self, capacity: max(count, 1))
    }
    bytes = raw
    owned = memory
    shared = nil
  }

  private init(sharing storage: TensorStorage) {
    format = .f32
    count = storage.count
    bytes = UnsafeMutableRawPointer(storage.pointer)
    owned = nil
    shared = storage
  }

  deinit { owned?.free() }

  /// Writes the elements, as f32, into `tensor` (nothing to do when the
  /// message is the tensor's own storage).
  public func unpack(into tensor: Tensor) {
    precondition(tensor.count == count, "a message of \(count) elements does not fit a tensor of \(tensor.count)")
    if shared === tensor.storage { return }
    decode(0..<count, into: tensor.pointer)
  }

  /// Elements `range` as f32.
  func floats(_ range: Range<Int>) -> [Float] {
    [Float](unsafeUninitializedCapacity: range.count) { out, initialized in
      if let target = out.baseAddress { decode(range, into: target) }
      initialized = range.count
    }
  }

  private func encode(_ values: UnsafeBufferPointer<Float>, at offset: Int) {
    guard let source = values.baseAddress else { return }
    switch format {
    case .f32: (bytes.assumingMemoryBound(to: Float.self) + offset).update(from: source, count: values.count)
    case .f16: HalfFloat.encodeF16(source, bytes.assumingMemoryBound(to: UInt16.self) + offset, count: values.count)
    case .bf16: HalfFloat.encodeBF16(source, bytes.assumingMemoryBound(to: UInt16.self) + offset, count: values.count)
    }
  }

  private func decode(_ range: Range<Int>, into target: UnsafeMutablePointer<Float>) {
    switch format {
    case .f32: target.update(from: bytes.assumingMemoryBound(to: Float.self) + range.lowerBound, count: range.count)
    case .f16: HalfFloat.decodeF16(bytes.assumingMemoryBound(to: UInt16.self) + range.lowerBound, target, count: range.count)
    case .bf16: HalfFloat.decodeBF16(bytes.assumingMemoryBound(to: UInt16.self) + range.lowerBound, target, count: range.count)
    }
  }
}
