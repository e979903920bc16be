import CBLAS
import GraphIR
import HostIO
import PlanIR
import Timeline

/// Runs a plan on this MPI rank: generates the rank's inputs (or reads its
/// rows of an input file) and weights, executes its program, and on request
/// checks the result against a dense single-process run of the plan's source
/// model on rank 0, writes the output, tensors and a trace. Rank 0 returns
/// the report; other ranks return nil.
public struct PlanRunner {
  public struct Options {
    public var seed: UInt64 = 0
    public var check = false
    public var tracePath: String?
    public var dumpDirectory: String?
    public var weights: Checkpoint?
    public var failRank: Int?
    /// The entry graph's argument, from a file instead of the generator.
    public var input: PlanInput?
    /// Where rank 0 writes the output (the entry graph's first result) as
    /// float32 `.npy` in global token order, and which of its rows (all
    /// when nil); ranks send rank 0 only those rows.
    public var outputPath: String?
    public var outputRows: Range<Int>?
    /// A progress line on rank 0's standard error, one update per layer.
    public var progress = false
    public init() {}
  }

  /// An output file written: its path, the rows of the output it holds and
  /// its shape.
  public struct WrittenOutput: Sendable {
    public var path: String
    public var rows: Range<Int>
    public var shape: [Int]
  }

  /// Errors of one compared tensor.
  public struct Comparison: Sendable {
    public var name: String
    public var maxAbsoluteError: Double
    public var maxRelativeError: Double
    /// The first NaN or infinity in the output or the reference: "output
    /// element [3, 1, 7] is nan". Such a comparison never passes, whatever
    /// the errors say (an infinite reference makes every relative error 0).
    public var nonFinite: String?

    public func passes(_ tolerance: Double) -> Bool { nonFinite == nil && maxRelativeError <= tolerance }
  }

  public struct RankTimes: Sendable {
    public var compute: Double
    public var communication: Double
    public var exposed: Double
    /// The rank's timed region in CLOCK_MONOTONIC seconds, to line up an
    /// outside profiler's samples (`perf record -k CLOCK_MONOTONIC`).
    public var region: Range<Double>
  }

  public struct Report: Sendable {
    public var ranks: Int
    public var seconds: Double
    public var output: Comparison?
    public var layers: [(layer: Int, comparison: Comparison)]
    public var times: [RankTimes]
    public var tolerance: Double
    public var written: WrittenOutput?
    public var passed: Bool {
      (output?.passes(tolerance) ?? true) && layers.allSatisfy { $0.comparison.passes(tolerance) }
    }
  }

  /// `--check` fails above this max error relative to the largest reference
  /// magnitude: the largest tolerance among the formats `plan`'s messages
  /// travel in.
  public static func tolerance(_ plan: Module) -> Double {
    WireFormat.used(by: plan).map(tolerance).max() ?? tolerance(.f32)
  }

  /// 1e-5 for f32 messages; 6 unit roundoffs for 16-bit ones (2.3e-2 for
  /// bf16, 2.9e-3 for f16). Every strategy at P = 2 and 4 measured at most
  /// 1.5 unit roundoffs on the bundled models and 2.7 through 32 layers
  /// (the table in Sources/Runtime/README.md).
  public static func tolerance(_ format: WireFormat) -> Double {
    format == .f32 ? 1e-5 : 6 * format.unitRoundoff
  }

  let plan: Module
  let communicator: MPICommunicator
  let options: Options

  public init(plan: Module, communicator: MPICommunicator, options: Options) {
    self.plan = plan
    self.communicator = communicator
    self.options = options
  }

  /// Attention inputs and outputs of the source model, by layer program:
  /// (q, k, v, out) value names.
  static func attentionValues(_ source: Module) -> [(q: String, k: String, v: String, out: String)] {
    source.graphs.flatMap { g in
      g.ops.filter { $0.opcode == .attention || $0.opcode == .linearAttention }.compactMap { op in
        guard case .value(let q) = op.operands[0], case .value(let k) = op.operands[1], case .value(let v) = op.operands[2]
        else { return nil }
        return (q, k, v, op.results[0])
      }
    }
  }

  public func run() throws -> Report? {
    Allocation.keepFreedMemory()
    // One rank is one core (mpirun binds it to one): a second BLAS thread
    // would only time-share that core with the first.
    openblas_set_num_threads(1)
    let rank = communicator.rank
    let tokens = try Plan.tokens(plan)
    let source = Plan.sourceModule(plan)
    let names = Self.attentionValues(source)
    var interpreterOptions = Interpreter.Options()
    interpreterOptions.failAtFirstBlock = options.failRank == rank
    if options.check { interpreterOptions.record.formUnion(names.map(\.out)) }
    if options.dumpDirectory != nil { interpreterOptions.record.formUnion(names.flatMap { [$0.q, $0.k, $0.v, $0.out] }) }
    let weights = WeightSource(initializer: Initializer(seed: options.seed), checkpoint: options.weights)
    let interpreter = Interpreter(
      module: plan, weights: weights, communicator: communicator,
      tags: try Tags(plan, limit: communicator.tagLimit), options: interpreterOptions)
    guard let main = plan.rankProgram(of: Module.entryGraphName, rank: rank) else {
      throw RuntimeError("the plan has no program of @\(Module.entryGraphName) for rank \(rank)")
    }
    // A failed allocation ends the job naming this rank, the op and the bytes
    // (the kernels allocate deep inside; none of them throws).
    var running: Interpreter?
    Allocation.onFailure = { bytes in
      communicator.fail("out of memory allocating \(bytes) bytes for a tensor\(running?.runningOp.map { " in \($0)" } ?? "")")
    }
    defer { Allocation.onFailure = Allocation.crash }
    // A plan this rank cannot hold is refused before anything is allocated:
    // its largest tensor alone must fit in its share of this host's memory.
    let ranksHere = communicator.hosts.filter { $0 == communicator.hosts[rank] }.count
    let share = Int64(Machine.physicalMemory / max(1, ranksHere))
    if let largest = Liveness.largestTensor(plan, rank: rank, elementBytes: Int64(MemoryLayout<Float>.stride)),
      largest.bytes > share
    {
      let line = largest.location.map { " (\($0.file):\($0.line):\($0.column))" } ?? ""
      communicator.fail(
        "the plan needs \(largest.bytes == .max ? "more than 2^63" : String(largest.bytes)) bytes for \(largest.what)\(line), more than this rank's share of the host's memory (\(share) bytes: \(Machine.physicalMemory) for \(ranksHere) ranks); lower --seq or raise --sp",
        code: 69)
    }
    // Generated weights are made before the timed region when they take at
    // most a quarter of this rank's share of the host's memory (a
    // framework's forward pass, too, starts with its model in memory).
    running = interpreter
    _ = try interpreter.preload(WeightSource.instances(source), budget: share / 4)
    var inputs: [Tensor]? = try entryInputs(main.arguments, tokens: tokens[rank], interpreter)
    // The working set at f32 beyond the inputs already held (they count in
    // the peak), and half again for the heap's fragmentation (without it,
    // ranks of a P = 2 run fault pages in inside the timed region), but
    // never more than this rank's share of half the machine's memory.
    // Half again of the whole peak, inputs included, cost 580 MiB of RSS
    // at S = 8192, P = 1, and no time.
    let peak = Liveness.rankPeak(plan, rank: rank, elementBytes: Int64(MemoryLayout<Float>.stride))
    let held = (inputs ?? []).reduce(Int64(0)) { $0 + Int64($1.count) * Int64(MemoryLayout<Float>.stride) }
    let rest = max(0, peak - held)
    Allocation.reserve(bytes: Int(min(rest.addingSaturating(rest / 2), Int64(Machine.physicalMemory / 2 / communicator.size))))
    try communicator.barrier(label: "the barrier before the run")
    let origin = Clock.now
    // Always traced: the per-rank compute, communication and exposed times come from it.
    interpreter.trace = Trace(rank: rank, origin: origin)
    // The interpreter takes the inputs: each is freed after its last reader.
    let outputs = try withProgress(interpreter, label: "layer") { try interpreter.run(main.name, inputs.take() ?? []) }
    running = nil
    let elapsed = Clock.now - origin
    let seconds = try communicator.maximum(elapsed, label: "the reduction of the run times")

    let times = try gatherTimes(interpreter.trace, region: origin..<(origin + elapsed))
    if let path = options.tracePath { try writeTrace(interpreter.trace, to: path) }
    var report = Report(ranks: communicator.size, seconds: seconds, output: nil, layers: [], times: times, tolerance: Self.tolerance(plan))

    // Gather what the checks, dumps and output need, in global token order on rank 0.
    let sequence = Int(plan.sequenceDim?.value ?? 0)
    func gather(_ t: Tensor) throws -> Tensor? { try self.gather(t, rows: 0..<sequence, tokens: tokens) }
    var gathered: [Int: [String: Tensor]] = [:]
    for layer in interpreter.recorded.keys.sorted() {
      for name in interpreter.recorded[layer]!.keys.sorted() {
        if let whole = try gather(interpreter.recorded[layer]![name]!) { gathered[layer, default: [:]][name] = whole }
      }
    }
    // Without --check only the rows of --output-rows travel.
    let outputRows = options.outputRows ?? 0..<sequence
    let finalOutput = options.check ? try outputs.first.flatMap(gather) : nil
    var written: Tensor?
    if options.outputPath != nil, let output = outputs.first {
      // Every rank takes the same branch: each gathers or none does.
      if options.check {
        written = finalOutput.map { Elementwise.slice($0, start: outputRows.lowerBound, len: outputRows.count) }
      } else {
        written = try self.gather(output, rows: outputRows, tokens: tokens)
      }
    }
    guard rank == 0 else { return nil }

    if let dir = options.dumpDirectory {
      try FileIO.makeDirectory(dir)
      for (layer, values) in gathered.sorted(by: { $0.key < $1.key }) {
        for n in names {
          for (label, name) in [("q", n.q), ("k", n.k), ("v", n.v), ("out", n.out)] {
            guard let t = values[name] else { continue }
            try FileIO.write(NPY.encode(t), to: "\(dir)/layer\(layer).\(label).npy")
          }
        }
      }
    }
    if let path = options.outputPath, let written {
      try FileIO.write(NPY.encode(written), to: path)
      report.written = WrittenOutput(path: path, rows: outputRows, shape: written.shape)
    }
    if options.check, let finalOutput {
      let reference = Interpreter(
        module: source, weights: weights, communicator: nil, tags: nil,
        options: { var o = Interpreter.Options(); o.record = Set(names.map(\.out)); return o }())
      var wholeInputs: [Tensor]? = try entryInputs(
        source.graph(named: Module.entryGraphName)?.arguments ?? [], tokens: TokenRanges([0..<Int64(sequence)]), reference)
      running = reference
      let expected = try withProgress(reference, label: "check: layer") {
        try reference.run(Module.entryGraphName, wholeInputs.take() ?? [])
      }
      report.output = Self.compare("output", finalOutput, expected[0])
      for (layer, values) in reference.recorded.sorted(by: { $0.key < $1.key }) {
        for n in names {
          guard let want = values[n.out], let got = gathered[layer]?[n.out] else { continue }
          report.layers.append((layer, Self.compare("%" + n.out, got, want)))
        }
      }
    }
    return report
  }

  /// The generated rows of entry argument `a` for `tokens`: token ids below
  /// the vocabulary of the `embed` that reads them, or floats.
  static func generatedInput(_ a: GraphArgument, of source: Module, shape: [Int], tokens: [Int64], seed: UInt64) throws -> Tensor {
    let initializer = Initializer(seed: seed)
    guard a.type.dtype == .i32 else { return initializer.input(a.name, shape: shape, tokens: tokens) }
    let bindings = source.bindings
    let vocabulary = source.graph(named: Module.entryGraphName)?.ops.lazy.compactMap { op -> Int? in
      guard op.opcode == .embed, op.operands.first == .value(a.name), case .symbol(let table) = op.operands[1],
        let decl = source.weight(named: table), let rows = bindings.value(of: decl.type.dims[0])
      else { return nil }
      return Int(rows)
    }.first
    guard let vocabulary else {
      throw RuntimeError("cannot generate %\(a.name) (\(a.type)): only token ids read by an embed of a weight table are generated; give --input")
    }
    return initializer.tokenIds(a.name, vocabulary: vocabulary, tokens: tokens)
  }

  /// The entry graph's arguments for the rows of `tokens`: read from the
  /// input file, or generated.
  private func entryInputs(_ arguments: [GraphArgument], tokens: TokenRanges, _ interpreter: Interpreter) throws -> [Tensor] {
    if let input = options.input { return [try input.rows(tokens)] }
    return try arguments.map { a in
      try Self.generatedInput(a, of: Plan.sourceModule(plan), shape: try interpreter.shape(a.type), tokens: tokens.positions, seed: options.seed)
    }
  }

  /// Rows `rows` (global tokens) of a tensor whose rows each rank holds for
  /// its `tokens`, in global order on rank 0 (nil on the others); every
  /// rank sends only its rows inside `rows`.
  private func gather(_ t: Tensor, rows: Range<Int>, tokens: [TokenRanges]) throws -> Tensor? {
    let width = t.rowSize
    func kept(_ r: Int) -> [(row: Int, token: Int)] {
      tokens[r].positions.enumerated().map { ($0.offset, Int($0.element)) }.filter { rows.contains($0.token) }
    }
    let mine = kept(communicator.rank)
    let part = Tensor(uninitialized: [mine.count] + t.shape.dropFirst())
    for (i, m) in mine.enumerated() { (part.pointer + i * width).update(from: t.pointer + m.row * width, count: width) }
    guard let parts = try communicator.gatherFloats(part.buffer, label: "the gather of results on rank 0") else { return nil }
    let whole = Tensor(shape: [rows.count] + t.shape.dropFirst())
    for (r, values) in parts.enumerated() {
      values.withUnsafeBufferPointer { v in
        for (i, m) in kept(r).enumerated() {
          (whole.pointer + (m.token - rows.lowerBound) * width).update(from: v.baseAddress! + i * width, count: width)
        }
      }
    }
    return whole
  }

  /// Runs `body` with a progress line on rank 0 (when asked) that moves as
  /// `interpreter` finishes the layers of its entry graph.
  private func withProgress<T>(_ interpreter: Interpreter, label: String, _ body: () throws -> T) rethrows -> T {
    guard options.progress, communicator.rank == 0, interpreter.entryLayer > 0 else { return try body() }
    let line = ProgressLine(label: label, total: interpreter.entryLayer)
    interpreter.onLayerDone = line.layerDone
    defer {
      line.finish()
      interpreter.onLayerDone = nil
    }
    return try body()
  }

  public static func compare(_ name: String, _ got: Tensor, _ want: Tensor) -> Comparison {
    var maxAbs = 0.0
    var maxRef = 0.0
    var nonFinite: String?
    for i in 0..<min(got.count, want.count) {
      let (a, b) = (Double(got[i]), Double(want[i]))
      if nonFinite == nil, !a.isFinite || !b.isFinite {
        let which = a.isFinite ? "the reference's" : "the output's"
        nonFinite = "\(which) element \(index(i, in: want.shape)) of \(name) is \(a.isFinite ? b : a)"
      }
      maxAbs = max(maxAbs, a.isNaN || b.isNaN ? .infinity : abs(a - b))
      maxRef = max(maxRef, abs(b))
    }
    if got.count != want.count { maxAbs = .infinity }
    return Comparison(
      name: name, maxAbsoluteError: maxAbs, maxRelativeError: maxRef > 0 ? maxAbs / maxRef : maxAbs, nonFinite: nonFinite)
  }

  /// `[3, 1, 7]`: the coordinates of flat index `i` in a row-major `shape`.
  static func index(_ i: Int, in shape: [Int]) -> String {
    var rest = i
    var coordinates: [Int] = []
    for extent in shape.reversed() where extent > 0 {
      coordinates.append(rest % extent)
      rest /= extent
    }
    return "[" + coordinates.reversed().map(String.init).joined(separator: ", ") + "]"
  }

  private func gatherTimes(_ trace: Trace?, region: Range<Double>) throws -> [RankTimes] {
    let mine = [
      trace?.computeSeconds ?? 0, trace?.communicationSeconds ?? 0, trace?.exposedSeconds ?? 0, region.lowerBound, region.upperBound,
    ]
    // Raw bytes, as `gatherFloats` sends floats: every rank is this build on one kind of host.
    let bytes = mine.withUnsafeBytes { Array($0) }
    guard let all = try communicator.gatherBytes(bytes, label: "the gather of the per-rank times") else { return [] }
    return all.map { b in
      let v = b.withUnsafeBytes { Array($0.bindMemory(to: Double.self)) }
      return RankTimes(compute: v[0], communication: v[1], exposed: v[2], region: v[3]..<max(v[3], v[4]))
    }
  }

  private func writeTrace(_ trace: Trace?, to path: String) throws {
    // One event per line: serialized JSON never holds a raw newline.
    let mine = (trace?.chromeEvents() ?? []).map { $0.serialized() }.joined(separator: "\n")
    guard let parts = try communicator.gatherBytes(Array(mine.utf8), label: "the gather of the trace") else { return }
    let events = parts.flatMap { String(decoding: $0, as: UTF8.self).split(separator: "\n").map { JSONValue.raw(String($0)) } }
    try FileIO.write(chromeTraceJSON(events), to: path)
  }
}
