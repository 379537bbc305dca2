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
            (.Unavailable(message: ""), "unavailable"),
        ]
        for (error, kind) in cases {
            XCTAssertEqual(error.kind(), kind)
        }
    }

    /// The Swift case an error is, named without asking Rust (an exhaustive switch: a new
    /// case in the generated enum stops this file from compiling until it is named here).
    private func swiftCase(_ error: MagnetarError) -> String {
        switch error {
        case .InvalidConfig: return "invalid_config"
        case .InvalidInput: return "invalid_input"
        case .Io: return "io"
        case .Database: return "database"
        case .Corrupt: return "corrupt"
        case .NotADatabase: return "not_a_database"
        case .ReadOnly: return "read_only"
        case .PoolTimeout: return "pool_timeout"
        case .PoolClosed: return "pool_closed"
        case .SchemaTooNew: return "schema_too_new"
        case .InvalidKey: return "invalid_key"
        case .WrongKey: return "wrong_key"
        case .Tampered: return "tampered"
        case .InvalidHash: return "invalid_hash"
        case .Transport: return "transport"
        case .InvalidIndex: return "invalid_index"
        case .SessionNotFound: return "session_not_found"
        case .SessionExpired: return "session_expired"
        case .SessionRevoked: return "session_revoked"
        case .SessionLimit: return "session_limit"
        case .Internal: return "internal"
        case .Unavailable: return "unavailable"
        }
    }

    /// Walks every kind core has (`ErrorKind::ALL`, through `errorKindNames()`): core
    /// builds an error of that kind, the uniffi layer maps it as it maps every error, and
    /// Swift must receive the case of that name with core's message. A kind that reaches
    /// Swift as `.Internal` (the fallback for kinds the layer does not know) fails here.
    func testEveryCoreKindArrivesAsItsOwnCase() {
        let names = errorKindNames()
        XCTAssertEqual(names.count, 22, "core's kinds: \(names)")
        XCTAssertEqual(Set(names).count, names.count, "kind names are unique")
        XCTAssertEqual(names.last, "unavailable")
        for name in names {
            let marker = "marker-\(name)"
            do {
                try raiseErrorOfKind(name: name, message: marker)
                XCTFail("\(name): raiseErrorOfKind returned normally")
            } catch let error as MagnetarError {
                XCTAssertEqual(swiftCase(error), name, "core kind \(name) arrived as \(error)")
                XCTAssertEqual(error.kind(), name)
                if name != "internal" {
                    XCTAssertNotEqual(swiftCase(error), "internal", "\(name) fell back to .Internal")
                }
                // Core's `SessionNotFound` carries a fixed message; every other kind keeps
                // the message it was built with.
                if name != "session_not_found" {
                    XCTAssertTrue(error.message().contains(marker), "\(name): \(error.message())")
                }
                XCTAssertFalse(error.message().isEmpty)
                XCTAssertEqual(error.localizedDescription, error.message())
                XCTAssertEqual(String(describing: error), "\(name): \(error.message())")
            } catch {
                XCTFail("\(name): expected MagnetarError, got \(error)")
            }
        }
    }

    /// A name core does not know is refused as invalid input, not turned into some kind.
    func testAnUnknownKindNameIsInvalidInput() {
        let error = assertMagnetarError("invalid_input") { try raiseErrorOfKind(name: "no_such_kind", message: "m") }
        XCTAssertTrue(error?.message().contains("no_such_kind") ?? false)
    }

    /// Errors are values apps pass between tasks and compare.
    func testErrorsAreSendableAndEquatable() async {
        let error = MagnetarError.PoolClosed(message: "closed")
        let fromTask = await Task.detached { () -> MagnetarError in error }.value
        XCTAssertEqual(fromTask, error)
        XCTAssertNotEqual(error, MagnetarError.PoolClosed(message: "other"))
    }

    func testVersion() {
        XCTAssertFalse(magnetarVersion().isEmpty)
        XCTAssertEqual(magnetarVersion().split(separator: ".").count, 3)
    }
}
