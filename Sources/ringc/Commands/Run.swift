import ArgumentParser
import GraphIR
import Passes
import PlanIR
import HostIO
import Runtime
import Timeline

#if canImport(Glibc)
  import Glibc
#endif

struct Run: ParsableCommand {
  static let configuration = CommandConfiguration(
    abstract: "Execute a plan under mpirun: mpirun -np P ringc run PLAN [--input X.npy] [--output Y.npy] [--check].",
    discussion: """
      Every rank generates its own slice of the inputs and weights from --seed (or reads its rows of --input and \
      loads --weights), runs its program with OpenBLAS and OpenMPI, and rank 0 prints the time per rank. --check \
      compares the gathered output and every attention layer with a dense single-process run of the plan's model. \
      --output writes the model's output (all of it, or the rows of --output-rows) from rank 0. When standard error \
      is a terminal, rank 0 shows which layer runs and the time left (under mpirun standard error is a pipe: pass \
      --progress).
      """)

  @Argument(help: "The plan file (from ringc compile).")
  var plan: String

  @Option(parsing: .unconditional, help: "Run at this sequence length (recompiles the plan's model with its strategy).")
  var seq: Int64?

  @Option(
    parsing: .unconditional,
    help: "Run with these packed documents (cumulative lengths: a list 0,5,6,32 or a .npy file); recompiles the plan's model with its strategy and layout.")
  var documents: String?

  @Option(parsing: .unconditional, help: "Seed of the generated inputs and weights.")
  var seed: UInt64 = 0

  @Flag(help: "Compare with a dense single-process reference on rank 0; exit non-zero above the plan's tolerance (1e-5 relative error with f32 messages, 6 unit roundoffs with bf16 or f16 ones).")
  var check = false

  @Option(help: "Write a Chrome/Perfetto trace (JSON) of what every rank did.")
  var trace: String?

  @Option(help: "Write each attention layer's q, k, v and output, in global token order, as .npy files here.")
  var dumpTensors: String?

  @Option(
    help: """
      Load weights from a checkpoint: a directory as Hugging Face transformers saves one (model.safetensors, or \
      model.safetensors.index.json and its shards), such an index, or one safetensors file. A weight reads the \
      tensor its source names, else layers.{i}.{name} ({name} outside repeated graphs), in F32, F16 or BF16; \
      every one is checked before the run.
      """)
  var weights: String?

  @Option(
    help: """
      Read @main's argument from this .npy file instead of generating it: float32 [S, ...] for a float argument, \
      int32 or int64 token ids [S] for an i32 one. Each rank reads only its own tokens' rows. Without --seq the plan \
      runs at the file's length.
      """)
  var input: String?

  @Option(help: "Write the output (@main's first result) as a float32 .npy file, rows in global token order.")
  var output: String?

  @Option(
    parsing: .unconditional,
    help: "Write only rows A..<B of the output: A:B, A: or :B (the ranks send rank 0 only those rows).",
    transform: { try RowRange(parsing: $0) })
  var outputRows: RowRange?

  @Flag(help: "Show the progress line (layer, elapsed, time left) even when standard error is not a terminal.")
  var progress = false

  @Flag(help: "Show no progress line.")
  var quiet = false

  @Flag(help: "Print the report as one JSON object.")
  var json = false

  @Option(
    parsing: .unconditional,
    help: """
      Seconds a rank may wait on others (a transfer, a collective) before it prints one line naming itself, the op, \
      the ranks and hosts it waits for, and ends the job (exit 70; within 2 s more even when MPI cannot reach the \
      other hosts).
      """)
  var timeout: Double = 600

  @Option(parsing: .unconditional, help: .hidden)
  var failRank: Int?

  func validate() throws {
    if let seq, seq <= 0 { throw ValidationError("--seq must be a positive number of tokens, found \(seq)") }
    _ = try documents.map(SequenceOption.documents)
    if !(timeout > 0) { throw ValidationError("--timeout must be positive, found \(timeout)") }
    if outputRows != nil && output == nil { throw ValidationError("--output-rows needs --output") }
    if output == "-" { throw ValidationError("--output needs a file: standard output carries the report") }
    if progress && quiet { throw ValidationError("--progress and --quiet exclude each other") }
  }

  func run() throws {
    let communicator: MPICommunicator
    do { communicator = try MPICommunicator(timeout: timeout) } catch {
      Stderr.write("error: \(error)\n")
      throw SysExit.software
    }
    let rank = communicator.rank
    // Only rank 0 reports problems with the inputs, so they print once.
    func fail(_ message: String, _ code: ExitCode) -> ExitCode {
      if rank == 0 { Stderr.write(message) }
      // Already failing: that failure is the one to report.
      try? communicator.finalize()
      return code
    }
    var module: Module
    do {
      module = try (rank == 0 ? PlanLoader.load(plan) : PlanLoader.loadQuietly(plan)).module
    } catch {
      throw fail("", error.exitCode)
    }
    // Every rank opens --input and checks it; rank 0 says what is wrong with it.
    var inputFile: NPYFile?
    if let input {
      do { inputFile = try NPYFile(path: input) } catch { throw fail("error: --input: \(error)\n", error.exitCode) }
    }
    // Without --seq the plan runs at the input's length.
    let inputLength = inputFile?.header.shape.first.flatMap { $0 > 0 ? Int64($0) : nil }
    let length = seq ?? inputLength ?? module.sequenceDim?.value
    if let length, length != module.sequenceDim?.value || documents != nil {
      let given: Documents?
      do { given = try documents.map(SequenceOption.documents) } catch { throw fail("error: \(error)\n", SysExit.usage) }
      do { module = try Self.recompile(module, seq: length, documents: given) } catch {
        let why = seq == nil && inputLength != nil ? "error: --input: \(input ?? "") holds \(length) tokens; the plan cannot run at that length:\n" : ""
        throw fail(why + DiagnosticRenderer().render(error.diagnostics), error.isUsage ? SysExit.usage : SysExit.dataError)
      }
    }
    guard module.ranks == communicator.size else {
      let ranks = module.ranks ?? 0
      throw fail("ringc run: \(plan) is a plan for \(ranks) ranks but mpirun started \(communicator.size); run it with mpirun -np \(ranks)\n", SysExit.usage)
    }
    var options = PlanRunner.Options()
    options.seed = seed
    options.check = check
    options.tracePath = trace
    options.dumpDirectory = dumpTensors
    options.failRank = failRank
    options.progress = rank == 0 && !quiet && (progress || isatty(2) != 0)
    if let inputFile {
      do { options.input = try PlanInput(inputFile, model: Plan.sourceModule(module)) } catch {
        throw fail("error: --input: \(error)\n", error.exitCode)
      }
    }
    if let output {
      switch Self.outputRows(outputRows, of: module, check: check) {
      case .success(let rows): options.outputRows = rows
      case .failure(let problem): throw fail("error: \(problem.message)\n", SysExit.usage)
      }
      for (flag, path) in [("the plan", plan), ("--input", input), ("--weights", weights)] {
        if let path, FileIO.sameFile(output, path) {
          throw fail("error: --output \(output) is \(flag) \(path); write the output elsewhere\n", SysExit.usage)
        }
      }
      // Only rank 0 writes it, so its verdict on the path is every rank's.
      var unwritable: FileIO.Failure?
      if rank == 0 {
        do { try FileIO.checkWritable(output) } catch { unwritable = error }
      }
      let verdict: Double
      do { verdict = try communicator.maximum(unwritable == nil ? 0 : 1, label: "the check of --output") } catch {
        throw fail("error: \(error)\n", SysExit.software)
      }
      if verdict > 0 {
        throw fail("error: --output: \(unwritable?.description ?? "rank 0 cannot write it")\n", SysExit.cannotCreate)
      }
      options.outputPath = output
    }
    if let weights {
      // Every rank maps the checkpoint and checks every weight the run reads
      // now, not when a layer needs it; rank 0 says what is wrong with it.
      do { options.weights = try Checkpoint(path: weights, for: WeightSource.instances(Plan.sourceModule(module))) } catch {
        throw fail(error.report(flag: "--weights"), ExitCode(error.exitCode))
      }
    }
    let report: PlanRunner.Report?
    do {
      report = try PlanRunner(plan: module, communicator: communicator, options: options).run()
    } catch {
      // An output that cannot be written (--trace, --dump-tensors, --output)
      // or an input that changed under the run is not a bug.
      let inputCode = (error as? NPYError)?.exitCode.rawValue
      communicator.fail("\(error)", code: error is FileIO.Failure ? 73 : inputCode ?? 70)
    }
    do { try communicator.finalize() } catch {
      Stderr.write("ringc run: rank \(rank): \(error)\n")
      throw SysExit.software
    }
    guard let report else { return }
    Stdout.write(json ? RunReport.json(report) : RunReport.text(report, plan: plan))
    if check && !report.passed { throw ExitCode(1) }
  }

  /// A problem with --output or --output-rows, found before the run.
  struct OutputProblem: Error {
    var message: String
  }

  /// The rows of the output that --output writes: `rows` (all when nil)
  /// among the output's S rows, few enough for one gather to rank 0.
  static func outputRows(_ rows: RowRange?, of plan: Module, check: Bool) -> Result<Range<Int>, OutputProblem> {
    let source = Plan.sourceModule(plan)
    let sequence = Int(source.sequenceDim?.value ?? 0)
    guard let type = source.graph(named: Module.entryGraphName)?.resultTypes.first,
      let shape = source.bindings.extents(of: type), shape.first == Int64(sequence)
    else {
      return .failure(OutputProblem(message: "--output: the plan's @\(Module.entryGraphName) has no result of \(sequence) token rows"))
    }
    let wanted = rows ?? .all
    guard let range = wanted.resolved(count: sequence) else {
      return .failure(OutputProblem(message: "--output-rows \(wanted) is not inside the output's \(sequence) rows (0 ≤ A < B ≤ \(sequence))"))
    }
    // Rank 0 holds the gathered rows twice (the parts, then the whole);
    // --check gathers every row.
    let gathered = check ? sequence : range.count
    let limit = Int64(Machine.physicalMemory / 4)
    guard let bytes = DimBindings.product([Int64(gathered), 4] + shape.dropFirst()), bytes <= limit else {
      let what = check ? "all \(sequence) rows (--check gathers every row)" : "\(gathered) rows"
      let fix = check ? "run without --check and choose rows with --output-rows" : "write fewer with --output-rows"
      return .failure(
        OutputProblem(message: "--output: \(what) of \(type) are more than a quarter of this host's memory (\(limit) bytes), which rank 0 gathers them in; \(fix)"))
    }
    return .success(range)
  }

  static func recompile(_ plan: Module, seq: Int64, documents: Documents?) throws(CompileError) -> Module {
    let header = try PlanHeader(plan)
    guard let strategy = header.strategy else {
      throw CompileError("the plan does not name a strategy ringc can recompile for --seq or --documents")
    }
    var source = Plan.sourceModule(plan)
    _ = source.setSequenceLength(seq)
    if documents == nil, let kept = DocumentBalance.documents(of: source).documents, kept.length != seq {
      throw CompileError(
        "the plan's attentions keep packed documents of \(kept.length) tokens apart; give --documents covering \(seq)", isUsage: true)
    }
    do { try source.bindDocuments(documents) } catch {
      throw CompileError(error.message, at: error.location, isUsage: error.isUsage)
    }
    // The model at the new length is checked like any model: sizes may overflow.
    let errors = Verifier.diagnose(source).filter { $0.severity == .error }
    if !errors.isEmpty { throw CompileError(errors) }
    let balanced = header.layout.kind.balancesDocuments ? header.layout.kind : nil
    return try Compiler.compile(source, sp: header.sp, strategy: strategy, layout: balanced)
  }
}

/// The report rank 0 prints.
enum RunReport {
  static func text(_ r: PlanRunner.Report, plan: String) -> String {
    var out = "ringc run: \(plan) on \(r.ranks) ranks: \(seconds(r.seconds)) s\n"
    if !r.times.isEmpty, r.times.contains(where: { $0.compute > 0 }) {
      out += "  rank   compute s    comm s   exposed s   exposed share\n"
      for (i, t) in r.times.enumerated() {
        let share = r.seconds > 0 ? t.exposed / r.seconds * 100 : 0
        out += "  \(padLeft("\(i)", 4))  \(padLeft(seconds(t.compute), 10))  \(padLeft(seconds(t.communication), 8))  \(padLeft(seconds(t.exposed), 10))  \(padLeft(String((share * 10).rounded() / 10), 12))%\n"
      }
    }
    if let w = r.written {
      out += "output: \(w.path), float32 \(NPYHeader.shapeText(w.shape)), rows \(w.rows.lowerBound)..<\(w.rows.upperBound)\n"
    }
    if let o = r.output {
      out += "check: output max_abs_error \(scientific(o.maxAbsoluteError)), max_rel_error \(scientific(o.maxRelativeError)) (tolerance \(scientific(r.tolerance))): \(r.passed ? "ok" : "FAILED")\n"
      if let bad = o.nonFinite { out += "  not finite: \(bad)\n" }
      for (layer, c) in r.layers {
        out += "  layer \(layer) attention \(c.name): max_abs_error \(scientific(c.maxAbsoluteError)), max_rel_error \(scientific(c.maxRelativeError))\n"
        if let bad = c.nonFinite { out += "    not finite: \(bad)\n" }
      }
    }
    return out
  }

  static func json(_ r: PlanRunner.Report) -> String {
    var items: [(key: String, value: JSONValue)] = [("ranks", JSONValue(r.ranks)), ("seconds", JSONValue(r.seconds))]
    if let o = r.output {
      items.append(("max_abs_error", JSONValue(o.maxAbsoluteError)))
      items.append(("max_rel_error", JSONValue(o.maxRelativeError)))
      items.append(("passed", JSONValue(r.passed)))
      if let bad = o.nonFinite { items.append(("not_finite", JSONValue(bad))) }
    }
    let layers = r.layers.map { l, c -> JSONValue in
      [
        "layer": JSONValue(l), "name": JSONValue(c.name), "max_abs_error": JSONValue(c.maxAbsoluteError),
        "max_rel_error": JSONValue(c.maxRelativeError), "not_finite": c.nonFinite.map { JSONValue($0) } ?? .null,
      ]
    }
    items.append(("layers", .array(layers)))
    let ranks = r.times.enumerated().map { i, t -> JSONValue in
      [
        "rank": JSONValue(i), "compute_seconds": JSONValue(t.compute), "communication_seconds": JSONValue(t.communication),
        "exposed_seconds": JSONValue(t.exposed),
        "timed_region_monotonic": .array([JSONValue(t.region.lowerBound), JSONValue(t.region.upperBound)]),
      ]
    }
    items.append(("per_rank", .array(ranks)))
    if let w = r.written {
      let file: JSONValue = [
        "path": JSONValue(w.path), "rows": .array([JSONValue(w.rows.lowerBound), JSONValue(w.rows.upperBound)]),
        "shape": .array(w.shape.map { JSONValue($0) }),
      ]
      items.append(("output_file", file))
    }
    return JSONValue.object(items).serialized() + "\n"
  }

  static func seconds(_ v: Double) -> String { String((v * 1e4).rounded() / 1e4) }
}

extension NPYError {
  /// Sysexits: 66 for a file that cannot be read, 65 for one whose contents are wrong.
  var exitCode: ExitCode { kind == .unreadable ? SysExit.noInput : SysExit.dataError }
}
