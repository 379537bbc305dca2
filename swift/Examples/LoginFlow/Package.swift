// swift-tools-version:6.0
//
// LoginFlow: a small app that uses Magnetar the way an app does, depending on the
// Magnetar package by path. `swift/run-tests.sh` builds and runs it; run it by hand with
// the same environment (see swift/README.md):
//
//   MAGNETAR_LIB_DIR=<dir with libmagnetar.a> swift run LoginFlow
//
// It signs a user up (breach check, Argon2id), logs in a user whose hash came from an
// older Django system (upgraded on login), checks a session as requests arrive, and
// verifies the audit trail. It exits non-zero when anything is not as an app expects.

import PackageDescription

let package = Package(
    name: "LoginFlow",
    platforms: [.macOS(.v10_15)],
    dependencies: [
        .package(name: "Magnetar", path: "../.."),
    ],
    targets: [
        .executableTarget(
            name: "LoginFlow",
            dependencies: [.product(name: "Magnetar", package: "Magnetar")],
            path: "Sources/LoginFlow",
            // A root package may use unsafe flags: no warnings in the example either.
            swiftSettings: [.unsafeFlags(["-warnings-as-errors"])]
        ),
    ],
    swiftLanguageModes: [.v6]
)
