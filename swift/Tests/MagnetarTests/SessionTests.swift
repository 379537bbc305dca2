import Foundation
import Magnetar
import XCTest

private let firefox = "Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0"
private let safari = "Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Mobile/15E148 Safari/604.1"

final class SessionTests: XCTestCase {
    private func context(_ ip: String, _ userAgent: String) -> RequestContext {
        RequestContext(ip: ip, userAgent: userAgent, headers: ["Accept-Language": "en-GB,en;q=0.9"])
    }

    func testDefaults() {
        let config = SessionConfig()
        XCTAssertEqual(config.maxSessionsPerUser, 3)
        XCTAssertEqual(config.limitPolicy, .evictOldest)
        XCTAssertEqual(config.idleTimeout, 30 * 60)
        XCTAssertEqual(ScoringPolicy().weights.userAgentChange, 0.5)
    }

    func testScoring() throws {
        let base = context("203.0.113.7", firefox)
        XCTAssertEqual(try scoreRequest(previous: base, current: base).decision, .allow)
        let moved = try scoreRequest(previous: base, current: context("198.51.100.2", safari))
        XCTAssertEqual(moved.decision, .stepUp)
        XCTAssertEqual(moved.reasons.map(\.signal), [.ipChange, .userAgentChange])
        XCTAssertEqual(moved.score, 0.8, accuracy: 1e-9)
        assertMagnetarError("invalid_input") {
            try scoreRequest(previous: RequestContext(ip: "not-an-ip", userAgent: firefox), current: base)
        }
    }

    func testPreparedContextsScoreAsScoreRequestDoes() throws {
        let scorer = try RiskScorer()
        let base = context("203.0.113.7", firefox)
        let prepared = try PreparedRequestContext(context: base)
        for current in [base, context("198.51.100.2", safari), context("203.0.113.9", firefox)] {
            let expected = try scoreRequest(previous: base, current: current)
            // Built once per request, then passed by reference as often as needed.
            let preparedCurrent = try PreparedRequestContext(context: current)
            XCTAssertEqual(scorer.score(previous: prepared, current: preparedCurrent), expected)
            XCTAssertEqual(scorer.decide(previous: prepared, current: preparedCurrent), expected.decision)
        }
        let moved = try PreparedRequestContext(ip: "198.51.100.2", userAgent: safari, headers: ["Accept-Language": "en-GB,en;q=0.9"])
        XCTAssertEqual(scorer.score(previous: prepared, current: moved).decision, .stepUp)
        // Bad input fails when the context is prepared; a bad policy when the scorer is made.
        assertMagnetarError("invalid_input") { try PreparedRequestContext(ip: "not-an-ip", userAgent: firefox) }
        var policy = ScoringPolicy()
        policy.weights.ipChange = 2
        assertMagnetarError("invalid_config") { try RiskScorer(policy: policy) }
    }

    func testUserAgentsParseAsScoringReadsThem() {
        let info = parseUserAgent(userAgent: firefox)
        XCTAssertEqual(info.family, "Firefox")
        XCTAssertEqual(info.kind, "browser")
        XCTAssertEqual(parseUserAgent(userAgent: "").kind, "unknown")
    }

    func testRegistryLifecycle() async throws {
        let dir = try TempDir()
        let pool = try Pool.open(path: dir.path("s.db"), config: PoolConfig())
        var config = SessionConfig()
        config.maxSessionsPerUser = 2
        config.limitPolicy = .reject
        let registry = try SessionRegistry(pool: pool, key: try FingerprintKey.fromBytes(bytes: Data(repeating: 7, count: 32)), config: config)

        let login = context("203.0.113.7", firefox)
        let created = try await registry.create(userId: "alice", context: login)
        XCTAssertEqual(created.token.count, 43)
        let ok = try await registry.validate(token: created.token, context: login)
        XCTAssertEqual(ok.assessment.decision, .allow)
        XCTAssertEqual(ok.session.id, created.session.id)

        _ = try await registry.create(userId: "alice", context: login)
        do {
            _ = try await registry.create(userId: "alice", context: login)
            XCTFail("the third session must be refused")
        } catch MagnetarError.SessionLimit {
        }
        let sessions = try await registry.list(userId: "alice")
        XCTAssertEqual(sessions.count, 2)

        let stolen = try await registry.validate(token: created.token, context: context("198.51.100.2", safari))
        XCTAssertEqual(stolen.assessment.decision, .stepUp)
        let rebased = try await registry.rebaseline(token: created.token, context: context("198.51.100.2", safari))
        XCTAssertEqual(rebased.ip, "198.51.100.2")

        try await registry.revoke(token: created.token)
        assertMagnetarError("session_revoked") { try registry.validate(token: created.token, context: login) }
        let revoked = try await registry.revokeAll(userId: "alice", reason: "password_change")
        XCTAssertEqual(revoked, 1)
        assertMagnetarError("session_not_found") { try registry.validate(token: String(repeating: "A", count: 43), context: login) }
        assertMagnetarError("invalid_input") { try registry.validate(token: "short", context: login) }
        let swept = try await registry.sweepExpired()
        XCTAssertEqual(swept, 0)
    }

    func testKeysAndConfigsAreChecked() throws {
        assertMagnetarError("invalid_key") { try FingerprintKey.fromBytes(bytes: Data([1, 2, 3])) }
        _ = try FingerprintKey.derive(masterKey: Data(repeating: 9, count: 32))
        let dir = try TempDir()
        let pool = try Pool.open(path: dir.path("c.db"), config: PoolConfig())
        var config = SessionConfig()
        config.maxSessionsPerUser = 0
        assertMagnetarError("invalid_config") {
            try SessionRegistry(pool: pool, key: try FingerprintKey.generate(), config: config)
        }
    }
}
