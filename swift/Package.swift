// swift-tools-version:6.0
//
// Magnetar for Swift: `import Magnetar`.
//
// Swift 6 language mode (the default of tools version 6.0): complete strict concurrency
// checking in every target. When built against a local library (below), warnings are
// errors too; that flag is `unsafeFlags`, which SwiftPM refuses in a package fetched by
// URL, so the XCFramework configuration that apps consume leaves it out.
//
// The Rust core reaches Swift through uniffi. `Sources/Magnetar/magnetar.swift` (the
// uniffi layer's objects and functions), `Sources/Magnetar/magnetar_core.swift` (core's
// records and enums) and `Sources/magnetarFFI/{magnetarFFI.h,magnetar_coreFFI.h,
// module.modulemap}` are generated from the built library by `generate-bindings.sh` and
// committed; the rest of `Sources/Magnetar` is a thin hand-written layer (async
// variants, convenience initialisers, the URLSession transport).
//
// Where the native code comes from:
// - Apple platforms: `Magnetar.xcframework`, built by `build-xcframework.sh` (iOS device,
//   iOS simulator arm64+x86_64, macOS arm64+x86_64). Its headers declare the clang module
//   `magnetarFFI`, which is why the binary target carries that name.
// - Linux (or any platform when MAGNETAR_LIB_DIR is set): the static library
//   `libmagnetar.a` built by `cargo build -p magnetar`, found in MAGNETAR_LIB_DIR
//   (default: ../target/debug). `run-tests.sh` sets MAGNETAR_LIB_DIR to a directory
//   holding only `libmagnetar.a`, so the linker cannot pick the shared library instead.

import PackageDescription

let localLibDir: String? = {
    if let dir = Context.environment["MAGNETAR_LIB_DIR"], !dir.isEmpty {
        return dir
    }
    #if os(Linux) || os(Windows) || os(Android)
    return "\(Context.packageDirectory)/../target/debug"
    #else
    return nil
    #endif
}()

let ffiTarget: Target
var linkerSettings: [LinkerSetting] = []
var swiftSettings: [SwiftSetting] = []
if let libDir = localLibDir {
    // Development and CI (run-tests.sh): no warning anywhere, generated code included.
    swiftSettings = [.unsafeFlags(["-warnings-as-errors"])]
    // The generated header and modulemap, used as a system library; the archive is
    // linked by name from `libDir`. SQLite inside it needs libm, libdl and pthreads.
    ffiTarget = .systemLibrary(name: "magnetarFFI", path: "Sources/magnetarFFI")
    linkerSettings = [
        .unsafeFlags(["-L\(libDir)", "-Xlinker", "-rpath", "-Xlinker", libDir]),
        .linkedLibrary("magnetar"),
        .linkedLibrary("m"),
        .linkedLibrary("dl", .when(platforms: [.linux, .android])),
        .linkedLibrary("pthread", .when(platforms: [.linux, .android])),
    ]
} else {
    ffiTarget = .binaryTarget(name: "magnetarFFI", path: "Magnetar.xcframework")
}

let package = Package(
    name: "Magnetar",
    platforms: [.iOS(.v13), .macOS(.v10_15)],
    products: [
        .library(name: "Magnetar", targets: ["Magnetar"]),
    ],
    targets: [
        ffiTarget,
        .target(
            name: "Magnetar",
            dependencies: ["magnetarFFI"],
            path: "Sources/Magnetar",
            swiftSettings: swiftSettings,
            linkerSettings: linkerSettings
        ),
        .testTarget(
            name: "MagnetarTests",
            dependencies: ["Magnetar"],
            path: "Tests/MagnetarTests",
            swiftSettings: swiftSettings
        ),
    ],
    swiftLanguageModes: [.v6]
)
