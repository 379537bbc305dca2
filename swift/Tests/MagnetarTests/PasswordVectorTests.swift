import Foundation
import Magnetar
import XCTest

/// One entry of tests/vectors/passwords.json.
private struct PasswordVector {
    let scheme: String
    let hash: String
    let password: String
    let valid: Bool
    let legacyDigests: [String]

    var isArgon2: Bool { scheme.hasPrefix("argon2") || scheme == "django_argon2" }

    static func all() throws -> [PasswordVector] {
        let document = try XCTUnwrap(loadVectors("passwords.json") as? [String: Any])
        let vectors = try XCTUnwrap(document["vectors"] as? [[String: Any]])
        return try vectors.map { vector in
            PasswordVector(
                scheme: try XCTUnwrap(vector["scheme"] as? String),
                hash: try XCTUnwrap(vector["hash"] as? String),
                password: try XCTUnwrap(vector["password"] as? String),
                valid: try XCTUnwrap(vector["valid"] as? Bool),
                legacyDigests: vector["legacy_digests"] as? [String] ?? []
            )
        }
    }
}

/// Passwords from Swift beyond the basics: every shared vector through login and wrap,
/// whole tables, and malformed hashes.
final class PasswordVectorTests: XCTestCase {
    /// Cheap Argon2 for new hashes (the vectors' own parameters are what they are).
    private func hasher(legacyDigests: [String] = []) throws -> PasswordHasher {
        var policy = PasswordPolicy()
        policy.memoryKib = 64
        policy.iterations = 1
        policy.legacyDigests = legacyDigests
        return try PasswordHasher(policy: policy)
    }

    /// Upgrade on login, for every vector: a right password yields a new Argon2id hash
    /// exactly when the stored one needs it; a wrong one yields nothing.
    func testLoginUpgradesEveryVector() async throws {
        let vectors = try PasswordVector.all()
        XCTAssertEqual(vectors.count, 331)
        var upgraded = 0
        for vector in vectors {
            let hasher = try hasher(legacyDigests: vector.legacyDigests)
            let outcome = try await hasher.verifyAndUpdate(password: vector.password, stored: vector.hash)
            XCTAssertEqual(outcome.valid, vector.valid, "\(vector.scheme) \(vector.hash)")
            if vector.valid, try hasher.needsRehash(stored: vector.hash) {
                let newHash = try XCTUnwrap(outcome.newHash, "\(vector.scheme): no upgrade")
                XCTAssertTrue(newHash.hasPrefix("$argon2id$v=19$m=64,t=1,p=1$"), newHash)
                let newHashVerifies = try await hasher.verify(password: vector.password, stored: newHash)
                XCTAssertTrue(newHashVerifies)
                XCTAssertFalse(try hasher.needsRehash(stored: newHash))
                upgraded += 1
            } else if !vector.valid {
                XCTAssertNil(outcome.newHash, "\(vector.scheme): a wrong password must not upgrade")
            }
        }
        XCTAssertGreaterThan(upgraded, 100)
    }

    /// `wrapLegacy` on every legacy vector: the wrapped hash accepts exactly what the
    /// legacy one accepted, and the next login replaces it with plain Argon2id.
    func testWrapEveryLegacyVector() throws {
        var wrappedCount = 0
        for vector in try PasswordVector.all() where !vector.isArgon2 {
            let hasher = try hasher(legacyDigests: vector.legacyDigests)
            let wrapped = try hasher.wrapLegacy(stored: vector.hash)
            XCTAssertTrue(wrapped.hasPrefix("$magnetar-wrap$v=1,inner=\(vector.scheme),"), wrapped)
            XCTAssertEqual(try hasher.identify(stored: wrapped).name, "wrapped_\(vector.scheme)")
            XCTAssertFalse(wrapped.contains(vector.hash), "the legacy hash is not kept in clear")
            XCTAssertEqual(try hasher.verify(password: vector.password, stored: wrapped), vector.valid, "\(vector.scheme) \(vector.hash)")
            if vector.valid {
                let login = try hasher.verifyAndUpdate(password: vector.password, stored: wrapped)
                XCTAssertTrue(login.valid)
                let plain = try XCTUnwrap(login.newHash)
                XCTAssertEqual(try hasher.identify(stored: plain).name, "argon2id")
            }
            wrappedCount += 1
        }
        XCTAssertGreaterThan(wrappedCount, 250)
    }

    func testArgon2AndWrappedHashesAreNotWrappedAgain() throws {
        let hasher = try hasher()
        let modern = try hasher.hash(password: "pw")
        assertMagnetarError("invalid_input") { try hasher.wrapLegacy(stored: modern) }
        let wrapped = try hasher.wrapLegacy(stored: "$1$saltstri$YMyguxXMBpd2TEZ.vS/3q1")
        assertMagnetarError("invalid_input") { try hasher.wrapLegacy(stored: wrapped) }
    }

    /// Malformed, truncated and absurd-cost hashes are thrown errors, quickly, never a
    /// crash, a hang or `false`.
    func testMalformedHashesThrow() throws {
        let hasher = try hasher(legacyDigests: ["sha256"])
        let malformed = [
            "",
            "not a hash at all",
            "$argon2id$",
            "$argon2id$v=19$m=64,t=1,p=1$",
            "$argon2id$v=19$m=4294967295,t=1,p=1$c2FsdHNhbHQ$aGFzaGhhc2hoYXNoaGFzaA",
            "$argon2id$v=19$m=64,t=4294967295,p=1$c2FsdHNhbHQ$aGFzaGhhc2hoYXNoaGFzaA",
            "$2b$31$abcdefghijklmnopqrstuu5s2v8.iXieOjg/.AySBTTZIIVFJeBui",
            "$2b$04$tooshort",
            "$1$",
            "$5$rounds=999999999$saltsalt$abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG",
            "pbkdf2_sha256$999999999$salt$aGFzaA==",
            "pbkdf2_sha256$notanumber$salt$aGFzaA==",
            "$scrypt$ln=60,r=8,p=1$c2FsdA$aGFzaA",
            "deadbeef",  // hex, but no digest has 4 bytes
            String(repeating: "$", count: 10_000),
        ]
        for stored in malformed {
            assertMagnetarError("invalid_hash") { try hasher.verify(password: "pw", stored: stored) }
            assertMagnetarError("invalid_hash") { try hasher.verifyAndUpdate(password: "pw", stored: stored) }
            assertMagnetarError("invalid_hash") { try hasher.identify(stored: stored) }
        }
    }

    func testAWrongPasswordLeavesTheStoredHashAlone() async throws {
        let hasher = try hasher()
        let legacy = "$1$saltstri$YMyguxXMBpd2TEZ.vS/3q1"  // md5-crypt of "Hello world!"
        let outcome = try await hasher.verifyAndUpdate(password: "hello world!", stored: legacy)
        XCTAssertFalse(outcome.valid)
        XCTAssertNil(outcome.newHash)
    }

    /// A whole table of legacy hashes from the shared vectors, upgraded offline in
    /// batches: every user can still log in with their password, and a second run finds
    /// nothing left to do.
    func testUpgradeATableOfVectorHashes() async throws {
        let dir = try TempDir()
        let pool = try Pool.open(path: dir.path("users.db"), config: PoolConfig())
        _ = try await pool.execute(sql: "CREATE TABLE users (id INTEGER PRIMARY KEY, password TEXT)", params: [])
        let users = try PasswordVector.all().filter { $0.valid && !$0.isArgon2 && $0.legacyDigests.isEmpty }
        XCTAssertGreaterThan(users.count, 60)
        _ = try await pool.executeMany(
            sql: "INSERT INTO users (password) VALUES (?)",
            paramSets: users.map { [.text($0.hash)] }
        )
        _ = try await pool.execute(sql: "INSERT INTO users (password) VALUES ('garbage')", params: [])

        let hasher = try hasher()
        let table = HashTable(table: "users", hashColumn: "password")
        let first = try await hasher.upgradeTable(pool: pool, target: table, batchSize: 16)
        XCTAssertEqual(first.total, UInt64(users.count + 1))
        XCTAssertEqual(first.wrapped, UInt64(users.count))
        XCTAssertEqual(first.unrecognised, 1, "a row that is no hash is counted, not changed")

        let rows = try await pool.read(sql: "SELECT password FROM users ORDER BY id", params: [])
        for (user, row) in zip(users, rows.rows) {
            let stored = try XCTUnwrap(row[0].textValue)
            XCTAssertTrue(stored.hasPrefix("$magnetar-wrap$"), stored)
            let ok = try await hasher.verify(password: user.password, stored: stored)
            XCTAssertTrue(ok, "\(user.scheme) no longer logs in")
        }
        XCTAssertEqual(rows.rows.last, ["garbage"])

        let second = try await hasher.upgradeTable(pool: pool, target: table, batchSize: 16)
        XCTAssertEqual(second.wrapped, 0)
        XCTAssertEqual(second.current, UInt64(users.count))
        try await pool.close(timeout: 1)
    }
}
