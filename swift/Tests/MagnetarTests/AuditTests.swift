import Foundation
import Magnetar
import XCTest

final class AuditTests: XCTestCase {
    private var dir: TempDir!
    private var pool: Pool!

    override func setUpWithError() throws {
        dir = try TempDir()
        pool = try Pool.open(path: dir.path("audit.db"), config: PoolConfig())
    }

    override func tearDownWithError() throws {
        try pool?.close(timeout: 1)
    }

    func testRecordQueryVerify() async throws {
        XCTAssertFalse(try AuditLog.exists(pool: pool))
        let key = try AuditKey.generate()
        let log = try AuditLog(pool: pool, key: key)
        let id = try await log.record(event: try NewAuditEvent(
            action: "user.login", userId: "alice", status: "success",
            ip: "203.0.113.7", userAgent: "Safari", details: ["method": "password", "attempt": 1]
        ))
        XCTAssertFalse(id.isEmpty)
        XCTAssertTrue(try AuditLog.exists(pool: pool))
        try await log.record(event: NewAuditEvent(action: "user.logout", userId: "bob"))
        XCTAssertEqual(try log.count(), 2)

        var filter = AuditFilter()
        filter.userId = "alice"
        let alice = try await log.query(filter: filter)
        XCTAssertEqual(alice.count, 1)
        XCTAssertEqual(alice[0].eventId, id)
        XCTAssertEqual(alice[0].action, "user.login")
        let details = try XCTUnwrap(alice[0].details() as? [String: Any])
        XCTAssertEqual(details["method"] as? String, "password")

        filter = AuditFilter()
        filter.order = .descending
        filter.limit = 1
        let newest = try await log.query(filter: filter)
        XCTAssertEqual(newest.map(\.action), ["user.logout"])

        let head = try log.head()
        XCTAssertEqual(head.seq, 2)
        let report = try await log.verify()
        XCTAssertTrue(report.ok)
        XCTAssertEqual(report.checked, 2)
        XCTAssertNil(report.firstProblem)
        let against = try await log.verifyAgainst(head: head)
        XCTAssertTrue(against.ok)

        let exported = try await log.exportJsonl(path: dir.path("audit.jsonl"), filter: AuditFilter())
        let replaced = try await log.exportJsonlReplacing(path: dir.path("audit.jsonl"), filter: AuditFilter())
        XCTAssertEqual(replaced, exported)
        XCTAssertEqual(exported, 2)
    }

    func testWrongKeyAndBadInput() throws {
        let log = try AuditLog(pool: pool, key: try AuditKey.generate())
        _ = try log.record(event: NewAuditEvent(action: "x"))
        assertMagnetarError("wrong_key") { try AuditLog(pool: pool, key: try AuditKey.generate()) }
        assertMagnetarError("invalid_key") { try AuditKey.fromBytes(bytes: Data(count: 32)) }
        assertMagnetarError("invalid_key") { try AuditKey.parse(text: "not a key") }
        assertMagnetarError("invalid_input") {
            try log.record(event: NewAuditEvent(action: "x", detailsJson: "{not json"))
        }
    }

    func testTamperingIsDetected() async throws {
        let log = try AuditLog(pool: pool, key: try AuditKey.generate())
        for i in 0..<3 {
            try await log.record(event: NewAuditEvent(action: "a\(i)", userId: "u"))
        }
        _ = try await pool.execute(sql: "DELETE FROM audit_events WHERE seq = 2", params: [])
        let report = try await log.verify()
        XCTAssertFalse(report.ok)
        XCTAssertNotNil(report.firstProblem)
    }

    func testBatchedWritesAndRotation() async throws {
        let first = try AuditKey.generate()
        let log = try AuditLog(pool: pool, key: first, mode: defaultBatchedWriteMode(), previousKeys: [])
        XCTAssertTrue(log.isBatched())
        for i in 0..<20 {
            try await log.record(event: NewAuditEvent(action: "batched", userId: "u\(i)"))
        }
        try await log.flush()
        XCTAssertEqual(try log.count(), 20)

        let second = try AuditKey.generate()
        let newId = try log.rotateKey(new: second)
        XCTAssertEqual(log.currentKeyId(), newId)
        var progress = try await log.reencrypt(batchSize: 7)
        while !progress.done {
            progress = try await log.reencrypt(batchSize: 7)
        }
        XCTAssertEqual(progress.remaining, 0)
        try await log.close()
        let report = try await log.verify()
        XCTAssertTrue(report.ok)
    }

    func testTheRotationWorkflowAndKeyIds() async throws {
        let first = try AuditKey.generate()
        let log = try AuditLog(pool: pool, key: first)
        XCTAssertEqual(log.keyIds(), [1])
        for i in 0..<5 {
            try await log.record(event: NewAuditEvent(action: "e", userId: "u\(i)"))
        }
        try await log.close()
        let second = try AuditKey.generate()
        let report = try await AuditLog.rotateAndReencrypt(
            pool: pool, oldKey: first, newKey: second, batchSize: 2)
        XCTAssertEqual(report.oldKeyId, 1)
        XCTAssertEqual(report.newKeyId, 2)
        XCTAssertEqual(report.reencrypted, 5)
        XCTAssertTrue(report.oldKeyRetired)
        XCTAssertFalse(report.resumed)
        let reopened = try AuditLog(pool: pool, key: second)
        XCTAssertEqual(reopened.keyIds(), [2])
        let verified = try await reopened.verify()
        XCTAssertTrue(verified.ok)
    }

    func testSessionDecisionsAreAudited() async throws {
        let log = try AuditLog(pool: pool, key: try AuditKey.generate())
        let registry = try SessionRegistry(pool: pool, key: try FingerprintKey.generate(), config: SessionConfig(), audit: log)
        let login = RequestContext(ip: "203.0.113.7", userAgent: "Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0")
        let created = try await registry.create(userId: "alice", context: login)
        let moved = RequestContext(
            ip: "198.51.100.2",
            userAgent: "Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Mobile/15E148 Safari/604.1"
        )
        let validation = try await registry.validate(token: created.token, context: moved)
        XCTAssertEqual(validation.assessment.decision, .stepUp)
        let events = try await log.query(filter: AuditFilter())
        XCTAssertEqual(events.map(\.action), ["session.create", "session.step_up"])
        XCTAssertEqual(events.first?.resourceId, created.session.id)
        XCTAssertFalse(events.contains { ($0.detailsJson ?? "").contains(created.token) })
    }
}
