// Hand-written: convenience initialisers and async variants for Pool.

import Foundation

extension PoolConfig {
    /// Core's default configuration (5 readers, 5 s acquire timeout, WAL, ...); adjust
    /// fields from there.
    public init() {
        self = defaultPoolConfig()
    }
}

extension Pool {
    /// The process-wide pool for the file at `path` (created if needed), with core's
    /// default configuration.
    public convenience init(path: String) throws {
        try self.init(path: path, config: PoolConfig())
    }

    /// Runs one statement with no parameters on a reader.
    public func read(sql: String) throws -> QueryResult {
        try read(sql: sql, params: [])
    }

    /// Runs one statement with no parameters in its own write transaction.
    public func execute(sql: String) throws -> QueryResult {
        try execute(sql: sql, params: [])
    }

    /// Runs `body` in one `BEGIN IMMEDIATE` transaction on the pool's writer and returns
    /// its value: committed when `body` returns, rolled back when it throws (the same
    /// error is rethrown).
    ///
    /// ```swift
    /// let count = try pool.write { tx in
    ///     _ = try tx.execute(sql: "INSERT INTO users (name) VALUES (?)", params: ["ada"])
    ///     let n = try tx.queryValue(sql: "SELECT count(*) FROM users", params: [])?.integerValue ?? 0
    ///     if n > 100 { throw QuotaExceeded() }  // rolled back: the insert never happened
    ///     return n
    /// }
    /// ```
    ///
    /// Other writers wait for this one (up to `acquireTimeout`); reads run alongside and
    /// see the last commit. Core owns every rule: `beginWriteTransaction()` checks out the
    /// writer, the handle rolls back if it is released while open, and using it after
    /// this method has ended it throws `invalidInput`. Do not commit or roll back `tx`
    /// inside `body` (the commit here would then throw `invalidInput`), and do not keep
    /// it. Writing to the same pool again from inside `body` (`pool.write`,
    /// `pool.execute`, ...) throws `invalidInput` at once instead of waiting for itself;
    /// run those statements through `tx`. Blocks the calling thread: from async code use
    /// `try await pool.write { tx in ... }`.
    public func write<T>(_ body: (WriteTransaction) throws -> T) throws -> T {
        let tx = try beginWriteTransaction()
        let value: T
        do {
            value = try body(tx)
        } catch {
            // `error` is what the caller needs; if the rollback itself fails, releasing
            // `tx` rolls back (or discards the connection) in core.
            try? tx.rollback()
            throw error
        }
        try tx.commit()
        return value
    }

    // MARK: async variants (run off the caller's thread; see `Blocking`)

    /// `write(_:)` off the caller's thread: `body` runs synchronously on one of
    /// Magnetar's blocking threads, from `BEGIN` to `COMMIT`, so no other task can run on
    /// that thread while the transaction is open.
    public func write<T: Sendable>(
        _ body: @escaping @Sendable (WriteTransaction) throws -> T
    ) async throws -> T {
        try await Blocking.run { try self.write(body) }
    }

    /// `readValue(sql:params:)` off the caller's thread.
    public func readValue(sql: String, params: [SqlValue] = []) async throws -> SqlValue? {
        try await Blocking.run { try self.readValue(sql: sql, params: params) }
    }

    /// `read(sql:params:)` off the caller's thread.
    public func read(sql: String, params: [SqlValue] = []) async throws -> QueryResult {
        try await Blocking.run { try self.read(sql: sql, params: params) }
    }

    /// `readNamed(sql:params:)` off the caller's thread.
    public func readNamed(sql: String, params: [String: SqlValue]) async throws -> QueryResult {
        try await Blocking.run { try self.readNamed(sql: sql, params: params) }
    }

    /// `readBatch(statements:)` off the caller's thread.
    public func readBatch(statements: [Statement]) async throws -> [QueryResult] {
        try await Blocking.run { try self.readBatch(statements: statements) }
    }

    /// `execute(sql:params:)` off the caller's thread.
    public func execute(sql: String, params: [SqlValue] = []) async throws -> QueryResult {
        try await Blocking.run { try self.execute(sql: sql, params: params) }
    }

    /// `executeNamed(sql:params:)` off the caller's thread.
    public func executeNamed(sql: String, params: [String: SqlValue]) async throws -> QueryResult {
        try await Blocking.run { try self.executeNamed(sql: sql, params: params) }
    }

    /// `executeMany(sql:paramSets:)` off the caller's thread.
    public func executeMany(sql: String, paramSets: [[SqlValue]]) async throws -> UInt64 {
        try await Blocking.run { try self.executeMany(sql: sql, paramSets: paramSets) }
    }

    /// `write(statements:)` (one all-or-nothing transaction) off the caller's thread.
    public func write(statements: [Statement]) async throws -> [QueryResult] {
        try await Blocking.run { try self.write(statements: statements) }
    }

    /// `migrate(steps:)` off the caller's thread.
    public func migrate(steps: [String]) async throws -> MigrationOutcome {
        try await Blocking.run { try self.migrate(steps: steps) }
    }

    /// `close(timeout:)` off the caller's thread.
    public func close(timeout: TimeInterval) async throws {
        try await Blocking.run { try self.close(timeout: timeout) }
    }
}
