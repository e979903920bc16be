#if canImport(Glibc)
  import Glibc
#endif

/// Finds profiles by name or path: a path that exists, else `NAME.xml` in
/// `$RINGC_PROFILES`, `./profiles`, or a `profiles` folder above the ringc
/// executable (the repository, when ringc runs from `.build`). The schema,
/// `device-profile.xsd`, is taken from the same places.
public enum ProfileLocator {
  public static var directories: [String] {
    var dirs: [String] = []
    if let env = getenv("RINGC_PROFILES") { dirs.append(String(cString: env)) }
    dirs.append("profiles")
    var buffer = [CChar](repeating: 0, count: 4096)
    let n = readlink("/proc/self/exe", &buffer, buffer.count - 1)
    if n > 0 {
      var path = String(decoding: buffer[0..<n].map { UInt8(bitPattern: $0) }, as: UTF8.self)
      for _ in 0..<6 {
        guard let slash = path.lastIndex(of: "/") else { break }
        path = String(path[..<slash])
        dirs.append(path + "/profiles")
      }
    }
    return dirs
  }

  static func exists(_ path: String) -> Bool { access(path, R_OK) == 0 }

  /// The schema's path, or nil if none is found.
  public static var schema: String? {
    directories.map { $0 + "/device-profile.xsd" }.first(where: exists)
  }

  /// The profile file for a name or path (a path as it is: the loader says
  /// why it cannot be read).
  public static func path(for nameOrPath: String) -> String? {
    if nameOrPath.contains("/") || nameOrPath.hasSuffix(".xml") { return nameOrPath }
    return directories.map { "\($0)/\(nameOrPath).xml" }.first(where: exists)
  }

  /// Every bundled profile name in the first profiles folder found.
  public static func available() -> (directory: String, names: [String])? {
    for dir in directories where exists(dir + "/device-profile.xsd") {
      guard let d = opendir(dir) else { continue }
      defer { closedir(d) }
      var names: [String] = []
      while let entry = readdir(d) {
        let name = withUnsafeBytes(of: entry.pointee.d_name) { raw in
          String(decoding: raw.prefix(while: { $0 != 0 }), as: UTF8.self)
        }
        if name.hasSuffix(".xml") { names.append(String(name.dropLast(4))) }
      }
      return (dir, names.sorted())
    }
    return nil
  }

  /// Loads a profile by name or path, with the schema found beside it.
  public static func load(_ nameOrPath: String) throws(ProfileLoader.Failure) -> DeviceProfile {
    guard let path = path(for: nameOrPath) else {
      let known = available()?.names.joined(separator: ", ") ?? "none found"
      throw ProfileLoader.Failure("no profile '\(nameOrPath)' (known: \(known))")
    }
    let dir = path.lastIndex(of: "/").map { String(path[..<$0]) } ?? "."
    guard let schema = exists(dir + "/device-profile.xsd") ? dir + "/device-profile.xsd" : schema else {
      throw ProfileLoader.Failure("no device-profile.xsd found to validate \(path)", kind: .unreadable)
    }
    return try ProfileLoader.load(path: path, schema: schema)
  }
}
