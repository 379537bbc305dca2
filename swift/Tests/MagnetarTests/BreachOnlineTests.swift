import Foundation
import Magnetar
import XCTest

/// SHA-1("password") = 5BAA6 | 1E4C9B93F3F0682250B6CF8331B7EE68FD8.
private let prefix = "5BAA6"
private let suffix = "1E4C9B93F3F0682250B6CF8331B7EE68FD8"

/// The breach check online, end to end: `BreachChecker(config:)` with its default
/// `URLSessionTransport`, over real TCP, against `LocalHTTPServer` on 127.0.0.1.
final class BreachOnlineTests: XCTestCase {
    /// Starts a server with `replies` and stops it when the test ends.
    private func server(_ replies: [ScriptedReply]) throws -> LocalHTTPServer {
        let server = try LocalHTTPServer(replies: replies)
        addTeardownBlock { server.stop() }
        return server
    }

    private func config(_ server: LocalHTTPServer, retries: UInt32 = 0) -> BreachConfig {
        var config = BreachConfig()
        config.baseUrl = server.baseURL
        config.retries = retries
        config.backoff = 0.01
        config.timeout = 10
        return config
    }

    /// A padded range response as the real API sends it: CRLF rows, the matching suffix
    /// among others, and padding rows with count 0.
    private func rangeBody(count: UInt64, padding: Int = 40) -> String {
        var rows = [
            "0018A45C4D1DEF81644B54AB7F969B88D65:1",
            "\(suffix):\(count)",
            "ABF7AAD6438836DBE526AA231ABDE2D0EEF:7",
        ]
        for i in 0..<padding {
            rows.append(String(format: "F%034X:0", i))
        }
        return rows.joined(separator: "\r\n")
    }

    private func ok(_ body: String) -> ScriptedReply {
        .respond(status: 200, headers: [:], body: body)
    }

    private func assertUnknown(_ result: BreachResult, file: StaticString = #filePath, line: UInt = #line) -> String? {
        guard case let .unknown(reason) = result.status else {
            XCTFail("expected unknown, got \(result.status)", file: file, line: line)
            return nil
        }
        XCTAssertFalse(result.status.isBreached, file: file, line: line)
        XCTAssertFalse(reason.contains(suffix), "the reason must not leak the hash: \(reason)", file: file, line: line)
        return reason
    }

    func testPaddedRangeResponseOverURLSession() async throws {
        let server = try server([ok(rangeBody(count: 10_434_004))])
        let checker = try BreachChecker(config: config(server))
        let result = await checker.check(password: "password")
        XCTAssertEqual(result.status, .breached(count: 10_434_004))
        XCTAssertEqual(result.source, .online)

        let requests = server.received
        XCTAssertEqual(requests.count, 1)
        XCTAssertEqual(requests.first?.method, "GET")
        XCTAssertEqual(requests.first?.path, "/range/\(prefix)", "only the 5-character prefix leaves the process")
        XCTAssertEqual(requests.first?.headers["add-padding"], "true")
        XCTAssertFalse(requests.first?.headers["user-agent"]?.isEmpty ?? true)
        for request in requests {
            XCTAssertFalse(request.path.contains(suffix))
            XCTAssertFalse(request.headers.values.contains { $0.contains(suffix) || $0.contains("password") })
        }

        let again = await checker.check(password: "password")
        XCTAssertEqual(again.source, .cache)
        XCTAssertEqual(server.received.count, 1, "a cached answer sends no request")
    }

    func testPaddingRowsAreNotBreaches() async throws {
        let server = try server([ok(rangeBody(count: 0))])
        let checker = try BreachChecker(config: config(server))
        let result = await checker.check(password: "password")
        XCTAssertEqual(result.status, .notFound, "a row with count 0 is padding")
    }

    func testASuffixNotInTheRangeIsNotFound() async throws {
        let server = try server([ok("0018A45C4D1DEF81644B54AB7F969B88D65:1\r\nF0000000000000000000000000000000000:0")])
        let checker = try BreachChecker(config: config(server))
        let result = await checker.check(password: "password")
        XCTAssertEqual(result.status, .notFound)
        XCTAssertEqual(result.source, .online)
    }

    func testTooManyRequestsWithRetryAfterIsRetried() async throws {
        let server = try server([
            .respond(status: 429, headers: ["Retry-After": "0"], body: "slow down"),
            ok(rangeBody(count: 3)),
        ])
        let checker = try BreachChecker(config: config(server, retries: 2))
        let result = await checker.check(password: "password")
        XCTAssertEqual(result.status, .breached(count: 3))
        XCTAssertEqual(server.received.count, 2, "one 429, then the retry")
    }

    func testALongRetryAfterIsUnknownAndHonoured() async throws {
        let server = try server([
            .respond(status: 429, headers: ["Retry-After": "120"], body: "slow down"),
            ok(rangeBody(count: 3)),
        ])
        let checker = try BreachChecker(config: config(server, retries: 2))
        let first = await checker.check(password: "password")
        let reason = assertUnknown(first)
        XCTAssertTrue(reason?.contains("429") ?? false, reason ?? "")
        XCTAssertTrue(reason?.contains("Retry-After") ?? false, reason ?? "")

        // The server asked for two minutes' quiet: the next check does not call it.
        let second = await checker.check(password: "password")
        _ = assertUnknown(second)
        XCTAssertEqual(server.received.count, 1)
    }

    func testServiceUnavailableIsUnknown() async throws {
        let server = try server([.respond(status: 503, headers: [:], body: "down for maintenance")])
        let checker = try BreachChecker(config: config(server))
        let result = await checker.check(password: "password")
        let reason = assertUnknown(result)
        XCTAssertTrue(reason?.contains("503") ?? false, reason ?? "")
        XCTAssertEqual(result.source, .online)
    }

    func testServiceUnavailableThenOkIsRetried() async throws {
        let server = try server([.respond(status: 503, headers: [:], body: ""), ok(rangeBody(count: 12))])
        let checker = try BreachChecker(config: config(server, retries: 1))
        let result = await checker.check(password: "password")
        XCTAssertEqual(result.status, .breached(count: 12))
        XCTAssertEqual(server.received.count, 2)
    }

    func testADroppedConnectionIsUnknown() async throws {
        let server = try server([.dropConnection])
        let checker = try BreachChecker(config: config(server))
        let result = await checker.check(password: "password")
        _ = assertUnknown(result)
        XCTAssertEqual(server.received.count, 1, "the request arrived; the answer never did")
    }

    func testAnUnknownAnswerIsNotCached() async throws {
        let server = try server([.respond(status: 503, headers: [:], body: ""), ok(rangeBody(count: 99))])
        let checker = try BreachChecker(config: config(server))
        _ = assertUnknown(await checker.check(password: "password"))
        let second = await checker.check(password: "password")
        XCTAssertEqual(second.status, .breached(count: 99), "a failure must not be remembered as safe")
        XCTAssertEqual(second.source, .online)
    }

    func testANonRangeBodyIsUnknown() async throws {
        let server = try server([ok("<html>captive portal</html>")])
        let checker = try BreachChecker(config: config(server))
        _ = assertUnknown(await checker.check(password: "password"))
    }

    func testAServerThatIsGoneIsUnknown() async throws {
        let server = try server([ok(rangeBody(count: 1))])
        let config = config(server)
        server.stop()  // nothing listens on the port any more: connection refused
        let checker = try BreachChecker(config: config)
        _ = assertUnknown(await checker.check(password: "password"))
    }

    func testRepeatedFailuresOpenTheCircuitBreaker() async throws {
        let server = try server([.respond(status: 503, headers: [:], body: "")])
        var config = config(server)
        config.breakerThreshold = 2
        config.breakerCooldown = 300
        let checker = try BreachChecker(config: config)
        for _ in 0..<2 {
            _ = assertUnknown(await checker.check(password: "password"))
        }
        XCTAssertEqual(server.received.count, 2)
        let reason = assertUnknown(await checker.check(password: "password"))
        XCTAssertTrue(reason?.contains("circuit breaker") ?? false, reason ?? "")
        XCTAssertEqual(server.received.count, 2, "an open breaker sends nothing")
    }
}
