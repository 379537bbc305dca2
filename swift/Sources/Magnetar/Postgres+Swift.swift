// Hand-written: a PostgreSQL store wherever a Pool is accepted, and its async variants.
//
// uniffi gives each class one initializer; the PostgreSQL constructors come across as
// static functions (`AuditLog.onPostgres(...)`, ...). These overloads give them the
// same shape as the pool's, so a server switches backends by changing one argument.

import Foundation

extension PostgresConfig {
    /// Core's default configuration (10 connections, 5 s connect timeout, schema
    /// `magnetar`, 30 s statement timeout, ...); adjust fields from there.
    public init() {
        self = defaultPostgresConfig()
    }
}

extension PostgresStore: CustomStringConvertible {
    /// Connects with core's default configuration.
    public convenience init(url: String) throws {
        try self.init(url: url, config: PostgresConfig())
    }

    /// `PostgresStore(url:config:)` off the caller's thread (it connects, and creates or
    /// upgrades the schema on first use).
    public static func connect(url: String, config: PostgresConfig = PostgresConfig()) async throws -> PostgresStore {
        try await Blocking.run { try PostgresStore(url: url, config: config) }
    }

    /// Server, database, user, sslmode and schema: never the password.
    public var description: String {
        "PostgresStore(\(target()), schema: \(schema()))"
    }
}

extension AuditLog {
    /// Opens (creating on first use) the audit log in `store`'s schema with `key`: one
    /// chain shared by every server writing to it. `previousKeys` are keys the log was
    /// rotated away from. Throws `wrongKey` when `key` is not the log's key.
    public convenience init(
        store: PostgresStore, key: AuditKey, mode: AuditWriteMode = .synchronous,
        previousKeys: [AuditKey] = []
    ) throws {
        let log = try AuditLog.onPostgres(store: store, key: key, mode: mode, previousKeys: previousKeys)
        self.init(unsafeFromHandle: log.uniffiCloneHandle())
    }

    /// Whether `store`'s schema already holds an audit log (reads only).
    public static func exists(store: PostgresStore) throws -> Bool {
        try auditLogExistsOnPostgres(store: store)
    }

    /// Opens the log in `store`'s schema with a passphrase, off the caller's thread
    /// (PBKDF2 with 600,000 iterations is deliberately slow).
    public static func withPassphrase(
        store: PostgresStore, passphrase: String, mode: AuditWriteMode = .synchronous
    ) async throws -> AuditLog {
        try await Blocking.run {
            try AuditLog.withPassphraseOnPostgres(store: store, passphrase: passphrase, mode: mode)
        }
    }

    /// `rotateAndReencrypt(pool:...)` for the log in `store`'s schema: resumable, off the
    /// caller's thread.
    public static func rotateAndReencrypt(
        store: PostgresStore, oldKey: AuditKey, newKey: AuditKey, batchSize: UInt32 = 1000,
        retireOldKey: Bool = true
    ) async throws -> AuditRotationReport {
        try await Blocking.run {
            try auditRotateAndReencryptOnPostgres(
                store: store, oldKey: oldKey, newKey: newKey, batchSize: batchSize,
                retireOldKey: retireOldKey)
        }
    }
}

extension SessionRegistry {
    /// A registry in `store`'s schema: the per-user limit and revocations hold across
    /// every server sharing it. With `audit`, its decisions are recorded in that log.
    public convenience init(
        store: PostgresStore, key: FingerprintKey, config: SessionConfig = SessionConfig(),
        audit: AuditLog? = nil
    ) throws {
        let registry = try SessionRegistry.onPostgres(store: store, key: key, config: config, audit: audit)
        self.init(unsafeFromHandle: registry.uniffiCloneHandle())
    }
}
