#if canImport(Glibc)
  import Glibc
#elseif canImport(Darwin)
  import Darwin
#endif

extension FileIO {
  /// Checks, without writing anything, that `write(_:to:)` can write `path`
  /// as far as file kinds and permissions tell: a regular file (or a new
  /// one) in a writable directory, or a writable character device or FIFO.
  /// Lets a long run refuse an output it could not save before it starts.
  public static func checkWritable(_ path: String) throws(Failure) {
    var info = stat()
    guard stat(path, &info) == 0 else {
      guard errno == ENOENT else { throw Failure(description: "cannot write \(path): \(reason())") }
      return try checkDirectory(parent(of: path), for: path)
    }
    switch Kind(info.st_mode) {
    case .regular:
      // Replaced by a rename beside the file it names, through any links.
      guard let real = realpath(path, nil) else { throw Failure(description: "cannot write \(path): \(reason())") }
      defer { free(real) }
      try checkDirectory(parent(of: String(cString: real)), for: path)
    case .characterDevice, .fifo:
      guard access(path, W_OK) == 0 else { throw Failure(description: "cannot write \(path): \(reason())") }
    case let kind: throw Failure(description: "cannot write \(path): it is \(kind.article), not a regular file")
    }
  }

  private static func checkDirectory(_ directory: String, for path: String) throws(Failure) {
    var info = stat()
    guard stat(directory, &info) == 0 else { throw Failure(description: "cannot write \(path): \(reason())") }
    guard Kind(info.st_mode) == .directory else {
      throw Failure(description: "cannot write \(path): \(directory) is not a directory")
    }
    guard access(directory, W_OK | X_OK) == 0 else { throw Failure(description: "cannot write \(path): \(reason())") }
  }

  /// The directory a path's last component lies in.
  private static func parent(of path: String) -> String {
    guard let slash = path.lastIndex(of: "/") else { return "." }
    return slash == path.startIndex ? "/" : String(path[..<slash])
  }

  private static func reason() -> String { String(cString: strerror(errno)) }
}
