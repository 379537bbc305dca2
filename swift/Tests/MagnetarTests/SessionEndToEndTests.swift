import Foundation
import Magnetar
import XCTest

private let firefox128 = "Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0"
private let firefox129 = "Mozilla/5.0 (X11; Linux x86_64; rv:129.0) Gecko/20100101 Firefox/129.0"
private let safari = "Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Mobile/15E148 Safari/604.1"

/// Sessions from Swift: the registry's whole lifecycle and the scoring signals.
final class SessionEndToEndTests: XCTestCase {
    private var dir: TempDir!
    private var pool: Pool!

    override func setUpWithError() throws {
        dir = try TempDir()
        pool = try Pool.open(path: dir.path("sessions.db"), config: PoolConfig())
    }

    override func tearDownWithError() throws {
        try pool?.close(timeout: 1)
    }

    private func context(_ ip: String = "203.0.113.7", _ userAgent: String = firefox128, language: String = "en-GB") -> RequestContext {
        RequestContext(ip: ip, userAgent: userAgent, headers: ["Accept-Language": language])
    }

    private func registry(limit: UInt32 = 3, policy: LimitPolicy = .evictOldest) throws -> SessionRegistry {
        var config = SessionConfig()
        config.maxSessionsPerUser = limit
        config.limitPolicy = policy
        return try SessionRegistry(pool: pool, key: try FingerprintKey.generate(), config: config)
    }

    /// Every text and blob stored in any table of the database.
    private func everythingStored() throws -> [String] {
        let tables = try pool.read(sql: "SELECT name FROM sqlite_master WHERE type = 'table'").rows.compactMap { $0[0].textValue }
        var values: [String] = []
        for table in tables {
            for row in try pool.read(sql: "SELECT * FROM \"\(table)\"").rows {
                for value in row {
                    if let text = value.textValue { values.append(text) }
                    if let blob = value.blobValue { values.append(String(decoding: blob, as: UTF8.self)) }
                }
            }
        }
        return values
    }

    func testCreateAndValidate() async throws {
        let registry = try registry()
        let created = try await registry.create(userId: "alice", context: context())
        XCTAssertEqual(created.token.count, 43, "256 bits, base64url without padding")
        XCTAssertNil(created.token.rangeOfCharacter(from: CharacterSet(charactersIn: "+/=")))
        XCTAssertEqual(created.session.userId, "alice")
        XCTAssertEqual(created.session.ip, "203.0.113.7")
        XCTAssertEqual(created.session.userAgent, firefox128)
        XCTAssertNil(created.session.revokedAtMs)
        XCTAssertGreaterThan(created.session.expiresAtMs, created.session.createdAtMs)
        XCTAssertGreaterThan(created.session.idleExpiresAtMs, created.session.createdAtMs)

        let validation = try await registry.validate(token: created.token, context: context())
        XCTAssertEqual(validation.assessment.decision, .allow)
        XCTAssertEqual(validation.assessment.score, 0)
        XCTAssertEqual(validation.assessment.reasons, [])
        XCTAssertEqual(validation.session.id, created.session.id)
        let listed = try await registry.list(userId: "alice")
        XCTAssertEqual(listed.map(\.id), [created.session.id])

        XCTAssertFalse(try everythingStored().contains { $0.contains(created.token) }, "only a hash of the token is stored")
    }

    func testTheOldestSessionIsEvictedAtTheLimit() async throws {
        let registry = try registry(limit: 3, policy: .evictOldest)
        var tokens: [String] = []
        for _ in 0..<4 {
            tokens.append(try await registry.create(userId: "alice", context: context()).token)
        }
        let sessions = try await registry.list(userId: "alice")
        XCTAssertEqual(sessions.count, 3)
        do {
            _ = try await registry.validate(token: tokens[0], context: context())
            XCTFail("the oldest session must be gone")
        } catch MagnetarError.SessionRevoked(let message) {
            XCTAssertTrue(message.contains("evicted"), message)
        }
        for token in tokens.dropFirst() {
            let validation = try await registry.validate(token: token, context: context())
            XCTAssertEqual(validation.assessment.decision, .allow)
        }
    }

    func testTheLimitIsPerUserWhenRejecting() async throws {
        let registry = try registry(limit: 1, policy: .reject)
        _ = try await registry.create(userId: "alice", context: context())
        do {
            _ = try await registry.create(userId: "alice", context: context())
            XCTFail("a second session for alice must be refused")
        } catch MagnetarError.SessionLimit(let message) {
            XCTAssertFalse(message.isEmpty)
        }
        let bob = try await registry.create(userId: "bob", context: context())
        XCTAssertEqual(bob.session.userId, "bob")
    }

    func testRevoke() async throws {
        let registry = try registry()
        let kept = try await registry.create(userId: "alice", context: context())
        let gone = try await registry.create(userId: "alice", context: context())
        try await registry.revoke(token: gone.token)
        assertMagnetarError("session_revoked") { try registry.validate(token: gone.token, context: context()) }
        let validation = try await registry.validate(token: kept.token, context: context())
        XCTAssertEqual(validation.session.id, kept.session.id)
        let listed = try await registry.list(userId: "alice")
        XCTAssertFalse(listed.contains { $0.id == gone.session.id && $0.revokedAtMs == nil })
    }

    func testRevokeAllTouchesOnlyThatUser() async throws {
        let registry = try registry()
        let alice1 = try await registry.create(userId: "alice", context: context())
        let alice2 = try await registry.create(userId: "alice", context: context("198.51.100.4", safari))
        let bob = try await registry.create(userId: "bob", context: context())

        let revoked = try await registry.revokeAll(userId: "alice", reason: "password_change")
        XCTAssertEqual(revoked, 2)
        for token in [alice1.token, alice2.token] {
            assertMagnetarError("session_revoked") { try registry.validate(token: token, context: context()) }
        }
        let stillBob = try await registry.validate(token: bob.token, context: context())
        XCTAssertEqual(stillBob.session.userId, "bob")
        let again = try await registry.revokeAll(userId: "alice", reason: "password_change")
        XCTAssertEqual(again, 0)
    }

    func testScoringSignalsAndDecisions() throws {
        let base = context()
        let cases: [(String, RequestContext, Decision, [Signal])] = [
            ("same request", context(), .allow, []),
            ("same subnet", context("203.0.113.99"), .allow, [.ipSubnetChange]),
            ("browser update", context("203.0.113.7", firefox129), .allow, [.userAgentVersionChange]),
            ("new language", context(language: "de-DE"), .allow, [.fingerprintMismatch]),
            ("new network", context("198.51.100.2"), .allow, [.ipChange]),
            ("new network and language", context("198.51.100.2", language: "de-DE"), .monitor, [.ipChange, .fingerprintMismatch]),
            ("new network and device", context("198.51.100.2", safari), .stepUp, [.ipChange, .userAgentChange]),
            ("everything new", context("198.51.100.2", safari, language: "de-DE"), .terminate, [.ipChange, .userAgentChange, .fingerprintMismatch]),
        ]
        for (name, current, decision, signals) in cases {
            let assessment = try scoreRequest(previous: base, current: current)
            XCTAssertEqual(assessment.decision, decision, "\(name): \(assessment)")
            XCTAssertEqual(Set(assessment.reasons.map(\.signal)), Set(signals), name)
            XCTAssertEqual(assessment.score, min(1, assessment.reasons.map(\.weight).reduce(0, +)), accuracy: 1e-9, name)
            XCTAssertTrue(assessment.reasons.allSatisfy { !$0.detail.isEmpty }, name)
        }
    }

    func testAHostPolicyChangesTheDecision() throws {
        var strict = ScoringPolicy()
        strict.thresholds.stepUp = 0.25
        strict.thresholds.monitor = 0.1
        let assessment = try scoreRequest(previous: context(), current: context("198.51.100.2"), policy: strict)
        XCTAssertEqual(assessment.decision, .stepUp)
        var bad = ScoringPolicy()
        bad.thresholds.monitor = 2
        assertMagnetarError("invalid_config") { try scoreRequest(previous: context(), current: context(), policy: bad) }
    }

    func testATerminatedSessionIsRevoked() async throws {
        let registry = try registry()
        let created = try await registry.create(userId: "alice", context: context())
        let hijacked = try await registry.validate(token: created.token, context: context("198.51.100.2", safari, language: "de-DE"))
        XCTAssertEqual(hijacked.assessment.decision, .terminate)
        assertMagnetarError("session_revoked") { try registry.validate(token: created.token, context: context()) }
    }

    func testValidateRequestAuditsAllowedRequestsAndRefusedTokens() async throws {
        let log = try AuditLog(pool: pool, key: try AuditKey.generate())
        let registry = try SessionRegistry(pool: pool, key: try FingerprintKey.generate(), config: SessionConfig(), audit: log)
        let created = try await registry.create(userId: "alice", context: context())
        guard case let .validated(validation) = try await registry.validateRequest(token: created.token, context: context(), auditAllow: true) else {
            return XCTFail("a live session's token was refused")
        }
        XCTAssertEqual(validation.assessment.decision, .allow)
        let stranger = context("198.51.100.2", safari)
        guard case let .refused(reason) = try await registry.validateRequest(token: String(repeating: "A", count: 43), context: stranger, auditAllow: true) else {
            return XCTFail("an unknown token was accepted")
        }
        XCTAssertEqual(reason.kind(), "session_not_found")

        var filter = AuditFilter()
        filter.action = "session.refused"
        let refused = try await log.query(filter: filter)
        XCTAssertEqual(refused.map(\.status), ["session_not_found"])
        XCTAssertEqual(refused.first?.userId, nil)
        XCTAssertEqual(refused.first?.ip, "198.51.100.2")
        filter.action = "session.allow"
        let allowed = try await log.query(filter: filter)
        XCTAssertEqual(allowed.map(\.userId), ["alice"])
        try await log.close()
    }

    func testManyTasksValidateAtOnce() async throws {
        let registry = try registry()
        let created = try await registry.create(userId: "alice", context: context())
        let token = created.token
        let request = context()
        let decisions = try await withThrowingTaskGroup(of: Decision.self) { group -> [Decision] in
            for _ in 0..<24 {
                group.addTask { try await registry.validate(token: token, context: request).assessment.decision }
            }
            return try await group.reduce(into: []) { $0.append($1) }
        }
        XCTAssertEqual(decisions, Array(repeating: .allow, count: 24))
    }
}
