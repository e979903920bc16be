/// Writes NumPy `.npy` files (format 1.0, little-endian, C order), so anyone
/// can check ringc's tensors with their own tools; `NPYFile` reads them.
public enum NPY {
  /// A float32 file of `t`.
  public static func encode(_ t: Tensor) -> [UInt8] {
    var bytes = header(descr: NPYHeader.DType.float32.descr, shape: t.shape)
    bytes.reserveCapacity(bytes.count + t.count * 4)
    // The host is little-endian, as the file: its floats are the data.
    bytes.append(contentsOf: UnsafeRawBufferPointer(t.buffer))
    return bytes
  }

  /// The magic, version, length and dict of a C-ordered array, padded with
  /// spaces and a newline to a multiple of 64 bytes; the data follows.
  public static func header(descr: String, shape: [Int]) -> [UInt8] {
    var dict = "{'descr': '\(descr)', 'fortran_order': False, 'shape': \(NPYHeader.shapeText(shape)), }"
    // Magic (6) + version (2) + length (2) + dict + newline.
    let unpadded = 10 + dict.utf8.count + 1
    dict += String(repeating: " ", count: (64 - unpadded % 64) % 64) + "\n"
    let length = dict.utf8.count
    return [0x93] + Array("NUMPY".utf8) + [1, 0, UInt8(length & 0xff), UInt8(length >> 8)] + Array(dict.utf8)
  }
}
