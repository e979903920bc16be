import ArgumentParser

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
    subcommands: [Check.self, Print.self, Compile.self, Verify.self, Stats.self, Dump.self, Run.self, BenchKernels.self, Simulate.self, Compare.self, Profiles.self, Calibrate.self])
}
