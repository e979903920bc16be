import ArgumentParser

#if canImport(Glibc)
  import Glibc
#endif

@main
struct Ringc: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "ringc",
    abstract: "A compiler and MPI runtime for sequence-parallel attention.",
    discussion: """
      Models are text files in the .ir format (see Sources/GraphIR/README.md).
      Exit codes follow sysexits: 64 bad usage, 65 bad input file, 66 unreadable file, 70 internal error.
      """,
    version: "0.1.0",
    subcommands: [Check.self, Print.self, Import.self, Compile.self, Verify.self, Stats.self, Dump.self, Run.self, BenchKernels.self, Simulate.self, Compare.self, Profiles.self, Calibrate.self])

  static func main() {
    var command: ParsableCommand
    do { command = try parseAsRoot() } catch {
      // Under mpirun every rank parses the same arguments: rank 0 alone
      // says what is wrong with them (or prints --help), so it reads once,
      // and its exit status is the job's. The others end quietly with 0:
      // a non-zero exit would have mpirun kill rank 0 before it prints.
      if let rank = getenv("OMPI_COMM_WORLD_RANK"), String(cString: rank) != "0" { Glibc.exit(0) }
      exit(withError: error)
    }
    do { try command.run() } catch { exit(withError: error) }
  }
}
