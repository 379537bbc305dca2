// Hand-written: convenience initialisers and async variants for password hashing.

import Foundation

extension PasswordPolicy {
    /// OWASP's Argon2id recommendation (m=19456 KiB, t=2, p=1), core's default.
    public init() {
        self = defaultPasswordPolicy()
    }
}

extension PasswordHasher {
    /// A hasher for `policy` (default OWASP), optionally with a pepper and retired
    /// peppers still accepted for verification.
    public convenience init(policy: PasswordPolicy = PasswordPolicy(), pepper: Pepper? = nil) throws {
        try self.init(policy: policy, pepper: pepper, oldPeppers: [])
    }

    /// `hash(password:)` off the caller's thread (Argon2id takes tens of milliseconds).
    public func hash(password: String) async throws -> String {
        try await Blocking.run { try self.hash(password: password) }
    }

    /// `verify(password:stored:)` off the caller's thread.
    public func verify(password: String, stored: String) async throws -> Bool {
        try await Blocking.run { try self.verify(password: password, stored: stored) }
    }

    /// `verifyAndUpdate(password:stored:)` off the caller's thread.
    public func verifyAndUpdate(password: String, stored: String) async throws -> VerifyOutcome {
        try await Blocking.run { try self.verifyAndUpdate(password: password, stored: stored) }
    }

    /// `wrapLegacy(stored:)` off the caller's thread.
    public func wrapLegacy(stored: String) async throws -> String {
        try await Blocking.run { try self.wrapLegacy(stored: stored) }
    }

    /// `upgradeTable(pool:target:batchSize:observer:)` off the caller's thread (Argon2 for
    /// every legacy row: minutes for a large table). The observer is told after each
    /// committed batch, on Magnetar's background queue.
    public func upgradeTable(
        pool: Pool,
        target: HashTable,
        batchSize: UInt32 = 1000,
        observer: TableUpgradeObserver? = nil
    ) async throws -> TableUpgrade {
        try await Blocking.run {
            try self.upgradeTable(pool: pool, target: target, batchSize: batchSize, observer: observer)
        }
    }
}

extension HashTable {
    /// The hashes in `hashColumn` of `table`, walked by `rowid`.
    public init(table: String, hashColumn: String) {
        self = hashTable(table: table, hashColumn: hashColumn)
    }
}
