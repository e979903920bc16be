import RingcTestSupport
import Testing

/// The runner's own tests: each directive kind can fail, and says where.
@Suite struct RunnerTests {
  /// The report for `text` when every command gives `output` and `diagnostics`.
  func report(_ text: String, output: String = "", diagnostics: [TestDiagnostic] = []) throws -> String? {
    let file = try IRTestFile(path: "t.ir", text: text)
    return file.run { _, _, _ in CommandResult(output: output, diagnostics: diagnostics) }.map(String.init(describing:))
  }

  let plan = """
    graph @a.r0 {
      %q = recv.start {chan = "a.q", peer = 1, step = 0}
      send.start %q {chan = "a.q", peer = 1, step = 1}
    graph @a.r1 {
      %k = slice %x
    """

  @Test func matchingChecksPass() throws {
    let checks = """
      // RUN: compile
      // CHECK-LABEL: graph @a.r0
      // CHECK: %[[Q:[a-z]+]] = recv.start {chan = "a.q", peer = {{[0-9]+}}
      // CHECK-SAME: step = 0}
      // CHECK-NEXT: send.start %[[Q]] {chan
      // CHECK-NOT: slice
      // CHECK-LABEL: graph @a.r1
      // CHECK: slice
      """
    #expect(try report(checks, output: plan) == nil)
  }

  @Test func aCheckThatDoesNotMatchFails() throws {
    let r = try #require(try report("// RUN: compile\n// CHECK: peer = 5", output: plan))
    #expect(r.contains("t.ir: case at line 1, RUN line 1 (compile)"))
    #expect(r.contains("t.ir:2: CHECK: 'peer = 5' not found"))
    #expect(r.contains("  | graph @a.r0 {"), "the report shows the output")
  }

  @Test func checkNextOnAnotherLineFails() throws {
    let r = try #require(try report("// RUN: compile\n// CHECK: graph @a.r0\n// CHECK-NEXT: send.start", output: plan))
    #expect(r.contains("t.ir:3: CHECK-NEXT: 'send.start' does not match output line 2"))
  }

  @Test func checkNotBetweenMatchesFails() throws {
    let r = try #require(try report("// RUN: compile\n// CHECK: graph @a.r0\n// CHECK-NOT: recv.start\n// CHECK: send.start", output: plan))
    #expect(r.contains("t.ir:3: CHECK-NOT: 'recv.start' matches output line 2"))
  }

  @Test func aLabelConfinesTheChecksAfterIt() throws {
    let r = try #require(try report("// RUN: compile\n// CHECK-LABEL: graph @a.r0\n// CHECK: slice\n// CHECK-LABEL: graph @a.r1", output: plan))
    #expect(r.contains("t.ir:3: CHECK: 'slice' not found"))
  }

  @Test func aCaptureMustMatchWhereItIsUsed() throws {
    let r = try #require(try report("// RUN: compile\n// CHECK: %[[Q:[a-z]+]] = recv.start\n// CHECK: slice %[[Q]]", output: plan))
    #expect(r.contains("t.ir:3: CHECK: 'slice %[[Q]]' not found"))
  }

  @Test func anExpectedErrorThatIsNotProducedFails() throws {
    let text = "// RUN: check --verify-diagnostics\n// expected-error@+1 {{bad op}}\n%x = op"
    let r = try #require(try report(text, diagnostics: [TestDiagnostic(.error, line: 2, "bad op")]))
    #expect(r.contains("t.ir:2: expected error at line 3 containing 'bad op' was not produced"))
    #expect(r.contains("t.ir:2: unexpected 2: error: bad op"), "one line off is not the same place")
  }

  @Test func anUnexpectedErrorFails() throws {
    let r = try #require(try report("// RUN: check --verify-diagnostics", diagnostics: [TestDiagnostic(.error, line: 1, column: 4, "surprise")]))
    #expect(r.contains("t.ir:1: unexpected 1:4: error: surprise"))
    // Without --verify-diagnostics, any error fails too.
    #expect(try report("// RUN: check", diagnostics: [TestDiagnostic(.error, line: nil, "surprise")]) != nil)
  }

  @Test func theColumnIsCheckedWhereGiven() throws {
    let text = "// RUN: check --verify-diagnostics\n%x = op  // expected-error:7 {{bad}}"
    #expect(try report(text, diagnostics: [TestDiagnostic(.error, line: 2, column: 6, "bad")]) != nil)
    #expect(try report(text, diagnostics: [TestDiagnostic(.error, line: 2, column: 7, "bad")]) == nil)
  }

  @Test func casesAreRunApartWithTheFileLines() throws {
    let text = "// RUN: check\na\n// -----\nb\n// -----\nc"
    let file = try IRTestFile(path: "t.ir", text: text)
    var inputs: [String] = []
    #expect(file.run { _, input, _ in inputs.append(input); return CommandResult(output: "") } == nil)
    #expect(inputs == ["// RUN: check\na", "\n\n\nb", "\n\n\n\n\nc"])
    #expect(file.cases.map(\.firstLine) == [1, 4, 6])
  }

  @Test func aPrefixWithoutChecksFails() throws {
    let r = try #require(try report("// RUN: compile --check-prefix=TR\n// CHECK: graph", output: plan))
    #expect(r.contains("t.ir:1: no TR: directive in this case"))
  }
}
