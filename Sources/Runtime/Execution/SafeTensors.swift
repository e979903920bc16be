import FoundationEssentials

/// A safetensors file: an 8-byte little-endian header length, a JSON header
/// `{name: {dtype, shape, data_offsets}}`, then the raw data. F32, F16 and
/// BF16 tensors load as f32.
public struct SafeTensors: Sendable {
  struct Entry: Decodable {
    var dtype: String?
    var shape: [Int]?
    var data_offsets: [Int]?
  }

  public let path: String
  let bytes: [UInt8]
  let entries: [String: Entry]
  let dataStart: Int

  public init(path: String, bytes: [UInt8]) throws {
    self.path = path
    self.bytes = bytes
    guard bytes.count >= 8 else { throw RuntimeError("\(path): not a safetensors file (shorter than 8 bytes)") }
    let length = (0..<8).reduce(0) { $0 | Int(bytes[$1]) << (8 * $1) }
    guard length > 0, length <= bytes.count - 8 else {
      throw RuntimeError("\(path): header length \(length) does not fit a \(bytes.count)-byte file")
    }
    do {
      entries = try JSONDecoder().decode([String: Entry].self, from: Data(bytes[8..<(8 + length)]))
    } catch {
      throw RuntimeError("\(path): the safetensors header is not valid JSON: \(error)")
    }
    dataStart = 8 + length
  }

  /// The shape the header gives each tensor that has one.
  public var shapes: [String: [Int]] { entries.compactMapValues(\.shape) }

  public func tensor(_ name: String, shape: [Int]) throws -> Tensor {
    let (start, width, dtype) = try locate(name, shape: shape)
    let count = shape.reduce(1, *)
    let t = Tensor(shape: shape)
    for i in 0..<count {
      let p = start + i * width
      switch dtype {
      case "F32":
        t[i] = Float(bitPattern: UInt32(bytes[p]) | UInt32(bytes[p + 1]) << 8 | UInt32(bytes[p + 2]) << 16 | UInt32(bytes[p + 3]) << 24)
      case "BF16":
        t[i] = Float(bitPattern: (UInt32(bytes[p]) | UInt32(bytes[p + 1]) << 8) << 16)
      default:
        t[i] = Float(Float16(bitPattern: UInt16(bytes[p]) | UInt16(bytes[p + 1]) << 8))
      }
    }
    return t
  }

  /// Checks that tensor `name` is in the file with `shape`, a dtype ringc
  /// reads and data inside the file; returns where its data starts, the
  /// bytes per element and the dtype.
  public func locate(_ name: String, shape: [Int]) throws -> (start: Int, width: Int, dtype: String) {
    guard let e = entries[name], let dtype = e.dtype, let fileShape = e.shape, let offsets = e.data_offsets,
      offsets.count == 2
    else { throw RuntimeError("\(path): tensor '\(name)' is missing") }
    guard fileShape == shape else {
      throw RuntimeError("\(path): tensor '\(name)' has shape \(fileShape), the model needs \(shape)")
    }
    let width: Int
    switch dtype {
    case "F32": width = 4
    case "F16", "BF16": width = 2
    default: throw RuntimeError("\(path): tensor '\(name)' has dtype \(dtype); ringc reads F32, F16 and BF16")
    }
    // Shapes and offsets come from the file: no arithmetic on them may overflow.
    var count = 1
    for d in shape {
      let (product, overflow) = count.multipliedReportingOverflow(by: d)
      guard d >= 0, !overflow else { throw RuntimeError("\(path): tensor '\(name)' has shape \(shape), which is no tensor's shape") }
      count = product
    }
    let (size, overflow) = count.multipliedReportingOverflow(by: width)
    guard !overflow, offsets[0] >= 0, offsets[1] >= offsets[0], offsets[1] - offsets[0] == size,
      offsets[1] <= bytes.count - dataStart
    else {
      throw RuntimeError("\(path): tensor '\(name)' data offsets \(offsets) do not match its shape \(shape) and dtype \(dtype)")
    }
    return (dataStart + offsets[0], width, dtype)
  }
}
