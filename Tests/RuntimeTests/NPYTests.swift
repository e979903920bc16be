import Foundation
import GraphIR
import Runtime
import Testing

/// The `.npy` reader on good files of every format and hostile ones: each
/// bad header, size or value is an error naming the file, never a trap.
@Suite struct NPYTests {
  static let directory: String = {
    let dir = NSTemporaryDirectory() + "ringc-npy-" + UUID().uuidString
    try? FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
    return dir
  }()

  /// Writes `bytes` to a fresh file; returns its path.
  static func write(_ bytes: [UInt8]) -> String {
    let path = directory + "/" + UUID().uuidString + ".npy"
    #expect(FileManager.default.createFile(atPath: path, contents: Data(bytes)))
    return path
  }

  /// A file whose dict is `dict` verbatim, in format `major`.0, then `data`.
  static func file(_ dict: String, major: UInt8 = 1, data: [UInt8] = []) -> [UInt8] {
    let text = Array((dict + "\n").utf8)
    let length = major == 1 ? [UInt8(text.count & 0xff), UInt8(text.count >> 8)] : (0..<4).map { UInt8(truncatingIfNeeded: text.count >> (8 * $0)) }
    return [0x93] + Array("NUMPY".utf8) + [major, 0] + length + text + data
  }

  static func dict(descr: String = "'<f4'", order: String = "False", shape: String) -> String {
    "{'descr': \(descr), 'fortran_order': \(order), 'shape': \(shape), }"
  }

  static func floats(_ values: [Float]) -> [UInt8] {
    values.flatMap { v in (0..<4).map { UInt8(truncatingIfNeeded: v.bitPattern >> (8 * $0)) } }
  }

  static func integers(_ values: [Int64], width: Int) -> [UInt8] {
    values.flatMap { v in (0..<width).map { UInt8(truncatingIfNeeded: v >> (8 * $0)) } }
  }

  /// The error opening `bytes` gives, as printed; nil if it opens.
  static func failure(_ bytes: [UInt8]) -> String? {
    let path = write(bytes)
    do throws(NPYError) {
      _ = try NPYFile(path: path)
      return nil
    } catch {
      #expect(error.path == path && error.description.hasPrefix(path + ": "))
      return error.reason
    }
  }

  // MARK: - Good files

  @Test func anEncodedTensorReadsBackRowsByGlobalIndex() throws {
    let t = Tensor(shape: [6, 2, 3], values: (0..<36).map { Float($0) * 0.5 })
    let file = try NPYFile(path: Self.write(NPY.encode(t)))
    #expect(file.header.dtype == .float32 && file.header.shape == [6, 2, 3])
    #expect(file.header.dataOffset == 128 && file.header.count == 36)
    // Zigzag-like rows: not contiguous, not in order.
    let rows = try file.floats(rows: [4..<6, 0..<1])
    #expect(rows.shape == [3, 2, 3])
    #expect(rows.values == Array(t.values[24..<36] + t.values[0..<6]))
    #expect(try file.floats(rows: []).shape == [0, 2, 3])
  }

  @Test(arguments: [UInt8(1), 2, 3]) func everyFormatVersionReads(major: UInt8) throws {
    let file = try NPYFile(path: Self.write(Self.file(Self.dict(shape: "(2,)"), major: major, data: Self.floats([1, -2]))))
    #expect(file.header.shape == [2])
    #expect(file.header.dataOffset == (major == 1 ? 10 : 12) + Self.dict(shape: "(2,)").utf8.count + 1)
    #expect(try file.floats(rows: [0..<2]).values == [1, -2])
  }

  @Test(arguments: ["'<i4'", "'=i4'", "'|i4'", "'i4'", "\"<i4\""]) func int32InEveryLittleEndianSpelling(descr: String) throws {
    let file = try NPYFile(path: Self.write(Self.file(Self.dict(descr: descr, shape: "(3,)"), data: Self.integers([7, -1, 2_000_000_000], width: 4))))
    #expect(file.header.dtype == .int32)
    #expect(try file.integers(rows: [1..<3, 0..<1]) == [-1, 2_000_000_000, 7])
  }

  @Test func int64RowsOfATwoDimensionalArray() throws {
    let values: [Int64] = [1, 2, 3, 4, 5, 6, Int64.max, Int64.min]
    let file = try NPYFile(path: Self.write(Self.file(Self.dict(descr: "'<i8'", shape: "(4, 2)"), data: Self.integers(values, width: 8))))
    #expect(file.rowCount == 2)
    #expect(try file.integers(rows: [3..<4, 1..<2]) == [Int64.max, Int64.min, 3, 4])
  }

  @Test func emptyAndScalarShapesAreArrays() throws {
    #expect(try NPYFile(path: Self.write(Self.file(Self.dict(shape: "(0,)")))).header.count == 0)
    #expect(try NPYFile(path: Self.write(Self.file(Self.dict(shape: "(0, 64)")))).header.shape == [0, 64])
    let scalar = try NPYFile(path: Self.write(Self.file(Self.dict(shape: "()"), data: Self.floats([3]))))
    #expect(scalar.header.shape == [] && scalar.header.count == 1)
  }

  @Test func headerSpacingAndKeyOrderAreFree() throws {
    let dict = "{ \"shape\" :(2 , 1 ,),'fortran_order':False ,\t'descr':'<f4'}   "
    #expect(try NPYFile(path: Self.write(Self.file(dict, data: Self.floats([1, 2])))).header.shape == [2, 1])
  }

  // MARK: - Hostile files

  @Test func notAnNPYFile() {
    #expect(Self.failure([])?.contains("not a .npy file") == true)
    #expect(Self.failure(Array("hello, world".utf8))?.contains("not a .npy file") == true)
    #expect(Self.failure([0x93] + Array("NUMPY".utf8))?.contains("not a .npy file") == true)
    var wrongVersion = Self.file(Self.dict(shape: "(1,)"), data: Self.floats([1]))
    wrongVersion[6] = 4
    #expect(Self.failure(wrongVersion) == "format version 4.0 is not one ringc reads (1.0, 2.0 or 3.0)")
  }

  @Test func truncatedFilesNameExpectedAndActualBytes() {
    let whole = NPY.encode(Tensor(shape: [32, 64]))
    #expect(
      Self.failure(Array(whole.prefix(8000)))
        == "truncated: shape (32, 64) of <f4 needs 8320 bytes (128 of header, 8192 of data), the file has 8000")
    #expect(Self.failure(whole + [0, 0])?.contains("the file has 8322: 2 bytes too many") == true)
    // Cut at every length: each one is an error, none a trap.
    for n in stride(from: 0, to: whole.count, by: 7) { #expect(Self.failure(Array(whole.prefix(n))) != nil, "cut at \(n)") }
  }

  @Test func headerLengthsPastTheFileOrTheLimit() {
    var beyond = Self.file(Self.dict(shape: "(1,)"), data: Self.floats([1]))
    (beyond[8], beyond[9]) = (0x60, 0xea)  // 60000
    #expect(Self.failure(beyond)?.contains("header length 60000 goes past the end of the") == true)
    var huge = Self.file(Self.dict(shape: "(1,)"), major: 2)
    (huge[8], huge[9], huge[10], huge[11]) = (0xff, 0xff, 0xff, 0xff)
    #expect(Self.failure(huge) == "header length 4294967295 is more than the 65536 bytes ringc reads")
  }

  @Test(arguments: [
    ("(9223372036854775807, 2)", "has more elements than ringc can count"),
    ("(4611686018427387904,)", "needs more bytes than any file holds"),
    ("(1099511627776,)", "truncated: shape (1099511627776,) of <f4 needs 4398046511184 bytes (80 of header"),
    ("(99999999999999999999,)", "the integer 99999999999999999999 is too large"),
    ("(3, -1)", "shape (3, -1) has a negative entry -1"),
    ("(2.5,)", "has an entry that is not an integer: 2.5"),
    ("('a',)", "has an entry that is not an integer: 'a'"),
    ("(3)", "shape (3) is not a tuple"),
    ("[3]", "shape [3] is not a tuple"),
    ("None", "shape None is not a tuple"),
    ("((((((((((1,),),),),),),),),),)", "values nest too deep"),
  ])
  func badShapes(shape: String, message: String) {
    let got = Self.failure(Self.file(Self.dict(shape: shape)))
    #expect(got?.contains(message) == true, "\(shape): \(got ?? "opened")")
  }

  @Test(arguments: [
    ("'>f4'", "dtype '>f4' is big-endian"),
    ("'>i8'", "dtype '>i8' is big-endian"),
    ("'<f8'", "dtype '<f8' is not one ringc reads"),
    ("'|O'", "dtype '|O' is not one ringc reads"),
    ("'<U3'", "dtype '<U3' is not one ringc reads"),
    ("''", "dtype '' is not one ringc reads"),
    ("[('a', '<f4')]", "dtype [('a', '<f4')] is a structured or object dtype"),
    ("4", "dtype 4 is a structured or object dtype"),
  ])
  func badDtypes(descr: String, message: String) {
    let got = Self.failure(Self.file(Self.dict(descr: descr, shape: "(1,)"), data: [0, 0, 0, 0]))
    #expect(got?.contains(message) == true, "\(descr): \(got ?? "opened")")
  }

  @Test func fortranOrderIsRefused() {
    #expect(Self.failure(Self.file(Self.dict(order: "True", shape: "(1,)"), data: [0, 0, 0, 0]))?.contains("fortran_order is True") == true)
    #expect(Self.failure(Self.file(Self.dict(order: "0", shape: "(1,)"), data: [0, 0, 0, 0]))?.contains("fortran_order must be True or False, found 0") == true)
  }

  @Test(arguments: [
    ("", "expected '{'"),
    ("garbage", "expected '{'"),
    ("{'descr': '<f4', 'fortran_order': False}", "it has no 'shape'"),
    ("{'descr': '<f4', 'fortran_order': False, 'shape': (1,), 'extra': 1}", "unknown key 'extra'"),
    ("{'descr': '<f4', 'descr': '<f4', 'fortran_order': False, 'shape': (1,)}", "key 'descr' appears twice"),
    ("{'descr': '<f4, 'fortran_order': False, 'shape': (1,)}", "expected '}' at offset 27, found 'f'"),
    ("{'descr': '<f4', 'fortran_order': False, 'shape': (1,)} x", "'x' after the closing brace"),
    ("{'descr': '<f4', 'fortran_order': False, 'shape': (1,)", "expected '}'"),
    ("{'descr': '<f4' 'fortran_order': False, 'shape': (1,)}", "expected '}'"),
    ("{1: '<f4'}", "a key that is not a string"),
    ("{'descr': '<f4', 'fortran_order': False, 'shape': (1,", "a value is missing at the end"),
    ("{'descr': '<f4', 'fortran_order': False, 'shape': (1 2)}", "expected ')' at offset 63, found '2'"),
    ("{'descr': ", "a value is missing at the end"),
    ("{'descr': '<f4", "a string is not closed"),
    ("{'descr': , }", "unexpected ','"),
  ])
  func garbageDicts(dict: String, message: String) {
    let got = Self.failure(Self.file(dict, data: [0, 0, 0, 0]))
    #expect(got?.hasPrefix("the header is not a dict literal: ") == true, "\(dict): \(got ?? "opened")")
    #expect(got?.contains(message) == true, "\(dict): \(got ?? "opened")")
  }

  @Test func aNonASCIIHeaderIsRefused() {
    #expect(Self.failure(Self.file("{'descr': '<f4é'}"))?.contains("not ASCII at offset 24") == true)
  }

  @Test func missingAndNonRegularFilesAreUnreadable() {
    for path in [Self.directory + "/absent.npy", Self.directory, "/dev/null"] {
      do throws(NPYError) {
        _ = try NPYFile(path: path)
        Issue.record("\(path) opened")
      } catch {
        #expect(error.kind == .unreadable && error.path == path, "\(error)")
      }
    }
  }

  /// Every single-byte change of a good file either opens with a header
  /// the data fits, or is an error: the reader never traps.
  @Test func everyByteFlipOfAGoodFileIsHandled() throws {
    let good = Self.file(Self.dict(descr: "'<i8'", shape: "(3, 2)"), data: Self.integers([1, 2, 3, 4, 5, 6], width: 8))
    for i in good.indices {
      for value: UInt8 in [0, 0x20, 0x27, 0x28, 0x29, 0x2c, 0x2d, 0x31, 0x39, 0x7b, 0x7d, 0xff] {
        var bytes = good
        bytes[i] = value
        let path = Self.write(bytes)
        do throws(NPYError) {
          let file = try NPYFile(path: path)
          let rows = file.header.shape.first ?? 1
          if file.header.dtype.isInteger {
            _ = try file.integers(rows: [0..<rows])
          } else {
            _ = try file.floats(rows: [0..<rows])
          }
        } catch {
          #expect(error.path == path)
        }
      }
    }
  }

  @Test func rowsOutsideTheArrayAreAnError() throws {
    let file = try NPYFile(path: Self.write(NPY.encode(Tensor(shape: [4, 2]))))
    #expect(throws: NPYError.self) { try file.floats(rows: [2..<5]) }
  }

  // MARK: - Plan inputs

  static func model(_ argument: String) throws -> Module {
    try Parser.parse(
      """
      module @m {
        dim S = 4 {sequence = true}
        graph @main(%x: \(argument)) -> \(argument) {
          return %x
        }
      }
      """)
  }

  static func input(_ bytes: [UInt8], _ argument: String) throws -> PlanInput {
    try PlanInput(try NPYFile(path: Self.write(bytes)), model: try Self.model(argument))
  }

  static func inputFailure(_ bytes: [UInt8], _ argument: String) throws -> String? {
    let (file, model) = (try NPYFile(path: Self.write(bytes)), try Self.model(argument))
    do throws(NPYError) {
      _ = try PlanInput(file, model: model)
      return nil
    } catch {
      #expect(error.kind == .malformed)
      return error.reason
    }
  }

  @Test func tokenIDsReadAsTheRowsOfEachRank() throws {
    for width in [4, 8] {
      let ids = Self.file(Self.dict(descr: width == 4 ? "'<i4'" : "'<i8'", shape: "(4,)"), data: Self.integers([10, 11, 12, 13], width: width))
      let input = try Self.input(ids, "i32[S]")
      // A zigzag rank's tokens: 0 and 3.
      let rows = try input.rows(TokenRanges([0..<1, 3..<4]))
      #expect(rows.shape == [2] && rows.values == [10, 13])
    }
  }

  @Test func badTokenIDsNameTheFirstBadElement() throws {
    func ids(_ v: [Int64]) -> [UInt8] { Self.file(Self.dict(descr: "'<i8'", shape: "(4,)"), data: Self.integers(v, width: 8)) }
    #expect(try Self.inputFailure(ids([0, 1, -1, Int64(1) << 40]), "i32[S]") == "element [2] is -1, which is not a token id (0 ..< 2^31)")
    #expect(try Self.inputFailure(ids([0, 1, 2, Int64(1) << 40]), "i32[S]") == "element [3] is 1099511627776, which is not a token id (0 ..< 2^31)")
    #expect(try Self.inputFailure(ids([0, 1 << 24, 2, 3]), "i32[S]")?.hasPrefix("element [1] is 16777216, which is past the ids ringc holds exactly") == true)
  }

  @Test func dtypeAndShapeMustMatchTheArgument() throws {
    let floats = NPY.encode(Tensor(shape: [4, 8]))
    #expect(try Self.input(floats, "f32[S,8]").rows(TokenRanges([1..<3])).shape == [2, 8])
    #expect(try Self.input(floats, "bf16[S,8]").rows(TokenRanges([0..<4])).shape == [4, 8])
    #expect(try Self.inputFailure(floats, "i32[S]") == "it holds float32 ('<f4'); @main's argument %x (i32[S]) holds token ids, int32 or int64")
    #expect(try Self.inputFailure(floats, "f32[S,4]") == "its shape (4, 8) is not the (4, 4) of @main's argument %x (f32[S,4])")
    #expect(try Self.inputFailure(floats, "f32[S,8,1]")?.hasPrefix("its shape (4, 8) is not the (4, 8, 1)") == true)
    #expect(try Self.inputFailure(NPY.encode(Tensor(shape: [5, 8])), "f32[S,8]")?.hasPrefix("its shape (5, 8) is not the (4, 8)") == true)
    let ids = Self.file(Self.dict(descr: "'<i4'", shape: "(4,)"), data: Self.integers([0, 1, 2, 3], width: 4))
    #expect(try Self.inputFailure(ids, "f32[S]") == "it holds int32 ('<i4'); @main's argument %x (f32[S]) needs float32 ('<f4')")
    // An argument without token rows cannot be split by rank.
    #expect(try Self.inputFailure(ids, "i32[4]")?.hasSuffix("does not hold one row per token ([S, …]), so ranks cannot read their rows of it") == true)
    let scalar = Self.file(Self.dict(descr: "'<i4'", shape: "()"), data: Self.integers([7], width: 4))
    #expect(try Self.inputFailure(scalar, "i32[]")?.contains("does not hold one row per token") == true)
  }
}
