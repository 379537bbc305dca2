import Foundation
import Magnetar
import XCTest

/// The pool from Swift: every SQLite storage class, many tasks at once, rollback, and
/// what a closed pool does.
final class PoolValueAndConcurrencyTests: PoolTestCase {
    override func setUpWithError() throws {
        try openPool("values.db", schema: "CREATE TABLE v (id INTEGER PRIMARY KEY, x ANY) STRICT")
    }

    /// Stores `value`, reads it back with SQLite's own idea of its storage class.
    private func roundTrip(_ value: SqlValue, file: StaticString = #filePath, line: UInt = #line) throws -> (SqlValue, String) {
        let inserted = try pool.execute(sql: "INSERT INTO v (x) VALUES (?)", params: [value])
        let id = inserted.lastInsertRowid
        let result = try pool.read(sql: "SELECT x, typeof(x) FROM v WHERE id = ?", params: [.integer(id)])
        XCTAssertEqual(result.rows.count, 1, file: file, line: line)
        let row = try XCTUnwrap(result.rows.first, file: file, line: line)
        return (row[0], try XCTUnwrap(row[1].textValue, file: file, line: line))
    }

    func testIntegers() throws {
        for value: Int64 in [0, 1, -1, 42, Int64.max, Int64.min, 1 << 53 + 1] {
            let (back, type) = try roundTrip(.integer(value))
            XCTAssertEqual(back, .integer(value))
            XCTAssertEqual(back.integerValue, value)
            XCTAssertNil(back.realValue)
            XCTAssertEqual(type, "integer")
        }
    }

    func testReals() throws {
        for value in [0.0, -0.0, 2.5, -1e-300, .pi, 1.7976931348623157e308, .leastNonzeroMagnitude, .infinity, -.infinity] {
            let (back, type) = try roundTrip(.real(value))
            XCTAssertEqual(back.realValue, value, "\(value)")
            XCTAssertEqual(type, "real")
        }
        // SQLite has no NaN: it stores NULL, and the pool says so rather than inventing one.
        let (nan, type) = try roundTrip(.real(.nan))
        XCTAssertTrue(nan.isNull)
        XCTAssertEqual(type, "null")
    }

    func testText() throws {
        let long = String(repeating: "0123456789abcdef", count: 8192)  // 128 KiB
        for value in ["", "a", "héllo wörld", "🔐👩🏽‍💻 e\u{301}", "line\nbreak\ttab", "'; DROP TABLE v; --", long] {
            let (back, type) = try roundTrip(.text(value))
            XCTAssertEqual(back.textValue, value)
            XCTAssertEqual(type, "text")
        }
        XCTAssertEqual(try pool.read(sql: "SELECT count(*) FROM v").rows, [[7]], "the injection attempt was only data")
    }

    func testBlobs() throws {
        let everyByte = Data((0...255).map { UInt8($0) })
        let large = Data((0..<(1 << 20)).map { UInt8(truncatingIfNeeded: $0 &* 2_654_435_761 >> 7) })
        for value in [Data(), Data([0]), everyByte, large] {
            let (back, type) = try roundTrip(.blob(value))
            XCTAssertEqual(back.blobValue, value, "\(value.count) bytes")
            XCTAssertEqual(type, "blob")
        }
    }

    func testNull() throws {
        for value: SqlValue in [nil, .null] {
            let (back, type) = try roundTrip(value)
            XCTAssertTrue(back.isNull)
            XCTAssertNil(back.integerValue ?? back.realValue.map { Int64($0) })
            XCTAssertNil(back.textValue)
            XCTAssertNil(back.blobValue)
            XCTAssertEqual(type, "null")
        }
        _ = try pool.executeNamed(sql: "INSERT INTO v (x) VALUES (:x)", params: ["x": nil])
        let nulls = try pool.readNamed(sql: "SELECT count(*) FROM v WHERE x IS :x", params: ["x": .null])
        XCTAssertEqual(nulls.rows, [[3]])
    }

    func testEveryTypeInOneRowBothBindingStyles() throws {
        let values: [String: SqlValue] = ["i": 7, "r": 0.5, "t": "seven", "b": .blob(Data([7, 7])), "n": nil]
        _ = try pool.execute(sql: "CREATE TABLE row (i INTEGER, r REAL, t TEXT, b BLOB, n ANY) STRICT")
        _ = try pool.executeNamed(sql: "INSERT INTO row VALUES (:i, :r, :t, :b, :n)", params: values)
        _ = try pool.write(statements: [Statement("INSERT INTO row VALUES (?, ?, ?, ?, ?)", 7, 0.5, "seven", .blob(Data([7, 7])), nil)])
        let result = try pool.read(sql: "SELECT i, r, t, b, n FROM row")
        XCTAssertEqual(result.columns, ["i", "r", "t", "b", "n"])
        XCTAssertEqual(result.rows.count, 2)
        XCTAssertEqual(result.rows[0], result.rows[1])
        XCTAssertEqual(result.namedRows[0], values)
    }

    func testConcurrentReadsAndWritesFromManyTasks() async throws {
        let pool = self.pool!
        _ = try await pool.execute(sql: "CREATE TABLE log (task INTEGER, n INTEGER)")
        let writers = 8, perWriter = 25, readers = 16
        try await withThrowingTaskGroup(of: Void.self) { group in
            for task in 0..<writers {
                group.addTask {
                    for n in 0..<perWriter {
                        _ = try await pool.execute(sql: "INSERT INTO log VALUES (?, ?)", params: [.integer(Int64(task)), .integer(Int64(n))])
                    }
                }
            }
            for _ in 0..<readers {
                group.addTask {
                    var last: Int64 = 0
                    for _ in 0..<10 {
                        // Every read is a consistent snapshot: a count that never goes
                        // backwards, never above what will be written.
                        let count = try await pool.read(sql: "SELECT count(*) FROM log").rows[0][0].integerValue ?? -1
                        XCTAssertGreaterThanOrEqual(count, last)
                        XCTAssertLessThanOrEqual(count, Int64(writers * perWriter))
                        last = count
                    }
                }
            }
            try await group.waitForAll()
        }
        let total = try await pool.read(sql: "SELECT count(*), count(DISTINCT task), sum(n) FROM log")
        XCTAssertEqual(total.rows, [[.integer(Int64(writers * perWriter)), .integer(Int64(writers)), .integer(Int64(writers * (perWriter * (perWriter - 1) / 2)))]])
        XCTAssertEqual(pool.stats().acquireTimeouts, 0)
    }

    func testConcurrentReadModifyWriteLosesNoUpdate() async throws {
        let pool = self.pool!
        try await createCounter()
        let tasks = 12, increments = 10
        try await concurrently(tasks: tasks, rounds: increments) { _, _ in
            // A read then a write inside one IMMEDIATE transaction: no "database is
            // locked", no lost update.
            _ = try await pool.write(statements: [
                Statement("CREATE TEMP TABLE IF NOT EXISTS seen (n INTEGER)"),
                Statement("DELETE FROM seen"),
                Statement("INSERT INTO seen SELECT n FROM counter"),
                Statement("UPDATE counter SET n = (SELECT n FROM seen) + 1"),
            ])
        }
        let result = try await pool.read(sql: "SELECT n FROM counter")
        XCTAssertEqual(result.rows, [[.integer(Int64(tasks * increments))]])
    }

    func testAFailingStatementRollsBackTheWholeTransaction() async throws {
        _ = try await pool.execute(sql: "CREATE TABLE users (name TEXT PRIMARY KEY)")
        _ = try await pool.execute(sql: "INSERT INTO users VALUES ('ann')")
        do {
            _ = try await pool.write(statements: [
                Statement("INSERT INTO users VALUES (?)", "bob"),
                Statement("UPDATE users SET name = 'ann2' WHERE name = 'ann'"),
                Statement("INSERT INTO users VALUES (?)", "bob"),  // duplicate key: throws
                Statement("INSERT INTO users VALUES (?)", "cat"),
            ])
            XCTFail("the duplicate key must throw")
        } catch let error as MagnetarError {
            XCTAssertEqual(error.kind(), "database")
            XCTAssertTrue(error.message().contains("statement 2"), error.message())
        }
        let names = try await pool.read(sql: "SELECT name FROM users ORDER BY name")
        XCTAssertEqual(names.rows, [["ann"]], "nothing of the failed transaction is visible")
    }

    func testAnErrorRaisedByATriggerRollsBackExecuteMany() throws {
        _ = try pool.execute(sql: "CREATE TABLE ledger (amount INTEGER)")
        _ = try pool.execute(sql: """
            CREATE TRIGGER no_negative BEFORE INSERT ON ledger WHEN NEW.amount < 0
            BEGIN SELECT RAISE(ABORT, 'negative amount'); END
            """)
        let error = assertMagnetarError("database") {
            try pool.executeMany(sql: "INSERT INTO ledger VALUES (?)", paramSets: [[10], [20], [-5], [40]])
        }
        XCTAssertTrue(error?.message().contains("negative amount") ?? false, "\(String(describing: error))")
        XCTAssertEqual(try pool.read(sql: "SELECT count(*) FROM ledger").rows, [[0]])
        XCTAssertEqual(try pool.executeMany(sql: "INSERT INTO ledger VALUES (?)", paramSets: [[10], [20]]), 2)
    }

    func testAClosedPoolRefusesEveryCall() async throws {
        let pool = self.pool!
        try await pool.close(timeout: 1)
        XCTAssertTrue(pool.isClosed())
        try await pool.close(timeout: 1)  // closing twice is harmless

        let statement = Statement("SELECT 1")
        assertMagnetarError("pool_closed") { try pool.read(sql: "SELECT 1") }
        assertMagnetarError("pool_closed") { try pool.readNamed(sql: "SELECT :a", params: ["a": 1]) }
        assertMagnetarError("pool_closed") { try pool.readBatch(statements: [statement]) }
        assertMagnetarError("pool_closed") { try pool.execute(sql: "INSERT INTO v (x) VALUES (1)") }
        assertMagnetarError("pool_closed") { try pool.executeNamed(sql: "INSERT INTO v (x) VALUES (:x)", params: ["x": 1]) }
        assertMagnetarError("pool_closed") { try pool.executeMany(sql: "INSERT INTO v (x) VALUES (?)", paramSets: [[1]]) }
        assertMagnetarError("pool_closed") { try pool.write(statements: [statement]) }
        assertMagnetarError("pool_closed") { try pool.migrate(steps: ["CREATE TABLE z (a)"]) }

        do {
            _ = try await pool.read(sql: "SELECT 1", params: [])
            XCTFail("an async read on a closed pool must throw")
        } catch MagnetarError.PoolClosed(let message) {
            XCTAssertFalse(message.isEmpty)
        }
        do {
            _ = try await pool.write(statements: [statement])
            XCTFail("an async write on a closed pool must throw")
        } catch MagnetarError.PoolClosed {
        }

        // The file is intact: a new pool reads what the closed one wrote.
        let reopened = try Pool.open(path: dir.path("values.db"), config: PoolConfig())
        let count = try await reopened.read(sql: "SELECT count(*) FROM v")
        XCTAssertEqual(count.rows, [[0]])
        try await reopened.close(timeout: 1)
    }

    func testStatsCountTheWork() throws {
        let before = pool.stats()
        for i in 0..<5 {
            _ = try pool.read(sql: "SELECT ?", params: [.integer(Int64(i))])
        }
        let after = pool.stats()
        XCTAssertGreaterThanOrEqual(after.acquires, before.acquires + 5)
        XCTAssertEqual(after.inUse, 0, "every connection went back")
        XCTAssertEqual(after.maxReaders, 5)
        XCTAssertLessThanOrEqual(after.readersOpen, after.maxReaders)
    }
}
