import Foundation
import Magnetar
import XCTest

/// The audit log from Swift: batched writes from many tasks, queries, export, key
/// rotation, and tampering done to the database file itself.
final class AuditEndToEndTests: XCTestCase {
    private var dir: TempDir!

    override func setUpWithError() throws {
        dir = try TempDir()
    }

    private func openPool() throws -> Pool {
        try Pool.open(path: dir.path("audit.db"), config: PoolConfig())
    }

    func testBatchedRecordsFromManyTasks() async throws {
        let pool = try openPool()
        let log = try AuditLog(pool: pool, key: try AuditKey.generate(), mode: defaultBatchedWriteMode(), previousKeys: [])
        try await withThrowingTaskGroup(of: Void.self) { group in
            for user in 0..<10 {
                group.addTask {
                    for n in 0..<20 {
                        try await log.record(event: try NewAuditEvent(
                            action: "item.view", userId: "user\(user)", resourceType: "item",
                            resourceId: "\(n)", details: ["n": n]
                        ))
                    }
                }
            }
            try await group.waitForAll()
        }
        try await log.flush()
        let got1 = try log.count()
        XCTAssertEqual(got1, 200)

        var filter = AuditFilter()
        filter.userId = "user7"
        let events = try await log.query(filter: filter)
        XCTAssertEqual(events.count, 20)
        XCTAssertTrue(events.allSatisfy { $0.userId == "user7" && $0.action == "item.view" })
        // One task's events keep their order, and sequence numbers only grow.
        XCTAssertEqual(events.map(\.resourceId), (0..<20).map { Optional("\($0)") })
        XCTAssertEqual(events.map(\.seq), events.map(\.seq).sorted())
        XCTAssertEqual(try events[5].details() as? [String: Int], ["n": 5])

        let report = try await log.verify()
        XCTAssertTrue(report.ok, "\(String(describing: report.firstProblem))")
        XCTAssertEqual(report.checked, 200)
        try await log.close()
        try await pool.close(timeout: 1)
    }

    func testQueryFilters() async throws {
        let pool = try openPool()
        let log = try AuditLog(pool: pool, key: try AuditKey.generate())
        for (action, user) in [("login", "ann"), ("login", "bob"), ("logout", "ann"), ("login", "ann"), ("delete", "cat")] {
            try await log.record(event: NewAuditEvent(action: action, userId: user, status: "ok"))
        }
        var filter = AuditFilter()
        filter.action = "login"
        let got2 = try await log.query(filter: filter).map(\.userId)
        XCTAssertEqual(got2, ["ann", "bob", "ann"])
        filter.userId = "ann"
        let got3 = try await log.query(filter: filter).count
        XCTAssertEqual(got3, 2)

        filter = AuditFilter()
        filter.limit = 2
        filter.offset = 1
        let got4 = try await log.query(filter: filter).map(\.action)
        XCTAssertEqual(got4, ["login", "logout"])
        filter.order = .descending
        filter.offset = 0
        let got5 = try await log.query(filter: filter).map(\.action)
        XCTAssertEqual(got5, ["delete", "login"])

        let all = try await log.query(filter: AuditFilter())
        filter = AuditFilter()
        filter.sinceMs = all[2].timestampMs
        filter.untilMs = all[4].timestampMs + 1  // since inclusive, until exclusive
        let window = try await log.query(filter: filter)
        XCTAssertTrue(window.allSatisfy { $0.timestampMs >= all[2].timestampMs && $0.timestampMs <= all[4].timestampMs })
        XCTAssertTrue(window.contains { $0.seq == all[4].seq })
        XCTAssertTrue(window.contains { $0.seq == all[2].seq })

        filter = AuditFilter()
        filter.userId = "nobody"
        let got6 = try await log.query(filter: filter)
        XCTAssertEqual(got6, [])
        try await pool.close(timeout: 1)
    }

    /// The threat model's attacker: writes the file between runs. One byte of one
    /// event's ciphertext is changed in the file on disk (not through Magnetar); the
    /// next run's `verify()` names that event.
    func testEditingTheDatabaseFileIsReported() async throws {
        let key = try AuditKey.generate()
        var pool = try openPool()
        var log = try AuditLog(pool: pool, key: key)
        var ids: [String] = []
        for i in 0..<5 {
            ids.append(try await log.record(event: NewAuditEvent(action: "payment", userId: "u\(i)", status: "ok")))
        }
        let target = try await pool.read(sql: "SELECT fields FROM audit_events WHERE seq = 3", params: [])
        let ciphertext = try XCTUnwrap(target.rows.first?.first?.blobValue)
        XCTAssertGreaterThan(ciphertext.count, 16)
        try await pool.close(timeout: 5)

        // Edit the bytes wherever SQLite put them (the main file, or a WAL left behind).
        var edited = 0
        for name in ["audit.db", "audit.db-wal"] {
            let url = URL(fileURLWithPath: dir.path(name))
            guard var bytes = try? Data(contentsOf: url) else { continue }
            var searchFrom = bytes.startIndex
            while let found = bytes.range(of: ciphertext, in: searchFrom..<bytes.endIndex) {
                let victim = found.lowerBound + ciphertext.count / 2
                bytes[victim] ^= 0x01
                searchFrom = found.upperBound
                edited += 1
            }
            try bytes.write(to: url)
        }
        XCTAssertGreaterThan(edited, 0, "the ciphertext was found in the file")

        pool = try openPool()
        log = try AuditLog(pool: pool, key: key)
        let report = try await log.verify()
        XCTAssertFalse(report.ok)
        let problem = try XCTUnwrap(report.firstProblem)
        XCTAssertEqual(problem.seq, 3)
        XCTAssertEqual(problem.kind, .fieldTampered)
        XCTAssertEqual(problem.eventId, ids[2])
        try await pool.close(timeout: 1)
    }

    func testSwappedFieldsAndTruncationAreReported() async throws {
        let pool = try openPool()
        let log = try AuditLog(pool: pool, key: try AuditKey.generate())
        for user in ["ann", "bob", "cat", "dan"] {
            try await log.record(event: NewAuditEvent(action: "login", userId: user))
        }
        let head = try log.head()

        // Moving one event's (authentic) ciphertext onto another row.
        _ = try await pool.execute(sql: "UPDATE audit_events SET fields = (SELECT fields FROM audit_events WHERE seq = 1) WHERE seq = 2", params: [])
        let swapped = try await log.verify()
        XCTAssertFalse(swapped.ok)
        XCTAssertEqual(swapped.firstProblem?.seq, 2)
        XCTAssertEqual(swapped.firstProblem?.kind, .fieldTampered)

        // Cutting off the newest event: only a head kept outside the file shows it.
        let fresh = try Pool.open(path: dir.path("fresh.db"), config: PoolConfig())
        let other = try AuditLog(pool: fresh, key: try AuditKey.generate())
        for i in 0..<4 {
            try await other.record(event: NewAuditEvent(action: "a\(i)"))
        }
        let kept = try other.head()
        _ = try await fresh.execute(sql: "DELETE FROM audit_events WHERE seq = 4", params: [])
        _ = try await fresh.execute(sql: "DELETE FROM audit_lookup WHERE seq = 4", params: [])
        let report = try await other.verifyAgainst(head: kept)
        XCTAssertFalse(report.ok)
        XCTAssertEqual(report.firstProblem?.kind, .truncated)
        XCTAssertEqual(head.seq, 4)
        try await fresh.close(timeout: 1)
        try await pool.close(timeout: 1)
    }

    func testKeyRotationAndReencryption() async throws {
        let first = try AuditKey.generate()
        let second = try AuditKey.generate()
        var pool = try openPool()
        var log = try AuditLog(pool: pool, key: first)
        let firstId = log.currentKeyId()
        for i in 0..<6 {
            try await log.record(event: NewAuditEvent(action: "before", userId: "u\(i)"))
        }
        let secondId = try log.rotateKey(new: second)
        XCTAssertNotEqual(firstId, secondId)
        try await log.record(event: NewAuditEvent(action: "after", userId: "u6"))
        let mixed = try await log.query(filter: AuditFilter())
        XCTAssertEqual(mixed.map(\.keyId), Array(repeating: firstId, count: 6) + [secondId])
        try await pool.close(timeout: 1)

        // A later run opens with the new key and keeps the old one for reading.
        pool = try openPool()
        log = try AuditLog(pool: pool, key: second, mode: .synchronous, previousKeys: [first])
        XCTAssertEqual(log.currentKeyId(), secondId)
        let got7 = try await log.query(filter: AuditFilter()).count
        XCTAssertEqual(got7, 7)
        var progress = try await log.reencrypt(batchSize: 4)
        while !progress.done {
            progress = try await log.reencrypt(batchSize: 4)
        }
        let all = try await log.query(filter: AuditFilter())
        XCTAssertTrue(all.allSatisfy { $0.keyId == secondId })
        XCTAssertEqual(all.compactMap(\.userId), (0..<7).map { "u\($0)" })
        try log.retireKey(keyId: firstId)
        let got8 = try await log.verify().ok
        XCTAssertTrue(got8)
        try await pool.close(timeout: 1)

        // Nothing needs the old key any more.
        pool = try openPool()
        log = try AuditLog(pool: pool, key: second)
        let got9 = try await log.query(filter: AuditFilter()).count
        XCTAssertEqual(got9, 7)
        try await pool.close(timeout: 1)
        pool = try openPool()
        assertMagnetarError("wrong_key") { try AuditLog(pool: pool, key: first) }
        try await pool.close(timeout: 1)
    }

    func testExportJsonl() async throws {
        let pool = try openPool()
        let log = try AuditLog(pool: pool, key: try AuditKey.generate())
        for (action, user) in [("login", "ann"), ("login", "bob"), ("logout", "ann")] {
            try await log.record(event: try NewAuditEvent(action: action, userId: user, ip: "203.0.113.9", details: ["via": "app"]))
        }
        let path = dir.path("export.jsonl")
        var filter = AuditFilter()
        filter.userId = "ann"
        let got10 = try await log.exportJsonl(path: path, filter: filter)
        XCTAssertEqual(got10, 2)
        let lines = try String(contentsOfFile: path, encoding: .utf8).split(separator: "\n")
        XCTAssertEqual(lines.count, 2)
        let objects = try lines.map { try XCTUnwrap(JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any]) }
        XCTAssertEqual(objects.map { $0["action"] as? String }, ["login", "logout"])
        XCTAssertTrue(objects.allSatisfy { $0["user_id"] as? String == "ann" })
        XCTAssertTrue(objects.allSatisfy { $0["ip"] as? String == "203.0.113.9" })
        let got11 = try await log.exportJsonl(path: dir.path("all.jsonl"), filter: AuditFilter())
        XCTAssertEqual(got11, 3)
        try await pool.close(timeout: 1)
    }

    func testPassphraseKeys() async throws {
        var pool = try openPool()
        let log = try await AuditLog.withPassphrase(pool: pool, passphrase: "correct horse battery staple")
        try await log.record(event: NewAuditEvent(action: "x", userId: "ann"))
        try await pool.close(timeout: 1)

        pool = try openPool()
        let again = try await AuditLog.withPassphrase(pool: pool, passphrase: "correct horse battery staple")
        let events = try await again.query(filter: AuditFilter())
        XCTAssertEqual(events.first?.userId, "ann")
        do {
            _ = try await AuditLog.withPassphrase(pool: pool, passphrase: "Correct horse battery staple")
            XCTFail("a wrong passphrase must be refused")
        } catch MagnetarError.WrongKey {
        }
        try await pool.close(timeout: 1)
    }

    func testPurgeKeepsTheLogVerifiable() async throws {
        let pool = try openPool()
        let log = try AuditLog(pool: pool, key: try AuditKey.generate())
        for i in 0..<4 {
            try await log.record(event: NewAuditEvent(action: "a\(i)"))
        }
        let events = try await log.query(filter: AuditFilter())
        // Timestamps are in ms; keep only what is newer than the oldest event.
        let purged = try await log.purgeBefore(cutoffMs: events[0].timestampMs + 1)
        XCTAssertGreaterThanOrEqual(purged, 1)
        XCTAssertEqual(try log.count(), UInt64(4) - purged)
        let report = try await log.verify()
        XCTAssertTrue(report.ok, "\(String(describing: report.firstProblem))")
        try await pool.close(timeout: 1)
    }
}
