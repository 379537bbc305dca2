// swift-tools-version:6.0
//
// CrossingBench: what a call from Swift into Magnetar's Rust core costs on top of the
// Rust work itself. Run by hand, never by the tests: `swift/Benchmarks/run.sh` builds the
// release library, runs the Rust side (criterion, `bindings/uniffi/benches/crossing.rs`)
// and then this, and the figures go into BENCHMARKS.md ("Swift").

import PackageDescription

let package = Package(
    name: "MagnetarBenchmarks",
    platforms: [.macOS(.v10_15)],
    dependencies: [
        .package(name: "Magnetar", path: ".."),
    ],
    targets: [
        .executableTarget(
            name: "CrossingBench",
            dependencies: [.product(name: "Magnetar", package: "Magnetar")],
            path: "Sources/CrossingBench",
            swiftSettings: [.unsafeFlags(["-warnings-as-errors"])]
        ),
    ],
    swiftLanguageModes: [.v6]
)
