// swift-tools-version:6.0
import PackageDescription

let package = Package(
  name: "ringc",
  platforms: [.macOS(.v13)],
  products: [
    .executable(name: "ringc", targets: ["ringc"]),
    .library(name: "GraphIR", targets: ["GraphIR"]),
  ],
  dependencies: [
    .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
  ],
  targets: [
    // MARK: - Public API
    .target(name: "GraphIR"),
    .target(name: "Passes", dependencies: ["GraphIR"]),
    .target(name: "Runtime", dependencies: ["GraphIR", "Passes", "CMPI", "CBLAS", "CMalloc"]),

    // MARK: - Implementation details
    .systemLibrary(name: "CMPI", pkgConfig: "ompi-c", providers: [.apt(["libopenmpi-dev"])]),
    .systemLibrary(name: "CBLAS", pkgConfig: "openblas", providers: [.apt(["libopenblas-dev"])]),
    .systemLibrary(name: "CMalloc"),
    .executableTarget(
      name: "ringc",
      dependencies: [
        "GraphIR",
        "Passes",
        "Runtime",
        .product(name: "ArgumentParser", package: "swift-argument-parser"),
      ]),

    // MARK: - Tests
    .testTarget(name: "GraphIRTests", dependencies: ["GraphIR"]),
    .testTarget(name: "PassesTests", dependencies: ["Passes", "GraphIR"]),
    .testTarget(name: "RuntimeTests", dependencies: ["Runtime", "GraphIR", "Passes"]),
    .testTarget(name: "ringcTests", dependencies: ["ringc"]),
  ]
)
