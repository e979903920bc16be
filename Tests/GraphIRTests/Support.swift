import GraphIR
import Testing

/// The repository root, found from this file's path.
let repositoryRoot: String = {
  var parts = #filePath.split(separator: "/", omittingEmptySubsequences: false)
  parts.removeLast(3)  // Tests/GraphIRTests/Support.swift
  return parts.joined(separator: "/")
}()

/// Every bundled model: (file name, text).
func bundledModels() throws -> [(String, String)] {
  let names = ["tiny.ir", "tiny-dit.ir", "llama2-7b-attention.ir", "llama2-7b.ir", "llama3-8b.ir", "llama3-70b.ir", "dit-xl.ir"]
  return try names.map { ($0, try readText(repositoryRoot + "/models/" + $0)) }
}

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

/// Parse errors, or else the verifier's errors (warnings dropped).
func errors(in text: String, file: String = "t.ir") -> [Diagnostic] {
  do {
    let module = try Parser.parse(text, file: file)
    return Verifier.diagnose(module).filter { $0.severity == .error }
  } catch {
    return error.diagnostics
  }
}

#if canImport(Glibc)
  import Glibc
#endif

/// A small valid model the malformed-input cases edit.
let templateModel = """
  module @m {
    dim S = 8 {sequence = true}
    weight @w : f32[16,16]
    weight @g : f32[16]
    graph @main(%x: f32[S,16]) -> f32[S,16] {
      %y = matmul %x, @w : f32[S,16]
      %z = rmsnorm %y, @g {eps = 1e-05} : f32[S,16]
      return %z
    }
  }

  """
