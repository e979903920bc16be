#if canImport(Glibc)
  import Glibc
#endif

/// A problem with a `.npy` file, naming it: `x.npy: truncated: …`.
public struct NPYError: Error, CustomStringConvertible, Sendable {
  public enum Kind: Sendable {
    /// The file cannot be opened or read (sysexits 66).
    case unreadable
    /// Its contents are not what they must be (sysexits 65).
    case malformed
  }

  public var path: String
  public var kind: Kind
  public var reason: String
  public var description: String { "\(path): \(reason)" }

  public init(path: String, kind: Kind, reason: String) {
    self.path = path
    self.kind = kind
    self.reason = reason
  }
}

/// An open `.npy` file whose header has been checked (`NPYHeader`); rows of
/// its axis 0 are read on demand with `pread`, so a rank reads only its own
/// tokens' rows, never the whole file.
public final class NPYFile {
  public let path: String
  public let header: NPYHeader
  private let fd: Int32

  public init(path: String) throws(NPYError) {
    self.path = path
    // Non-blocking, so a FIFO with no writer cannot hang the open.
    fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC)
    guard fd >= 0 else { throw NPYError(path: path, kind: .unreadable, reason: Self.errorText()) }
    var info = stat()
    guard fstat(fd, &info) == 0 else {
      let reason = Self.errorText()
      close(fd)
      throw NPYError(path: path, kind: .unreadable, reason: reason)
    }
    guard info.st_mode & S_IFMT == S_IFREG else {
      close(fd)
      throw NPYError(path: path, kind: .unreadable, reason: "not a regular file")
    }
    let size = Int(info.st_size)
    var prefix = [UInt8](repeating: 0, count: min(size, NPYHeader.prefixLength(major: 2) + NPYHeader.maxLength))
    do throws(NPYError) {
      try Self.readAll(fd, into: &prefix, at: 0, path: path)
      header = try NPYHeader(prefix, fileSize: size, path: path)
    } catch {
      close(fd)
      throw error
    }
  }

  deinit { close(fd) }

  /// Elements per row (axis 0); 1 for a 1-d array.
  public var rowCount: Int { header.shape.dropFirst().reduce(1, *) }

  /// Rows `ranges` of a float32 file, in the order given, as a tensor of
  /// shape `[rows] + shape[1...]`.
  public func floats(rows ranges: [Range<Int>]) throws(NPYError) -> Tensor {
    precondition(header.dtype == .float32, "floats(rows:) of a \(header.dtype) file")
    let total = try rowTotal(ranges)
    let t = Tensor(uninitialized: [total] + header.shape.dropFirst())
    let rowBytes = rowCount * 4
    var filled = 0
    for r in ranges {
      // Straight into the tensor: the file and the host are little-endian.
      let bytes = UnsafeMutableRawBufferPointer(start: t.pointer + filled * rowCount, count: r.count * rowBytes)
      try Self.readAll(fd, into: bytes, at: header.dataOffset + r.lowerBound * rowBytes, path: path)
      filled += r.count
    }
    return t
  }

  /// Rows `ranges` of an int32 or int64 file, in the order given, flat.
  public func integers(rows ranges: [Range<Int>]) throws(NPYError) -> [Int64] {
    precondition(header.dtype.isInteger, "integers(rows:) of a \(header.dtype) file")
    let width = header.dtype.width
    var values: [Int64] = []
    values.reserveCapacity(try rowTotal(ranges) * rowCount)
    // At most 1 MiB in flight, whatever the rows.
    let chunkRows = max(1, (1 << 20) / max(1, rowCount * width))
    for r in ranges {
      for start in stride(from: r.lowerBound, to: r.upperBound, by: chunkRows) {
        let n = min(chunkRows, r.upperBound - start)
        var bytes = [UInt8](repeating: 0, count: n * rowCount * width)
        try Self.readAll(fd, into: &bytes, at: header.dataOffset + start * rowCount * width, path: path)
        bytes.withUnsafeBytes { raw in
          for i in 0..<(n * rowCount) {
            if width == 4 {
              values.append(Int64(Int32(littleEndian: raw.loadUnaligned(fromByteOffset: i * 4, as: Int32.self))))
            } else {
              values.append(Int64(littleEndian: raw.loadUnaligned(fromByteOffset: i * 8, as: Int64.self)))
            }
          }
        }
      }
    }
    return values
  }

  /// The rows in `ranges`, which must lie inside axis 0.
  private func rowTotal(_ ranges: [Range<Int>]) throws(NPYError) -> Int {
    let rows = header.shape.first ?? 1
    for r in ranges where r.lowerBound < 0 || r.upperBound > rows {
      throw NPYError(path: path, kind: .malformed, reason: "rows \(r.lowerBound)..<\(r.upperBound) are not inside its \(rows) rows")
    }
    return ranges.reduce(0) { $0 + $1.count }
  }

  private static func readAll(_ fd: Int32, into bytes: inout [UInt8], at offset: Int, path: String) throws(NPYError) {
    let failure = bytes.withUnsafeMutableBytes { raw -> NPYError? in
      do throws(NPYError) { try readAll(fd, into: raw, at: offset, path: path) } catch { return error }
      return nil
    }
    if let failure { throw failure }
  }

  /// Fills `bytes` from `offset`; a file that ends first (it shrank since
  /// its header was checked) is an error naming the bytes.
  private static func readAll(_ fd: Int32, into bytes: UnsafeMutableRawBufferPointer, at offset: Int, path: String)
    throws(NPYError)
  {
    var done = 0
    while done < bytes.count {
      let n = pread(fd, bytes.baseAddress! + done, bytes.count - done, off_t(offset + done))
      if n < 0 && errno == EINTR { continue }
      if n < 0 { throw NPYError(path: path, kind: .unreadable, reason: errorText()) }
      if n == 0 {
        throw NPYError(
          path: path, kind: .malformed,
          reason: "truncated: expected \(bytes.count) bytes at offset \(offset), the file ends after \(done)")
      }
      done += n
    }
  }

  private static func errorText() -> String { String(cString: strerror(errno)) }
}
