import Foundation
import Magnetar
import XCTest

/// The audit log as a transparency log from Swift: checkpoint signers (Go's note example
/// key included), signed checkpoints with a witness, RFC 9162 proofs checked by the free
/// verifiers, sealed exports, and a key holder's rewrite done to the database file
/// itself, caught against a checkpoint taken before.
final class CheckpointTests: XCTestCase {
    private var dir: TempDir!
    private let origin = "magnetar.test/audit"

    override func setUpWithError() throws {
        dir = try TempDir()
    }

    func testSigners() throws {
        let peter = try CheckpointSigner(
            privateKey: "PRIVATE+KEY+PeterNeumann+c74f20a3+AYEKFALVFGyNhPJEMzD1QIDr+Y7hfZx09iUvxdXHKDFz")
        XCTAssertEqual(peter.verifierKey, "PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW")
        XCTAssertEqual(peter.name(), "PeterNeumann")

        let seeded = try CheckpointSigner(name: origin, seed: Data(Array(UInt8(1)...UInt8(32))))
        XCTAssertTrue(seeded.verifierKey.hasPrefix("\(origin)+"))
        XCTAssertTrue(seeded.privateKeyText().hasPrefix("PRIVATE+KEY+\(origin)+"))
        let again = try CheckpointSigner(privateKey: seeded.privateKeyText())
        XCTAssertEqual(again.verifierKey, seeded.verifierKey)
        let fresh = try CheckpointSigner.generate(name: origin)
        XCTAssertNotEqual(fresh.verifierKey, seeded.verifierKey)
        XCTAssertFalse("\(seeded)".contains(seeded.privateKeyText()))

        assertMagnetarError("invalid_key") { try CheckpointSigner(name: self.origin, seed: Data(count: 31)) }
        assertMagnetarError("invalid_key") { try CheckpointSigner(privateKey: "not a key") }
        assertMagnetarError("invalid_key") { try CheckpointSigner(privateKey: seeded.verifierKey) }
        assertMagnetarError("invalid_key") { try CheckpointSigner.generate(name: "a b") }
    }

    func testCheckpointsProofsExportsAndARewrite() async throws {
        let pool = try Pool.open(path: dir.path("tlog.db"), config: PoolConfig())
        let log = try AuditLog(pool: pool, key: try AuditKey.generate())
        let signer = try CheckpointSigner(name: origin, seed: Data(repeating: 7, count: 32))
        let witness = try CheckpointSigner.generate(name: "witness.example")
        let stranger = try CheckpointSigner.generate(name: origin)

        for i in 0..<7 {
            try await log.record(event: NewAuditEvent(action: "login", userId: "user\(i)", status: "success"))
        }
        let note7 = try await log.checkpoint(signers: [signer, witness])
        XCTAssertTrue(note7.hasPrefix("\(origin)\n7\n"))
        XCTAssertTrue(try verifyCheckpoint(note: note7, verifierKey: signer.verifierKey))
        XCTAssertTrue(try verifyCheckpoint(note: note7, verifierKey: witness.verifierKey))
        XCTAssertFalse(try verifyCheckpoint(note: note7, verifierKey: stranger.verifierKey))
        let forged = note7.replacingOccurrences(of: "\n7\n", with: "\n8\n")
        XCTAssertFalse(try verifyCheckpoint(note: forged, verifierKey: signer.verifierKey))
        assertMagnetarError("invalid_key") { try verifyCheckpoint(note: note7, verifierKey: "not a key") }

        for i in 7..<13 {
            try await log.record(event: NewAuditEvent(action: "login", userId: "user\(i)", status: "success"))
        }
        let note13 = try log.checkpoint(signer: signer)
        XCTAssertEqual(try log.checkpoints(), [note7, note13])

        // Roots: the empty tree's is SHA-256 of nothing; the checkpoints carry theirs.
        var roots: [Data] = []
        for size in UInt64(0)...13 {
            let root = try log.treeRoot(size: size)
            XCTAssertEqual(root.count, 32)
            roots.append(root)
        }
        XCTAssertEqual(roots[0].base64EncodedString(), "47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=")
        XCTAssertTrue(note7.hasPrefix("\(origin)\n7\n\(roots[7].base64EncodedString())\n\n"))
        XCTAssertTrue(note13.hasPrefix("\(origin)\n13\n\(roots[13].base64EncodedString())\n\n"))

        // Inclusion of every event in every tree; a flipped byte or a wrong position fails.
        for size in UInt64(1)...13 {
            for seq in UInt64(1)...size {
                let leaf = try log.leaf(seq: seq)
                XCTAssertEqual(leaf.count, 49)
                let proof = try log.inclusionProof(seq: seq, treeSize: size)
                XCTAssertTrue(try verifyInclusion(leaf: leaf, seq: seq, treeSize: size, proof: proof, root: roots[Int(size)]))
                if !proof.isEmpty {
                    var flipped = proof
                    flipped[0][5] ^= 1
                    XCTAssertFalse(try verifyInclusion(leaf: leaf, seq: seq, treeSize: size, proof: flipped, root: roots[Int(size)]))
                    XCTAssertFalse(try verifyInclusion(leaf: leaf, seq: seq % size + 1, treeSize: size, proof: proof, root: roots[Int(size)]))
                }
            }
        }
        // Consistency between every pair of sizes.
        for old in UInt64(1)...13 {
            for new in old...13 {
                let proof = try log.consistencyProof(oldSize: old, newSize: new)
                XCTAssertTrue(try verifyConsistency(oldSize: old, newSize: new, oldRoot: roots[Int(old)], newRoot: roots[Int(new)], proof: proof))
                if old < new {
                    var flipped = proof
                    flipped[flipped.count - 1][0] ^= 0x80
                    XCTAssertFalse(try verifyConsistency(oldSize: old, newSize: new, oldRoot: roots[Int(old)], newRoot: roots[Int(new)], proof: flipped))
                }
            }
        }
        assertMagnetarError("invalid_input") { try log.inclusionProof(seq: 0, treeSize: 3) }
        assertMagnetarError("invalid_input") { try log.inclusionProof(seq: 1, treeSize: 14) }
        assertMagnetarError("invalid_input") { try log.consistencyProof(oldSize: 5, newSize: 4) }
        assertMagnetarError("invalid_input") {
            try verifyInclusion(leaf: Data(), seq: 1, treeSize: 1, proof: [], root: Data(count: 31))
        }
        assertMagnetarError("invalid_input") {
            try verifyConsistency(oldSize: 1, newSize: 2, oldRoot: roots[1], newRoot: roots[2], proof: [Data(count: 3)])
        }

        let report = try await log.verifyCheckpoint(note: note13, verifierKey: signer.verifierKey)
        XCTAssertTrue(report.ok, "\(String(describing: report.firstProblem))")
        XCTAssertEqual(report.checked, 13)
        assertMagnetarError("tampered") { try log.verifyCheckpoint(note: note13, verifierKey: witness.verifierKey) }
        assertMagnetarError("invalid_key") { try log.verifyCheckpoint(note: note13, verifierKey: "x") }

        // The sealed export: never over a file unless asked, verified from public data.
        let exportPath = dir.path("sealed.jsonl")
        let lines = try await log.exportSealed(to: exportPath)
        XCTAssertEqual(lines, 13)
        assertMagnetarError("io") { try log.exportSealed(to: exportPath) }
        let replaced = try await log.exportSealed(to: exportPath, replace: true)
        XCTAssertEqual(replaced, 13)
        let sealed = try await verifySealedExport(path: exportPath, note: note13, verifierKey: signer.verifierKey)
        XCTAssertTrue(sealed.ok, "\(String(describing: sealed.firstProblem))")
        XCTAssertEqual(sealed.checked, 13)
        let text = try String(contentsOfFile: exportPath, encoding: .utf8)
        XCTAssertTrue(text.hasPrefix("{\"seq\":1,\"leaf\":\"\(try log.leaf(seq: 1).base64EncodedString())\"}\n"))
        // One leaf edited in a copy: the root no longer matches the checkpoint's.
        let leaf5 = try log.leaf(seq: 5)
        var edited = leaf5
        edited[48] ^= 1
        let doctoredPath = dir.path("doctored.jsonl")
        try text.replacingOccurrences(of: leaf5.base64EncodedString(), with: edited.base64EncodedString())
            .write(toFile: doctoredPath, atomically: true, encoding: .utf8)
        let doctored = try await verifySealedExport(path: doctoredPath, note: note13, verifierKey: signer.verifierKey)
        XCTAssertFalse(doctored.ok)
        XCTAssertEqual(doctored.firstProblem?.kind, .checkpointMismatch)

        // The key holder deletes events 10 to 13 with raw SQL and records a doctored
        // history in their place: the chain is rebuilt, so verify() passes, but the
        // checkpoint of 13 events names event 10. The checkpoint of 7 still holds.
        _ = try await pool.execute(sql: "DELETE FROM audit_events WHERE seq >= 10", params: [])
        _ = try await pool.execute(sql: "DELETE FROM audit_lookup WHERE seq >= 10", params: [])
        for i in 10...13 {
            try await log.record(event: NewAuditEvent(action: "login", userId: "user\(i - 1)", status: i == 10 ? "denied" : "success"))
        }
        let chain = try await log.verify()
        XCTAssertTrue(chain.ok, "\(String(describing: chain.firstProblem))")
        let caught = try await log.verifyCheckpoint(note: note13, verifierKey: signer.verifierKey)
        XCTAssertFalse(caught.ok)
        XCTAssertEqual(caught.firstProblem?.kind, .checkpointMismatch)
        XCTAssertEqual(caught.firstProblem?.seq, 10)
        let earlier = try await log.verifyCheckpoint(note: note7, verifierKey: witness.verifierKey)
        XCTAssertTrue(earlier.ok, "\(String(describing: earlier.firstProblem))")
        // The export taken before the rewrite still verifies against the checkpoint.
        let before = try await verifySealedExport(path: exportPath, note: note13, verifierKey: signer.verifierKey)
        XCTAssertTrue(before.ok)
        try await pool.close(timeout: 1)
    }
}
