// Hand-written: how the async variants keep blocking work off the caller's thread.

import Foundation

/// Runs Magnetar's blocking calls on a dedicated concurrent queue.
///
/// Magnetar's core is synchronous: hashing a password burns CPU for tens of
/// milliseconds, a query may wait for a pooled connection, a breach check waits for the
/// network. Every `async` variant hands its call to this queue and suspends until it
/// finishes, so neither the main actor nor Swift's cooperative thread pool (whose threads
/// must never block) is held up. It is also why a breach `HttpTransport` may block its
/// calling thread (see `URLSessionTransport`): that thread is always one of these.
enum Blocking {
    static let queue = DispatchQueue(
        label: "dev.magnetar.blocking",
        qos: .userInitiated,
        attributes: .concurrent
    )

    /// Runs `work` on `queue` and returns (or throws) its result.
    static func run<T: Sendable>(_ work: @escaping @Sendable () throws -> T) async throws -> T {
        try await withCheckedThrowingContinuation { continuation in
            queue.async {
                continuation.resume(with: Result { try work() })
            }
        }
    }

    /// Runs non-throwing `work` on `queue` and returns its result.
    static func value<T: Sendable>(_ work: @escaping @Sendable () -> T) async -> T {
        await withCheckedContinuation { continuation in
            queue.async {
                continuation.resume(returning: work())
            }
        }
    }
}
