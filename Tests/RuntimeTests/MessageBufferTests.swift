import GraphIR
import Passes
import PlanIR
import Runtime
import Testing

/// Messages in their plan dtype: what a buffer holds and how many bytes it
/// is, which formats a plan's messages use, and the `--check` tolerance
/// that follows.
@Suite struct MessageBufferTests {
  @Test func anF32MessageIsTheTensorsOwnStorage() {
    let t = Tensor(shape: [3, 5], values: (0..<15).map { Float($0) / 7 })
    let message = MessageBuffer(t, as: .f32)
    #expect(message.bytes == UnsafeMutableRawPointer(t.pointer))
    #expect(message.byteCount == 60)
    let received = Tensor(uninitialized: [3, 5])
    #expect(MessageBuffer(receiving: received, as: .f32).bytes == UnsafeMutableRawPointer(received.pointer))
  }

  @Test(arguments: [(WireFormat.bf16, BinaryFormat.bf16), (.f16, .f16)])
  func aSixteenBitMessageHoldsTheRoundedValues(format: WireFormat, binary: BinaryFormat) {
    let values: [Float] = (0..<37).map { Float($0) * 0.123_456_7 - 2 }
    let message = MessageBuffer(Tensor(shape: [37], values: values), as: format)
    #expect(message.byteCount == 74)
    let out = Tensor(shape: [37])
    message.unpack(into: out)
    #expect(out.values == values.map { Float(Reference.rounded($0, to: binary)) })
  }

  static func model(_ dtype: String) -> String {
    """
    module @m {
      dim S = 32 {sequence = true}
      weight @wq : \(dtype)[32,32]
      graph @main(%x: \(dtype)[S,32]) -> \(dtype)[S,32] {
        %q = matmul %x, @wq : \(dtype)[S,32]
        %qh = reshape %q : \(dtype)[S,2,16]
        %a = attention %qh, %qh, %qh {causal = true} : \(dtype)[S,2,16]
        %af = reshape %a : \(dtype)[S,32]
        return %af
      }
    }
    """
  }

  static func plan(_ dtype: String, _ strategy: String) throws -> Module {
    try Compiler.compile(Parser.parse(model(dtype)), sp: 2, strategy: Strategy(strategy)!)
  }

  /// TokenRing sends the queries and the partial outputs in the plan dtype
  /// and the log-sum-exps in f32; Ulysses's all-to-alls carry the plan dtype.
  @Test func theToleranceFollowsTheWidestMessageError() throws {
    #expect(WireFormat.used(by: try Self.plan("bf16", "tokenring")) == [.bf16, .f32])
    #expect(WireFormat.used(by: try Self.plan("f16", "ulysses")) == [.f16])
    #expect(PlanRunner.tolerance(try Self.plan("f32", "tokenring")) == 1e-5)
    #expect(PlanRunner.tolerance(try Self.plan("f32", "ulysses")) == 1e-5)
    #expect(PlanRunner.tolerance(try Self.plan("bf16", "tokenring")) == PlanRunner.tolerance(.bf16))
    #expect(PlanRunner.tolerance(try Self.plan("f16", "ulysses")) == PlanRunner.tolerance(.f16))
    #expect(PlanRunner.tolerance(.f16) < PlanRunner.tolerance(.bf16))
  }
}
