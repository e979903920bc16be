#if canImport(Glibc)
  import Glibc
#elseif canImport(Darwin)
  import Darwin
#endif

/// Reading inputs and writing outputs without Foundation (it would add ~45 MB
/// to a static binary), treating every path as the user's: inputs are read
/// with a bound and never block on a FIFO or a device; outputs never destroy
/// what they replace (a symlink keeps pointing at the file it names, a device
/// is written in place, a directory is refused), and writes to regular files
/// are atomic: a temporary file beside the target is renamed over it, so a
/// failed run never leaves half a file.
public enum FileIO {
  public struct Failure: Error, CustomStringConvertible {
    public var description: String
  }

  /// The most bytes `read` takes by default: far above any model or plan text.
  public static let defaultReadLimit = 1 << 30

  /// The bytes of `path` (a regular file), or of standard input for "-",
  /// refusing more than `limit` bytes.
  public static func read(_ path: String, limit: Int = defaultReadLimit) throws -> [UInt8] {
    let fd: Int32
    if path == "-" {
      fd = dup(0)
    } else {
      // Non-blocking, so a FIFO with no writer cannot hang the open.
      fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC)
    }
    guard fd >= 0 else { throw Failure(description: "cannot read \(path): \(errorText())") }
    defer { close(fd) }
    if path != "-" {
      var info = stat()
      guard fstat(fd, &info) == 0 else { throw Failure(description: "cannot read \(path): \(errorText())") }
      guard Kind(info.st_mode) == .regular else {
        throw Failure(description: "cannot read \(path): it is \(Kind(info.st_mode).article), not a regular file")
      }
      if Int(info.st_size) > limit {
        throw Failure(description: "cannot read \(path): it has \(info.st_size) bytes, more than the \(limit) ringc reads")
      }
      _ = fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) & ~O_NONBLOCK)
    }
    var bytes: [UInt8] = []
    var chunk = [UInt8](repeating: 0, count: 1 << 16)
    while true {
      let n = chunk.withUnsafeMutableBytes { Glibc.read(fd, $0.baseAddress, $0.count) }
      if n < 0 {
        if errno == EINTR { continue }
        throw Failure(description: "cannot read \(path): \(errorText())")
      }
      if n == 0 { break }
      // A file that grows while read, or standard input, is bounded here.
      guard bytes.count + n <= limit else {
        throw Failure(description: "cannot read \(path): it has more than the \(limit) bytes ringc reads")
      }
      bytes.append(contentsOf: chunk[0..<n])
    }
    return bytes
  }

  /// Whether `a` and `b` name the same existing file (through links too).
  public static func sameFile(_ a: String, _ b: String) -> Bool {
    var x = stat()
    var y = stat()
    return stat(a, &x) == 0 && stat(b, &y) == 0 && x.st_dev == y.st_dev && x.st_ino == y.st_ino
  }

  /// Writes `text` to `path` ("-" writes to standard output).
  public static func write(_ text: String, to path: String) throws {
    try write(Array(text.utf8), to: path)
  }

  /// Writes `bytes` to `path` ("-" writes to standard output): atomically for
  /// a regular file (through a symlink, to the file it names), in place for
  /// a character device or a FIFO with a reader; a directory, socket or block
  /// device is refused.
  public static func write(_ bytes: [UInt8], to path: String) throws {
    if path == "-" {
      guard writeAll(bytes, to: 1) else { throw Failure(description: "cannot write to standard output: \(errorText())") }
      return
    }
    var info = stat()
    guard stat(path, &info) == 0 else {
      guard errno == ENOENT else { throw Failure(description: "cannot write \(path): \(errorText())") }
      return try replace(resolved(path), with: bytes, shownAs: path)
    }
    switch Kind(info.st_mode) {
    case .regular: try replace(resolved(path), with: bytes, shownAs: path)
    case .characterDevice, .fifo: try writeInPlace(path, bytes)
    case let kind: throw Failure(description: "cannot write \(path): it is \(kind.article), not a regular file")
    }
  }

  /// Creates `path` (and its parents) if it does not exist.
  public static func makeDirectory(_ path: String) throws {
    var prefix = path.hasPrefix("/") ? "/" : ""
    for part in path.split(separator: "/") {
      prefix += part + "/"
      if mkdir(prefix, 0o755) != 0 && errno != EEXIST {
        throw Failure(description: "cannot create \(path): \(errorText())")
      }
    }
    var info = stat()
    guard stat(path, &info) == 0, Kind(info.st_mode) == .directory else {
      throw Failure(description: "cannot create \(path): it exists and is not a directory")
    }
  }

  /// What a path is, from its mode bits.
  enum Kind: Equatable {
    case regular, directory, characterDevice, blockDevice, fifo, socket, other

    init(_ mode: mode_t) {
      switch mode & S_IFMT {
      case S_IFREG: self = .regular
      case S_IFDIR: self = .directory
      case S_IFCHR: self = .characterDevice
      case S_IFBLK: self = .blockDevice
      case S_IFIFO: self = .fifo
      case S_IFSOCK: self = .socket
      default: self = .other
      }
    }

    var article: String {
      switch self {
      case .regular: "a regular file"
      case .directory: "a directory"
      case .characterDevice: "a character device"
      case .blockDevice: "a block device"
      case .fifo: "a FIFO"
      case .socket: "a socket"
      case .other: "a special file"
      }
    }
  }

  /// The file a chain of symlinks ends at (or `path` itself), so the rename
  /// replaces that file and the links keep pointing at it.
  private static func resolved(_ path: String) -> String {
    var current = path
    for _ in 0..<40 {
      var info = stat()
      guard lstat(current, &info) == 0, info.st_mode & S_IFMT == S_IFLNK else { return current }
      var buffer = [CChar](repeating: 0, count: Int(PATH_MAX) + 1)
      let n = readlink(current, &buffer, buffer.count - 1)
      guard n > 0 else { return current }
      let target = String(decoding: buffer[0..<n].map { UInt8(bitPattern: $0) }, as: UTF8.self)
      if target.hasPrefix("/") {
        current = target
      } else if let slash = current.lastIndex(of: "/") {
        current = String(current[...slash]) + target
      } else {
        current = target
      }
    }
    return current
  }

  private static func replace(_ target: String, with bytes: [UInt8], shownAs path: String) throws {
    let temporary = target + ".tmp-\(getpid())"
    let fd = open(temporary, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o644)
    guard fd >= 0 else { throw Failure(description: "cannot write \(path): \(errorText())") }
    let written = writeAll(bytes, to: fd)
    let reason = errorText()
    let closed = close(fd) == 0
    guard written, closed, rename(temporary, target) == 0 else {
      let why = written ? errorText() : reason
      unlink(temporary)
      throw Failure(description: "cannot write \(path): \(why)")
    }
  }

  private static func writeInPlace(_ path: String, _ bytes: [UInt8]) throws {
    // Non-blocking open: a FIFO nobody reads fails at once (ENXIO).
    let fd = open(path, O_WRONLY | O_NONBLOCK | O_CLOEXEC)
    guard fd >= 0 else {
      throw Failure(description: "cannot write \(path): \(errno == ENXIO ? "no process reads this FIFO" : errorText())")
    }
    defer { close(fd) }
    _ = fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) & ~O_NONBLOCK)
    guard writeAll(bytes, to: fd) else { throw Failure(description: "cannot write \(path): \(errorText())") }
  }

  private static func errorText() -> String { String(cString: strerror(errno)) }
}

/// Writers for the two standard streams, straight to the file descriptors.
public enum Stdout {
  public static func write(_ text: String) { FileIO.writeAll(Array(text.utf8), to: 1) }
}

public enum Stderr {
  public static func write(_ text: String) { FileIO.writeAll(Array(text.utf8), to: 2) }
}

extension FileIO {
  /// Writes all of `bytes`; false (with errno set) if the descriptor refuses.
  @discardableResult
  static func writeAll(_ bytes: [UInt8], to fd: Int32) -> Bool {
    bytes.withUnsafeBufferPointer { buffer in
      var done = 0
      while done < buffer.count {
        let n = Glibc.write(fd, buffer.baseAddress! + done, buffer.count - done)
        if n < 0 && errno == EINTR { continue }
        if n <= 0 { return false }
        done += n
      }
      return true
    }
  }
}
