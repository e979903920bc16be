#if canImport(Glibc)
  import Glibc
#elseif canImport(Darwin)
  import Darwin
#endif

/// Reading inputs and writing outputs without Foundation (it would add ~45 MB
/// to a static binary). Writes are atomic: a temporary file beside the target
/// is renamed over it, so a failed run never leaves half a file.
enum FileIO {
  struct Failure: Error, CustomStringConvertible {
    var description: String
  }

  /// The bytes of `path`, or of standard input for "-".
  static func read(_ path: String) throws -> [UInt8] {
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
  static func write(_ text: String, to path: String) throws {
    if path == "-" {
      Stdout.write(text)
      return
    }
    let temporary = path + ".tmp-\(getpid())"
    guard let file = fopen(temporary, "wb") else {
      throw Failure(description: "cannot write \(path): \(errorText())")
    }
    let bytes = Array(text.utf8)
    let written = bytes.withUnsafeBytes { fwrite($0.baseAddress, 1, $0.count, file) }
    let closed = fclose(file)
    guard written == bytes.count, closed == 0, rename(temporary, path) == 0 else {
      let reason = errorText()
      unlink(temporary)
      throw Failure(description: "cannot write \(path): \(reason)")
    }
  }

  /// Creates `path` (and its parents) if it does not exist.
  static func makeDirectory(_ path: String) throws {
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
enum Stdout {
  static func write(_ text: String) { FileIO.writeAll(text, to: 1) }
}

enum Stderr {
  static func write(_ text: String) { FileIO.writeAll(text, to: 2) }
}

extension FileIO {
  static func writeAll(_ text: String, to fd: Int32) {
    var text = text
    text.withUTF8 { buffer in
      var done = 0
      while done < buffer.count {
        let n = Glibc.write(fd, buffer.baseAddress! + done, buffer.count - done)
        if n <= 0 { return }
        done += n
      }
    }
  }
}
