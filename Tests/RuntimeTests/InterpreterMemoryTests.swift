import GraphIR
import Runtime
import Testing

/// What the interpreter holds while it runs: the arguments it was given only
/// until their last reader, weights read ahead when they fit a budget (with
/// the same results as reading them on the way), and aligned storage.
@Suite struct InterpreterMemoryTests {
  static let model = try! Parser.parse(
    """
    module @m {
      dim S = 4 {sequence = true}
      weight @w : f32[8,8]
      weight @g : f32[8]
      graph @layer(%h: f32[S,8]) -> f32[S,8] {
        %n = rmsnorm %h, @g {eps = 1e-05} : f32[S,8]
        %m = matmul %n, @w : f32[S,8]
        %o = add %h, %m : f32[S,8]
        return %o
      }
      graph @main(%x: f32[S,8]) -> f32[S,8] {
        %y = add %x, %x : f32[S,8]
        %z = repeat @layer, %y {count = 2} : f32[S,8]
        return %z
      }
    }
    """)

  static func interpreter() -> Interpreter {
    Interpreter(
      module: model, weights: WeightSource(initializer: Initializer(seed: 3)), communicator: nil, tags: nil,
      options: Interpreter.Options())
  }

  static func input() -> Tensor { Tensor(shape: [4, 8], values: (0..<32).map { Float($0) / 16 - 1 }) }

  @Test func anArgumentIsFreedAfterItsLastReaderNotAfterTheRun() throws {
    let interpreter = Self.interpreter()
    var inputs: [Tensor]? = [Self.input()]
    weak var storage = inputs?[0].storage
    var aliveInLayers: [Bool] = []
    // %x is last read by the first op; each layer runs after it.
    interpreter.onLayerDone = { aliveInLayers.append(storage != nil) }
    _ = try interpreter.run("main", inputs.take() ?? [])
    #expect(aliveInLayers == [false, false])
  }

  @Test func weightsReadAheadGiveTheSameResultAsWeightsReadOnTheWay() throws {
    let instances = WeightSource.instances(Self.model)
    #expect(instances.count == 4)  // @w and @g for each of the two layers
    let onTheWay = Self.interpreter()
    #expect(try onTheWay.preload(instances, budget: 4 * (64 + 8) * 2 - 1) == 0)
    let ahead = Self.interpreter()
    #expect(try ahead.preload(instances, budget: 4 * (64 + 8) * 2) == 4 * (64 + 8) * 2)
    let want = try onTheWay.run("main", [Self.input()])[0]
    let got = try ahead.run("main", [Self.input()])[0]
    #expect(got.values == want.values)
  }

  @Test(arguments: [1, 3, 17, 1000, 1 << 20])
  func tensorStorageStartsOnACacheLine(count: Int) {
    let t = Tensor(uninitialized: [count])
    #expect(Int(bitPattern: t.pointer) % 64 == 0)
    let zeroed = Tensor(shape: [count])
    #expect(Int(bitPattern: zeroed.pointer) % 64 == 0)
    #expect(zeroed.values.allSatisfy { $0 == 0 })
    let message = MessageBuffer(Tensor(shape: [count]), as: .bf16)
    #expect(Int(bitPattern: message.bytes) % 64 == 0)
  }
}
