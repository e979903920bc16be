import FoundationEssentials
import HostIO

/// One safetensors file, memory-mapped (`MappedFile`): an 8-byte
/// little-endian header length N, N bytes of JSON — `"__metadata__"` (strings)
/// and per tensor `{"dtype", "shape", "data_offsets": [begin, end]}` — then
/// the data, which the offsets count from. The header is read strictly, and
/// every tensor's bytes are checked to lie inside the file when it is opened,
/// so no read leaves the mapping; a tensor's pages are loaded only when it is
/// read. F32, F16 and BF16 tensors read as f32.
public struct SafeTensors: Sendable {
  /// A tensor the header declares.
  public struct Entry: Sendable, Equatable {
    public var dtype: String
    public var shape: [Int]
    /// Where its data lies in the file (inside it).
    public var bytes: Range<Int>
  }

  /// The dtypes ringc reads.
  public enum Element: String, Sendable {
    case f32 = "F32", f16 = "F16", bf16 = "BF16"

    public static let names = "F32, F16 and BF16"
  }

  /// The most header bytes, as the safetensors library allows.
  public static let headerLimit = 100_000_000

  /// Bytes per element of the dtypes safetensors defines in whole bytes; the
  /// size of a tensor of any other dtype is not checked, only its bounds.
  static let widths: [String: Int] = [
    "BOOL": 1, "U8": 1, "I8": 1, "F8_E5M2": 1, "F8_E4M3": 1, "I16": 2, "U16": 2, "F16": 2, "BF16": 2, "I32": 4,
    "U32": 4, "F32": 4, "F64": 8, "I64": 8, "U64": 8,
  ]

  public let path: String
  public let entries: [String: Entry]
  let file: MappedFile

  /// A file's bytes held in memory, read as the file at `path` would be.
  public init(path: String, bytes: [UInt8]) throws(CheckpointError) {
    try self.init(MappedFile(path: path, contents: bytes))
  }

  /// Reads the header of a mapped file.
  init(_ file: MappedFile) throws(CheckpointError) {
    func failure(_ message: String) -> CheckpointError { CheckpointError(file: file.path, message) }
    let size = file.bytes.count
    guard size >= 8 else { throw failure("not a safetensors file: it has \(size) bytes, fewer than the 8 of its header length") }
    let length = (0..<8).reduce(UInt64(0)) { $0 | UInt64(file.bytes[$1]) << (8 * UInt64($1)) }
    guard length <= UInt64(size - 8) else { throw failure("header length \(length) does not fit the \(size)-byte file") }
    guard length <= UInt64(Self.headerLimit) else {
      throw failure("header length \(length) is more than the \(Self.headerLimit) bytes a safetensors header may have")
    }
    let dataStart = 8 + Int(length)
    let header: Header
    do { header = try JSONDecoder().decode(Header.self, from: Data(file.bytes[8..<dataStart])) } catch {
      throw failure(CheckpointError.describe(error, "the header", expected: "a safetensors header"))
    }
    // In the order of their data, so that a truncated file names the first
    // tensor past its end.
    var entries: [String: Entry] = [:]
    for (name, declared) in header.tensors.sorted(by: { ($0.1.dataOffsets.first ?? 0, $0.0) < ($1.1.dataOffsets.first ?? 0, $1.0) }) {
      entries[name] = try Self.entry(name, declared, dataStart: dataStart, fileSize: size, failure)
    }
    self.path = file.path
    self.file = file
    self.entries = entries
  }

  /// The shape the header gives each tensor.
  public var shapes: [String: [Int]] { entries.mapValues(\.shape) }

  /// Tensor `name`, which must have `shape` and a dtype ringc reads, as f32.
  public func tensor(_ name: String, shape: [Int]) throws(CheckpointError) -> Tensor {
    guard let e = entries[name] else { throw CheckpointError(file: path, "tensor '\(name)' is missing") }
    guard e.shape == shape else { throw CheckpointError(file: path, "tensor '\(name)' has shape \(e.shape), not \(shape)") }
    guard let element = Element(rawValue: e.dtype) else {
      throw CheckpointError(file: path, "tensor '\(name)' has dtype \(e.dtype); ringc reads \(Element.names)")
    }
    return load(e, as: element)
  }

  /// The data of `entry` (one of this file's) converted to f32.
  func load(_ entry: Entry, as element: Element) -> Tensor {
    load(entry, as: element, rows: 0..<(entry.shape.first ?? 1))
  }

  /// Rows `rows` (of axis 0, inside the entry's) of `entry` converted to f32.
  func load(_ entry: Entry, as element: Element, rows: Range<Int>) -> Tensor {
    let t = Tensor(uninitialized: entry.shape.isEmpty ? [] : [rows.count] + entry.shape.dropFirst())
    guard t.count > 0, let base = file.bytes.baseAddress else { return t }
    let rowBytes = entry.shape.isEmpty ? 0 : entry.bytes.count / max(entry.shape[0], 1) * rows.lowerBound
    let data = base + entry.bytes.lowerBound + rowBytes
    let out = t.pointer
    switch element {
    case .f32:
      for i in 0..<t.count {
        out[i] = Float(bitPattern: UInt32(littleEndian: data.loadUnaligned(fromByteOffset: 4 * i, as: UInt32.self)))
      }
    case .f16:
      for i in 0..<t.count {
        out[i] = Float(Float16(bitPattern: UInt16(littleEndian: data.loadUnaligned(fromByteOffset: 2 * i, as: UInt16.self))))
      }
    case .bf16:
      for i in 0..<t.count {
        out[i] = Float(bitPattern: UInt32(UInt16(littleEndian: data.loadUnaligned(fromByteOffset: 2 * i, as: UInt16.self))) << 16)
      }
    }
    return t
  }

  /// Asks for `entry`'s pages to be read ahead of its first use.
  func willNeed(_ entry: Entry) { file.willNeed(entry.bytes) }

  /// A declaration checked against the file: a shape with a size, data that
  /// fills exactly its byte range, inside the file. Every number comes from
  /// the file, so no arithmetic on them may overflow.
  private static func entry(
    _ name: String, _ d: Header.Declaration, dataStart: Int, fileSize: Int, _ failure: (String) -> CheckpointError
  ) throws(CheckpointError) -> Entry {
    guard d.dataOffsets.count == 2 else {
      throw failure("tensor '\(name)' has data_offsets \(d.dataOffsets); they must be [begin, end]")
    }
    var count = 1
    for dim in d.shape {
      let (product, overflow) = count.multipliedReportingOverflow(by: dim)
      guard dim >= 0, !overflow else { throw failure("tensor '\(name)' has shape \(d.shape), which is no tensor's shape") }
      count = product
    }
    let (begin, end) = (d.dataOffsets[0], d.dataOffsets[1])
    if let width = widths[d.dtype] {
      let (size, overflow) = count.multipliedReportingOverflow(by: width)
      guard !overflow, begin >= 0, end >= begin, end - begin == size else {
        throw failure("tensor '\(name)' data offsets \(d.dataOffsets) do not match its shape \(d.shape) and dtype \(d.dtype)")
      }
    }
    let dataSize = fileSize - dataStart
    guard begin >= 0, end >= begin, end <= dataSize else {
      throw failure(
        "tensor '\(name)' data offsets \(d.dataOffsets) lie outside the file's \(dataSize) bytes of data (is the file truncated?)")
    }
    return Entry(dtype: d.dtype, shape: d.shape, bytes: (dataStart + begin)..<(dataStart + end))
  }

  /// The header's JSON: `"__metadata__"`, a string to string map, and a
  /// declaration per tensor.
  struct Header: Decodable {
    struct Declaration: Decodable {
      var dtype: String
      var shape: [Int]
      var dataOffsets: [Int]

      enum CodingKeys: String, CodingKey {
        case dtype, shape
        case dataOffsets = "data_offsets"
      }
    }

    struct Key: CodingKey {
      var stringValue: String
      var intValue: Int? { nil }
      init(stringValue: String) { self.stringValue = stringValue }
      init?(intValue: Int) { nil }
    }

    var tensors: [(String, Declaration)]

    init(from decoder: any Decoder) throws {
      let c = try decoder.container(keyedBy: Key.self)
      tensors = try c.allKeys.compactMap { key in
        if key.stringValue == "__metadata__" {
          _ = try c.decode([String: String].self, forKey: key)
          return nil
        }
        return (key.stringValue, try c.decode(Declaration.self, forKey: key))
      }
    }
  }
}
