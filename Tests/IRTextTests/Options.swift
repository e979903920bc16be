import RingcTestSupport

/// A command's `--name value` arguments; `done()` rejects any not asked for.
struct Options {
  private var values: [String: String] = [:]
  private var asked: Set<String> = []

  init(_ command: RunCommand) throws {
    var words = command.arguments[...]
    while let word = words.popFirst() {
      guard word.hasPrefix("--"), let value = words.popFirst() else {
        throw CommandError("\(command.name): expected '--name value', found '\(word)'")
      }
      values[String(word.dropFirst(2))] = value
    }
  }

  mutating func value(_ name: String) -> String? {
    asked.insert(name)
    return values[name]
  }

  mutating func int(_ name: String) throws -> Int? {
    guard let text = value(name) else { return nil }
    guard let n = Int(text) else { throw CommandError("--\(name) must be a number, found '\(text)'") }
    return n
  }

  func done() throws {
    if let extra = values.keys.sorted().first(where: { !asked.contains($0) }) {
      throw CommandError("unexpected option --\(extra)")
    }
  }
}

/// A RUN line the commands cannot run.
struct CommandError: Error, CustomStringConvertible {
  var description: String
  init(_ description: String) { self.description = description }
}
