import Foundation
import RingcTestSupport
import Testing

/// Inputs never hang or run away; outputs never destroy what they replace.
@Suite struct FileSafetyTests {
  @Test func nonRegularInputsAreRefusedWithoutBlocking() throws {
    let dir = try temporaryDirectory()
    let fifo = dir + "/model.fifo"
    #expect(mkfifo(fifo, 0o600) == 0)
    for (path, what) in [(fifo, "a FIFO"), ("/dev/zero", "a character device"), (dir, "a directory")] {
      for command in [["check", path], ["compile", path, "--sp", "2", "-o", dir + "/x.plan"]] {
        let r = try ringc(command)
        #expect(r.status == 66, "\(command): \(r.stderr)")
        #expect(r.stderr.contains("\(path): it is \(what), not a regular file"), "\(command): \(r.stderr)")
      }
    }
  }

  @Test func aPlanWrittenThroughASymlinkKeepsTheLink() throws {
    let dir = try temporaryDirectory()
    let target = dir + "/real.plan"
    let link = dir + "/link.plan"
    try "old".write(toFile: target, atomically: true, encoding: .utf8)
    try FileManager.default.createSymbolicLink(atPath: link, withDestinationPath: "real.plan")
    let r = try ringc(["compile", "models/tiny.ir", "--sp", "2", "-o", link])
    #expect(r.status == 0, "\(r.stderr)")
    #expect(try FileManager.default.destinationOfSymbolicLink(atPath: link) == "real.plan")
    #expect(try String(contentsOfFile: target, encoding: .utf8).hasPrefix("// ringc plan"))
  }

  @Test func devicesAreWrittenInPlaceAndNeverReplaced() throws {
    let ok = try ringc(["print", "models/tiny.ir", "-o", "/dev/null"])
    #expect(ok.status == 0, "\(ok.stderr)")
    let full = try ringc(["print", "models/tiny.ir", "-o", "/dev/full"])
    #expect(full.status == 73)
    #expect(full.stderr.contains("cannot write /dev/full: No space left on device"), "\(full.stderr)")
    for device in ["/dev/null", "/dev/full"] {
      let type = try FileManager.default.attributesOfItem(atPath: device)[.type] as? FileAttributeType
      #expect(type == .typeCharacterSpecial, "\(device) is still a device")
    }
  }

  @Test func aFIFOWithoutAReaderAndADirectoryAreRefused() throws {
    let dir = try temporaryDirectory()
    let fifo = dir + "/out.fifo"
    #expect(mkfifo(fifo, 0o600) == 0)
    let r = try ringc(["print", "models/tiny.ir", "-o", fifo])
    #expect(r.status == 73)
    #expect(r.stderr.contains("cannot write \(fifo): no process reads this FIFO"), "\(r.stderr)")
    var info = stat()
    #expect(lstat(fifo, &info) == 0 && info.st_mode & S_IFMT == S_IFIFO, "the FIFO is still a FIFO")
    let d = try ringc(["print", "models/tiny.ir", "-o", dir])
    #expect(d.status == 73)
    #expect(d.stderr.contains("cannot write \(dir): it is a directory, not a regular file"), "\(d.stderr)")
  }

  @Test func theInputIsNotOverwrittenUnlessAsked() throws {
    let dir = try temporaryDirectory()
    let model = dir + "/m.ir"
    let original = try String(contentsOfFile: repositoryRoot + "/models/tiny.ir", encoding: .utf8)
    try original.write(toFile: model, atomically: true, encoding: .utf8)
    for command in [["compile", model, "--sp", "2", "-o", model], ["print", model, "-o", model]] {
      let r = try ringc(command)
      #expect(r.status == 64, "\(command)")
      #expect(r.stderr.contains("pass --overwrite-input"), "\(r.stderr)")
      #expect(try String(contentsOfFile: model, encoding: .utf8) == original)
    }
    let asked = try ringc(["print", model, "-o", model, "--overwrite-input"])
    #expect(asked.status == 0, "\(asked.stderr)")
  }
}
