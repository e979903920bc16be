#if canImport(Glibc)
  import Glibc
#endif

/// f32 to and from the 16-bit formats messages travel in. bf16 is the top
/// half of an f32, rounded to nearest, ties to even; f16 is IEEE binary16
/// through Swift's `Float16(Float)`, which rounds the same way. The buffer
/// loops have no branches, so the compiler vectorises them.
enum HalfFloat {
  @inline(__always)
  static func bf16(_ x: Float) -> UInt16 {
    let bits = x.bitPattern
    // Adding 0x7FFF plus the lowest kept bit carries into the kept half
    // exactly when the dropped half is above one half, or one half with
    // the kept half odd.
    let rounded = UInt16(truncatingIfNeeded: (bits &+ 0x7FFF &+ ((bits >> 16) & 1)) >> 16)
    // A NaN keeps its sign and top payload bits and gains the quiet bit:
    // truncated alone, a NaN whose payload sits in the low half reads ∞.
    let quietNaN = UInt16(truncatingIfNeeded: bits >> 16) | 0x0040
    return bits & 0x7FFF_FFFF > 0x7F80_0000 ? quietNaN : rounded
  }

  @inline(__always)
  static func float(bf16 bits: UInt16) -> Float { Float(bitPattern: UInt32(bits) << 16) }

  static func encodeBF16(_ source: UnsafePointer<Float>, _ target: UnsafeMutablePointer<UInt16>, count: Int) {
    for i in 0..<count { target[i] = bf16(source[i]) }
  }

  static func decodeBF16(_ source: UnsafePointer<UInt16>, _ target: UnsafeMutablePointer<Float>, count: Int) {
    for i in 0..<count { target[i] = float(bf16: source[i]) }
  }

  static func encodeF16(_ source: UnsafePointer<Float>, _ target: UnsafeMutablePointer<UInt16>, count: Int) {
    for i in 0..<count { target[i] = Float16(source[i]).bitPattern }
  }

  static func decodeF16(_ source: UnsafePointer<UInt16>, _ target: UnsafeMutablePointer<Float>, count: Int) {
    for i in 0..<count { target[i] = Float(Float16(bitPattern: source[i])) }
  }
}

/// The buffer conversions' entry points for tests.
public enum HalfFloatTesting {
  public static func encodeBF16(_ values: [Float]) -> [UInt16] { encode(values, HalfFloat.encodeBF16) }
  public static func decodeBF16(_ values: [UInt16]) -> [Float] { decode(values, HalfFloat.decodeBF16) }
  public static func encodeF16(_ values: [Float]) -> [UInt16] { encode(values, HalfFloat.encodeF16) }
  public static func decodeF16(_ values: [UInt16]) -> [Float] { decode(values, HalfFloat.decodeF16) }

  private static func encode(
    _ values: [Float], _ kernel: (UnsafePointer<Float>, UnsafeMutablePointer<UInt16>, Int) -> Void
  ) -> [UInt16] {
    var out = [UInt16](repeating: 0, count: values.count)
    values.withUnsafeBufferPointer { v in out.withUnsafeMutableBufferPointer { kernel(v.baseAddress!, $0.baseAddress!, v.count) } }
    return out
  }

  private static func decode(
    _ values: [UInt16], _ kernel: (UnsafePointer<UInt16>, UnsafeMutablePointer<Float>, Int) -> Void
  ) -> [Float] {
    var out = [Float](repeating: 0, count: values.count)
    values.withUnsafeBufferPointer { v in out.withUnsafeMutableBufferPointer { kernel(v.baseAddress!, $0.baseAddress!, v.count) } }
    return out
  }
}

/// A binary floating-point format by its fields, for the slow references:
/// bf16 has 8 exponent and 7 fraction bits, f16 5 and 10.
public struct BinaryFormat: Sendable {
  public var exponentBits: Int
  public var fractionBits: Int

  public static let bf16 = BinaryFormat(exponentBits: 8, fractionBits: 7)
  public static let f16 = BinaryFormat(exponentBits: 5, fractionBits: 10)

  var bias: Int { (1 << (exponentBits - 1)) - 1 }
}

extension Reference {
  /// The value of 16-bit pattern `bits` in `format`, from its sign, exponent
  /// and fraction fields.
  public static func value(of bits: UInt16, in format: BinaryFormat) -> Double {
    let fraction = Int(bits) & ((1 << format.fractionBits) - 1)
    let exponent = (Int(bits) >> format.fractionBits) & ((1 << format.exponentBits) - 1)
    let sign: Double = bits & 0x8000 != 0 ? -1 : 1
    let scale = pow(2.0, Double(format.fractionBits))
    if exponent == (1 << format.exponentBits) - 1 { return fraction == 0 ? sign * .infinity : .nan }
    if exponent == 0 { return sign * Double(fraction) / scale * pow(2.0, Double(1 - format.bias)) }
    return sign * (1 + Double(fraction) / scale) * pow(2.0, Double(exponent - format.bias))
  }

  /// `x` rounded to the nearest value of `format`, ties to the even
  /// fraction, beyond the largest finite value to ∞ (IEEE 754 rounding, by
  /// distance in Double, where every step is exact).
  public static func rounded(_ x: Float, to format: BinaryFormat) -> Double {
    let a = abs(Double(x))
    if x.isNaN || x.isInfinite || a == 0 { return Double(x) }
    let minExponent = 1 - format.bias
    let spacing = pow(2.0, Double(max(Int(a.exponent), minExponent) - format.fractionBits))
    let steps = a / spacing
    var n = steps.rounded(.down)
    let rest = steps - n
    if rest > 0.5 || (rest == 0.5 && n.truncatingRemainder(dividingBy: 2) == 1) { n += 1 }
    let largest = (2 - pow(2.0, Double(-format.fractionBits))) * pow(2.0, Double(format.bias))
    let magnitude = n * spacing > largest ? Double.infinity : n * spacing
    return Double(signOf: Double(x), magnitudeOf: magnitude)
  }
}
