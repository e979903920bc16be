import Foundation
import RingcTestSupport
import Testing

/// `ringc run --input`, `--output`, `--output-rows` and the progress line,
/// under mpirun (in `RunCommandTests`, so serialized with its other jobs).
extension RunCommandTests {
  /// A `.npy` file (format 1.0) of `data` with the given dtype and shape.
  static func npy(_ descr: String, shape: [Int], _ data: Data) -> Data {
    let dims = shape.map(String.init).joined(separator: ", ") + (shape.count == 1 ? "," : "")
    var dict = "{'descr': '\(descr)', 'fortran_order': False, 'shape': (\(dims)), }"
    dict += String(repeating: " ", count: (64 - (10 + dict.utf8.count + 1) % 64) % 64) + "\n"
    let length = dict.utf8.count
    var file = Data([0x93] + Array("NUMPY".utf8) + [1, 0, UInt8(length & 0xff), UInt8(length >> 8)])
    file.append(Data(dict.utf8))
    file.append(data)
    return file
  }

  static func bytes<T: FixedWidthInteger>(_ values: [T]) -> Data {
    var data = Data()
    for v in values { withUnsafeBytes(of: v.littleEndian) { data.append(contentsOf: $0) } }
    return data
  }

  static func floats(_ values: [Float]) -> Data { bytes(values.map(\.bitPattern)) }

  /// A float32 input `[rows, width]` whose elements are distinct and in [−1, 1].
  static func writeInput(rows: Int, width: Int, to path: String) throws {
    let values = (0..<(rows * width)).map { Float(sin(Double($0) * 0.37)) }
    try npy("<f4", shape: [rows, width], floats(values)).write(to: URL(fileURLWithPath: path))
  }

  /// The shape (as the header spells it) and values of a float32 `.npy` file ringc wrote.
  static func readOutput(_ path: String) throws -> (shape: String, values: [Float]) {
    let file = try Data(contentsOf: URL(fileURLWithPath: path))
    let length = Int(file[8]) | Int(file[9]) << 8
    let dict = String(decoding: file[10..<(10 + length)], as: UTF8.self)
    #expect(dict.hasPrefix("{'descr': '<f4', 'fortran_order': False, 'shape': ("), "\(dict)")
    let shape = String(dict[dict.range(of: "'shape': ")!.upperBound...].prefix { $0 != ")" }) + ")"
    let data = file[(10 + length)...]
    let values = stride(from: data.startIndex, to: data.endIndex, by: 4).map { i -> Float in
      let bits = (0..<4).reduce(UInt32(0)) { $0 | UInt32(data[i + $1]) << (8 * UInt32($1)) }
      return Float(bitPattern: bits)
    }
    return (shape, values)
  }

  static func json(_ r: RingcRun) throws -> [String: Any] {
    try #require(JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as? [String: Any], "\(r.stdout)")
  }

  /// The input goes in, the output comes out: --check (the dense reference
  /// run in-process on rank 0 on the same file) passes, and another
  /// partition of the same input gives the same output.
  @Test func aFloatInputRunsAndItsOutputIsWritten() throws {
    let dir = try temporaryDirectory()
    try Self.writeInput(rows: 32, width: 64, to: "\(dir)/x.npy")
    let plan = try Self.compile("tiny.ir", sp: 2, seq: 32, in: dir)
    let r = try mpirun(2, ["run", plan, "--input", "\(dir)/x.npy", "--output", "\(dir)/y.npy", "--check", "--json"])
    #expect(r.status == 0, "\(r.stderr)")
    let json = try Self.json(r)
    #expect(json["passed"] as? Bool == true)
    let file = try #require(json["output_file"] as? [String: Any])
    #expect(file["path"] as? String == "\(dir)/y.npy" && file["rows"] as? [Int] == [0, 32] && file["shape"] as? [Int] == [32, 64])
    let y = try Self.readOutput("\(dir)/y.npy")
    #expect(y.shape == "(32, 64)" && y.values.count == 32 * 64)
    #expect(y.values.allSatisfy { $0.isFinite })
    // Not the generated input's output.
    let generated = try mpirun(2, ["run", plan, "--output", "\(dir)/g.npy"])
    #expect(generated.status == 0, "\(generated.stderr)")
    #expect(try Self.readOutput("\(dir)/g.npy").values != y.values)
    // Three ranks split the tokens differently; the output is the same.
    let plan3 = try Self.compile("tiny.ir", sp: 3, seq: 32, in: dir)
    let r3 = try mpirun(3, ["run", plan3, "--input", "\(dir)/x.npy", "--output", "\(dir)/y3.npy"])
    #expect(r3.status == 0, "\(r3.stderr)")
    let y3 = try Self.readOutput("\(dir)/y3.npy").values
    let scale = y.values.map { abs($0) }.max() ?? 1
    #expect(zip(y.values, y3).map { abs($0 - $1) }.max() ?? 1 <= 1e-5 * scale)
  }

  /// Without --seq the plan runs at the file's length.
  @Test func theInputsLengthSetsTheSequence() throws {
    let dir = try temporaryDirectory()
    try Self.writeInput(rows: 41, width: 64, to: "\(dir)/x.npy")
    let plan = try Self.compile("tiny.ir", sp: 3, seq: 32, in: dir)
    let r = try mpirun(3, ["run", plan, "--input", "\(dir)/x.npy", "--output", "\(dir)/y.npy", "--check", "--json"])
    #expect(r.status == 0, "\(r.stderr)")
    #expect(try Self.json(r)["passed"] as? Bool == true)
    #expect(try Self.readOutput("\(dir)/y.npy").shape == "(41, 64)")
  }

  /// Each rank sends only its rows in the range; the file holds exactly
  /// those rows of the whole output, with and without --check.
  @Test func outputRowsAreThoseRowsOfTheWholeOutput() throws {
    let dir = try temporaryDirectory()
    try Self.writeInput(rows: 32, width: 64, to: "\(dir)/x.npy")
    let plan = dir + "/zigzag.plan"
    let compiled = try ringc(["compile", "models/tiny.ir", "--sp", "2", "--strategy", "ring-zigzag", "-o", plan])
    #expect(compiled.status == 0, "\(compiled.stderr)")
    let whole = try mpirun(2, ["run", plan, "--input", "\(dir)/x.npy", "--output", "\(dir)/all.npy"])
    #expect(whole.status == 0, "\(whole.stderr)")
    let all = try Self.readOutput("\(dir)/all.npy").values
    for (flag, rows, check) in [("5:20", 5..<20, false), (":7", 0..<7, true), ("30:", 30..<32, false), ("31:32", 31..<32, false)] {
      var arguments = ["run", plan, "--input", "\(dir)/x.npy", "--output", "\(dir)/part.npy", "--output-rows", flag]
      if check { arguments.append("--check") }
      let r = try mpirun(2, arguments)
      #expect(r.status == 0, "\(flag): \(r.stderr)")
      #expect(r.stdout.contains("output: \(dir)/part.npy, float32 (\(rows.count), 64), rows \(rows.lowerBound)..<\(rows.upperBound)\n"), "\(r.stdout)")
      let part = try Self.readOutput("\(dir)/part.npy")
      #expect(part.shape == "(\(rows.count), 64)")
      #expect(part.values == Array(all[(rows.lowerBound * 64)..<(rows.upperBound * 64)]), "\(flag)")
    }
  }

  /// A model whose argument is token ids: `ids + position` shows that every
  /// rank got exactly its (zigzag) tokens' ids.
  @Test func tokenIDsFeedAnI32Argument() throws {
    let dir = try temporaryDirectory()
    let model = """
      module @ids {
        dim S = 16 {sequence = true}
        graph @main(%ids: i32[S]) -> i32[S] {
          %p = positions : i32[S]
          %y = add %ids, %p : i32[S]
          return %y
        }
      }
      """
    try model.write(toFile: "\(dir)/ids.ir", atomically: true, encoding: .utf8)
    let plan = "\(dir)/ids.plan"
    let compiled = try ringc(["compile", "\(dir)/ids.ir", "--sp", "2", "--strategy", "ring-zigzag", "-o", plan])
    #expect(compiled.status == 0, "\(compiled.stderr)")
    let ids = (0..<20).map { Int64($0 * 7 % 13 + 1000) }
    for (descr, data) in [("<i8", Self.bytes(ids)), ("<i4", Self.bytes(ids.map { Int32($0) }))] {
      try Self.npy(descr, shape: [20], data).write(to: URL(fileURLWithPath: "\(dir)/ids.npy"))
      let r = try mpirun(2, ["run", plan, "--input", "\(dir)/ids.npy", "--output", "\(dir)/y.npy", "--check", "--json"])
      #expect(r.status == 0, "\(descr): \(r.stderr)")
      #expect(try Self.json(r)["passed"] as? Bool == true)
      let y = try Self.readOutput("\(dir)/y.npy")
      #expect(y.shape == "(20,)")
      #expect(y.values == ids.enumerated().map { Float($0.element + Int64($0.offset)) }, "\(descr)")
    }
    try Self.npy("<i8", shape: [20], Self.bytes(ids.enumerated().map { $0.offset == 13 ? -5 : $0.element }))
      .write(to: URL(fileURLWithPath: "\(dir)/bad.npy"))
    let bad = try mpirun(2, ["run", plan, "--input", "\(dir)/bad.npy"])
    #expect(bad.status == 65, "\(bad.stderr)")
    let line = "error: --input: \(dir)/bad.npy: element [13] is -5, which is not a token id (0 ..< 2^31)\n"
    #expect(bad.stderr.components(separatedBy: line).count == 2, "\(bad.stderr)")
  }

  /// Each bad file is one line from rank 0, before the ranks communicate,
  /// with the file's name and the sysexits code.
  @Test func badInputsAreOneErrorNamingTheFile() throws {
    let dir = try temporaryDirectory()
    let plan = try Self.compile("tiny.ir", sp: 2, seq: 32, in: dir)
    let values = Self.floats((0..<(32 * 64)).map { Float($0) })
    let cases: [(String, Data, [String], Int32, String)] = [
      ("f8", Self.npy("<f8", shape: [32, 64], values + values), [], 65,
       "dtype '<f8' is not one ringc reads: int32 ('<i4'), int64 ('<i8') or float32 ('<f4')"),
      ("ints", Self.npy("<i4", shape: [32, 64], values), [], 65,
       "it holds int32 ('<i4'); @main's argument %x (f32[S,64]) needs float32 ('<f4')"),
      ("width", Self.npy("<f4", shape: [32, 32], values.prefix(32 * 32 * 4)), [], 65,
       "its shape (32, 32) is not the (32, 64) of @main's argument %x (f32[S,64])"),
      ("rank", Self.npy("<f4", shape: [32], values.prefix(32 * 4)), [], 65,
       "its shape (32,) is not the (32, 64) of @main's argument %x (f32[S,64])"),
      ("length", Self.npy("<f4", shape: [32, 64], values), ["--seq", "30"], 65,
       "its shape (32, 64) is not the (30, 64) of @main's argument %x (f32[S,64])"),
      ("truncated", Self.npy("<f4", shape: [32, 64], values.prefix(1000)), [], 65,
       "truncated: shape (32, 64) of <f4 needs 8320 bytes (128 of header, 8192 of data), the file has 1128"),
      ("garbage", Data("not numpy at all".utf8), [], 65, "not a .npy file"),
    ]
    for (name, data, flags, status, message) in cases {
      let path = "\(dir)/\(name).npy"
      try data.write(to: URL(fileURLWithPath: path))
      let r = try mpirun(2, ["run", plan, "--input", path] + flags)
      #expect(r.status == status, "\(name): \(r.stderr)")
      #expect(r.stderr.components(separatedBy: "error: --input: \(path): \(message)").count == 2, "\(name): \(r.stderr)")
      #expect(r.stdout.isEmpty, "\(name): \(r.stdout)")
    }
    let absent = try mpirun(2, ["run", plan, "--input", "\(dir)/absent.npy"])
    #expect(absent.status == 66, "\(absent.stderr)")
    #expect(absent.stderr.components(separatedBy: "error: --input: \(dir)/absent.npy: No such file or directory\n").count == 2)
  }

  @Test func badOutputFlagsAreRefusedBeforeTheRun() throws {
    let dir = try temporaryDirectory()
    let plan = try Self.compile("tiny.ir", sp: 2, seq: 32, in: dir)
    // Parsed before MPI starts (mpirun itself takes a lone ':' as the end of a program's arguments).
    for (value, message) in [
      ("abc", "give the rows as A:B, A: or :B"), ("1:x", "'x' is not a row number"), (":", "give the rows as A:B, A: or :B"),
      ("-1:4", "'-1' is not a row number"), ("4:4", "the first row 4 is not before the end 4"),
    ] {
      let r = try ringc(["run", plan, "--output", "\(dir)/o.npy", "--output-rows", value])
      #expect(r.status == 64, "\(value): \(r.stderr)")
      #expect(r.stderr.contains("The value '\(value)' is invalid for '--output-rows <output-rows>': \(message)"), "\(r.stderr)")
    }
    let reversed = try mpirun(2, ["run", plan, "--output", "\(dir)/o.npy", "--output-rows", "3:2"])
    #expect(reversed.status == 64, "\(reversed.stderr)")
    let line = "The value '3:2' is invalid for '--output-rows <output-rows>': the first row 3 is not before the end 2\n"
    #expect(reversed.stderr.components(separatedBy: line).count == 2, "\(reversed.stderr)")
    let past = try mpirun(2, ["run", plan, "--output", "\(dir)/o.npy", "--output-rows", "10:33"])
    #expect(past.status == 64, "\(past.stderr)")
    #expect(past.stderr.components(separatedBy: "error: --output-rows 10:33 is not inside the output's 32 rows (0 ≤ A < B ≤ 32)\n").count == 2, "\(past.stderr)")
    // An output larger than rank 0 can gather is refused before anything runs.
    let wide = try Self.compileWide(columns: 1 << 30, in: dir)
    let tooLarge = try mpirun(2, ["run", wide, "--output", "\(dir)/o.npy"])
    #expect(tooLarge.status == 64, "\(tooLarge.stderr)")
    #expect(tooLarge.stderr.contains("error: --output: 32 rows of f32[S,1073741824] are more than a quarter of this host's memory ("), "\(tooLarge.stderr)")
    #expect(tooLarge.stderr.contains("), which rank 0 gathers them in; write fewer with --output-rows\n"), "\(tooLarge.stderr)")
    let alone = try mpirun(2, ["run", plan, "--output-rows", "1:2"])
    #expect(alone.status == 64 && alone.stderr.contains("--output-rows needs --output"), "\(alone.stderr)")
    let unwritable = try mpirun(2, ["run", plan, "--output", "\(dir)/missing/o.npy"])
    #expect(unwritable.status == 73, "\(unwritable.stderr)")
    #expect(unwritable.stderr.components(separatedBy: "error: --output: cannot write \(dir)/missing/o.npy: No such file or directory\n").count == 2, "\(unwritable.stderr)")
    let directory = try mpirun(2, ["run", plan, "--output", dir])
    #expect(directory.status == 73, "\(directory.stderr)")
    #expect(directory.stderr.contains("cannot write \(dir): it is a directory, not a regular file"), "\(directory.stderr)")
    let overPlan = try mpirun(2, ["run", plan, "--output", plan])
    #expect(overPlan.status == 64, "\(overPlan.stderr)")
    #expect(overPlan.stderr.contains("error: --output \(plan) is the plan \(plan); write the output elsewhere"), "\(overPlan.stderr)")
    // Nothing was left behind.
    #expect(try FileManager.default.contentsOfDirectory(atPath: dir).filter { $0.hasSuffix(".npy") || $0.contains(".tmp") } == [])
  }

  /// Under mpirun standard error is a pipe: the line shows with --progress,
  /// on standard error only, and --quiet or no flag keeps it away.
  @Test func theProgressLineGoesToStandardErrorOnlyWhenAsked() throws {
    let dir = try temporaryDirectory()
    let plan = try Self.compile("tiny.ir", sp: 2, seq: 32, in: dir)
    let shown = try mpirun(2, ["run", plan, "--progress", "--check", "--json"])
    #expect(shown.status == 0, "\(shown.stderr)")
    #expect(shown.stderr.contains("\rlayer 2 of 2, elapsed "), "\(shown.stderr)")
    #expect(shown.stderr.contains("\rcheck: layer 2 of 2, elapsed "), "\(shown.stderr)")
    #expect(shown.stderr.contains(" s left"), "\(shown.stderr)")
    // The line is blanked at the end: the last thing on standard error is a carriage return.
    #expect(shown.stderr.hasSuffix("\r"), "\(shown.stderr.debugDescription)")
    #expect(try Self.json(shown)["passed"] as? Bool == true)
    for flags in [["--quiet"], []] {
      let r = try mpirun(2, ["run", plan, "--json"] + flags)
      #expect(r.status == 0, "\(r.stderr)")
      #expect(!r.stderr.contains("layer"), "\(flags): \(r.stderr)")
    }
    let both = try mpirun(2, ["run", plan, "--progress", "--quiet"])
    #expect(both.status == 64 && both.stderr.contains("--progress and --quiet exclude each other"), "\(both.stderr)")
  }
}
