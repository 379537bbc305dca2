import Foundation
import Magnetar
import XCTest

private let firefox = "Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0"

/// The PostgreSQL store from Swift. The tests that need a server read its URL from
/// MAGNETAR_TEST_PG_URL, which scripts/with-postgres.sh sets for a throwaway server (the
/// README's test command runs this class inside it: swift/run-tests.sh --postgres); each
/// test works in a schema of its own.
final class PostgresTests: XCTestCase {
    private func serverURL() throws -> String {
        guard let url = ProcessInfo.processInfo.environment["MAGNETAR_TEST_PG_URL"], !url.isEmpty else {
            throw XCTSkip("MAGNETAR_TEST_PG_URL is not set (run under scripts/with-postgres.sh)")
        }
        return url
    }

    /// A store on the test server in a fresh schema (two calls with the same `schema`
    /// stand for two app servers sharing it).
    private func store(schema: String) throws -> PostgresStore {
        var config = PostgresConfig()
        config.schema = schema
        config.maxConnections = 4
        return try PostgresStore(url: try serverURL(), config: config)
    }

    private func freshSchema() -> String {
        "swift_" + UUID().uuidString.lowercased().replacingOccurrences(of: "-", with: "")
    }

    private func context(_ ip: String) -> RequestContext {
        RequestContext(ip: ip, userAgent: firefox, headers: ["Accept-Language": "en-GB,en;q=0.9"])
    }

    func testDefaults() {
        let config = PostgresConfig()
        XCTAssertEqual(config.schema, "magnetar")
        XCTAssertEqual(config.maxConnections, 10)
        XCTAssertGreaterThanOrEqual(config.attempts, 1)
    }

    /// No server listens on port 1: `unavailable`, and neither the error nor anything
    /// else says the password.
    func testAnUnreachableServerIsUnavailableAndTheMessageHoldsNoPassword() {
        var config = PostgresConfig()
        config.connectTimeout = 2
        let error = assertMagnetarError("unavailable") {
            try PostgresStore(
                url: "postgresql://app:hunter2-secret@127.0.0.1:1/app?sslmode=disable", config: config)
        }
        let text = error.map { String(describing: $0) } ?? ""
        XCTAssertFalse(text.contains("hunter2"), text)
        XCTAssertTrue(text.contains("127.0.0.1"), text)
    }

    func testABadSchemaNameIsRefusedBeforeConnecting() {
        var config = PostgresConfig()
        config.schema = "Robert'); DROP TABLE students;--"
        assertMagnetarError("invalid_config") {
            try PostgresStore(url: "postgresql://app@127.0.0.1:1/app", config: config)
        }
    }

    /// Two stores on one schema stand for two app servers: the limit counts the sessions
    /// both made, and a revocation on one is seen by the other at once.
    func testSessionsHoldAcrossServersSharingTheSchema() async throws {
        let schema = freshSchema()
        let first = try store(schema: schema)
        let second = try await PostgresStore.connect(url: try serverURL(), config: {
            var config = PostgresConfig()
            config.schema = schema
            return config
        }())
        XCTAssertEqual(first.schema(), schema)
        XCTAssertFalse(first.description.contains("password"))
        var config = SessionConfig()
        config.maxSessionsPerUser = 2
        config.limitPolicy = .reject
        let key = try FingerprintKey.fromBytes(bytes: Data(repeating: 7, count: 32))
        let a = try SessionRegistry(store: first, key: key, config: config)
        let b = try SessionRegistry(store: second, key: key, config: config)

        let login = context("203.0.113.7")
        let one = try await a.create(userId: "alice", context: login)
        _ = try await b.create(userId: "alice", context: login)
        do {
            _ = try await a.create(userId: "alice", context: login)
            XCTFail("a third session across both servers must be refused")
        } catch MagnetarError.SessionLimit {
        }
        let listed = try await b.list(userId: "alice")
        XCTAssertEqual(listed.count, 2)

        let seen = try await b.validate(token: one.token, context: login)
        XCTAssertEqual(seen.session.id, one.session.id)
        try await a.revoke(token: one.token)
        assertMagnetarError("session_revoked") { try b.validate(token: one.token, context: login) }
    }

    /// One chain across two servers' logs, recorded synchronously and in batches, that
    /// verifies, answers queries, and rotates to a new key.
    func testTheAuditLogIsOneChainAcrossServers() async throws {
        let schema = freshSchema()
        let first = try store(schema: schema)
        let second = try store(schema: schema)
        XCTAssertFalse(try AuditLog.exists(store: first))
        let key = try AuditKey.generate()
        let sync = try AuditLog(store: first, key: key)
        let batched = try AuditLog(store: second, key: key, mode: defaultBatchedWriteMode())
        XCTAssertTrue(try AuditLog.exists(store: second))
        XCTAssertTrue(batched.isBatched())

        for i in 0..<20 {
            try await sync.record(event: try NewAuditEvent(action: "login", userId: "alice", details: ["i": i]))
            try await batched.record(event: NewAuditEvent(action: "view", userId: "bob"))
        }
        try await batched.flush()
        XCTAssertEqual(try sync.count(), 40)
        let report = try await sync.verify()
        XCTAssertTrue(report.ok, "\(report)")
        XCTAssertEqual(report.checked, 40)
        XCTAssertEqual(try sync.head(), try batched.head())

        var filter = AuditFilter()
        filter.userId = "alice"
        let alice = try await batched.query(filter: filter)
        XCTAssertEqual(alice.count, 20)
        XCTAssertEqual(try alice.last?.details() as? [String: Int], ["i": 19])
        try await batched.close()

        assertMagnetarError("wrong_key") { try AuditLog(store: first, key: try AuditKey.generate()) }

        let newKey = try AuditKey.generate()
        let rotation = try await AuditLog.rotateAndReencrypt(store: second, oldKey: key, newKey: newKey)
        XCTAssertEqual(rotation.reencrypted, 40)
        let rotated = try AuditLog(store: first, key: newKey)
        let after = try await rotated.verify()
        XCTAssertTrue(after.ok, "\(after)")
    }
}
