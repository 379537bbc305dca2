import Foundation
import Magnetar
import XCTest

final class PoolTests: PoolTestCase {
    override func setUpWithError() throws {
        try openPool("app.db", schema: "CREATE TABLE t (i INTEGER, r REAL, s TEXT NOT NULL, b BLOB)")
    }

    func testDefaultConfigComesFromCore() {
        let config = PoolConfig()
        XCTAssertEqual(config.maxReaders, 5)
        XCTAssertEqual(config.acquireTimeout, 5)
        XCTAssertEqual(config.maxLifetime, 3600)
        XCTAssertEqual(config.synchronous, .normal)
    }

    func testValuesRoundTrip() throws {
        let row: [SqlValue] = [-7, 2.5, "héllo", .blob(Data([0, 255]))]
        let inserted = try pool.execute(sql: "INSERT INTO t VALUES (?, ?, ?, ?)", params: row)
        XCTAssertEqual(inserted.rowsAffected, 1)
        XCTAssertEqual(inserted.lastInsertRowid, 1)

        let result = try pool.read(sql: "SELECT i, r, s, b FROM t WHERE i = ?", params: [-7])
        XCTAssertEqual(result.columns, ["i", "r", "s", "b"])
        XCTAssertEqual(result.rows, [row])
        XCTAssertEqual(result.rows[0][0].integerValue, -7)
        XCTAssertEqual(result.rows[0][1].realValue, 2.5)
        XCTAssertEqual(result.namedRows.first?["s"]?.textValue, "héllo")
        XCTAssertEqual(result.rows[0][3].blobValue, Data([0, 255]))

        _ = try pool.executeNamed(sql: "INSERT INTO t (s, b) VALUES (:s, :b)", params: ["s": "x", "b": nil])
        let named = try pool.readNamed(sql: "SELECT b FROM t WHERE s = :s", params: ["s": "x"])
        XCTAssertTrue(named.rows[0][0].isNull)
    }

    func testWriteIsAllOrNothing() throws {
        let ok = try pool.write(statements: [
            Statement("INSERT INTO t (s) VALUES (?)", "a"),
            Statement("INSERT INTO t (s) VALUES (:s)", named: ["s": "b"]),
        ])
        XCTAssertEqual(ok.count, 2)

        let error = assertMagnetarError("database") {
            try pool.write(statements: [
                Statement("INSERT INTO t (s) VALUES (?)", "c"),
                Statement("INSERT INTO t (s) VALUES (NULL)"),
            ])
        }
        XCTAssertTrue(error?.message().contains("statement 1") ?? false, "\(String(describing: error))")
        let count = try pool.read(sql: "SELECT count(*) FROM t")
        XCTAssertEqual(count.rows, [[2]], "the failed batch was rolled back")

        let total = try pool.executeMany(sql: "INSERT INTO t (s) VALUES (?)", paramSets: [["d"], ["e"]])
        XCTAssertEqual(total, 2)
        let snapshot = try pool.readBatch(statements: [
            Statement("SELECT count(*) FROM t"),
            Statement("SELECT s FROM t ORDER BY rowid DESC LIMIT 1"),
        ])
        XCTAssertEqual(snapshot.map(\.rows), [[[4]], [["e"]]])
    }

    func testErrorsAreTyped() throws {
        assertMagnetarError("read_only") { try pool.read(sql: "INSERT INTO t (s) VALUES ('x')") }
        let mismatch = assertMagnetarError("invalid_input") { try pool.read(sql: "SELECT ?, ?", params: [nil]) }
        XCTAssertEqual(mismatch?.errorDescription, mismatch?.message())
        if case .InvalidInput(let message)? = mismatch {
            XCTAssertTrue(message.contains("expects 2 parameter(s), 1 were given"), message)
        } else {
            XCTFail("expected .InvalidInput, got \(String(describing: mismatch))")
        }

        var bad = PoolConfig()
        bad.maxReaders = 0
        let config = assertMagnetarError("invalid_config") { try Pool.open(path: dir.path("c.db"), config: bad) }
        XCTAssertTrue(config?.message().contains("max_readers") ?? false)

        let notDb = dir.path("not.db")
        try Data("this is not an sqlite database, just some text".utf8).write(to: URL(fileURLWithPath: notDb))
        assertMagnetarError("not_a_database") { try Pool.open(path: notDb, config: PoolConfig()) }
    }

    func testSharedPoolMigrationsAndClose() throws {
        let path = dir.path("shared.db")
        var config = PoolConfig()
        config.maxReaders = 2
        let shared = try Pool(path: path, config: config)
        let again = try Pool(path: path)
        XCTAssertEqual(again.config().maxReaders, 2, "Pool(path:) joins the process-wide pool")
        XCTAssertTrue(shared.path().hasSuffix("shared.db"))

        let steps = ["CREATE TABLE notes (id INTEGER PRIMARY KEY, body TEXT)", "ALTER TABLE notes ADD COLUMN at INTEGER"]
        XCTAssertEqual(try shared.migrate(steps: steps), MigrationOutcome(fromVersion: 0, toVersion: 2))
        XCTAssertEqual(try shared.migrate(steps: steps), MigrationOutcome(fromVersion: 2, toVersion: 2))
        assertMagnetarError("schema_too_new") { try shared.migrate(steps: Array(steps.prefix(1))) }

        XCTAssertGreaterThan(shared.stats().acquires, 0)
        try shared.close(timeout: 1)
        XCTAssertTrue(again.isClosed())
        assertMagnetarError("pool_closed") { try again.read(sql: "SELECT 1") }
    }

    func testAsyncVariants() async throws {
        let pool = self.pool!
        _ = try await pool.execute(sql: "INSERT INTO t (s) VALUES (?)", params: ["async"])
        _ = try await pool.write(statements: [Statement("INSERT INTO t (s) VALUES (?)", "batch")])
        // Concurrent readers from many tasks: all served, none blocks the caller.
        try await withThrowingTaskGroup(of: QueryResult.self) { group in
            for _ in 0..<16 {
                group.addTask { try await pool.read(sql: "SELECT count(*) FROM t", params: []) }
            }
            for try await result in group {
                XCTAssertEqual(result.rows, [[2]])
            }
        }
        do {
            _ = try await pool.read(sql: "SELEC 1", params: [])
            XCTFail("expected a database error")
        } catch let error as MagnetarError {
            XCTAssertEqual(error.kind(), "database")
        }
        let outcome = try await pool.migrate(steps: ["CREATE TABLE later (x)"])
        XCTAssertEqual(outcome.toVersion, 1)
        try await pool.close(timeout: 1)
        XCTAssertTrue(pool.isClosed())
    }
}
