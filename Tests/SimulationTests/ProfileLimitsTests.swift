import RingcTestSupport
import Simulation
import Testing

#if canImport(Glibc)
  import Glibc
#endif

/// The error loading `path` gives, or nil if the profile was accepted.
func loadFailure(path: String) -> ProfileLoader.Failure? {
  do {
    _ = try ProfileLoader.load(path: path, schema: schema)
    return nil
  } catch {
    return error
  }
}

/// The same for `text`, from a file of its own (the cases run in parallel).
func loadFailure(_ text: String, _ name: String) -> ProfileLoader.Failure? {
  loadFailure(path: writeTemporary(text, name))
}

/// Loads `base` with its first `old` made `new` (which must change it),
/// from a file of its own named `prefix` and a hash of `message`, and
/// expects the error to be `message` at that file.
@discardableResult
func expectEditRefused(_ base: String, _ old: String, _ new: String, prefix: String, message: String) throws -> ProfileLoader.Failure {
  let text = base.replacingFirst(old, new)
  #expect(text != base)
  let name = "\(prefix)-\(message.utf8.reduce(0) { ($0 &* 31 &+ Int($1)) & 0xffffff }).xml"
  let failure = try #require(loadFailure(text, name), "accepted \(new)")
  #expect(failure.description == "/tmp/ringc-sim-\(getpid())-\(name)" + message)
  return failure
}

/// Values out of the ranges of `ProfileLimits` are located errors naming the
/// key, the value and the range: before the bounds, integers above 2^63
/// trapped, 2^32 × 2^32 devices overflowed, a 4·10^9-device PCIe tree was
/// allocated, and tiny or huge times sent the simulator's clock to a halt.
@Suite struct ProfileLimitsTests {
  @Test(arguments: [
    ("<nodes count=\"1\"", "<nodes count=\"99999999999999999999\"",
     ":10:17: error: 'count' of <nodes> must be between 1 and 1048576, found 99999999999999999999"),
    ("<nodes count=\"1\" devices-per-node=\"4\"", "<nodes count=\"4294967296\" devices-per-node=\"4294967296\"",
     ":10:17: error: 'count' of <nodes> must be between 1 and 1048576, found 4294967296"),
    ("<nodes count=\"1\" devices-per-node=\"4\"", "<nodes count=\"1024\" devices-per-node=\"2048\"",
     ":10:17: error: 1024 nodes × 2048 devices per node is more than the 1048576 devices a profile may have"),
    ("link-bandwidth=\"1\"", "link-bandwidth=\"1e-308\"",
     ":12:32: error: 'link-bandwidth' of <full-mesh> must be between 1 MB/s and 100 TB/s, found 1e-308 GB/s"),
    ("link-bandwidth=\"1\"", "link-bandwidth=\"INF\"",
     ":12:32: error: 'link-bandwidth' of <full-mesh> must be between 1 MB/s and 100 TB/s, found INF GB/s"),
    ("<latency value=\"10\" unit=\"us\"", "<latency value=\"1e308\" unit=\"ms\"",
     ":13:21: error: 'value' of <latency> must be at most 1 s, found 1e308 ms"),
    ("value=\"1\" unit=\"TFLOP/s\"", "value=\"1e-300\" unit=\"TFLOP/s\"",
     ":4:30: error: 'value' of <peak> must be between 1 GFLOP/s and 1 EFLOP/s, found 1e-300 TFLOP/s"),
    ("<matmul-efficiency value=\"1\"", "<matmul-efficiency value=\"1e-300\"",
     ":5:31: error: 'value' of <matmul-efficiency> must be between 0.001 and 1, found 1e-300"),
    ("capacity=\"1\"", "capacity=\"1e300\"",
     ":7:64: error: 'capacity' of <memory> must be between 1 MiB and 1 PiB, found 1e300 GiB"),
    ("    <memory", "    <attention-tile queries=\"99999999999999999999\" keys=\"64\"/>\n    <memory",
     ":7:30: error: 'queries' of <attention-tile> must be between 1 and 1048576, found 99999999999999999999"),
    ("  <topology>", "  <compute-units count=\"99999999999999999999\"/>\n  <topology>",
     ":11:25: error: 'count' of <compute-units> must be between 1 and 1048576, found 99999999999999999999"),
  ])
  func outOfRangeValuesAreLocatedErrors(old: String, new: String, message: String) throws {
    let failure = try expectEditRefused(meshProfile, old, new, prefix: "limit", message: message)
    #expect(failure.kind == .malformed)
  }

  /// The PCIe switches' device lists are checked against a bounded node:
  /// no list of 4·10^9 devices is built to compare them with.
  @Test(arguments: [
    ("devices-per-node=\"4\"", "devices-per-node=\"4000000000\"",
     ":21:38: error: 'devices-per-node' of <nodes> must be between 1 and 1048576, found 4000000000"),
    ("devices=\"2 3\"", "devices=\"2 4000000000\"", ":25:29: error: PCIe switch 1 lists device 4000000000, but a node has devices 0…3"),
    ("devices=\"2 3\"", "devices=\"2 2\"", ":25:29: error: device 2 is under PCIe switch 1 already"),
    ("devices=\"2 3\"", "devices=\"2\"", ":23:5: error: the PCIe switches must list every device 0…3 of a node once; device 3 is under none"),
  ])
  func pcieTreesAreBounded(old: String, new: String, message: String) throws {
    try expectEditRefused(try readText(repositoryRoot + "/profiles/a10-pcie-4.xml"), old, new, prefix: "pcie", message: message)
  }

  @Test func aDoctypeIsRefused() throws {
    let text = meshProfile.replacingFirst("<device-profile", "<!DOCTYPE device-profile [<!ENTITY e \"x\">]>\n<device-profile")
    let failure = try #require(loadFailure(text, "doctype.xml"))
    #expect(failure.description == "/tmp/ringc-sim-\(getpid())-doctype.xml:2:1: error: a device profile takes no DOCTYPE")
  }
}

/// What is no regular file is refused after `stat`, before anything opens
/// it: opening a FIFO with no writer would block forever.
@Suite struct ProfileFileTests {
  @Test func aFIFOIsRefusedWithoutBeingOpened() throws {
    let path = "/tmp/ringc-sim-\(getpid())-fifo.xml"
    unlink(path)
    #expect(mkfifo(path, 0o600) == 0)
    defer { unlink(path) }
    let failure = try #require(loadFailure(path: path))
    #expect(failure.description == "error: \(path) is a FIFO, not a regular file")
    #expect(failure.kind == .unreadable)
  }

  @Test(arguments: [("/dev/zero", "a character device"), ("/tmp", "a directory")])
  func otherNonRegularFilesAreRefused(path: String, kind: String) throws {
    let failure = try #require(loadFailure(path: path))
    #expect(failure.description == "error: \(path) is \(kind), not a regular file")
    #expect(failure.kind == .unreadable)
  }

  @Test func aMissingFileCannotBeOpened() throws {
    let failure = try #require(loadFailure(path: "/tmp/ringc-sim-\(getpid())-missing.xml"))
    #expect(failure.description.hasSuffix("missing.xml: No such file or directory"))
    #expect(failure.kind == .unreadable)
  }

  @Test func aFileOverTheLimitIsRefused() throws {
    let text = meshProfile + String(repeating: " ", count: 4 << 20)
    let failure = try #require(loadFailure(text, "huge.xml"))
    #expect(failure.description.contains("bytes, more than the 4194304 a profile may have"), "\(failure)")
    #expect(failure.kind == .malformed)
  }
}

@Suite struct KernelCurveErrorTests {
  /// A kernel curve's lists must pair up and hold sensible values, one curve
  /// per head_dim and mask; each error names the value's line and column.
  @Test(arguments: [
    ("rate=\"309 350 362 368 370 370\"", "rate=\"309 350\"", ":12:83: error: <curve> lists 6 seq values but 2 rates; give one rate per seq"),
    ("head-dim=\"64\" mask=\"causal\"", "head-dim=\"64\" mask=\"full\"", ":11:24: error: a second full curve for head_dim 64"),
    ("seq=\"512 1024 2048 4096 8192 16384\" rate=\"309", "seq=\"512 1024 2048 4096 8192 1e99\" rate=\"309",
     ":12:46: error: every 'seq' of <curve> must be a whole number between 1 and 4294967296 tokens, found 1e99"),
    ("seq=\"512 1024 2048 4096 8192 16384\" rate=\"309", "seq=\"512.5 1024 2048 4096 8192 16384\" rate=\"309",
     ":12:46: error: every 'seq' of <curve> must be a whole number between 1 and 4294967296 tokens, found 512.5"),
    ("    <memory", "    <attention-tile queries=\"128\" keys=\"64\"/>\n    <memory",
     ":19:5: error: <attention-tile> costs the tiles of an attention-efficiency curve; an attention-kernel's causal curve already holds what its cut tiles cost"),
    ("rate=\"309 350 362 368 370 370\"", "rate=\"309 350 362 368 370 1e9\"",
     ":12:83: error: every 'rate' of <curve> must be between 1 GFLOP/s and 1 EFLOP/s, found 1e9"),
    // 4 · 64 FLOPs per score at 282 TFLOP/s is 0.91 ps; one exponential at 0.5 T/s is 2 ps.
    ("<exponentials rate=\"3.9\"", "<exponentials rate=\"0.5\"",
     ":16:27: error: an exponential rate of 0.5 T/s is too low for the head_dim 64 full curve's 282 TFLOP/s at seq 512: each score takes one exponential"),
    ("<exponentials rate=\"3.9\"", "<exponentials rate=\"1e30\"",
     ":16:27: error: 'rate' of <exponentials> must be between 1 G/s and 1 E/s, found 1e30 T/s"),
  ])
  func curvesAreChecked(old: String, new: String, message: String) throws {
    try expectEditRefused(try readText(repositoryRoot + "/profiles/h100-sxm-8.xml"), old, new, prefix: "curve", message: message)
  }

  @Test func aKernelNeedsThePeakOfItsDtype() throws {
    let h100 = try readText(repositoryRoot + "/profiles/h100-sxm-8.xml")
    let text = h100.split(separator: "\n", omittingEmptySubsequences: false)
      .filter { !$0.contains("<peak dtype=\"bf16\"") }.joined(separator: "\n")
    let failure = try #require(loadFailure(text, "no-bf16.xml"))
    #expect(
      failure.description
        == "/tmp/ringc-sim-\(getpid())-no-bf16.xml:8:54: error: the attention kernel's curves are bf16 rates, but the device lists no bf16 peak")
  }

  @Test func anOverlapSlowdownOfOneIsRefused() throws {
    let h100 = try readText(repositoryRoot + "/profiles/h100-sxm-8.xml")
    let failure = try #require(loadFailure(h100.replacingFirst("<overlap-slowdown value=\"0.189\"", "<overlap-slowdown value=\"1\""), "slowdown.xml"))
    #expect(failure.description.hasPrefix("/tmp/ringc-sim-\(getpid())-slowdown.xml:21:"), "\(failure.description)")
    #expect(failure.description.contains("Element 'overlap-slowdown', attribute 'value'"), "\(failure.description)")
  }
}
