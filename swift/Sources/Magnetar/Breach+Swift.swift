// Hand-written: convenience initialisers and async variants for the breach check.

import Foundation

extension BreachConfig {
    /// Core's default configuration (online, the public Pwned Passwords API, 10 s
    /// timeout, cache, retries, circuit breaker); adjust fields from there.
    public init() {
        self = defaultBreachConfig()
    }
}

extension BreachChecker {
    /// A checker that reaches the API through `URLSessionTransport` (bounded by
    /// `config.timeout`), the default for Swift apps.
    public convenience init(config: BreachConfig = BreachConfig()) throws {
        try self.init(config: config, transport: URLSessionTransport(timeout: config.timeout))
    }

    /// `check(password:)` off the caller's thread; the transport then blocks one of
    /// Magnetar's background threads, never the main thread.
    public func check(password: String) async -> BreachResult {
        await Blocking.value { self.check(password: password) }
    }
}

extension BreachStatus {
    /// Whether the password is known to be breached (`unknown` is not "safe" either:
    /// decide by policy).
    public var isBreached: Bool {
        if case .breached = self { return true }
        return false
    }
}

/// `buildBreachIndex(corpus:output:)` off the caller's thread (minutes for the full
/// corpus).
public func buildBreachIndex(corpus: String, output: String) async throws -> BreachIndexStats {
    try await Blocking.run { try buildBreachIndex(corpus: corpus, output: output) }
}
