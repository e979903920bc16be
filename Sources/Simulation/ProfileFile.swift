#if canImport(Glibc)
  import Glibc
#endif

/// Reads a profile or its schema with a bound: the path is looked at with
/// `stat` first, so a FIFO, a device such as `/dev/zero` or a directory is
/// refused before anything opens it (opening a FIFO blocks until a writer
/// comes), and a file over `limit` bytes is refused instead of read.
enum ProfileFile {
  /// Profiles are a few KiB; this leaves room for huge PCIe trees.
  static let limit = 4 << 20

  /// Refuses what is no regular file of at most `limit` bytes.
  static func check(_ path: String) throws(ProfileLoader.Failure) {
    var info = stat()
    guard stat(path, &info) == 0 else {
      throw ProfileLoader.Failure("cannot read \(path): \(String(cString: strerror(errno)))", kind: .unreadable)
    }
    guard info.st_mode & S_IFMT == S_IFREG else {
      throw ProfileLoader.Failure("\(path) is \(kind(info.st_mode)), not a regular file", kind: .unreadable)
    }
    guard info.st_size <= limit else {
      throw ProfileLoader.Failure("\(path) is \(info.st_size) bytes, more than the \(limit) a profile may have")
    }
  }

  /// The bytes of a regular file of at most `limit` bytes.
  static func read(_ path: String) throws(ProfileLoader.Failure) -> [UInt8] {
    try check(path)
    guard let file = fopen(path, "rb") else {
      throw ProfileLoader.Failure("cannot read \(path): \(String(cString: strerror(errno)))", kind: .unreadable)
    }
    defer { fclose(file) }
    // One byte more than the limit tells a file that grew since `stat`.
    var bytes = [UInt8](repeating: 0, count: limit + 1)
    let n = bytes.withUnsafeMutableBytes { fread($0.baseAddress, 1, $0.count, file) }
    if ferror(file) != 0 {
      throw ProfileLoader.Failure("cannot read \(path): \(String(cString: strerror(errno)))", kind: .unreadable)
    }
    if n > limit { throw ProfileLoader.Failure("\(path) is more than the \(limit) bytes a profile may have") }
    return Array(bytes[0..<n])
  }

  private static func kind(_ mode: mode_t) -> String {
    switch mode & S_IFMT {
    case S_IFDIR: "a directory"
    case S_IFIFO: "a FIFO"
    case S_IFCHR: "a character device"
    case S_IFBLK: "a block device"
    case S_IFSOCK: "a socket"
    default: "no plain file"
    }
  }
}
