import Foundation
import Magnetar
import XCTest

/// `pool.write { tx in ... }`: a Swift closure in one write transaction, committed when it
/// returns, rolled back when it throws; and the single-value point read.
final class PoolTransactionTests: PoolTestCase {
    /// An error of the app's own, not Magnetar's.
    struct AppError: Error, Equatable {
        let code: Int
    }

    override func setUpWithError() throws {
        try openPool("tx.db", schema: "CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT NOT NULL)")
    }

    private func count() throws -> Int64 {
        try XCTUnwrap(pool.readValue(sql: "SELECT count(*) FROM t", params: [])?.integerValue)
    }

    func testAThrownSwiftErrorRollsBackAndIsRethrownAsIs() throws {
        do {
            try pool.write { tx in
                _ = try tx.execute(sql: "INSERT INTO t (v) VALUES (?)", params: ["a"])
                _ = try tx.execute(sql: "INSERT INTO t (v) VALUES (?)", params: ["b"])
                // The transaction sees its own rows before it fails.
                XCTAssertEqual(try tx.queryValue(sql: "SELECT count(*) FROM t", params: []), .integer(2))
                throw AppError(code: 7)
            }
            XCTFail("the closure's error must be rethrown")
        } catch let error as AppError {
            XCTAssertEqual(error, AppError(code: 7))
        }
        XCTAssertEqual(try count(), 0, "rows of a rolled-back transaction are not visible")
        // The writer came back out of the transaction: the next write works at once.
        try pool.write { tx in _ = try tx.execute(sql: "INSERT INTO t (v) VALUES ('c')", params: []) }
        XCTAssertEqual(try count(), 1)
        XCTAssertEqual(pool.stats().inUse, 0)
    }

    func testReturningCommitsAndReturnsTheValue() throws {
        let (first, names) = try pool.write { tx -> (Int64, [String]) in
            let inserted = try tx.execute(sql: "INSERT INTO t (v) VALUES (?)", params: ["ada"])
            _ = try tx.executeNamed(sql: "INSERT INTO t (v) VALUES (:v)", params: ["v": "grace"])
            XCTAssertEqual(try tx.executeMany(sql: "INSERT INTO t (v) VALUES (?)", paramSets: [["x"], ["y"]]), 2)
            let rows = try tx.query(sql: "SELECT v FROM t ORDER BY id", params: []).rows
            return (inserted.lastInsertRowid, rows.compactMap { $0[0].textValue })
        }
        XCTAssertEqual(first, 1)
        XCTAssertEqual(names, ["ada", "grace", "x", "y"])
        XCTAssertEqual(try count(), 4, "committed rows are visible to readers")
    }

    func testAFailingStatementThrownOutOfTheClosureRollsBackEverything() throws {
        assertMagnetarError("database") {
            try pool.write { tx in
                _ = try tx.execute(sql: "INSERT INTO t (v) VALUES ('kept?')", params: [])
                _ = try tx.execute(sql: "INSERT INTO t (v) VALUES (NULL)", params: [])  // NOT NULL
            }
        }
        XCTAssertEqual(try count(), 0)
        // Caught inside the closure, the same failure leaves the transaction usable:
        // SQLite undoes that statement only, and the closure decides.
        try pool.write { tx in
            _ = try tx.execute(sql: "INSERT INTO t (v) VALUES ('kept')", params: [])
            XCTAssertThrowsError(try tx.execute(sql: "INSERT INTO t (v) VALUES (NULL)", params: []))
        }
        XCTAssertEqual(try count(), 1)
    }

    func testTheHandleIsUnusableOnceTheTransactionHasEnded() throws {
        var kept: WriteTransaction?
        try pool.write { tx in
            kept = tx
            XCTAssertTrue(tx.isOpen())
        }
        let tx = try XCTUnwrap(kept)
        XCTAssertFalse(tx.isOpen())
        let error = assertMagnetarError("invalid_input") {
            try tx.execute(sql: "INSERT INTO t (v) VALUES ('late')", params: [])
        }
        XCTAssertTrue(String(describing: error).contains("already committed"), String(describing: error))
        assertMagnetarError("invalid_input") { try tx.commit() }
        assertMagnetarError("invalid_input") { try tx.rollback() }
        XCTAssertEqual(try count(), 0)

        // Ending it inside the closure is refused when `write` then commits.
        assertMagnetarError("invalid_input") {
            try pool.write { tx in
                _ = try tx.execute(sql: "INSERT INTO t (v) VALUES ('x')", params: [])
                try tx.rollback()
            }
        }
        XCTAssertEqual(try count(), 0)
    }

    func testAHandleReleasedWithoutCommitRollsBack() throws {
        do {
            let tx = try pool.beginWriteTransaction()
            _ = try tx.execute(sql: "INSERT INTO t (v) VALUES ('dropped')", params: [])
        }
        XCTAssertEqual(try count(), 0)
        XCTAssertEqual(pool.stats().inUse, 0)
        try pool.write { tx in _ = try tx.execute(sql: "INSERT INTO t (v) VALUES ('after')", params: []) }
        XCTAssertEqual(try count(), 1)
    }

    func testWritingToTheSamePoolFromInsideTheClosureIsAClearErrorNotADeadlock() throws {
        let started = Date()
        do {
            try pool.write { _ in
                // Each of these would wait for the writer this closure holds.
                assertMagnetarError("invalid_input") { try pool.write { _ in } }
                assertMagnetarError("invalid_input") { try pool.execute(sql: "INSERT INTO t (v) VALUES ('inner')") }
                assertMagnetarError("invalid_input") { try pool.write(statements: [Statement("DELETE FROM t")]) }
                // Reading is fine: it sees the last commit.
                XCTAssertEqual(try pool.readValue(sql: "SELECT count(*) FROM t", params: []), .integer(0))
                // Left uncaught, the nested error ends the outer transaction too.
                try pool.write { _ in }
            }
            XCTFail("the nested write's error must propagate")
        } catch MagnetarError.InvalidInput(let message) {
            XCTAssertTrue(message.contains("already checked out"), message)
        }
        XCTAssertLessThan(Date().timeIntervalSince(started), 1, "refused at once, not after acquireTimeout")
        XCTAssertEqual(try count(), 0)
    }

    func testAsyncWriteCommitsRollsBackAndRefusesNesting() async throws {
        let pool = self.pool!
        let n = try await pool.write { tx -> Int64 in
            _ = try tx.execute(sql: "INSERT INTO t (v) VALUES ('async')", params: [])
            return try tx.queryValue(sql: "SELECT count(*) FROM t", params: [])?.integerValue ?? -1
        }
        XCTAssertEqual(n, 1)
        do {
            try await pool.write { tx in
                _ = try tx.execute(sql: "INSERT INTO t (v) VALUES ('lost')", params: [])
                throw AppError(code: 42)
            }
            XCTFail("the closure's error must be rethrown")
        } catch let error as AppError {
            XCTAssertEqual(error.code, 42)
        }
        do {
            try await pool.write { _ in
                // The closure runs synchronously on one blocking thread: a nested write
                // from it is refused at once.
                try pool.write { _ in }
            }
            XCTFail("nested write must throw")
        } catch MagnetarError.InvalidInput {
        }
        let count = try await pool.readValue(sql: "SELECT count(*) FROM t")
        XCTAssertEqual(count, .integer(1))
    }

    func testConcurrentTasksEachRunningWriteTransactions() async throws {
        let pool = self.pool!
        try await createCounter()
        let tasks = 12, rounds = 10
        try await concurrently(tasks: tasks, rounds: rounds) { task, round in
            do {
                try await pool.write { tx in
                    // Read, then write, in one transaction: one writer at a time, so no
                    // update is lost.
                    let n = try tx.queryValue(sql: "SELECT n FROM counter", params: [])?.integerValue ?? -1
                    _ = try tx.execute(sql: "UPDATE counter SET n = ?", params: [.integer(n + 1)])
                    _ = try tx.execute(sql: "INSERT INTO t (v) VALUES (?)", params: [.text("\(task)-\(round)")])
                    if round % 2 == 1 { throw AppError(code: round) }
                }
            } catch is AppError {
            }
        }
        let n = try await pool.readValue(sql: "SELECT n FROM counter")
        XCTAssertEqual(n, .integer(Int64(tasks * rounds / 2)), "only the committed half counted")
        let rows = try await pool.readValue(sql: "SELECT count(*) FROM t")
        XCTAssertEqual(rows, .integer(Int64(tasks * rounds / 2)))
        XCTAssertEqual(pool.stats().acquireTimeouts, 0)
        XCTAssertEqual(pool.stats().inUse, 0)
    }

    func testAClosedPoolRefusesTransactionsWithoutRunningTheClosure() async throws {
        let pool = self.pool!
        try await pool.close(timeout: 1)
        var calls = 0
        assertMagnetarError("pool_closed") {
            try pool.write { _ in calls += 1 }
        }
        assertMagnetarError("pool_closed") { try pool.beginWriteTransaction() }
        assertMagnetarError("pool_closed") { try pool.readValue(sql: "SELECT 1", params: []) }
        do {
            try await pool.write { _ in }
            XCTFail("an async write on a closed pool must throw")
        } catch MagnetarError.PoolClosed {
        }
        XCTAssertEqual(calls, 0, "the closure never runs on a closed pool")
    }

    func testReadValueIsTheFirstColumnOfTheFirstRow() throws {
        _ = try pool.execute(sql: "INSERT INTO t (v) VALUES (?)", params: ["seven"])
        XCTAssertEqual(try pool.readValue(sql: "SELECT v FROM t WHERE id = ?", params: [1]), .text("seven"))
        XCTAssertNil(try pool.readValue(sql: "SELECT v FROM t WHERE id = ?", params: [2]))
        XCTAssertEqual(try pool.readValue(sql: "SELECT NULL", params: []), .null)
        assertMagnetarError("invalid_input") { try pool.readValue(sql: "DELETE FROM t", params: []) }
    }
}
