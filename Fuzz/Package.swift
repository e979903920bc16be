// swift-tools-version:6.0
// libFuzzer harnesses for ringc's input readers. Not part of the main build
// or of `swift test`: scripts/fuzz.sh builds them with
// `-sanitize=fuzzer,address` (which also instruments ringc's modules for
// coverage) in .build-fuzz and runs each for a fixed number of executions.
import PackageDescription

// A path dependency is known by its folder's name (the checkout's, so not
// always "ringc"); the manifest sits in <root>/Fuzz/Package.swift.
let root = String(#filePath.split(separator: "/").dropLast(2).last ?? "ringc").lowercased()

let fuzzer: [SwiftSetting] = [.unsafeFlags(["-sanitize=fuzzer,address"])]
let fuzzerLink: [LinkerSetting] = [.unsafeFlags(["-sanitize=fuzzer,address", "-use-ld=lld"])]

func harness(_ name: String, _ products: [String], support: Bool = false) -> Target {
  .executableTarget(
    name: name,
    dependencies: ["CLibFuzzer"] + (support ? ["FuzzSupport"] : []) + products.map { .product(name: $0, package: root) },
    swiftSettings: fuzzer, linkerSettings: fuzzerLink)
}

let package = Package(
  name: "ringc-fuzz",
  platforms: [.macOS(.v13)],
  dependencies: [.package(path: "..")],
  targets: [
    .systemLibrary(name: "CLibFuzzer"),
    // What the model and plan harnesses check alike.
    .target(
      name: "FuzzSupport", dependencies: [.product(name: "GraphIR", package: root)], swiftSettings: fuzzer),
    harness("FuzzModel", ["GraphIR"], support: true),
    harness("FuzzPlan", ["GraphIR", "PlanIR"], support: true),
    harness("FuzzProfile", ["Simulation"]),
    harness("FuzzSafeTensors", ["Runtime"]),
  ]
)
