import ArgumentParser
import GraphIR
import HostIO
import Passes
import PlanIR
import Simulation

struct Compile: ParsableCommand {
  static let configuration = CommandConfiguration(
    abstract: "Compile a model into a sequence-parallel plan for --sp ranks.",
    discussion: """
      The plan is text in the IR syntax: each rank's scheduled program with explicit
      send/recv ops. It is verified (pairing, deadlock freedom, coverage) before it is written.
      """)

  @Argument(help: "The model file (.ir).")
  var model: String

  @Option(parsing: .unconditional, help: "Ranks in the sequence-parallel group.")
  var sp: Int

  @OptionGroup var sequence: SequenceOption

  @Option(help: "Strategy: \(Strategy.spellings.joined(separator: ", ")), or auto (the predicted winner on --profile).")
  var strategy: String = Strategy.tokenring.description

  @Option(help: ArgumentHelp(
    "Split packed documents (--documents) with a layout that balances them instead of the strategy's own: document-zigzag (every document cut in 2P chunks, rank r takes chunks r and 2P-1-r of each) or document-greedy (chunks dealt, heaviest first, to the least-loaded rank). For tokenring, ring and allgather; --strategy auto tries both.",
    valueName: "layout"))
  var layout: String?

  @Option(help: "A device profile (a name from 'ringc profiles' or an XML file): --strategy auto predicts on it, and the overlap scheduler orders every rank's program for it.")
  var profile: String?

  @Option(help: ArgumentHelp("Bytes a rank may hold at once in an attention layer (e.g. 40GiB); the overlap scheduler keeps every order and split within it. Default: the profile's device memory.", valueName: "size"))
  var memoryBudget: String?

  @Option(name: .shortAndLong, help: "The plan file to write (atomically); default <model>.sp<P>.plan in the current directory.")
  var output: String?

  @Flag(help: "Let -o name the model file itself (it is replaced by the plan).")
  var overwriteInput = false

  @Option(help: "A pass pipeline to run instead of the strategy's, e.g. 'shard-sequence,token-ring'.")
  var passes: String?

  @Flag(help: "Print the module after every pass (to standard error).")
  var printAfterAll = false

  @Option(help: "Print the module after this pass (repeatable).")
  var printAfter: [String] = []

  @Flag(help: "Print the module after every pass that changed it (to standard error).")
  var printAfterChange = false

  @Flag(help: "Print the time each pass took.")
  var timePasses = false

  @Option(help: "Write the module after every pass into this directory, one numbered file each.")
  var dumpDir: String?

  @Flag(inversion: .prefixedNo, help: "Run the IR verifier after every pass (default in debug builds).")
  var verifyEach = _isDebugAssertConfiguration()

  func validate() throws {
    if sp < 1 { throw ValidationError("--sp must be at least 1, found \(sp)") }
    if sp > 65536 { throw ValidationError("--sp \(sp) is more ranks than ringc plans for (65536 at most)") }
    if let output, !overwriteInput, FileIO.sameFile(output, model) {
      throw ValidationError("-o \(output) is the model itself; the plan would replace it (pass --overwrite-input if that is what you want)")
    }
    if let passes, passes.allSatisfy(\.isWhitespace) {
      throw ValidationError("--passes is empty; give a pipeline such as 'shard-sequence,token-ring'")
    }
    if let memoryBudget {
      if profile == nil { throw ValidationError("--memory-budget applies to the overlap scheduler, which needs --profile") }
      if passes != nil { throw ValidationError("--memory-budget goes with the default pipeline; with --passes write overlap-schedule{profile=…,memory=\(memoryBudget)}") }
      if ByteSize.parse(memoryBudget) == nil {
        throw ValidationError("--memory-budget '\(memoryBudget)' is not a size (write e.g. 40GiB, 512MiB, 80GB or a number of bytes)")
      }
    }
    if let layout {
      guard let kind = TokenLayout.Kind(rawValue: layout), kind.balancesDocuments else {
        throw ValidationError("--layout \(layout): known layouts are document-zigzag and document-greedy")
      }
      if sequence.documents == nil { throw ValidationError("--layout \(layout) balances packed documents; give --documents") }
      if passes != nil { throw ValidationError("--layout goes with --strategy; with --passes write shard-sequence{layout=\(layout)}") }
      if strategy == "auto" { throw ValidationError("--strategy auto chooses the layout too (it tries \(layout)); drop --layout") }
      if let s = Strategy(strategy), !TokenLayout.documentLayoutStrategies.contains(s) {
        throw ValidationError("--layout \(layout) is for tokenring, ring and allgather; \(s) keeps its own layout")
      }
    }
    if strategy == "auto" {
      if profile == nil { throw ValidationError("--strategy auto needs --profile to predict on") }
      if passes != nil { throw ValidationError("--strategy auto chooses the passes itself; drop --passes") }
      return
    }
    guard let parsed = Strategy(strategy) else {
      throw ValidationError("unknown --strategy '\(strategy)'; known: \(Strategy.spellings.joined(separator: ", "))")
    }
    if case .usp(let u, let r, _) = parsed, u * r != sp {
      throw ValidationError("--strategy \(strategy) needs --sp \(u * r) (ulysses \(u) × ring \(r)), found --sp \(sp)")
    }
    if case .loongtrain(let l) = parsed {
      if l.heads * l.context != sp {
        throw ValidationError("--strategy \(strategy) needs --sp \(l.heads * l.context) (heads \(l.heads) × context \(l.context)), found --sp \(sp)")
      }
      if l.context % l.window != 0 {
        throw ValidationError("--strategy \(strategy): the inner-ring window \(l.window) must divide the context-parallel degree \(l.context)")
      }
    }
  }

  func run() throws {
    let loaded: (module: Module, renderer: DiagnosticRenderer)
    do { loaded = try sequence.loader.loadWithSource(model) } catch { throw error.exitCode }
    let device = try profile.map(loadProfile)
    let budget = memoryBudget.flatMap(ByteSize.parse)
    var chosen = strategy
    var resolved = Strategy(strategy)
    var input = loaded.module
    var pipeline: PassPipeline?
    if strategy == "auto", let device {
      let comparison = StrategyComparison(model: loaded.module, sp: sp, profile: device)
      guard let winner = comparison.winner, winner.plan != nil else {
        let reasons = comparison.rows.compactMap { r in r.refusal.map { "\(r.strategy): \($0)" } }
        Stderr.write("error: no strategy can serve \(model) at --sp \(sp): \(comparison.reason)\n" + reasons.map { "  \($0)\n" }.joined())
        throw SysExit.dataError
      }
      Stderr.write("auto: \(winner.name) on \(device.name) — \(comparison.reason)\n")
      resolved = winner.strategy
      chosen = "auto on \(device.name): \(winner.name)"
      // The comparison compiled the winner already: only schedule it.
      input = winner.plan!
      pipeline = PassPipeline([OverlapSchedulePass(profile: device, memoryBudget: budget)])
    }
    if let passes {
      do {
        pipeline = try PassPipeline(parsing: passes)
      } catch {
        Stderr.write(loaded.renderer.render(error.diagnostics.map { d in var d = d; d.message = "--passes: " + d.message; return d }))
        throw SysExit.usage
      }
    }
    var instrumentation = PassInstrumentation()
    instrumentation.verifyEach = verifyEach
    instrumentation.printAfterAll = printAfterAll
    instrumentation.printAfter = Set(printAfter)
    instrumentation.printAfterChange = printAfterChange
    instrumentation.timePasses = timePasses
    instrumentation.dumpDirectory = dumpDir
    instrumentation.log = { Stderr.write($0) }
    let plan: Module
    do {
      plan = try Compiler.compile(
        input, sp: sp, strategy: resolved ?? .tokenring, layout: layout.flatMap(TokenLayout.Kind.init), pipeline: pipeline,
        profile: device, memoryBudget: budget,
        instrumentation: instrumentation)
    } catch {
      Stderr.write(loaded.renderer.render(error.diagnostics))
      switch error.kind {
      case .usage: throw SysExit.usage
      case .input: throw SysExit.dataError
      case .output: throw SysExit.cannotCreate
      case .internal: throw SysExit.software
      }
    }
    if ModuleSummary(loaded.module).attentionNodes == 0 {
      Stderr.write("\(model): note: the model has no attention; the plan only splits token-local ops\n")
    }
    try finish(plan, chosen: chosen)
  }

  /// Writes the verified plan and prints its summary.
  private func finish(_ module: Module, chosen: String) throws {
    let path = output ?? Self.defaultOutput(model, sp: sp)
    let how = passes.map { "--passes '\($0)'" } ?? "--strategy \(chosen)" + (layout.map { " --layout \($0)" } ?? "")
    let header = "// ringc plan v\(Plan.version): \(Self.basename(model)) compiled with --sp \(sp) \(how)\n"
    // Stats first: a plan ringc cannot report on is not written. The text
    // does not depend on them, so it is printed meanwhile.
    let memory = profile != nil
    let (counted, text) = concurrently(
      { Result { () throws(CompileError) in try PlanStats(module, memory: memory) } }, { Printer().print(module) })
    let stats: PlanStats
    do { stats = try counted.get() } catch {
      Stderr.write(DiagnosticRenderer().render(error.diagnostics.map { d in var d = d; d.location = nil; return d }))
      throw SysExit.dataError
    }
    try write(header + text, to: path)
    Stdout.write("\(path): \(Verify.describe(stats))\n")
    if let profile {
      // No order fits a plan whose strategy itself holds too much: say so.
      let budget = try memoryBudget.flatMap(ByteSize.parse) ?? loadProfile(profile).memoryCapacity
      if let m = stats.memory.max(by: { $0.total < $1.total }), Double(m.total) > budget {
        Stderr.write(
          "warning: a rank holds \(formatBytes(m.total)) (weights \(formatBytes(m.weights)), activations \(formatBytes(m.activations))), over the memory budget of \(formatBytes(Int64(budget))); 'ringc compare' shows what each strategy holds and what would fit\n")
      }
    }
  }

  static func basename(_ path: String) -> String {
    String(path.split(separator: "/").last ?? Substring(path))
  }

  static func defaultOutput(_ model: String, sp: Int) -> String {
    var base = basename(model)
    if base.hasSuffix(".ir") { base.removeLast(3) }
    return "\(base).sp\(sp).plan"
  }

  private func write(_ text: String, to path: String) throws {
    do {
      try FileIO.write(text, to: path)
    } catch {
      Stderr.write("error: \(error)\n")
      throw SysExit.cannotCreate
    }
  }
}
