// swift-tools-version:6.0
import PackageDescription

let package = Package(
  name: "ringc",
  platforms: [.macOS(.v13)],
  products: [
    .executable(name: "ringc", targets: ["ringc"]),
    .library(name: "GraphIR", targets: ["GraphIR"]),
    // For Fuzz/, a separate package that depends on this one by path.
    .library(name: "PlanIR", targets: ["PlanIR"]),
    .library(name: "Simulation", targets: ["Simulation"]),
    .library(name: "Runtime", targets: ["Runtime"]),
  ],
  dependencies: [
    .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
  ],
  targets: [
    // MARK: - Public API
    .target(name: "GraphIR", exclude: ["README.md"]),
    // The compiled plan: header, rank programs, typed op views, verifier, stats.
    .target(name: "PlanIR", dependencies: ["GraphIR"], exclude: ["README.md"]),
    .target(name: "Simulation", dependencies: ["GraphIR", "PlanIR", "Timeline", "CLibXML2"], exclude: ["README.md"]),
    .target(name: "Passes", dependencies: ["GraphIR", "PlanIR", "Simulation", "HostIO"], exclude: ["README.md"]),
    .target(name: "Timeline"),
    // Files, standard output and error without Foundation, for every command.
    .target(name: "HostIO"),
    .target(name: "Runtime", dependencies: ["GraphIR", "PlanIR", "HostIO", "Timeline", "CMPI", "CBLAS", "CGlibcExtras", "CHost", "CKernels"], exclude: ["README.md"]),
    // A model in the .ir format from a Hugging Face config.json.
    .target(name: "ModelImport", dependencies: ["GraphIR", "HostIO"], exclude: ["README.md"]),

    // MARK: - Implementation details
    .systemLibrary(name: "CMPI", pkgConfig: "ompi-c", providers: [.apt(["libopenmpi-dev"])]),
    .systemLibrary(name: "CBLAS", pkgConfig: "openblas", providers: [.apt(["libopenblas-dev"])]),
    .systemLibrary(name: "CGlibcExtras"),
    .target(name: "CHost"),
    .target(name: "CKernels"),
    .systemLibrary(name: "CLibXML2", pkgConfig: "libxml-2.0", providers: [.apt(["libxml2-dev"])]),
    .executableTarget(
      name: "ringc",
      dependencies: [
        "GraphIR",
        "PlanIR",
        "Passes",
        "HostIO",
        "ModelImport",
        "Runtime",
        "Simulation",
        "Timeline",
        .product(name: "ArgumentParser", package: "swift-argument-parser"),
      ]),

    // MARK: - Tests
    .target(name: "RingcTestSupport", path: "Sources/RingcTestSupport"),
    .testTarget(name: "GraphIRTests", dependencies: ["GraphIR", "RingcTestSupport"]),
    .testTarget(name: "PassesTests", dependencies: ["Passes", "PlanIR", "GraphIR", "RingcTestSupport"]),
    .testTarget(name: "IRTextTests", dependencies: ["GraphIR", "PlanIR", "Passes", "RingcTestSupport"], exclude: ["Inputs"]),
    .testTarget(name: "RuntimeTests", dependencies: ["Runtime", "GraphIR", "PlanIR", "Passes", "RingcTestSupport"]),
    .testTarget(name: "TimelineTests", dependencies: ["Timeline"]),
    .testTarget(name: "ModelImportTests", dependencies: ["ModelImport", "GraphIR", "RingcTestSupport"]),
    .testTarget(name: "SimulationTests", dependencies: ["Simulation", "Passes", "PlanIR", "GraphIR", "RingcTestSupport"]),
    .testTarget(name: "ringcTests", dependencies: ["ringc", "RingcTestSupport"]),
  ]
)
