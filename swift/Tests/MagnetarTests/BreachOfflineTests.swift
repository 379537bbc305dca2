import Foundation
import Magnetar
import XCTest

/// The offline index built from the repository's sample corpus, `data/pwned-sample.txt`.
final class BreachOfflineTests: XCTestCase {
    /// Passwords of the sample and their SHA-1 (computed with Python's hashlib); the
    /// counts are read from the corpus file itself.
    private let known: [(password: String, sha1: String)] = [
        ("password", "5BAA61E4C9B93F3F0682250B6CF8331B7EE68FD8"),
        ("123456", "7C4A8D09CA3762AF61E59520943DC26494F8941B"),
        ("qwerty", "B1B3773A05C0ED0176787A4F1574FF0075F7521E"),
        ("letmein", "B7A875FC1EA228B9061041B7CEC4BD3C52AB3CE3"),
        ("dragon", "AF8978B1797B72ACFFF9595A5A2A373EC3D9106D"),
        ("iloveyou", "EE8D8728F435FD550F83852AABAB5234CE1DA528"),
        ("P@ssw0rd", "21BD12DC183F740EE76F27B78EB39C8AD972A757"),
        ("Summer2024", "6EA164759ADCCDF0B63C3E6A8A52792691F4C37B"),
        ("correcthorsebatterystaple", "BFD3617727EAB0E800E62A776C76381DEFBC4145"),
    ]

    private var dir: TempDir!
    private var corpus: [String: UInt64] = [:]
    private var index = ""

    override func setUp() async throws {
        dir = try TempDir()
        let sample = repoRoot().appendingPathComponent("data/pwned-sample.txt")
        for line in try String(contentsOf: sample, encoding: .utf8).split(separator: "\n") {
            let parts = line.split(separator: ":")
            corpus[String(parts[0])] = UInt64(parts[1])
        }
        index = dir.path("sample.idx")
        let stats = try await buildBreachIndex(corpus: sample.path, output: index)
        XCTAssertEqual(stats.rows, UInt64(corpus.count), "one index row per corpus row")
    }

    private func offlineConfig() -> BreachConfig {
        var config = BreachConfig()
        config.online = false
        config.offlineIndex = index
        return config
    }

    func testEveryKnownPasswordHasItsCorpusCount() async throws {
        XCTAssertEqual(corpus.count, 325)
        let checker = try BreachChecker(config: offlineConfig(), transport: nil)
        for (password, sha1) in known {
            let expected = try XCTUnwrap(corpus[sha1], "\(password) is in the sample")
            let result = await checker.check(password: password)
            guard case let .breached(count) = result.status else {
                XCTFail("\(password): \(result.status)")
                continue
            }
            // The index stores a count in 16 bits: exact below 32,768, above that
            // log-scaled to within 0.06 %.
            if expected < 32_768 {
                XCTAssertEqual(count, expected, password)
            } else {
                XCTAssertEqual(Double(count), Double(expected), accuracy: Double(expected) * 0.0006, password)
            }
            XCTAssertEqual(result.source, .offline)
        }
    }

    func testIndexStatsDescribeTheIndex() throws {
        let checker = try BreachChecker(config: offlineConfig(), transport: nil)
        let info = try XCTUnwrap(checker.indexStats())
        XCTAssertTrue(info.path.hasSuffix("sample.idx"), info.path)
        XCTAssertFalse(info.ntlm)
        XCTAssertEqual(info.distinctHashes, UInt64(corpus.count))
        XCTAssertGreaterThan(info.fileBytes, 0)
    }

    func testPasswordsNotInTheCorpusAreNotFound() async throws {
        let checker = try BreachChecker(config: offlineConfig(), transport: nil)
        for password in ["Passw0rd!x", "password ", "a passphrase nobody ever used 4f1c", "", "пароль"] {
            let result = await checker.check(password: password)
            XCTAssertEqual(result.status, .notFound, password)
            XCTAssertEqual(result.source, .offline)
        }
    }

    /// With an index and the network both configured, the index answers what it knows
    /// (no request at all) and the range API is asked only about the rest.
    func testTheIndexAnswersFirstAndTheNetworkTheRest() async throws {
        // SHA-1("hunter2") = F3BBB | D66A63D4BF1747940578EC3D0103530E21D.
        let server = try LocalHTTPServer(replies: [.respond(status: 200, headers: [:], body: "D66A63D4BF1747940578EC3D0103530E21D:17\r\n0018A45C4D1DEF81644B54AB7F969B88D65:0")])
        addTeardownBlock { server.stop() }
        var config = offlineConfig()
        config.online = true
        config.baseUrl = server.baseURL
        config.retries = 0
        let checker = try BreachChecker(config: config)

        let offline = await checker.check(password: "letmein")
        XCTAssertEqual(offline.source, .offline)
        XCTAssertTrue(offline.status.isBreached)
        XCTAssertEqual(server.received.count, 0, "the index answered; nothing left the process")

        let online = await checker.check(password: "hunter2")
        XCTAssertEqual(online.status, .breached(count: 17))
        XCTAssertEqual(online.source, .online)
        XCTAssertEqual(server.received.map(\.path), ["/range/F3BBB"])
    }

    func testATruncatedIndexIsRefused() throws {
        let bytes = try Data(contentsOf: URL(fileURLWithPath: index))
        let truncated = dir.path("truncated.idx")
        try bytes.prefix(bytes.count / 2).write(to: URL(fileURLWithPath: truncated))
        var config = offlineConfig()
        config.offlineIndex = truncated
        assertMagnetarError("invalid_index") { try BreachChecker(config: config, transport: nil) }
    }
}
