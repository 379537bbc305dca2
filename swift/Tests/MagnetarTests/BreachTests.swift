import Foundation
import Magnetar
import XCTest

/// A host transport written in Swift, as an app would write one: serves scripted range
/// responses and records what was asked.
///
/// `@unchecked Sendable`: every stored `var` is read and written only while `lock` is
/// held (the accessors below and `get`), and the lock itself is immutable.
final class StubTransport: HttpTransport, @unchecked Sendable {
    private let lock = NSLock()
    private var outcomes: [Result<HttpResponse, TransportFailure>]
    private var seenUrls: [String] = []
    private var seenHeaders: [[String: String]] = []
    private var sawMainThread = false

    init(_ outcomes: [Result<HttpResponse, TransportFailure>]) {
        self.outcomes = outcomes
    }

    var urls: [String] { lock.locked { seenUrls } }
    var headers: [[String: String]] { lock.locked { seenHeaders } }
    var calledOnMainThread: Bool { lock.locked { sawMainThread } }

    func get(url: String, headers: [String: String]) throws -> HttpResponse {
        let onMain = Thread.isMainThread
        let next: Result<HttpResponse, TransportFailure> = lock.locked {
            seenUrls.append(url)
            seenHeaders.append(headers)
            sawMainThread = sawMainThread || onMain
            return outcomes.count > 1 ? outcomes.removeFirst() : outcomes[0]
        }
        return try next.get()
    }
}

private struct HostFailure: Error {}

/// A host transport that fails with an error of its own type, not `TransportFailure`.
/// (Checked `Sendable`: final and stateless.)
private final class ThrowingTransport: HttpTransport, Sendable {
    func get(url: String, headers: [String: String]) throws -> HttpResponse {
        throw HostFailure()
    }
}

/// SHA-1("password") = 5BAA6 | 1E4C9B93F3F0682250B6CF8331B7EE68FD8.
private let prefix = "5BAA6"
private let suffix = "1E4C9B93F3F0682250B6CF8331B7EE68FD8"

final class BreachTests: XCTestCase {
    private func config() -> BreachConfig {
        var config = BreachConfig()
        config.baseUrl = "https://range.test"
        config.retries = 0
        return config
    }

    private func ok(_ body: String) -> Result<HttpResponse, TransportFailure> {
        .success(HttpResponse(status: 200, retryAfter: nil, body: body))
    }

    func testDefaults() {
        let config = BreachConfig()
        XCTAssertTrue(config.online)
        XCTAssertEqual(config.baseUrl, "https://api.pwnedpasswords.com")
        XCTAssertEqual(config.timeout, 10)
    }

    func testBreachedThroughASwiftTransport() async throws {
        let stub = StubTransport([ok("0018A45C4D1DEF81644B54AB7F969B88D65:1\r\n\(suffix):10434004")])
        let checker = try BreachChecker(config: config(), transport: stub)
        let result = await checker.check(password: "password")
        XCTAssertEqual(result.status, .breached(count: 10_434_004))
        XCTAssertTrue(result.status.isBreached)
        XCTAssertEqual(result.source, .online)
        let cached = await checker.check(password: "password")
        XCTAssertEqual(cached.source, .cache)

        XCTAssertEqual(stub.urls, ["https://range.test/range/\(prefix)"])
        let padding = stub.headers.first?.first(where: { $0.key.lowercased() == "add-padding" })?.value
        XCTAssertEqual(padding, "true")
        XCTAssertFalse(stub.calledOnMainThread, "the async check must run the transport off the main thread")
    }

    func testFailuresAreUnknownNotSafe() async throws {
        let failures: [TransportFailure] = [
            .Timeout(message: "5 s"),
            .Connect(message: "refused"),
            .Other(message: "boom"),
        ]
        for failure in failures {
            let checker = try BreachChecker(config: config(), transport: StubTransport([.failure(failure)]))
            let result = await checker.check(password: "password")
            guard case let .unknown(reason) = result.status else {
                return XCTFail("expected unknown, got \(result.status)")
            }
            XCTAssertFalse(reason.contains("password") || reason.contains(suffix), reason)
        }

        let notFound = try BreachChecker(config: config(), transport: StubTransport([ok("0018A45C4D1DEF81644B54AB7F969B88D65:3")]))
        let answer = await notFound.check(password: "password")
        XCTAssertEqual(answer.status, .notFound)
    }

    func testATransportThrowingAnotherErrorIsUnknown() async throws {
        let checker = try BreachChecker(config: config(), transport: ThrowingTransport())
        let result = await checker.check(password: "password")
        guard case .unknown = result.status else {
            return XCTFail("an unexpected host error must answer unknown, got \(result.status)")
        }
    }

    func testBadConfigAndIndexErrors() throws {
        var bad = config()
        bad.baseUrl = "ftp://nope"
        let error = assertMagnetarError("invalid_config") { try BreachChecker(config: bad) }
        XCTAssertTrue(error?.message().contains("base_url") ?? false)

        let dir = try TempDir()
        try Data("not an index".utf8).write(to: URL(fileURLWithPath: dir.path("bogus.idx")))
        var offline = config()
        offline.online = false
        offline.offlineIndex = dir.path("bogus.idx")
        assertMagnetarError("invalid_index") { try BreachChecker(config: offline) }
    }

    func testOfflineIndex() async throws {
        let dir = try TempDir()
        let corpus = dir.path("corpus.txt")
        try Data("\(prefix)\(suffix):42\nABF7AAD6438836DBE526AA231ABDE2D0EEF74D42:7\n".utf8)
            .write(to: URL(fileURLWithPath: corpus))
        let stats = try await buildBreachIndex(corpus: corpus, output: dir.path("pwned.idx"))
        XCTAssertEqual(stats.rows, 2)

        var offline = config()
        offline.online = false
        offline.offlineIndex = dir.path("pwned.idx")
        let checker = try BreachChecker(config: offline, transport: nil)
        let hit = await checker.check(password: "password")
        XCTAssertEqual(hit.status, .breached(count: 42))
        XCTAssertEqual(hit.source, .offline)
        let miss = await checker.check(password: "P@ssw0rd!")
        XCTAssertEqual(miss.status, .notFound)
    }

    func testURLSessionTransportRefusesTheMainThread() throws {
        guard Thread.isMainThread else { throw XCTSkip("XCTest did not run this test on the main thread") }
        XCTAssertThrowsError(try URLSessionTransport().get(url: "https://range.test/range/00000", headers: [:])) { error in
            guard let failure = error as? TransportFailure, case .Other = failure else {
                return XCTFail("expected TransportFailure.Other, got \(error)")
            }
        }
    }

    func testURLSessionTransportReportsConnectionFailures() async throws {
        // Port 9 on localhost (discard) is closed on test machines: connection refused,
        // no network needed.
        let transport = URLSessionTransport(timeout: 5)
        let outcome: Result<HttpResponse, Error> = await withCheckedContinuation { continuation in
            DispatchQueue.global().async {
                continuation.resume(returning: Result { try transport.get(url: "http://127.0.0.1:9/range/00000", headers: [:]) })
            }
        }
        XCTAssertThrowsError(try outcome.get()) { error in
            XCTAssertTrue(error is TransportFailure, "\(error)")
        }
    }
}

final class BreachSampleCorpusTests: XCTestCase {
    /// data/pwned-sample.txt: the corpus sample every binding and the CLI tour use.
    func testSampleCorpusIndex() async throws {
        let dir = try TempDir()
        let sample = repoRoot().appendingPathComponent("data/pwned-sample.txt").path
        let stats = try await buildBreachIndex(corpus: sample, output: dir.path("sample.idx"))
        XCTAssertGreaterThanOrEqual(stats.rows, 300)
        var config = BreachConfig()
        config.online = false
        config.offlineIndex = dir.path("sample.idx")
        let checker = try BreachChecker(config: config, transport: nil)
        for password in ["password", "123456", "qwerty", "letmein", "dragon"] {
            let result = await checker.check(password: password)
            XCTAssertTrue(result.status.isBreached, "\(password): \(result)")
            XCTAssertEqual(result.source, .offline)
        }
        let unknown = await checker.check(password: "a passphrase nobody ever used 4f1c")
        XCTAssertEqual(unknown.status, .notFound)
    }
}
