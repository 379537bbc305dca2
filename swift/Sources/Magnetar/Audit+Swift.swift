// Hand-written: convenience initialisers and async variants for the audit log.

import Foundation

extension AuditFilter {
    /// Every event, oldest first (core's default filter); narrow it from there.
    public init() {
        self = defaultAuditFilter()
    }
}

extension NewAuditEvent {
    /// An event whose details are any JSON-serialisable dictionary.
    public init(
        action: String,
        userId: String? = nil,
        resourceType: String? = nil,
        resourceId: String? = nil,
        status: String? = nil,
        ip: String? = nil,
        userAgent: String? = nil,
        details: [String: Any]
    ) throws {
        let data = try JSONSerialization.data(withJSONObject: details, options: [.sortedKeys])
        self.init(
            action: action, userId: userId, resourceType: resourceType, resourceId: resourceId,
            status: status, ip: ip, userAgent: userAgent,
            detailsJson: String(decoding: data, as: UTF8.self)
        )
    }
}

extension AuditLog {
    /// Whether `pool`'s database already holds an audit log (reads only).
    public static func exists(pool: Pool) throws -> Bool {
        try auditLogExists(pool: pool)
    }

    /// The whole, resumable key rotation of the log in `pool`'s database: makes `newKey`
    /// current, re-encrypts every event and (unless `retireOldKey` is false) retires
    /// `oldKey`; calling it again after an interruption finishes the earlier run. Runs off
    /// the caller's thread (long on a large log).
    public static func rotateAndReencrypt(
        pool: Pool, oldKey: AuditKey, newKey: AuditKey, batchSize: UInt32 = 1000,
        retireOldKey: Bool = true
    ) async throws -> AuditRotationReport {
        try await Blocking.run {
            try auditRotateAndReencrypt(
                pool: pool, oldKey: oldKey, newKey: newKey, batchSize: batchSize,
                retireOldKey: retireOldKey)
        }
    }

    /// Opens the log with synchronous writes and no previous keys.
    public convenience init(pool: Pool, key: AuditKey) throws {
        try self.init(pool: pool, key: key, mode: .synchronous, previousKeys: [])
    }

    /// `withPassphrase(pool:passphrase:mode:)` off the caller's thread (PBKDF2 with
    /// 600,000 iterations is deliberately slow).
    public static func withPassphrase(pool: Pool, passphrase: String, mode: AuditWriteMode = .synchronous) async throws -> AuditLog {
        try await Blocking.run { try AuditLog.withPassphrase(pool: pool, passphrase: passphrase, mode: mode) }
    }

    /// `record(event:)` off the caller's thread.
    @discardableResult
    public func record(event: NewAuditEvent) async throws -> String {
        try await Blocking.run { try self.record(event: event) }
    }

    /// `flush()` off the caller's thread.
    public func flush() async throws {
        try await Blocking.run { try self.flush() }
    }

    /// `close()` off the caller's thread.
    public func close() async throws {
        try await Blocking.run { try self.close() }
    }

    /// `query(filter:)` off the caller's thread.
    public func query(filter: AuditFilter) async throws -> [AuditEvent] {
        try await Blocking.run { try self.query(filter: filter) }
    }

    /// `verify()` off the caller's thread (walks the whole log).
    public func verify() async throws -> AuditVerifyReport {
        try await Blocking.run { try self.verify() }
    }

    /// `verifyAgainst(head:)` off the caller's thread.
    public func verifyAgainst(head: AuditHead) async throws -> AuditVerifyReport {
        try await Blocking.run { try self.verifyAgainst(head: head) }
    }

    /// `exportJsonl(path:filter:)` off the caller's thread.
    public func exportJsonl(path: String, filter: AuditFilter) async throws -> UInt64 {
        try await Blocking.run { try self.exportJsonl(path: path, filter: filter) }
    }

    /// `exportJsonlReplacing(path:filter:)` off the caller's thread.
    public func exportJsonlReplacing(path: String, filter: AuditFilter) async throws -> UInt64 {
        try await Blocking.run { try self.exportJsonlReplacing(path: path, filter: filter) }
    }

    /// `purgeBefore(cutoffMs:)` off the caller's thread.
    public func purgeBefore(cutoffMs: Int64) async throws -> UInt64 {
        try await Blocking.run { try self.purgeBefore(cutoffMs: cutoffMs) }
    }

    /// `reencrypt(batchSize:)` off the caller's thread.
    public func reencrypt(batchSize: UInt32) async throws -> ReencryptProgress {
        try await Blocking.run { try self.reencrypt(batchSize: batchSize) }
    }
}

extension AuditEvent {
    /// The details parsed back into Foundation objects, or `nil` when there are none.
    public func details() throws -> Any? {
        guard let json = detailsJson else { return nil }
        return try JSONSerialization.jsonObject(with: Data(json.utf8), options: [.fragmentsAllowed])
    }
}
