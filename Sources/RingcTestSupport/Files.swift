#if canImport(Glibc)
  import Glibc
#endif

/// The repository root, found from this file's path (Sources/RingcTestSupport/Files.swift).
public let repositoryRoot: String = {
  var parts = #filePath.split(separator: "/", omittingEmptySubsequences: false)
  parts.removeLast(3)
  return parts.joined(separator: "/")
}()

public struct MissingFile: Error, CustomStringConvertible {
  public var path: String
  public var description: String { "cannot read \(path)" }
}

/// The whole text of a file.
public func readText(_ path: String) throws -> String {
  guard let f = fopen(path, "rb") else { throw MissingFile(path: path) }
  defer { fclose(f) }
  var bytes: [UInt8] = []
  var buffer = [UInt8](repeating: 0, count: 65536)
  while true {
    let n = fread(&buffer, 1, buffer.count, f)
    bytes += buffer[0..<n]
    if n < buffer.count { break }
  }
  return String(decoding: bytes, as: UTF8.self)
}

/// The names of the files in `directory` that end in `suffix`, sorted.
public func fileNames(in directory: String, endingWith suffix: String) -> [String] {
  guard let dir = opendir(directory) else { return [] }
  defer { closedir(dir) }
  var names: [String] = []
  while let entry = readdir(dir) {
    let name = withUnsafeBytes(of: entry.pointee.d_name) { String(decoding: $0.prefix(while: { $0 != 0 }), as: UTF8.self) }
    if name.hasSuffix(suffix) { names.append(name) }
  }
  return names.sorted()
}
