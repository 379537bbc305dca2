import Foundation
import Magnetar
import XCTest

final class ErrorTests: XCTestCase {
    func testKindsAndMessages() {
        let error = MagnetarError.WrongKey(message: "wrong key: check value mismatch")
        XCTAssertEqual(error.kind(), "wrong_key")
        XCTAssertEqual(error.message(), "wrong key: check value mismatch")
        XCTAssertEqual(error.localizedDescription, "wrong key: check value mismatch")
        XCTAssertEqual(String(describing: error), "wrong_key: wrong key: check value mismatch")
    }

    func testEveryCaseHasAStableKind() {
        let cases: [(MagnetarError, String)] = [
            (.InvalidConfig(message: ""), "invalid_config"),
            (.InvalidInput(message: ""), "invalid_input"),
            (.Io(message: ""), "io"),
            (.Database(message: ""), "database"),
            (.Corrupt(message: ""), "corrupt"),
            (.NotADatabase(message: ""), "not_a_database"),
            (.ReadOnly(message: ""), "read_only"),
            (.PoolTimeout(message: ""), "pool_timeout"),
            (.PoolClosed(message: ""), "pool_closed"),
            (.SchemaTooNew(message: ""), "schema_too_new"),
            (.InvalidKey(message: ""), "invalid_key"),
            (.WrongKey(message: ""), "wrong_key"),
            (.Tampered(message: ""), "tampered"),
            (.InvalidHash(message: ""), "invalid_hash"),
            (.Transport(message: ""), "transport"),
            (.InvalidIndex(message: ""), "invalid_index"),
            (.SessionNotFound(message: ""), "session_not_found"),
            (.SessionExpired(message: ""), "session_expired"),
            (.SessionRevoked(message: ""), "session_revoked"),
            (.SessionLimit(message: ""), "session_limit"),
            (.Internal(message: ""), "internal"),
        ]
        for (error, kind) in cases {
            XCTAssertEqual(error.kind(), kind)
        }
    }

    func testVersion() {
        XCTAssertFalse(magnetarVersion().isEmpty)
        XCTAssertEqual(magnetarVersion().split(separator: ".").count, 3)
    }
}
