#if canImport(Glibc)
  import Glibc
#elseif canImport(Darwin)
  import Darwin
#endif

/// A regular file mapped read-only and shared (`mmap(PROT_READ, MAP_SHARED)`),
/// so processes that map one file share its pages in the page cache and only
/// the pages read are ever loaded. Opened as `FileIO.read` opens a file:
/// symlinks are followed, and what they end at must be a regular file.
///
/// The file must not shrink while it is mapped: reading a page past its new
/// end raises SIGBUS.
public final class MappedFile: @unchecked Sendable {
  /// A file that cannot be mapped, and why: "No such file or directory".
  public struct Failure: Error, CustomStringConvertible {
    public var path: String
    public var reason: String
    public var description: String { "cannot read \(path): \(reason)" }
  }

  public let path: String
  /// The file's bytes (empty for an empty file).
  public let bytes: UnsafeRawBufferPointer
  private let mapped: Bool

  public init(path: String) throws(Failure) {
    self.path = path
    // Non-blocking, so a FIFO with no writer cannot hang the open.
    let fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC)
    guard fd >= 0 else { throw Self.failure(path) }
    defer { close(fd) }
    var info = stat()
    guard fstat(fd, &info) == 0 else { throw Self.failure(path) }
    guard FileIO.Kind(info.st_mode) == .regular else {
      throw Failure(path: path, reason: "it is \(FileIO.Kind(info.st_mode).article), not a regular file")
    }
    let size = Int(info.st_size)
    mapped = size > 0
    guard size > 0 else {
      bytes = UnsafeRawBufferPointer(start: nil, count: 0)
      return
    }
    let base = mmap(nil, size, PROT_READ, MAP_SHARED, fd, 0)
    guard let base, base != MAP_FAILED else { throw Self.failure(path) }
    bytes = UnsafeRawBufferPointer(start: base, count: size)
  }

  /// A copy of `contents` in memory standing for file `path`, for readers
  /// tested on bytes rather than files.
  public init(path: String, contents: [UInt8]) {
    self.path = path
    mapped = false
    let copy = UnsafeMutableRawBufferPointer.allocate(byteCount: contents.count, alignment: 16)
    copy.copyBytes(from: contents)
    bytes = UnsafeRawBufferPointer(copy)
  }

  /// Asks the kernel to start reading `range` of the file into the page
  /// cache, so that the first read of it waits less.
  public func willNeed(_ range: Range<Int>) {
    guard mapped, let base = bytes.baseAddress, !range.isEmpty, range.upperBound <= bytes.count else { return }
    let page = Int(getpagesize())
    let start = range.lowerBound / page * page
    _ = madvise(UnsafeMutableRawPointer(mutating: base + start), range.upperBound - start, MADV_WILLNEED)
  }

  deinit {
    if mapped {
      munmap(UnsafeMutableRawPointer(mutating: bytes.baseAddress), bytes.count)
    } else {
      UnsafeMutableRawBufferPointer(mutating: bytes).deallocate()
    }
  }

  private static func failure(_ path: String) -> Failure {
    Failure(path: path, reason: String(cString: strerror(errno)))
  }
}
