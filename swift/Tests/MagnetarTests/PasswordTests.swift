import Foundation
import Magnetar
import XCTest

final class PasswordTests: XCTestCase {
    /// Cheap Argon2 parameters for new hashes, to keep the suite quick.
    private func fastHasher(pepper: Pepper? = nil, oldPeppers: [Pepper] = []) throws -> PasswordHasher {
        var policy = PasswordPolicy()
        policy.memoryKib = 64
        policy.iterations = 1
        return try PasswordHasher(policy: policy, pepper: pepper, oldPeppers: oldPeppers)
    }

    func testDefaultPolicyIsOwasp() {
        let policy = PasswordPolicy()
        XCTAssertEqual(policy.memoryKib, 19456)
        XCTAssertEqual(policy.iterations, 2)
        XCTAssertEqual(policy.parallelism, 1)
        XCTAssertEqual(policy.legacyDigests, [])
    }

    func testHashVerifyAndUpgradeAsync() async throws {
        let hasher = try fastHasher()
        let stored = try await hasher.hash(password: "correct horse")
        XCTAssertTrue(stored.hasPrefix("$argon2id$v=19$m=64,t=1,p=1$"), stored)
        let ok = try await hasher.verify(password: "correct horse", stored: stored)
        XCTAssertTrue(ok)
        let wrong = try await hasher.verify(password: "correct horse!", stored: stored)
        XCTAssertFalse(wrong)
        XCTAssertFalse(try hasher.needsRehash(stored: stored))

        let legacy = "$1$saltstri$YMyguxXMBpd2TEZ.vS/3q1"  // md5-crypt of "Hello world!"
        let outcome = try await hasher.verifyAndUpdate(password: "Hello world!", stored: legacy)
        XCTAssertTrue(outcome.valid)
        let upgraded = try XCTUnwrap(outcome.newHash)
        let upgradedOk = try await hasher.verify(password: "Hello world!", stored: upgraded)
        XCTAssertTrue(upgradedOk)

        let wrapped = try await hasher.wrapLegacy(stored: legacy)
        XCTAssertEqual(try hasher.identify(stored: wrapped).name, "wrapped_md5_crypt")
        let wrappedOk = try await hasher.verify(password: "Hello world!", stored: wrapped)
        XCTAssertTrue(wrappedOk)
    }

    func testConcurrentHashingOffTheMainThread() async throws {
        let hasher = try fastHasher()
        let hashes = try await withThrowingTaskGroup(of: String.self) { group -> [String] in
            for i in 0..<8 {
                group.addTask { try await hasher.hash(password: "pw\(i)") }
            }
            return try await group.reduce(into: []) { $0.append($1) }
        }
        XCTAssertEqual(Set(hashes).count, 8, "fresh salt per hash")
    }

    func testErrors() throws {
        let hasher = try fastHasher()
        assertMagnetarError("invalid_hash") { try hasher.verify(password: "x", stored: "$2b$99$notreallyabcrypthash") }
        assertMagnetarError("invalid_input") { try hasher.hash(password: String(repeating: "a", count: 5000)) }
        assertMagnetarError("invalid_key") { try Pepper(id: "bad id!", secret: Data(count: 32)) }
        assertMagnetarError("invalid_key") { try Pepper(id: "k1", secret: Data(count: 4)) }
        var bad = PasswordPolicy()
        bad.memoryKib = 0
        assertMagnetarError("invalid_config") { try PasswordHasher(policy: bad) }
    }

    func testPepperRotation() throws {
        let old = try Pepper(id: "k1", secret: Data(repeating: 1, count: 32))
        let new = try Pepper(id: "k2", secret: Data(repeating: 2, count: 32))
        XCTAssertEqual(new.id(), "k2")
        let stored = try fastHasher(pepper: old).hash(password: "pw")
        let outcome = try fastHasher(pepper: new, oldPeppers: [old]).verifyAndUpdate(password: "pw", stored: stored)
        XCTAssertTrue(outcome.valid)
        XCTAssertNotNil(outcome.newHash)
        assertMagnetarError("invalid_key") { try fastHasher().verify(password: "pw", stored: stored) }
    }

    /// tests/vectors/passwords.json: the vectors every binding runs.
    func testSharedVectors() throws {
        let document = try XCTUnwrap(loadVectors("passwords.json") as? [String: Any])
        let vectors = try XCTUnwrap(document["vectors"] as? [[String: Any]])
        XCTAssertGreaterThan(vectors.count, 100)
        for vector in vectors {
            let scheme = try XCTUnwrap(vector["scheme"] as? String)
            let hash = try XCTUnwrap(vector["hash"] as? String)
            let password = try XCTUnwrap(vector["password"] as? String)
            let valid = try XCTUnwrap(vector["valid"] as? Bool)
            let needsRehash = try XCTUnwrap(vector["needs_rehash"] as? Bool)
            var policy = PasswordPolicy()
            policy.legacyDigests = vector["legacy_digests"] as? [String] ?? []
            let hasher = try PasswordHasher(policy: policy)
            XCTAssertEqual(try hasher.verify(password: password, stored: hash), valid, "\(scheme) \(hash)")
            XCTAssertEqual(try hasher.identify(stored: hash).name, scheme, hash)
            XCTAssertEqual(try hasher.needsRehash(stored: hash), needsRehash, "\(scheme) \(hash)")
        }
    }

    func testUpgradeAWholeTable() async throws {
        let dir = try TempDir()
        let pool = try Pool.open(path: dir.path("users.db"), config: PoolConfig())
        _ = try await pool.execute(sql: "CREATE TABLE users (name TEXT, pw TEXT)", params: [])
        let hasher = try fastHasher()
        let strong = try await hasher.hash(password: "strong")
        _ = try await pool.write(statements: [
            Statement("INSERT INTO users VALUES (?, ?)", "ann", "$1$saltstri$YMyguxXMBpd2TEZ.vS/3q1"),
            Statement("INSERT INTO users VALUES (?, ?)", "bob", .text(strong)),
            Statement("INSERT INTO users VALUES (?, ?)", "cat", nil),
        ])
        let observer = ProgressRecorder()
        let outcome = try await hasher.upgradeTable(
            pool: pool, target: HashTable(table: "users", hashColumn: "pw"), batchSize: 2, observer: observer
        )
        XCTAssertEqual(outcome.total, 3)
        XCTAssertEqual(outcome.wrapped, 1)
        XCTAssertEqual(outcome.current, 1)
        XCTAssertEqual(outcome.empty, 1)
        XCTAssertEqual(observer.scanned.last, 3)
        let row = try await pool.read(sql: "SELECT pw FROM users WHERE name = 'ann'", params: [])
        let wrapped = try XCTUnwrap(row.rows.first?.first?.textValue)
        let ok = try await hasher.verify(password: "Hello world!", stored: wrapped)
        XCTAssertTrue(ok)
    }
}

/// Records the progress reports of a table upgrade.
///
/// `@unchecked Sendable`: `seen` is only touched with `lock` held, and `lock` is immutable.
private final class ProgressRecorder: TableUpgradeObserver, @unchecked Sendable {
    private let lock = NSLock()
    private var seen: [UInt64] = []

    var scanned: [UInt64] {
        lock.lock()
        defer { lock.unlock() }
        return seen
    }

    func progress(state: TableUpgrade) {
        lock.lock()
        defer { lock.unlock() }
        seen.append(state.scanned)
    }
}
