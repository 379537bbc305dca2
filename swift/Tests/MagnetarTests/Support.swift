import Foundation
import Magnetar
import XCTest

/// A fresh directory for one test's database files, removed by `tearDown`.
final class TempDir {
    let url: URL

    init() throws {
        url = FileManager.default.temporaryDirectory
            .appendingPathComponent("magnetar-swift-\(UUID().uuidString)", isDirectory: true)
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    }

    func path(_ name: String) -> String {
        url.appendingPathComponent(name).path
    }

    deinit {
        try? FileManager.default.removeItem(at: url)
    }
}

/// The repository root: MAGNETAR_REPO_ROOT (set by run-tests.sh), else found from this
/// file's location (swift/Tests/MagnetarTests/Support.swift).
func repoRoot() -> URL {
    if let root = ProcessInfo.processInfo.environment["MAGNETAR_REPO_ROOT"], !root.isEmpty {
        return URL(fileURLWithPath: root, isDirectory: true)
    }
    return URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent()  // MagnetarTests
        .deletingLastPathComponent()  // Tests
        .deletingLastPathComponent()  // swift
        .deletingLastPathComponent()  // repository root
}

/// Parses `tests/vectors/<name>` (the vectors every binding runs).
func loadVectors(_ name: String) throws -> Any {
    let url = repoRoot().appendingPathComponent("tests/vectors/\(name)")
    let data = try Data(contentsOf: url)
    return try JSONSerialization.jsonObject(with: data)
}

/// Asserts that `body` throws the MagnetarError case `kind` (its stable snake_case name),
/// and returns the error for further checks.
@discardableResult
func assertMagnetarError<T>(
    _ kind: String,
    file: StaticString = #filePath,
    line: UInt = #line,
    _ body: () throws -> T
) -> MagnetarError? {
    do {
        _ = try body()
        XCTFail("expected MagnetarError \(kind), got success", file: file, line: line)
    } catch let error as MagnetarError {
        XCTAssertEqual(error.kind(), kind, "\(error)", file: file, line: line)
        return error
    } catch {
        XCTFail("expected MagnetarError \(kind), got \(error)", file: file, line: line)
    }
    return nil
}

extension NSLock {
    /// Runs `body` with the lock held (NSLocking's own `withLock` needs macOS 14 SDKs).
    func locked<T>(_ body: () throws -> T) rethrows -> T {
        lock()
        defer { unlock() }
        return try body()
    }
}
