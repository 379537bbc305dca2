//! The audit log as a transparency log, for Swift: checkpoint signers, signed checkpoints,
//! RFC 9162 proofs, sealed exports, and the verifiers anyone can run without the audit
//! key.
//!
//! Hashes travel as 32-byte `Data`, leaves as 49-byte `Data`; verifier keys, signer keys
//! and checkpoints as text in the C2SP / Go `note` formats.

use std::fmt;
use std::path::Path;
use std::sync::Arc;

use magnetar_core::Error;
use magnetar_core::audit::{self as core_audit, VerifyReport};
use magnetar_core::tlog::merkle::{self, Hash};
use magnetar_core::tlog::{NoteSigner, NoteVerifier};
use zeroize::Zeroizing;

use crate::audit::AuditLog;
use crate::error::Result;

/// An Ed25519 key that signs audit checkpoints (C2SP signed notes). Its key is zeroized
/// on drop and never printed.
#[derive(uniffi::Object)]
pub struct CheckpointSigner {
    inner: NoteSigner,
}

impl fmt::Debug for CheckpointSigner {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.inner.fmt(f)
    }
}

fn signer(inner: NoteSigner) -> Arc<CheckpointSigner> {
    Arc::new(CheckpointSigner { inner })
}

#[uniffi::export]
impl CheckpointSigner {
    /// The signer named `name` (for example `example.com/audit`: no spaces or `+`) with
    /// the 32-byte Ed25519 seed `seed`; the same name and seed always give the same key.
    #[uniffi::constructor]
    pub fn new(name: String, seed: Vec<u8>) -> Result<Arc<Self>> {
        let seed = Zeroizing::new(seed);
        Ok(signer(NoteSigner::from_seed(&name, &seed)?))
    }

    /// A signer named `name` with a fresh key from the OS.
    #[uniffi::constructor]
    pub fn generate(name: String) -> Result<Arc<Self>> {
        Ok(signer(NoteSigner::generate(&name)?))
    }

    /// The signer whose private key text (`PRIVATE+KEY+name+keyid+base64`, as
    /// `private_key_text` and Go's `note` package write it) is `private_key`.
    #[uniffi::constructor]
    pub fn from_private_key(private_key: String) -> Result<Arc<Self>> {
        let text = Zeroizing::new(private_key);
        Ok(signer(NoteSigner::parse(&text)?))
    }

    /// The key's name: a checkpoint's origin when this signer signs first.
    pub fn name(&self) -> String {
        self.inner.name().to_string()
    }

    /// The verifier key, `name+keyid+base64` (public: give it to auditors).
    pub fn verifier_key_text(&self) -> String {
        self.inner.verifier().to_string()
    }

    /// The private key text, the form `from_private_key` reads. A secret: keep it in
    /// the Keychain.
    pub fn private_key_text(&self) -> String {
        self.inner.to_private_text().to_string()
    }
}

/// A 32-byte hash from `Data`; `what` names it.
fn hash(bytes: &[u8], what: &str) -> magnetar_core::Result<Hash> {
    bytes.try_into().map_err(|_| {
        Error::InvalidInput(format!(
            "{what} is {} bytes, not a 32-byte SHA-256 hash",
            bytes.len()
        ))
    })
}

fn hashes(proof: &[Vec<u8>]) -> magnetar_core::Result<Vec<Hash>> {
    proof
        .iter()
        .enumerate()
        .map(|(i, h)| hash(h, &format!("proof hash {i}")))
        .collect()
}

fn to_data(proof: Vec<Hash>) -> Vec<Vec<u8>> {
    proof.into_iter().map(|h| h.to_vec()).collect()
}

/// Core's rule for a boolean verification answer, with uniffi's error type.
fn verified<T>(result: magnetar_core::Result<T>) -> Result<bool> {
    Ok(magnetar_core::tlog::verified(result)?)
}

#[uniffi::export]
impl AuditLog {
    /// Signs a checkpoint of every committed event with `signers` (the first names the
    /// origin; the others act as witnesses), stores it with the log and returns the
    /// signed note. Fails with `tampered` when the stored tree does not extend the last
    /// checkpoint the log issued.
    pub fn checkpoint(&self, signers: Vec<Arc<CheckpointSigner>>) -> Result<String> {
        let signers: Vec<&NoteSigner> = signers.iter().map(|s| &s.inner).collect();
        Ok(self.core().checkpoint(&signers)?)
    }

    /// Every checkpoint the log issued, oldest first.
    pub fn checkpoints(&self) -> Result<Vec<String>> {
        Ok(self.core().checkpoints()?)
    }

    /// The 49-byte leaf data of event `seq` (leaf `seq - 1` of the tree).
    pub fn leaf(&self, seq: u64) -> Result<Vec<u8>> {
        Ok(self.core().leaf(seq)?.to_vec())
    }

    /// The RFC 9162 root hash of the tree of the first `size` events.
    pub fn tree_root(&self, size: u64) -> Result<Vec<u8>> {
        Ok(self.core().tree_root(size)?.to_vec())
    }

    /// The RFC 9162 inclusion proof of event `seq` in the tree of the first `tree_size`
    /// events, from the leaf up.
    pub fn inclusion_proof(&self, seq: u64, tree_size: u64) -> Result<Vec<Vec<u8>>> {
        Ok(to_data(self.core().inclusion_proof(seq, tree_size)?))
    }

    /// The RFC 9162 consistency proof that the tree of the first `new_size` events
    /// extends the tree of the first `old_size`.
    pub fn consistency_proof(&self, old_size: u64, new_size: u64) -> Result<Vec<Vec<u8>>> {
        Ok(to_data(self.core().consistency_proof(old_size, new_size)?))
    }

    /// Checks the log against a checkpoint it issued, signed by `verifier_key`: names
    /// the first event rewritten since (`checkpointMismatch`), and verifies the chain.
    /// Fails with `tampered` when the signature does not verify.
    pub fn verify_checkpoint(&self, note: String, verifier_key: String) -> Result<VerifyReport> {
        let verifier = NoteVerifier::parse(&verifier_key)?;
        Ok(self.core().verify_checkpoint(&note, &verifier)?)
    }

    /// Writes the sealed export (one JSON line per event: `seq` and base64 `leaf`, no
    /// plaintext) to a file at `path`, readable by its owner only, replacing an existing
    /// file only when `replace`; returns the number of lines.
    pub fn export_sealed(&self, path: String, replace: bool) -> Result<u64> {
        Ok(self
            .core()
            .export_sealed_to_path(Path::new(&path), replace)?)
    }
}

/// Whether `note` is a checkpoint carrying a valid signature by `verifier_key`: false when
/// the signature does not verify; fails with `invalidKey` for a malformed verifier key.
#[uniffi::export]
pub fn verify_checkpoint(note: String, verifier_key: String) -> Result<bool> {
    let verifier = NoteVerifier::parse(&verifier_key)?;
    verified(core_audit::open_checkpoint(&note, &verifier))
}

/// Checks the sealed export at `path` against the checkpoint `note` signed by
/// `verifier_key`, from public data only. Fails with `tampered` when the signature does
/// not verify, `io` when the file cannot be read.
#[uniffi::export]
pub fn verify_sealed_export(
    path: String,
    note: String,
    verifier_key: String,
) -> Result<VerifyReport> {
    let verifier = NoteVerifier::parse(&verifier_key)?;
    Ok(core_audit::verify_sealed_export_file(
        Path::new(&path),
        &note,
        &verifier,
    )?)
}

/// Whether `leaf` (leaf data, as `AuditLog.leaf` returns) is leaf `seq - 1` of the tree of
/// `tree_size` leaves with root `root`, given the RFC 9162 inclusion proof `proof`.
#[uniffi::export]
pub fn verify_inclusion(
    leaf: Vec<u8>,
    seq: u64,
    tree_size: u64,
    proof: Vec<Vec<u8>>,
    root: Vec<u8>,
) -> Result<bool> {
    let index = seq
        .checked_sub(1)
        .ok_or_else(|| Error::InvalidInput("seq is 0: audit sequence numbers start at 1".into()))?;
    let proof = hashes(&proof)?;
    let root = hash(&root, "root")?;
    verified(merkle::verify_inclusion(
        index,
        tree_size,
        &merkle::leaf_hash(&leaf),
        &proof,
        &root,
    ))
}

/// Whether the tree of `old_size` leaves with root `old_root` is a prefix of the tree of
/// `new_size` leaves with root `new_root`, given the RFC 9162 consistency proof `proof`.
#[uniffi::export]
pub fn verify_consistency(
    old_size: u64,
    new_size: u64,
    old_root: Vec<u8>,
    new_root: Vec<u8>,
    proof: Vec<Vec<u8>>,
) -> Result<bool> {
    let old_root = hash(&old_root, "old root")?;
    let new_root = hash(&new_root, "new root")?;
    let proof = hashes(&proof)?;
    verified(merkle::verify_consistency(
        old_size, new_size, &old_root, &new_root, &proof,
    ))
}
