import GraphIR
import Passes
import Testing

#if canImport(Glibc)
  import Glibc
#endif

let repositoryRoot: String = {
  var parts = #filePath.split(separator: "/", omittingEmptySubsequences: false)
  parts.removeLast(3)
  return parts.joined(separator: "/")
}()

func readText(_ path: String) throws -> String {
  struct Missing: Error { var path: String }
  guard let f = fopen(path, "rb") else { throw Missing(path: path) }
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

func loadModel(_ name: String, seq: Int64? = nil) throws -> Module {
  var m = try Parser.parse(try readText(repositoryRoot + "/models/" + name), file: name)
  if let seq { _ = m.setSequenceLength(seq) }
  return m
}

/// Compiles with a strategy's pipeline (TokenRing by default), verifying
/// after every pass, and stamps the result as a plan.
func compile(_ name: String, sp: Int, seq: Int64? = nil, strategy: Strategy = .tokenring) throws -> Module {
  var m = try loadModel(name, seq: seq)
  try PassPipeline(parsing: strategy.pipeline).run(&m, PassContext(sp: sp), verifyEach: true)
  Plan.stamp(&m)
  return m
}

/// The plan verifier's error messages.
func planErrors(_ m: Module) -> [String] {
  PlanVerifier.verify(m).filter { $0.severity == .error }.map(\.message)
}
