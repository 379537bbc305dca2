// Hand-written: convenience initialisers and async variants for session risk.

import Foundation

extension SessionConfig {
    /// Core's default configuration (3 sessions per user, evict the oldest, 30 min idle,
    /// 24 h absolute timeout, default scoring); adjust fields from there.
    public init() {
        self = defaultSessionConfig()
    }
}

extension ScoringPolicy {
    /// Core's default weights and thresholds.
    public init() {
        self = defaultScoringPolicy()
    }
}

extension RequestContext {
    /// A context with no fingerprinted headers besides the User-Agent.
    public init(ip: String, userAgent: String) {
        self.init(ip: ip, userAgent: userAgent, headers: [:])
    }
}

extension RiskScorer {
    /// A scorer with core's default weights and thresholds.
    public convenience init() throws {
        try self.init(policy: ScoringPolicy())
    }
}

extension PreparedRequestContext {
    /// Validates and normalises a context with no fingerprinted headers besides the
    /// User-Agent.
    public convenience init(ip: String, userAgent: String, headers: [String: String] = [:]) throws {
        try self.init(context: RequestContext(ip: ip, userAgent: userAgent, headers: headers))
    }
}

/// Scores `current` against `previous` with core's default policy.
public func scoreRequest(previous: RequestContext, current: RequestContext) throws -> Assessment {
    try scoreRequest(previous: previous, current: current, policy: ScoringPolicy())
}

extension SessionRegistry {
    /// A registry on `pool` (core's default configuration unless given) that records
    /// nothing in an audit log; pass `audit:` to `init(pool:key:config:audit:)` for that.
    public convenience init(pool: Pool, key: FingerprintKey, config: SessionConfig = SessionConfig()) throws {
        try self.init(pool: pool, key: key, config: config, audit: nil)
    }

    /// `create(userId:context:)` off the caller's thread.
    public func create(userId: String, context: RequestContext) async throws -> CreatedSession {
        try await Blocking.run { try self.create(userId: userId, context: context) }
    }

    /// `validate(token:context:)` off the caller's thread.
    public func validate(token: String, context: RequestContext) async throws -> Validation {
        try await Blocking.run { try self.validate(token: token, context: context) }
    }

    /// `validateRequest(token:context:auditAllow:)` off the caller's thread.
    public func validateRequest(token: String, context: RequestContext, auditAllow: Bool) async throws -> RequestOutcome {
        try await Blocking.run { try self.validateRequest(token: token, context: context, auditAllow: auditAllow) }
    }

    /// `rebaseline(token:context:)` off the caller's thread.
    public func rebaseline(token: String, context: RequestContext) async throws -> Session {
        try await Blocking.run { try self.rebaseline(token: token, context: context) }
    }

    /// `revoke(token:)` off the caller's thread.
    public func revoke(token: String) async throws {
        try await Blocking.run { try self.revoke(token: token) }
    }

    /// `revokeAll(userId:reason:)` off the caller's thread.
    public func revokeAll(userId: String, reason: String) async throws -> UInt64 {
        try await Blocking.run { try self.revokeAll(userId: userId, reason: reason) }
    }

    /// `list(userId:)` off the caller's thread.
    public func list(userId: String) async throws -> [Session] {
        try await Blocking.run { try self.list(userId: userId) }
    }

    /// `sweepExpired()` off the caller's thread.
    public func sweepExpired() async throws -> UInt64 {
        try await Blocking.run { try self.sweepExpired() }
    }
}
