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

    // MARK: async variants (run off the caller's thread; see `Blocking`)

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
