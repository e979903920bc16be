import HostIO
import GraphIR
import PlanIR

/// What every pass can read: the sequence-parallel degree. A pass's own
/// options (`shard-sequence{layout=zigzag}`, `usp{ulysses=2,ring=2}`) are
/// parsed by `PassPipeline` into the pass value.
public struct PassContext: Sendable {
  /// Ranks in the sequence-parallel group.
  public var sp: Int
  /// Why a pass chose as it did (the scheduler's dropped candidates); shown
  /// with --time-passes, dropped otherwise.
  public var remark: @Sendable (String) -> Void = { _ in }
  /// The most ops the rank programs may hold together. A plan is Θ(P²) ops
  /// for the ring strategies (P programs of about P steps), at about 1 KiB of
  /// memory each while compiled (0.8 KiB measured: 2.1 GB for the 2.6 M ops
  /// of llama3-70b at --sp 512); the default keeps that within half the
  /// machine's memory.
  public var opLimit: Int = max(1 << 16, Machine.physicalMemory / 2 / 1024)

  public init(sp: Int) { self.sp = sp }
}

/// A module-to-module transformation with a kebab-case name. Each declares
/// the stage it reads and the stage it leaves; the pipeline refuses a pass
/// given the wrong stage and checks the invariants of the stage it leaves
/// (`StageInvariants`).
public protocol Pass: Sendable {
  var name: String { get }
  var consumes: Stage { get }
  var produces: Stage { get }
  func run(_ module: inout Module, _ context: PassContext) throws(CompileError)
}
