// Hand-written: Swift naming and async variants for audit checkpoints, proofs and sealed
// exports (the audit log as a transparency log).

import Foundation

extension CheckpointSigner {
    /// The signer whose private key text (`PRIVATE+KEY+name+keyid+base64`, as
    /// `privateKeyText()` and Go's `note` package write it) is `privateKey`.
    public convenience init(privateKey: String) throws {
        let signer = try CheckpointSigner.fromPrivateKey(privateKey: privateKey)
        self.init(unsafeFromHandle: signer.uniffiCloneHandle())
    }

    /// The verifier key, `name+keyid+base64`: public, give it to auditors.
    public var verifierKey: String {
        verifierKeyText()
    }
}

extension AuditLog {
    /// Signs a checkpoint of every committed event with one signer; returns the signed
    /// note.
    public func checkpoint(signer: CheckpointSigner) throws -> String {
        try checkpoint(signers: [signer])
    }

    /// `checkpoint(signers:)` off the caller's thread (waits for a flush in batched mode).
    public func checkpoint(signers: [CheckpointSigner]) async throws -> String {
        try await Blocking.run { try self.checkpoint(signers: signers) }
    }

    /// Writes the sealed export (one JSON line per event: `seq` and base64 `leaf`, no
    /// plaintext) to a new file at `path`, readable by its owner only; an existing file is
    /// replaced only when `replace`. Returns the number of lines.
    @discardableResult
    public func exportSealed(to path: String, replace: Bool = false) throws -> UInt64 {
        try exportSealed(path: path, replace: replace)
    }

    /// `exportSealed(to:replace:)` off the caller's thread.
    @discardableResult
    public func exportSealed(to path: String, replace: Bool = false) async throws -> UInt64 {
        try await Blocking.run { try self.exportSealed(path: path, replace: replace) }
    }

    /// `verifyCheckpoint(note:verifierKey:)` off the caller's thread (walks the whole log).
    public func verifyCheckpoint(note: String, verifierKey: String) async throws -> AuditVerifyReport {
        try await Blocking.run { try self.verifyCheckpoint(note: note, verifierKey: verifierKey) }
    }
}

/// `verifySealedExport(path:note:verifierKey:)` off the caller's thread (reads the whole
/// export).
public func verifySealedExport(path: String, note: String, verifierKey: String) async throws -> AuditVerifyReport {
    try await Blocking.run { try verifySealedExport(path: path, note: note, verifierKey: verifierKey) }
}
