import GraphIR

/// The argument of a plan's entry graph read from a `.npy` file (`ringc run
/// --input`) instead of generated: its whole-sequence shape `[S, …]`, float32
/// for a float argument, int32 or int64 for an `i32` one (token ids). Each
/// rank reads only the rows of its own tokens.
///
/// Ids execute as f32, like every `i32` value, so an id must lie in
/// 0 ..< 2²⁴, where f32 holds integers exactly.
public struct PlanInput {
  public let file: NPYFile
  /// The largest id f32 holds exactly, plus one.
  public static let idLimit: Int64 = 1 << 24

  /// Checks `file` against the entry graph of `model` (a plan's source
  /// model): one argument, the file's dtype and shape, and for ids every
  /// value (so every rank that checks reaches the same verdict).
  public init(_ file: NPYFile, model: Module) throws(NPYError) {
    self.file = file
    func fail(_ reason: String) -> NPYError { NPYError(path: file.path, kind: .malformed, reason: reason) }
    guard let main = model.graph(named: Module.entryGraphName), main.arguments.count == 1 else {
      let count = model.graph(named: Module.entryGraphName)?.arguments.count ?? 0
      throw fail("the plan's @\(Module.entryGraphName) has \(count) arguments; --input gives exactly one")
    }
    let argument = main.arguments[0]
    let what = "@\(Module.entryGraphName)'s argument %\(argument.name) (\(argument.type))"
    let header = file.header
    if argument.type.dtype.isFloat && header.dtype != .float32 {
      throw fail("it holds \(header.dtype) ('\(header.dtype.descr)'); \(what) needs float32 ('<f4')")
    }
    if !argument.type.dtype.isFloat && !header.dtype.isInteger {
      throw fail("it holds \(header.dtype) ('\(header.dtype.descr)'); \(what) holds token ids, int32 or int64")
    }
    // The ranks split the sequence dimension: it must be the rows.
    guard let sequence = model.sequenceDim, argument.type.dims.first == .named(sequence.name) else {
      throw fail("\(what) does not hold one row per token ([S, …]), so ranks cannot read their rows of it")
    }
    guard let extents = model.bindings.extents(of: argument.type) else {
      throw fail("\(what) has a dimension the plan does not bind")
    }
    let shape = extents.map { Int($0) }
    let rows = shape[0]
    guard header.shape == shape else {
      throw fail("its shape \(NPYHeader.shapeText(header.shape)) is not the \(NPYHeader.shapeText(shape)) of \(what)")
    }
    if header.dtype.isInteger {
      try checkIDs(try file.integers(rows: [0..<rows]), rows: (0..<Int64(rows)).map { $0 })
    }
  }

  /// The rows of global tokens `tokens`, in their order: the argument of a
  /// rank program holding those tokens.
  public func rows(_ tokens: TokenRanges) throws(NPYError) -> Tensor {
    let ranges = tokens.ranges.map { Int($0.lowerBound)..<Int($0.upperBound) }
    guard file.header.dtype.isInteger else { return try file.floats(rows: ranges) }
    let values = try file.integers(rows: ranges)
    try checkIDs(values, rows: tokens.positions)
    return Tensor(shape: [Int(tokens.count)] + file.header.shape.dropFirst(), values: values.map { Float($0) })
  }

  /// Every id in 0 ..< `idLimit`; `rows` are the global rows of `values`.
  private func checkIDs(_ values: [Int64], rows: [Int64]) throws(NPYError) {
    guard let bad = values.firstIndex(where: { $0 < 0 || $0 >= Self.idLimit }) else { return }
    let width = file.rowCount
    let element = PlanRunner.index(Int(rows[bad / width]) * width + bad % width, in: file.header.shape)
    let v = values[bad]
    let reason =
      v < 0 || v > Int64(Int32.max)
      ? "is not a token id (0 ..< 2^31)"
      : "is past the ids ringc holds exactly (0 ..< 2^24 = \(Self.idLimit); it computes in f32)"
    throw NPYError(path: file.path, kind: .malformed, reason: "element \(element) is \(v), which \(reason)")
  }
}
