// LoginFlow: sign-up, a login with a legacy hash, a breach check and a session check,
// as an app's account service would run them on Magnetar.

import Foundation
import Magnetar

/// Stops the program with a message when an app-level expectation fails.
func expect(_ condition: Bool, _ what: String) {
    if condition {
        print("  ok: \(what)")
    } else {
        print("  FAILED: \(what)")
        exit(1)
    }
}

/// The repository root (for the sample breach corpus in data/): MAGNETAR_REPO_ROOT, else
/// found from this file's location (swift/Examples/LoginFlow/Sources/LoginFlow/LoginFlow.swift).
func repositoryRoot() -> URL {
    if let root = ProcessInfo.processInfo.environment["MAGNETAR_REPO_ROOT"], !root.isEmpty {
        return URL(fileURLWithPath: root, isDirectory: true)
    }
    var url = URL(fileURLWithPath: #filePath)
    for _ in 0..<6 { url.deleteLastPathComponent() }
    return url
}

/// The app's account service: one pool, one hasher, one breach checker, one session
/// registry and one audit log, shared by every request.
struct AccountService: Sendable {
    let pool: Pool
    let hasher: PasswordHasher
    let breaches: BreachChecker
    let sessions: SessionRegistry
    let audit: AuditLog

    enum SignUpError: Error {
        case breachedPassword(UInt64)
    }

    func signUp(email: String, password: String) async throws {
        // Policy: refuse a known-breached password; `unknown` (no answer) is allowed
        // here, a stricter app could refuse it too. It is never "safe".
        let check = await breaches.check(password: password)
        if case let .breached(count) = check.status {
            try await audit.record(event: NewAuditEvent(action: "user.signup", userId: email, status: "refused_breached"))
            throw SignUpError.breachedPassword(count)
        }
        let hash = try await hasher.hash(password: password)
        _ = try await pool.execute(sql: "INSERT INTO users (email, password_hash) VALUES (?, ?)", params: [.text(email), .text(hash)])
        try await audit.record(event: NewAuditEvent(action: "user.signup", userId: email, status: "success"))
    }

    /// Returns a session token, or nil for wrong credentials. Upgrades legacy hashes.
    func logIn(email: String, password: String, request: RequestContext) async throws -> String? {
        let rows = try await pool.read(sql: "SELECT password_hash FROM users WHERE email = ?", params: [.text(email)])
        guard let stored = rows.rows.first?.first?.textValue else { return nil }
        let outcome = try await hasher.verifyAndUpdate(password: password, stored: stored)
        guard outcome.valid else {
            try await audit.record(event: NewAuditEvent(action: "user.login", userId: email, status: "failure", ip: request.ip))
            return nil
        }
        if let upgraded = outcome.newHash {
            // Only if nobody changed the hash meanwhile.
            _ = try await pool.execute(
                sql: "UPDATE users SET password_hash = ? WHERE email = ? AND password_hash = ?",
                params: [.text(upgraded), .text(email), .text(stored)]
            )
        }
        try await audit.record(event: NewAuditEvent(action: "user.login", userId: email, status: "success", ip: request.ip))
        return try await sessions.create(userId: email, context: request).token
    }

    func storedHash(_ email: String) async throws -> String? {
        try await pool.read(sql: "SELECT password_hash FROM users WHERE email = ?", params: [.text(email)]).rows.first?.first?.textValue
    }
}

@main
struct LoginFlow {
    static func main() async throws {
        let workDir = FileManager.default.temporaryDirectory.appendingPathComponent("loginflow-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: workDir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: workDir) }

        print("LoginFlow on Magnetar \(magnetarVersion())")

        // --- Set-up, once per process.
        let pool = try Pool(path: workDir.appendingPathComponent("app.db").path)
        _ = try await pool.migrate(steps: [
            "CREATE TABLE users (id INTEGER PRIMARY KEY, email TEXT NOT NULL UNIQUE, password_hash TEXT NOT NULL)",
        ])
        // A user carried over from the previous (Django) system, with its PBKDF2 hash.
        let legacyHash = "pbkdf2_sha256$260000$legacysalt2019$bG2fte6sbyKqrttNwkjaMcAH1kcePTu++76+XsikiaI="
        _ = try await pool.execute(sql: "INSERT INTO users (email, password_hash) VALUES (?, ?)", params: ["old@example.com", .text(legacyHash)])

        // Breach check: the offline index built from the sample corpus (an app would download
        // the full corpus, or go online with `BreachChecker()`).
        let indexPath = workDir.appendingPathComponent("pwned.idx").path
        let corpus = repositoryRoot().appendingPathComponent("data/pwned-sample.txt").path
        _ = try await buildBreachIndex(corpus: corpus, output: indexPath)
        var breachConfig = BreachConfig()
        breachConfig.online = false
        breachConfig.offlineIndex = indexPath

        let audit = try AuditLog(pool: pool, key: try AuditKey.generate())
        let service = AccountService(
            pool: pool,
            hasher: try PasswordHasher(),  // Argon2id, OWASP parameters
            breaches: try BreachChecker(config: breachConfig, transport: nil),
            sessions: try SessionRegistry(pool: pool, key: try FingerprintKey.generate(), config: SessionConfig(), audit: audit),
            audit: audit
        )

        let phone = RequestContext(
            ip: "203.0.113.7",
            userAgent: "Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Mobile/15E148 Safari/604.1",
            headers: ["Accept-Language": "en-GB"]
        )

        print("sign-up")
        do {
            try await service.signUp(email: "new@example.com", password: "letmein")
            expect(false, "a breached password is refused at sign-up")
        } catch AccountService.SignUpError.breachedPassword(let count) {
            expect(count > 0, "a breached password is refused at sign-up (seen \(count) times)")
        }
        try await service.signUp(email: "new@example.com", password: "violet-otter-candle-42")
        expect(try await service.storedHash("new@example.com")?.hasPrefix("$argon2id$") == true, "the new user's hash is Argon2id")

        print("login with a legacy hash")
        let wrong = try await service.logIn(email: "old@example.com", password: "tr0ub4dor&4", request: phone)
        expect(wrong == nil, "a wrong password is refused")
        expect(try await service.storedHash("old@example.com") == legacyHash, "a failed login changes nothing")
        let token = try await service.logIn(email: "old@example.com", password: "tr0ub4dor&3", request: phone)
        expect(token != nil, "the legacy PBKDF2 hash accepts the right password")
        let upgraded = try await service.storedHash("old@example.com") ?? ""
        expect(upgraded.hasPrefix("$argon2id$"), "the legacy hash was upgraded to Argon2id on login")
        expect(try await service.logIn(email: "old@example.com", password: "tr0ub4dor&3", request: phone) != nil, "the upgraded hash logs in")

        print("session check")
        guard let token else { exit(1) }
        let same = try await service.sessions.validate(token: token, context: phone)
        expect(same.assessment.decision == .allow, "the same phone is allowed (score \(same.assessment.score))")
        let laptop = RequestContext(
            ip: "198.51.100.23",
            userAgent: "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.6099.71 Safari/537.36",
            headers: ["Accept-Language": "en-GB"]
        )
        let moved = try await service.sessions.validate(token: token, context: laptop)
        expect(moved.assessment.decision == .stepUp, "a new network and device asks for a second factor (score \(moved.assessment.score))")

        print("audit")
        let report = try await audit.verify()
        expect(report.ok, "the audit trail verifies (\(report.checked) events)")
        var logins = AuditFilter()
        logins.action = "user.login"
        let loginEvents = try await audit.query(filter: logins)
        expect(loginEvents.map(\.status) == ["failure", "success", "success"], "every login attempt is in the audit trail")

        try await pool.close(timeout: 5)
        print("LoginFlow: OK")
    }
}
