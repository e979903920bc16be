import Foundation
import RingcTestSupport

/// Runs the built `ringc` executable (it sits beside the test bundle) and
/// captures its output, as a user's shell would.
struct RingcRun {
  var status: Int32
  var stdout: String
  var stderr: String
}

let productsDirectory: String = {
  let exe = (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe"))
    ?? CommandLine.arguments[0]
  return URL(fileURLWithPath: exe).deletingLastPathComponent().path
}()

@discardableResult
func ringc(_ arguments: [String], stdin: String? = nil, in directory: String = repositoryRoot)
  throws -> RingcRun
{
  try run(productsDirectory + "/ringc", arguments, stdin: stdin, in: directory)
}

func run(_ executable: String, _ arguments: [String], stdin: String? = nil, in directory: String)
  throws -> RingcRun
{
  let process = Process()
  process.executableURL = URL(fileURLWithPath: executable)
  process.arguments = arguments
  process.currentDirectoryURL = URL(fileURLWithPath: directory)
  let out = Pipe()
  let err = Pipe()
  let input = Pipe()
  process.standardOutput = out
  process.standardError = err
  process.standardInput = input
  try process.run()
  if let stdin { input.fileHandleForWriting.write(Data(stdin.utf8)) }
  try input.fileHandleForWriting.close()
  // Read both pipes concurrently-safe: stderr is small, read stdout first to EOF.
  let outData = out.fileHandleForReading.readDataToEndOfFile()
  let errData = err.fileHandleForReading.readDataToEndOfFile()
  process.waitUntilExit()
  return RingcRun(
    status: process.terminationStatus, stdout: String(decoding: outData, as: UTF8.self),
    stderr: String(decoding: errData, as: UTF8.self))
}

func temporaryDirectory() throws -> String {
  let dir = NSTemporaryDirectory() + "ringc-test-" + UUID().uuidString
  try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
  return dir
}

/// mpirun, if installed.
let mpirunPath: String? = ["/usr/bin/mpirun", "/usr/local/bin/mpirun"].first { FileManager.default.isExecutableFile(atPath: $0) }

/// `mpirun -np N ringc ARGS` with the portable flags (root allowed, shared
/// memory only, ob1 for a fast start).
func mpirun(_ n: Int, _ arguments: [String]) throws -> RingcRun {
  let session = sessionDirectory()
  defer { try? FileManager.default.removeItem(atPath: session) }
  return try run(mpirunPath ?? "mpirun", mpirunFlags(n, session: session) + arguments, in: repositoryRoot)
}

/// A fresh directory for one mpirun's session files.
func sessionDirectory() -> String {
  let session = NSTemporaryDirectory() + "ringc-ompi-" + UUID().uuidString
  try? FileManager.default.createDirectory(atPath: session, withIntermediateDirectories: true)
  return session
}

/// mpirun's arguments up to ringc's own. Each launch gets its own session
/// directory (`sessionDirectory()`): suites run in parallel, and two mpiruns
/// starting at once race to create OpenMPI's shared one
/// (`/tmp/ompi.HOST.UID`: "File exists").
func mpirunFlags(_ n: Int, session: String) -> [String] {
  ["--allow-run-as-root", "--oversubscribe", "--mca", "btl", "self,vader", "--mca", "pml", "ob1",
    "--mca", "orte_tmpdir_base", session, "-np", "\(n)", productsDirectory + "/ringc"]
}

/// This machine's name as MPI_Get_processor_name gives it: gethostname up to
/// the first dot.
let hostName: String = {
  var name = [CChar](repeating: 0, count: 256)
  gethostname(&name, name.count)
  return String(decoding: name.prefix { $0 != 0 && $0 != CChar(UInt8(ascii: ".")) }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
}()
