#if canImport(Glibc)
  import Glibc
#elseif canImport(Darwin)
  import Darwin
#endif

/// Reading inputs and writing outputs without Foundation (it would add ~45 MB
/// to a static binary). Writes are atomic: a temporary file beside the target
/// is renamed over it, so a failed run never leaves half a file.
public enum FileIO {
  public struct Failure: Error, CustomStringConvertible {
    public var description: String
  }

  /// The bytes of `path`, or of standard input for "-".
  public static func read(_ path: String) throws -> [UInt8] {
    let file: UnsafeMutablePointer<FILE>? = path == "-" ? fdopen(dup(0), "rb") : fopen(path, "rb")
    guard let file else { throw Failure(description: "cannot read \(path): \(errorText())") }
    defer { fclose(file) }
    var bytes: [UInt8] = []
    var chunk = [UInt8](repeating: 0, count: 1 << 16)
    while true {
      let n = chunk.withUnsafeMutableBytes { fread($0.baseAddress, 1, $0.count, file) }
      if n > 0 { bytes.append(contentsOf: chunk[0..<n]) }
      if n < chunk.count {
        if ferror(file) != 0 { throw Failure(description: "cannot read \(path): \(errorText())") }
        break
      }
    }
    return bytes
  }

  /// Writes `text` to `path` atomically ("-" writes to standard output).
  public static func write(_ text: String, to path: String) throws {
    try write(Array(text.utf8), to: path)
  }

  /// Writes `bytes` to `path` atomically ("-" writes to standard output).
  public static func write(_ bytes: [UInt8], to path: String) throws {
    if path == "-" {
      writeAll(bytes, to: 1)
      return
    }
    let temporary = path + ".tmp-\(getpid())"
    guard let file = fopen(temporary, "wb") else {
      throw Failure(description: "cannot write \(path): \(errorText())")
    }
    let written = bytes.withUnsafeBytes { fwrite($0.baseAddress, 1, $0.count, file) }
    let closed = fclose(file)
    guard written == bytes.count, closed == 0, rename(temporary, path) == 0 else {
      let reason = errorText()
      unlink(temporary)
      throw Failure(description: "cannot write \(path): \(reason)")
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
  static func writeAll(_ bytes: [UInt8], to fd: Int32) {
    bytes.withUnsafeBufferPointer { buffer in
      var done = 0
      while done < buffer.count {
        let n = Glibc.write(fd, buffer.baseAddress! + done, buffer.count - done)
        if n <= 0 { return }
        done += n
      }
    }
  }
}
