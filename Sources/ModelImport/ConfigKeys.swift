/// The keys of one JSON object of a config, read with their kinds checked:
/// each accessor names the key (`rope_scaling.factor`) when its value is
/// of the wrong kind or out of range, and remembers that it was read.
struct ConfigKeys {
  let file: String
  let values: [String: JSONNode]
  /// The keys of the objects around this one, such as "rope_scaling.".
  let prefix: String
  private(set) var read: Set<String> = []
  /// Keys the config omits, with the value transformers fills in.
  private(set) var defaults: [(key: String, value: String)] = []

  init(file: String, values: [String: JSONNode], prefix: String = "") {
    self.file = file
    self.values = values
    self.prefix = prefix
  }

  func name(_ key: String) -> String { prefix + key }

  func fail(_ message: String) -> ImportError { ImportError(.dataError, file: file, message) }

  /// The value of `key`, marking it read; nil when absent.
  mutating func node(_ key: String) -> JSONNode? {
    read.insert(key)
    return values[key]
  }

  func contains(_ key: String) -> Bool { values[key] != nil }

  func isNull(_ key: String) -> Bool { values[key] == .null }

  /// Keys present that were not read, sorted.
  var unread: [String] { values.keys.filter { !read.contains($0) }.sorted() }

  /// Records that `key` was omitted and `value` taken, as transformers does.
  @discardableResult
  mutating func defaulted<T>(_ key: String, _ value: T) -> T {
    defaults.append((name(key), "\(value)"))
    return value
  }

  /// An integer; nil when absent or null.
  mutating func integer(_ key: String) throws(ImportError) -> Int64? {
    switch node(key) {
    case nil, .null?: return nil
    case .int(let i)?: return i
    case let other?: throw fail("'\(name(key))' must be an integer, found \(other.quoted)")
    }
  }

  /// A positive integer; nil when absent or null.
  mutating func positive(_ key: String) throws(ImportError) -> Int64? {
    guard let i = try integer(key) else { return nil }
    guard i > 0 else { throw fail("'\(name(key))' must be a positive integer, found \(i)") }
    return i
  }

  /// A positive integer the config must give.
  mutating func required(_ key: String) throws(ImportError) -> Int64 {
    if isNull(key) { throw fail("'\(name(key))' must be a positive integer, found null") }
    guard let i = try positive(key) else { throw fail("'\(name(key))' is missing; ringc needs it to shape the model") }
    return i
  }

  /// A finite number, integer or not; nil when absent (null is an error).
  mutating func number(_ key: String) throws(ImportError) -> Double? {
    switch node(key) {
    case nil: return nil
    case .int(let i)?: return Double(i)
    case .number(let d)? where d.isFinite: return d
    case let other?: throw fail("'\(name(key))' must be a finite number, found \(other.quoted)")
    }
  }

  /// A boolean; nil when absent or null.
  mutating func bool(_ key: String) throws(ImportError) -> Bool? {
    switch node(key) {
    case nil, .null?: return nil
    case .bool(let b)?: return b
    case let other?: throw fail("'\(name(key))' must be true or false, found \(other.quoted)")
    }
  }

  /// A string; nil when absent or null.
  mutating func string(_ key: String) throws(ImportError) -> String? {
    switch node(key) {
    case nil, .null?: return nil
    case .string(let s)?: return s
    case let other?: throw fail("'\(name(key))' must be a string, found \(other.quoted)")
    }
  }

  /// A nested object's keys; nil when absent, null or empty (transformers
  /// treats an empty one as none).
  mutating func object(_ key: String) throws(ImportError) -> ConfigKeys? {
    switch node(key) {
    case nil, .null?: return nil
    case .object(let o)?: return o.isEmpty ? nil : ConfigKeys(file: file, values: o, prefix: name(key) + ".")
    case let other?: throw fail("'\(name(key))' must be an object or null, found \(other.quoted)")
    }
  }

  /// Folds a nested object's defaults into this one's.
  mutating func adopt(defaultsOf nested: ConfigKeys) {
    defaults += nested.defaults
  }
}
