import GraphIR
import PlanIR

/// A textual pipeline such as `shard-sequence,token-ring`, parsed against the
/// registry of known passes, run in order.
public struct PassPipeline: Sendable {
  public var passes: [any Pass]

  /// Every pass by name, with the options it accepts.
  static func make(_ name: String, _ options: [String: String]) throws(CompileError) -> any Pass {
    func noOptions() throws(CompileError) {
      if let key = options.keys.sorted().first {
        throw CompileError("pass '\(name)' takes no option '\(key)'")
      }
    }
    switch name {
    case ShardSequencePass.passName:
      var pass = ShardSequencePass()
      for (key, value) in options.sorted(by: { $0.key < $1.key }) {
        if key == "layout", let l = TokenLayout.Kind(rawValue: value) {
          pass.layout = l
        } else if key == "group", let g = Int(value), g >= 1 {
          pass.groupSize = g
        } else if key == "stripe", let w = Int64(value), w >= 1 {
          pass.stripeWidth = w
        } else if key == "strided", let b = Bool(value) {
          pass.strided = b
        } else {
          throw CompileError(
            "pass 'shard-sequence' takes layout=\(TokenLayout.Kind.allCases.map(\.rawValue).joined(separator: "|")), group=N, strided=true|false and stripe=W, found \(key)=\(value)")
        }
      }
      return pass
    case OverlapSchedulePass.passName:
      return try OverlapSchedulePass.factory(options)
    case "usp":
      guard let u = options["ulysses"].flatMap(Int.init), let r = options["ring"].flatMap(Int.init),
        let inner = Strategy.Inner(rawValue: options["inner"] ?? "ring"), Set(options.keys).isSubset(of: ["ulysses", "ring", "inner"])
      else { throw CompileError("pass 'usp' takes ulysses=U, ring=R and inner=ring|tokenring") }
      return LowerAttentionPass(.usp(ulysses: u, ring: r, inner: inner))
    case "loongtrain":
      guard let h = options["heads"].flatMap(Int.init), let c = options["context"].flatMap(Int.init), h >= 1, c >= 1,
        let placement = Strategy.LoongTrain.Placement(rawValue: options["placement"] ?? "head-first"),
        let w = Int(options["window"] ?? "\(c)"), w >= 1,
        Set(options.keys).isSubset(of: ["heads", "context", "window", "placement"])
      else {
        throw CompileError("pass 'loongtrain' takes heads=H, context=C, window=W and placement=head-first|context-first")
      }
      return LowerAttentionPass(.loongtrain(Strategy.LoongTrain(heads: h, context: c, window: w, placement: placement)))
    case Strategy.tasp(.mesh).passName, Strategy.tokenringTASP(.mesh).passName:
      var rings = Strategy.TASPRings.mesh
      if let text = options["node"] {
        // One parser for `node=M` here and `tasp:nodeM` in --strategy.
        guard let nodes = Strategy.TASPRings(Substring("node" + text)), options.count == 1 else {
          throw CompileError("pass '\(name)' takes node=M (ranks per node; none: the full mesh), found \(options.map { "\($0)=\($1)" }.sorted().joined(separator: ","))")
        }
        rings = nodes
      } else {
        try noOptions()
      }
      return LowerAttentionPass(name == "tasp" ? .tasp(rings) : .tokenringTASP(rings))
    case Strategy.Linear.lasp2.rawValue, Strategy.Linear.lasp1.rawValue:
      var softmax: Strategy?
      if let text = options["softmax"] {
        guard let s = Strategy(text), s.softmax == s else {
          throw CompileError("pass '\(name)' takes softmax=S with S a softmax strategy (\(Strategy.spellings.prefix(8).joined(separator: ", "))), found softmax=\(text)")
        }
        softmax = s
      }
      guard Set(options.keys).isSubset(of: ["softmax"]) else { throw CompileError("pass '\(name)' takes only softmax=S") }
      return LowerAttentionPass(.linear(Strategy.Linear(rawValue: name)!, softmax: softmax))
    default:
      let lowerings: [Strategy] = [.tokenring, .tokenringTASP(.mesh), .passq, .tasp(.mesh), .ring, .ringZigzag, .striped(width: nil), .rsa, .ulysses, .allgather]
      guard let strategy = lowerings.first(where: { $0.passName == name }) else {
        throw CompileError(
          "unknown pass '\(name)'; known passes: \(([ShardSequencePass.passName, "usp", "loongtrain"] + lowerings.map(\.passName) + Strategy.Linear.allCases.map(\.rawValue) + [OverlapSchedulePass.passName]).joined(separator: ", "))")
      }
      try noOptions()
      return LowerAttentionPass(strategy)
    }
  }

  public init(_ passes: [any Pass]) { self.passes = passes }

  /// Parses `name{key=value,…},name,…`.
  public init(parsing text: String) throws(CompileError) {
    var passes: [any Pass] = []
    var rest = Substring(text)
    while !rest.isEmpty {
      let nameEnd = rest.firstIndex(where: { $0 == "," || $0 == "{" }) ?? rest.endIndex
      let name = rest[..<nameEnd].trimmingSpaces()
      if name.isEmpty { throw CompileError("empty pass name in pipeline '\(text)'") }
      rest = rest[nameEnd...]
      var options: [String: String] = [:]
      if rest.first == "{" {
        guard let close = rest.firstIndex(of: "}") else {
          throw CompileError("unclosed '{' after pass '\(name)' in pipeline '\(text)'")
        }
        for item in rest[rest.index(after: rest.startIndex)..<close].split(separator: ",") {
          let kv = item.split(separator: "=", maxSplits: 1)
          guard kv.count == 2 else { throw CompileError("pass option '\(item)' is not key=value") }
          options[kv[0].trimmingSpaces()] = kv[1].trimmingSpaces()
        }
        rest = rest[rest.index(after: close)...]
      }
      passes.append(try Self.make(name, options))
      if rest.first == "," {
        rest = rest.dropFirst()
        if rest.isEmpty { throw CompileError("pipeline '\(text)' ends with ','") }
      } else if !rest.isEmpty {
        throw CompileError("expected ',' after pass '\(name)' in pipeline '\(text)'")
      }
    }
    self.passes = passes
  }

  /// Runs every pass in order. Each must be given the stage it consumes;
  /// after each, the invariants of the stage it produced are checked, then
  /// the IR verifier (with `verifyEach`, a failure is a bug of that pass),
  /// then the instrumentation prints and dumps what it was asked to.
  public func run(
    _ module: inout Module, _ context: PassContext, _ instrumentation: PassInstrumentation = PassInstrumentation()
  ) throws(CompileError) {
    try instrumentation.check(self)
    try instrumentation.started(module)
    let clock = ContinuousClock()
    var timings: [(String, Duration)] = []
    var context = context
    if instrumentation.timePasses {
      let log = instrumentation.log
      context.remark = { log("remark: " + $0 + "\n") }
    }
    try Self.checkInput(module, first: passes.first)
    for (index, pass) in passes.enumerated() {
      let stage = Stage(of: module)
      guard stage == pass.consumes else {
        throw CompileError(
          "pass '\(pass.name)' reads a module at stage \(pass.consumes.rawValue), but the pipeline gives it one at stage \(stage.rawValue)",
          kind: .usage)
      }
      // Kept only to tell whether the pass changed the module.
      let before = instrumentation.printAfterChange ? module : nil
      let start = clock.now
      try pass.run(&module, context)
      timings.append((pass.name, clock.now - start))
      let broken = StageInvariants.check(module, after: pass.name)
      if !broken.isEmpty { throw CompileError(broken, kind: .internal) }
      if instrumentation.verifyEach {
        let errors = Verifier.diagnose(module).filter { $0.severity == .error }
        if !errors.isEmpty {
          throw CompileError([.error("internal error: pass '\(pass.name)' produced invalid IR", at: nil)] + errors, kind: .internal)
        }
      }
      try instrumentation.finished(pass, index: index + 1, before: before, after: module)
    }
    instrumentation.report(timings)
  }

  /// The module handed to the pipeline is the user's file: a plan given as a
  /// model, or a model holding plan ops, is an error in that file.
  static func checkInput(_ module: Module, first: (any Pass)?) throws(CompileError) {
    let stage = Stage(of: module)
    if stage != .graph, first?.consumes == .graph {
      throw CompileError(
        "module @\(module.name) is at stage \(stage.rawValue) (a compiled plan), not a model; compile the model it came from",
        at: module.location)
    }
    guard stage == .graph else { return }
    for g in module.graphs {
      if let op = g.ops.first(where: \.opcode.isPlanOnly) {
        throw CompileError(
          "'\(op.opcode.rawValue)' is a plan op; a model (stage graph) holds whole-sequence ops only, and ringc's passes write the plan ops",
          at: op.location)
      }
    }
  }

  /// `run` with only the IR verifier switched on or off.
  public func run(_ module: inout Module, _ context: PassContext, verifyEach: Bool) throws(CompileError) {
    var instrumentation = PassInstrumentation()
    instrumentation.verifyEach = verifyEach
    try run(&module, context, instrumentation)
  }
}

extension Substring {
  func trimmingSpaces() -> String {
    String(drop(while: { $0 == " " }).reversed().drop(while: { $0 == " " }).reversed())
  }
}
