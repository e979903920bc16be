#if canImport(Glibc)
  import Glibc
#endif
import Simulation

/// How the commands print numbers and line up their tables.

/// 1288490188 -> "1.2 GiB".
func formatBytes(_ n: Int64) -> String { ByteSize.text(n) }

/// Seconds as milliseconds with two decimals.
func milliseconds(_ s: Double) -> String { String((s * 1e5).rounded() / 100) }

/// 0.00000123 -> "1.23e-6".
func scientific(_ v: Double) -> String {
  guard v.isFinite, v != 0 else { return v == 0 ? "0" : "inf" }
  let e = Int(log10(abs(v)).rounded(.down))
  let m = v / pow(10, Double(e))
  return "\((m * 100).rounded() / 100)e\(e)"
}

/// `s` right-aligned in `width` columns.
func padLeft(_ s: String, _ width: Int) -> String { String(repeating: " ", count: max(0, width - s.count)) + s }

/// `s` left-aligned in `width` columns.
func padRight(_ s: String, _ width: Int) -> String { s + String(repeating: " ", count: max(0, width - s.count)) }
