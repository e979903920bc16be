import GraphIR
import RingcTestSupport
import Testing

/// Every bundled model: (file name, text).
func bundledModels() throws -> [(String, String)] {
  let names = ["tiny.ir", "tiny-dit.ir", "llama2-7b-attention.ir", "llama2-7b.ir", "llama3-8b.ir", "llama3-70b.ir", "dit-xl.ir"]
  return try names.map { ($0, try readText(repositoryRoot + "/models/" + $0)) }
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


/// A small valid model the renderer test edits.
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
