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

/// A test case with a fresh pool in a temporary directory for each test: subclasses call
/// `openPool(_:schema:)` from `setUpWithError`; the pool is closed and the directory
/// removed after each test.
class PoolTestCase: XCTestCase {
    var dir: TempDir!
    var pool: Pool!

    /// Opens an independent pool on `name` in a fresh directory and runs `schema` on it.
    func openPool(_ name: String, schema: String) throws {
        dir = try TempDir()
        pool = try Pool.open(path: dir.path(name), config: PoolConfig())
        _ = try pool.execute(sql: schema)
    }

    /// Creates `counter`, one row holding 0, for read-modify-write tests.
    func createCounter() async throws {
        _ = try await pool.write(statements: [
            Statement("CREATE TABLE counter (n INTEGER NOT NULL)"),
            Statement("INSERT INTO counter VALUES (0)"),
        ])
    }

    override func tearDownWithError() throws {
        try pool?.close(timeout: 1)
        pool = nil
        dir = nil
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

/// Runs `body(task, round)` in `tasks` concurrent tasks of `rounds` rounds each, and
/// waits for all of them (the first error thrown fails the call).
func concurrently(
    tasks: Int,
    rounds: Int,
    _ body: @escaping @Sendable (_ task: Int, _ round: Int) async throws -> Void
) async throws {
    try await withThrowingTaskGroup(of: Void.self) { group in
        for task in 0..<tasks {
            group.addTask {
                for round in 0..<rounds {
                    try await body(task, round)
                }
            }
        }
        try await group.waitForAll()
    }
}
