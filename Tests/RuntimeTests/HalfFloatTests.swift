import Runtime
import Testing

/// The f32 ↔ bf16 and f32 ↔ f16 conversions messages travel through,
/// against the slow references: field-by-field decoding and rounding to
/// nearest (ties to even) by distance.
@Suite struct HalfFloatTests {
  struct Conversion: CustomTestStringConvertible, Sendable {
    var name: String
    var format: BinaryFormat
    var encode: @Sendable ([Float]) -> [UInt16]
    var decode: @Sendable ([UInt16]) -> [Float]
    var testDescription: String { name }
  }

  static let conversions = [
    Conversion(name: "bf16", format: .bf16, encode: HalfFloatTesting.encodeBF16, decode: HalfFloatTesting.decodeBF16),
    Conversion(name: "f16", format: .f16, encode: HalfFloatTesting.encodeF16, decode: HalfFloatTesting.decodeF16),
  ]

  static let allPatterns = (0...UInt16.max).map { $0 }

  /// The same value, or both NaN; a zero's sign counts.
  static func same(_ a: Double, _ b: Double) -> Bool {
    (a.isNaN && b.isNaN) || (a == b && a.sign == b.sign)
  }

  @Test(arguments: conversions)
  func everyPatternDecodesToItsValue(_ c: Conversion) {
    let decoded = c.decode(Self.allPatterns)
    let wrong = Self.allPatterns.filter { !Self.same(Double(decoded[Int($0)]), Reference.value(of: $0, in: c.format)) }
    #expect(wrong.count == 0, "first: \(wrong.first.map { String($0, radix: 16) } ?? "")")
  }

  /// Rounds as the reference does: random f32 bit patterns, every value of
  /// the format, every midpoint between neighbours (the ties) and the f32
  /// values either side of each midpoint.
  @Test(arguments: conversions)
  func roundsToNearestWithTiesToEven(_ c: Conversion) {
    var inputs: [Float] = []
    var state: UInt64 = 0x9E37_79B9_7F4A_7C15
    for _ in 0..<100_000 {
      state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
      inputs.append(Float(bitPattern: UInt32(truncatingIfNeeded: state >> 32)))
    }
    let values = Self.allPatterns.map { Reference.value(of: $0, in: c.format) }
    // Patterns 0…0x7BFF/0x7F7F are the non-negative finite values in order.
    let finite = values.prefix { $0.isFinite && $0 >= 0 }
    for (a, b) in zip(finite, finite.dropFirst()) {
      let midpoint = Float((a + b) / 2)
      inputs += [midpoint, midpoint.nextDown, midpoint.nextUp, -midpoint, Float(a), -Float(a)]
    }
    // Past the largest finite value: its midpoint with the next power of two rounds to ∞.
    let largest = finite.last!
    let overflow = Float(largest + (largest - finite[finite.count - 2]) / 2)
    inputs += [overflow, overflow.nextDown, -overflow, .infinity, -.infinity, .greatestFiniteMagnitude, 0, -0.0]
    inputs += [.leastNonzeroMagnitude, .leastNormalMagnitude, Float.leastNormalMagnitude.nextDown, -.leastNonzeroMagnitude]

    let decoded = c.decode(c.encode(inputs))
    let wrong = inputs.indices.filter { !Self.same(Double(decoded[$0]), Reference.rounded(inputs[$0], to: c.format)) }
    #expect(wrong.count == 0, "first: \(wrong.first.map { "\(inputs[$0]) gave \(decoded[$0])" } ?? "")")
    #expect(Double(decoded[inputs.firstIndex(of: overflow)!]) == .infinity)
  }

  /// A NaN stays a NaN with its sign, whatever its payload: bf16's
  /// truncation alone would turn a payload in the low half into ∞.
  @Test(arguments: conversions)
  func nanStaysNaN(_ c: Conversion) {
    let nans = [
      Float.nan, -Float.nan, Float.signalingNaN, Float(bitPattern: 0x7F80_0001), Float(bitPattern: 0xFF80_0001),
      Float(bitPattern: 0x7FFF_FFFF), Float(bitPattern: 0x7F80_8000),
    ]
    let decoded = c.decode(c.encode(nans))
    for (x, y) in zip(nans, decoded) {
      #expect(y.isNaN, "\(String(x.bitPattern, radix: 16)) gave \(y)")
      #expect(y.sign == x.sign)
    }
  }

  @Test func bf16TiesGoToTheEvenNeighbour() {
    // 1 + 2⁻⁸ lies halfway between 1 and 1 + 2⁻⁷; 1 + 3·2⁻⁸ between 1 + 2⁻⁷ and 1 + 2⁻⁶.
    let inputs: [Float] = [1 + 0x1p-8, 1 + 3 * 0x1p-8, Float(bitPattern: 0x0000_8000), Float(bitPattern: 0x0001_8000)]
    #expect(HalfFloatTesting.encodeBF16(inputs) == [0x3F80, 0x3F82, 0x0000, 0x0002])
  }

  @Test func f16TiesGoToTheEvenNeighbour() {
    // 2⁻²⁵ lies halfway between 0 and the least subnormal 2⁻²⁴; 3·2⁻²⁵ between 2⁻²⁴ and 2·2⁻²⁴;
    // 65520 halfway between the largest finite 65504 and 65536 (∞).
    let inputs: [Float] = [1 + 0x1p-11, 0x1p-25, 3 * 0x1p-25, 65519, 65520]
    #expect(HalfFloatTesting.encodeF16(inputs) == [0x3C00, 0x0000, 0x0002, 0x7BFF, 0x7C00])
  }
}
