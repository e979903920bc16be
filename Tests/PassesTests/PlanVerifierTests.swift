import GraphIR
import Passes
import Testing

/// The plan verifier must reject deliberately broken plans, naming the rank,
/// the op and the peer.
@Suite struct PlanVerifierTests {
  struct NotFound: Error {}

  /// Unwraps an index found while editing a plan.
  func found(_ index: Int?) throws -> Int {
    guard let index else { throw NotFound() }
    return index
  }

  /// Edits rank `rank`'s layer program of a compiled tiny plan.
  func broken(sp: Int = 4, rank: Int, _ edit: (inout [Op]) throws -> Void) throws -> Module {
    var plan = try compile("tiny.ir", sp: sp)
    let i = try #require(plan.graphs.firstIndex { $0.name == "layer.r\(rank)" })
    try edit(&plan.graphs[i].ops)
    return plan
  }

  @Test func acceptsTheCompiledPlan() throws {
    #expect(planErrors(try compile("tiny.ir", sp: 4)) == [])
  }

  @Test func droppedReceiveIsReported() throws {
    let plan = try broken(rank: 2) { ops in
      let start = try found(ops.firstIndex { $0.opcode == .recvStart && $0.attributes["chan"] == .string("a.q") })
      let buffer = ops[start].results[0]
      ops.remove(at: start)
      ops.removeAll { $0.opcode == .recvDone && $0.operands == [.value(buffer)] }
    }
    let errors = planErrors(plan)
    #expect(errors.contains { $0.hasPrefix("rank 3: send.start to rank 2 (chan \"a.q\", step 0) has no matching recv.start on rank 2") }, "\(errors)")
  }

  @Test func sendToTheWrongPeerIsReported() throws {
    let plan = try broken(rank: 1) { ops in
      for i in ops.indices where ops[i].opcode == .sendStart || ops[i].opcode == .sendDone {
        if ops[i].attributes["chan"] == .string("a.q"), ops[i].attributes["step"] == .int(0) {
          ops[i].attributes["peer"] = .int(3)
        }
      }
    }
    let errors = planErrors(plan)
    #expect(errors.contains { $0.hasPrefix("rank 1: send.start to rank 3 (chan \"a.q\", step 0) has no matching recv.start on rank 3") }, "\(errors)")
    #expect(errors.contains { $0.hasPrefix("rank 0: recv.start from rank 1 (chan \"a.q\", step 0) has no matching send.start on rank 1") }, "\(errors)")
  }

  @Test func twoRanksWaitingOnEachOtherIsADeadlock() throws {
    var plan = try compile("tiny.ir", sp: 2)
    // Both ranks wait for the incoming Q before sending theirs.
    for r in 0..<2 {
      let i = plan.graphs.firstIndex { $0.name == "layer.r\(r)" }!
      var ops = plan.graphs[i].ops
      let send = ops.firstIndex { $0.opcode == .sendStart }!
      let op = ops.remove(at: send)
      let done = ops.firstIndex { $0.opcode == .recvDone }!
      ops.insert(op, at: done + 1)
      plan.graphs[i].ops = ops
    }
    let errors = planErrors(plan)
    #expect(errors == ["deadlock: rank 0 waits in recv.done for rank 1; rank 1 waits in recv.done for rank 0"])
  }

  @Test func missingCausalBlockIsReported() throws {
    // Rank 1 receives its step-3 partial but never merges it.
    let plan = try broken(rank: 1) { ops in
      let merge = try found(ops.firstIndex { $0.results.first == "a.acc.s3" })
      ops.remove(at: merge)
      for i in ops.indices {
        ops[i].operands = ops[i].operands.map {
          $0 == .value("a.acc.s3") ? .value("a.acc.s2") : $0 == .value("a.lacc.s3") ? .value("a.lacc.s2") : $0
        }
      }
    }
    let errors = planErrors(plan)
    #expect(errors.contains { $0.hasPrefix("rank 1: attention output %a is wrong: keys [12, 20) are never attended by queries [24, 28)") }, "\(errors)")
  }

  @Test func partialMergedTwiceIsReported() throws {
    let plan = try broken(rank: 1) { ops in
      let merge = try found(ops.firstIndex { $0.results.first == "a.acc.s3" })
      var again = ops[merge]
      again.results = ["a.acc.s3b", "a.lacc.s3b"]
      again.operands[0] = .value("a.acc.s3")
      again.operands[1] = .value("a.lacc.s3")
      ops.insert(again, at: merge + 1)
      for i in ops.indices where i > merge + 1 {
        ops[i].operands = ops[i].operands.map {
          $0 == .value("a.acc.s3") ? .value("a.acc.s3b") : $0 == .value("a.lacc.s3") ? .value("a.lacc.s3b") : $0
        }
      }
    }
    let errors = planErrors(plan)
    #expect(errors.contains { $0.contains("keys [12, 20) are attended 2 times by queries [24, 28)") }, "\(errors)")
  }

  @Test func blockClaimingOtherTokensIsReported() throws {
    let plan = try broken(rank: 2) { ops in
      let i = try found(ops.firstIndex { $0.opcode == .attnBlock && $0.attributes["step"] == .int(1) })
      ops[i].attributes["q_tokens"] = TokenRanges([0..<4, 28..<32]).attribute
    }
    let errors = planErrors(plan)
    #expect(errors.contains { $0.hasPrefix("rank 2: attn.block claims query tokens [0, 4) ∪ [28, 32) but its query rows hold") }, "\(errors)")
  }

  @Test func readingABufferBeforeItsReceiveCompletesIsReported() throws {
    let plan = try broken(rank: 0) { ops in
      let done = try found(ops.firstIndex { $0.opcode == .recvDone })
      let op = ops.remove(at: done)
      let block = try found(ops.lastIndex { $0.opcode == .attnBlock && $0.attributes["step"] == .int(1) })
      ops.insert(op, at: block + 1)
    }
    let errors = planErrors(plan)
    #expect(errors.contains { $0.hasPrefix("rank 0: 'attn.block' reads %a.q.s1 before its recv.done") }, "\(errors)")
  }
}
