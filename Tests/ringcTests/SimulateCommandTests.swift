import Foundation
import RingcTestSupport
import Testing

@Suite(.serialized) struct SimulateCommandTests {
  @Test func simulatePrintsStepsAndJSONAndATrace() throws {
    let dir = try temporaryDirectory()
    let plan = dir + "/a10.plan"
    #expect(try ringc(["compile", "models/llama2-7b-attention.ir", "--sp", "4", "--seq", "24000", "-o", plan]).status == 0)
    let text = try ringc(["simulate", plan, "--profile", "a10-pcie-4", "--trace", dir + "/predicted.json"])
    #expect(text.status == 0, "\(text.stderr)")
    #expect(text.stdout.contains("step        ms   compute ms   comm ms   critical"))
    let json = try ringc(["simulate", plan, "--profile", "a10-pcie-4", "--json"])
    let object = try #require(JSONSerialization.jsonObject(with: Data(json.stdout.utf8)) as? [String: Any])
    #expect(object["profile"] as? String == "a10-pcie-4")
    #expect((object["total_ms"] as? Double ?? 0) > 0)
    let layer = try #require((object["layers"] as? [[String: Any]])?.first)
    let steps = try #require(layer["steps"] as? [[String: Any]])
    #expect(steps.count == 5)
    #expect(steps.allSatisfy { $0["compute_ms"] != nil && $0["comm_ms"] != nil && $0["ms"] != nil })
    let trace = try #require(JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: dir + "/predicted.json"))) as? [String: Any])
    let events = try #require(trace["traceEvents"] as? [[String: Any]])
    #expect(Set(events.compactMap { $0["pid"] as? Int }) == [0, 1, 2, 3])
  }

  @Test func profilesShowEveryNumberWithItsSource() throws {
    let r = try ringc(["profiles", "--show", "a100-sxm-8"])
    #expect(r.status == 0, "\(r.stderr)")
    #expect(r.stdout.contains("  peak bf16"))
    #expect(r.stdout.contains("      source: NVIDIA A100 Tensor Core GPU datasheet"))
    #expect(r.stdout.contains("  attention FlashAttention-2 head_dim 128 causal"))
    #expect(r.stdout.contains("1024:143.7 4096:156.27 (seq:TFLOP/s)"))
    #expect(r.stdout.contains(" cited, ") && r.stdout.contains(" 0 without a source"))
    let missing = try ringc(["profiles", "--show", "tpu-v9"])
    #expect(missing.status == 65)
    #expect(missing.stderr.contains("no profile 'tpu-v9'"))
  }

  @Test func unknownAndInvalidProfilesAreErrors() throws {
    let dir = try temporaryDirectory()
    let plan = dir + "/t.plan"
    #expect(try ringc(["compile", "models/tiny.ir", "--sp", "2", "-o", plan]).status == 0)
    let unknown = try ringc(["simulate", plan, "--profile", "tpu-v9"])
    #expect(unknown.status == 65)
    #expect(unknown.stderr.contains("no profile 'tpu-v9' (known: a10-pcie-4, a100-sxm-8"))
    let bad = dir + "/bad.xml"
    let text = try String(contentsOfFile: repositoryRoot + "/profiles/a10-pcie-4.xml", encoding: .utf8)
      .replacingOccurrences(of: "port-bandwidth=\"25\"", with: "port-bandwidth=\"-25\"")
    try text.write(toFile: bad, atomically: true, encoding: .utf8)
    let invalid = try ringc(["simulate", plan, "--profile", bad])
    #expect(invalid.status == 65)
    #expect(invalid.stderr.contains("\(bad):"))
    #expect(invalid.stderr.contains(": error: Element 'pcie-tree', attribute 'port-bandwidth'"), "\(invalid.stderr)")
  }

  /// A FIFO for a profile is refused unopened (66) by every command that
  /// reads profiles; a value out of range and a deadlocked plan are bad data
  /// (65), located in the profile and the plan.
  @Test func profileFilesValuesAndDeadlocksAreLocatedErrors() throws {
    let dir = try temporaryDirectory()
    let plan = dir + "/t.plan"
    #expect(try ringc(["compile", "models/tiny.ir", "--sp", "2", "-o", plan]).status == 0)
    let fifo = dir + "/fifo.xml"
    #expect(mkfifo(fifo, 0o600) == 0)
    for args in [
      ["simulate", plan, "--profile", fifo], ["compare", "models/tiny.ir", "--sp", "2", "--profile", fifo],
      ["compile", "models/tiny.ir", "--sp", "2", "--strategy", "auto", "--profile", fifo, "-o", dir + "/auto.plan"],
    ] {
      let r = try ringc(args)
      #expect(r.status == 66, "\(args)")
      #expect(r.stderr == "error: \(fifo) is a FIFO, not a regular file\n", "\(args)")
    }
    let slow = dir + "/slow.xml"
    try String(contentsOfFile: repositoryRoot + "/profiles/a10-pcie-4.xml", encoding: .utf8)
      .replacingOccurrences(of: "port-bandwidth=\"25\"", with: "port-bandwidth=\"1e-308\"")
      .write(toFile: slow, atomically: true, encoding: .utf8)
    let range = try ringc(["simulate", plan, "--profile", slow])
    #expect(range.status == 65)
    #expect(range.stderr == "\(slow):23:32: error: 'port-bandwidth' of <pcie-tree> must be between 1 MB/s and 100 TB/s, found 1e-308 GB/s\n")
    // Rank 0 sends and receives at a step rank 1 never uses: the plan
    // verifier refuses it before the simulator sees it.
    let stuck = dir + "/stuck.plan"
    try String(contentsOfFile: plan, encoding: .utf8).replacingOccurrences(of: "peer = 1, step = 0}", with: "peer = 1, step = 7}")
      .write(toFile: stuck, atomically: true, encoding: .utf8)
    let unpaired = try ringc(["simulate", stuck, "--profile", "a10-pcie-4"])
    #expect(unpaired.status == 65)
    #expect(unpaired.stderr.hasPrefix(stuck + ":"), "\(unpaired.stderr)")
    #expect(
      unpaired.stderr.contains(": error: rank 0: send.start to rank 1 (chan @a.q, step 7) has no matching recv.start on rank 1"),
      "\(unpaired.stderr)")
  }

  @Test func compareTablesEveryStrategyAndNamesAWinner() throws {
    let r = try ringc(["compare", "models/llama2-7b.ir", "--sp", "8", "--seq", "32768", "--profile", "ascend-910b-8", "--json"])
    #expect(r.status == 0, "\(r.stderr)")
    let object = try #require(JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as? [String: Any])
    let rows = try #require(object["strategies"] as? [[String: Any]])
    #expect(rows.count >= 11)
    #expect(object["winner"] as? String != nil)
    #expect((object["reason"] as? String ?? "").contains("faster per layer than"))
    let text = try ringc(["compare", "models/tiny.ir", "--sp", "3", "--profile", "h100-sxm-8"])
    #expect(text.stdout.contains("ulysses               cannot serve: ulysses needs the query heads (4) to be a multiple of the Ulysses degree 3"))
    #expect(text.stdout.contains("winner: "))
  }

  @Test func autoCompilesWithThePredictedWinner() throws {
    let dir = try temporaryDirectory()
    let r = try ringc(["compile", "models/llama2-7b.ir", "--sp", "4", "--seq", "24000", "--strategy", "auto", "--profile", "a10-pcie-4", "-o", dir + "/auto.plan"])
    #expect(r.status == 0, "\(r.stderr)")
    // The plan is the strategy the remark names as the winner.
    let winner = try #require(r.stderr.split(separator: " ").dropFirst().first, "\(r.stderr)")
    #expect(r.stderr.hasPrefix("auto: \(winner) on a10-pcie-4 — "))
    #expect(try String(contentsOfFile: dir + "/auto.plan", encoding: .utf8).contains("strategy = \"\(winner)\""))
    let missing = try ringc(["compile", "models/tiny.ir", "--sp", "2", "--strategy", "auto"])
    #expect(missing.status == 64)
    #expect(missing.stderr.contains("--strategy auto needs --profile"))
  }

  /// Llama-3-70B's replicated bf16 weights exceed an 80 GB H100: auto picks
  /// nothing and says why; compare marks every row and shows the breakdown.
  @Test func autoRefusesWhatDoesNotFitInDeviceMemory() throws {
    let dir = try temporaryDirectory()
    let r = try ringc(["compile", "models/llama3-70b.ir", "--sp", "8", "--seq", "8192", "--strategy", "auto", "--profile", "h100-sxm-8", "-o", dir + "/auto.plan"])
    #expect(r.status == 65)
    #expect(r.stderr.contains("no strategy fits in device memory"), "\(r.stderr)")
    #expect(r.stderr.contains("more ranks do not help"), "\(r.stderr)")
    #expect(!FileManager.default.fileExists(atPath: dir + "/auto.plan"))
    let table = try ringc(["compare", "models/llama3-70b.ir", "--sp", "8", "--seq", "8192", "--profile", "h100-sxm-8"])
    #expect(table.status == 0)
    #expect(table.stdout.contains("(does not fit in 74.51 GiB)"))
    #expect(table.stdout.contains("device memory = weights (every rank holds all, here 131.42 GiB)"))
    #expect(!table.stdout.contains("winner:"))
  }

  @Test(.enabled(if: mpirunPath != nil, "mpirun is not installed"))
  func calibrateWritesAProfileTheSimulatorReads() throws {
    let dir = try temporaryDirectory()
    let alone = try mpirun(1, ["calibrate", "-o", dir + "/host.xml"])
    #expect(alone.status != 0)
    #expect(alone.stderr.contains("run it with mpirun -np 2"))
    // The test binary is a debug build: --quick keeps the kernels small.
    let r = try mpirun(2, ["calibrate", "-o", dir + "/host.xml", "--quick"])
    #expect(r.status == 0, "\(r.stderr)")
    try FileManager.default.copyItem(atPath: repositoryRoot + "/profiles/device-profile.xsd", toPath: dir + "/device-profile.xsd")
    let plan = dir + "/t.plan"
    #expect(try ringc(["compile", "models/tiny.ir", "--sp", "2", "-o", plan]).status == 0)
    let sim = try ringc(["simulate", plan, "--profile", dir + "/host.xml", "--json"])
    #expect(sim.status == 0, "\(sim.stderr)")
    #expect(sim.stdout.contains("\"profile\": \"host\""))
  }

  /// 1 GFLOP/s devices on 50 MB/s links: the scheduler splits TokenRing's
  /// partials, and the split plan still computes exactly what one device would.
  @Test(.enabled(if: mpirunPath != nil, "mpirun is not installed"))
  func splitPartialsRunAndMatchTheReference() throws {
    let dir = try temporaryDirectory()
    try FileManager.default.copyItem(atPath: repositoryRoot + "/profiles/device-profile.xsd", toPath: dir + "/device-profile.xsd")
    let profile = fullMeshProfile(name: "slow-mesh", peak: "1\" unit=\"GFLOP/s", link: "50\" unit=\"MB/s", latency: "1")
    try profile.write(toFile: dir + "/slow.xml", atomically: true, encoding: .utf8)
    for model in ["tiny.ir", "tiny-dit.ir"] {
      let plan = dir + "/\(model).plan"
      let c = try ringc(["compile", "models/\(model)", "--sp", "3", "--seq", "29", "--profile", dir + "/slow.xml", "-o", plan])
      #expect(c.status == 0, "\(c.stderr)")
      #expect(try String(contentsOfFile: plan, encoding: .utf8).contains("chan = @a.out.p1"), "the partials are split")
      let r = try mpirun(3, ["run", plan, "--check"])
      #expect(r.status == 0, "\(r.stderr)")
      #expect(r.stdout.contains("): ok"), "\(r.stdout)")
    }
    let tight = try ringc(["compile", "models/tiny.ir", "--sp", "3", "--profile", dir + "/slow.xml", "--memory-budget", "2KiB", "-o", dir + "/t.plan"])
    #expect(tight.status == 0)
    #expect(tight.stderr.contains("over the memory budget of 2.0 KiB"))
    let bad = try ringc(["compile", "models/tiny.ir", "--sp", "3", "--profile", dir + "/slow.xml", "--memory-budget", "lots"])
    #expect(bad.status == 64)
    #expect(bad.stderr.contains("--memory-budget 'lots' is not a size"))
  }
}
