/// Sizes as users write them: `40GiB`, `512MiB`, `80GB`, `1.5TB`, or bytes.
public enum ByteSize {
  /// 1288490188 -> "1.2 GiB": how reports print a size.
  public static func text(_ n: Int64) -> String {
    let units: [(Double, String)] = [(1_073_741_824, "GiB"), (1_048_576, "MiB"), (1024, "KiB")]
    for (scale, unit) in units where Double(n) >= scale {
      return "\((Double(n) / scale * 100).rounded() / 100) \(unit)"
    }
    return "\(n) B"
  }

  static let units: [(suffix: String, bytes: Double)] = [
    ("KiB", 1024), ("MiB", 1024 * 1024), ("GiB", 1024 * 1024 * 1024), ("TiB", 1024 * 1024 * 1024 * 1024),
    ("KB", 1e3), ("MB", 1e6), ("GB", 1e9), ("TB", 1e12), ("B", 1),
  ]

  /// Bytes, or nil unless `text` is a positive number with an optional unit.
  public static func parse(_ text: String) -> Double? {
    var number = Substring(text)
    var scale = 1.0
    if let unit = units.first(where: { text.hasSuffix($0.suffix) }) {
      number = number.dropLast(unit.suffix.count)
      scale = unit.bytes
    }
    guard let value = Double(number), value.isFinite, value > 0 else { return nil }
    return value * scale
  }
}
