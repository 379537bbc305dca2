//! `mgn_checkpoint_signer` and the audit log's transparency-log API: signed checkpoints,
//! RFC 9162 inclusion and consistency proofs, sealed exports, and the verifiers anyone can
//! run without the audit key.
//!
//! Hashes cross the boundary as 32 bytes each (`MGN_HASH_LEN`), proofs as that many bytes
//! per hash back to back, leaves as `MGN_AUDIT_LEAF_LEN` bytes; verifier keys, signer keys
//! and notes as NUL-terminated text.

use std::ffi::c_char;
use std::path::Path;

use magnetar_core::audit::{self as core_audit, LEAF_LEN};
use magnetar_core::tlog::merkle::{self, Hash};
use magnetar_core::tlog::verified;
use magnetar_core::tlog::{NoteSigner, NoteVerifier};
use magnetar_core::{Error, Result};

use crate::audit::{mgn_audit, mgn_audit_report, report_out};
use crate::boundary;
use crate::handle::{self, OptOut, Out};
use crate::status::mgn_status;
use crate::strings::{alloc_string, alloc_string_list, bounded, bytes_arg, limits, str_arg};

/// Bytes of one audit leaf (`mgn_audit_leaf`): version, sequence number, time and a
/// commitment to the event (see core/src/audit/tree.rs for the encoding).
pub const MGN_AUDIT_LEAF_LEN: usize = 49;
const _: () = assert!(MGN_AUDIT_LEAF_LEN == LEAF_LEN);

/// Bytes of one SHA-256 hash: tree roots and proof hashes.
pub const MGN_HASH_LEN: usize = 32;

/// Most hashes in an inclusion or consistency proof of a tree of up to 2^63 events: a
/// buffer of this many always suffices, and proofs passed in may not be longer.
pub const MGN_MAX_PROOF_HASHES: usize = 64;

/// An Ed25519 key that signs audit checkpoints (C2SP signed notes). Created by
/// `mgn_checkpoint_signer_generate`, `mgn_checkpoint_signer_from_seed` or
/// `mgn_checkpoint_signer_parse`, released with `mgn_checkpoint_signer_free` (which wipes
/// the key).
///
/// Thread safety: immutable; any number of threads may use one signer at once.
#[allow(non_camel_case_types)]
pub struct mgn_checkpoint_signer {
    signer: NoteSigner,
}

/// Checks `out`, makes the signer and hands it to the host through `out`.
fn new_signer(
    out: *mut *mut mgn_checkpoint_signer,
    make: impl FnOnce() -> Result<NoteSigner>,
) -> Result<()> {
    let out = Out::new(out, "out")?;
    let signer = make()?;
    out.write(handle::into_raw(mgn_checkpoint_signer { signer }));
    Ok(())
}

/// Creates a signer named `name` (NUL-terminated UTF-8, for example
/// "example.com/audit": no spaces or '+') with a fresh key from the OS, and writes it to
/// `*out`. The name is the checkpoint's origin line when this signer signs first.
///
/// Errors: `MGN_INVALID_ARGUMENT` (NULL argument, invalid UTF-8), `MGN_INVALID_KEY` (an
/// empty name, or one with spaces, '+' or control characters), `MGN_INTERNAL` (no OS
/// randomness). Thread-safe.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn mgn_checkpoint_signer_generate(
    name: *const c_char,
    out: *mut *mut mgn_checkpoint_signer,
) -> mgn_status {
    boundary::call("mgn_checkpoint_signer_generate", || {
        // SAFETY: NULL or NUL-terminated.
        let name = unsafe { str_arg(name, "name") }?;
        new_signer(out, || NoteSigner::generate(name))
    })
}

/// Creates the signer named `name` with the Ed25519 seed at `seed` (`seed_len` must be 32;
/// the bytes are copied, wipe yours when done), and writes it to `*out`. The same name and
/// seed always give the same key.
///
/// Errors: `MGN_INVALID_ARGUMENT` (NULL argument, invalid UTF-8), `MGN_INVALID_KEY` (a
/// seed that is not 32 bytes, a malformed name). Thread-safe.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn mgn_checkpoint_signer_from_seed(
    name: *const c_char,
    seed: *const u8,
    seed_len: usize,
    out: *mut *mut mgn_checkpoint_signer,
) -> mgn_status {
    boundary::call("mgn_checkpoint_signer_from_seed", || {
        // SAFETY: NULL or NUL-terminated.
        let name = unsafe { str_arg(name, "name") }?;
        if seed.is_null() {
            return Err(handle::null("seed"));
        }
        // SAFETY: `seed_len` readable bytes per the contract.
        let seed = unsafe { bytes_arg(seed, seed_len, limits::MAX_SECRET_BYTES, "seed") }?;
        new_signer(out, || NoteSigner::from_seed(name, seed))
    })
}

/// Creates a signer from its private key text, `PRIVATE+KEY+<name>+<key id>+<base64>`
/// (as `mgn_checkpoint_signer_private_key` and Go's `golang.org/x/mod/sumdb/note` write
/// it; NUL-terminated, a trailing newline is accepted), and writes it to `*out`.
///
/// Errors: `MGN_INVALID_ARGUMENT` (NULL argument, invalid UTF-8), `MGN_INVALID_KEY` (not a
/// signer key, or its key id does not match its name and key). Thread-safe.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn mgn_checkpoint_signer_parse(
    private_key: *const c_char,
    out: *mut *mut mgn_checkpoint_signer,
) -> mgn_status {
    boundary::call("mgn_checkpoint_signer_parse", || {
        // SAFETY: NULL or NUL-terminated.
        let text = unsafe { str_arg(private_key, "private_key") }?;
        new_signer(out, || NoteSigner::parse(text))
    })
}

/// Writes the signer's verifier key, `<name>+<key id>+<base64>` (public: give it to
/// auditors), to `*out` (free with `mgn_string_free`).
///
/// Errors: `MGN_INVALID_ARGUMENT` (NULL argument). Thread-safe.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn mgn_checkpoint_signer_verifier_key(
    signer: *const mgn_checkpoint_signer,
    out: *mut *mut c_char,
) -> mgn_status {
    boundary::call("mgn_checkpoint_signer_verifier_key", || {
        // SAFETY: NULL or live.
        let signer = unsafe { handle::borrow(signer, "signer") }?;
        let out = Out::new(out, "out")?;
        out.write(alloc_string(signer.signer.verifier().to_string())?);
        Ok(())
    })
}

/// Writes the signer's private key text (the form `mgn_checkpoint_signer_parse` reads) to
/// `*out` (free with `mgn_string_free`, which wipes it). A secret: store it like one.
///
/// Errors: `MGN_INVALID_ARGUMENT` (NULL argument). Thread-safe.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn mgn_checkpoint_signer_private_key(
    signer: *const mgn_checkpoint_signer,
    out: *mut *mut c_char,
) -> mgn_status {
    boundary::call("mgn_checkpoint_signer_private_key", || {
        // SAFETY: NULL or live.
        let signer = unsafe { handle::borrow(signer, "signer") }?;
        let out = Out::new(out, "out")?;
        let text = signer.signer.to_private_text();
        out.write(alloc_string(text.as_bytes())?);
        Ok(())
    })
}

/// Releases a signer, wiping its key. NULL is a no-op. Call once, after every other call
/// using it returned.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn mgn_checkpoint_signer_free(signer: *mut mgn_checkpoint_signer) {
    // SAFETY: NULL or a live signer, freed once.
    boundary::call_void(|| unsafe { handle::free(signer) })
}

/// Parses a verifier key given as NUL-terminated text.
///
/// # Safety
/// `ptr` is NULL or NUL-terminated.
unsafe fn verifier_arg(ptr: *const c_char) -> Result<NoteVerifier> {
    // SAFETY: forwarded contract.
    NoteVerifier::parse(unsafe { str_arg(ptr, "verifier_key") }?)
}

/// Borrows a 32-byte hash argument.
///
/// # Safety
/// `ptr` is NULL or points to 32 readable bytes.
unsafe fn hash_arg<'a>(ptr: *const u8, what: &str) -> Result<&'a Hash> {
    // SAFETY: forwarded contract; `[u8; 32]` has alignment 1.
    unsafe { ptr.cast::<Hash>().as_ref() }.ok_or_else(|| handle::null(what))
}

/// Borrows `count` 32-byte hashes, back to back at `ptr`, at most
/// `MGN_MAX_PROOF_HASHES`; NULL is accepted only with `count == 0`.
///
/// # Safety
/// `ptr` is NULL or points to `count * 32` readable bytes.
unsafe fn proof_arg<'a>(ptr: *const u8, count: usize) -> Result<&'a [Hash]> {
    bounded(count, limits::MAX_PROOF_HASHES, "proof_count")?;
    if count == 0 {
        return Ok(&[]);
    }
    if ptr.is_null() {
        return Err(Error::InvalidInput(format!(
            "proof is NULL but proof_count is {count}"
        )));
    }
    // SAFETY: `count * 32` readable bytes per the contract; `count` is bounded and
    // `[u8; 32]` has alignment 1.
    Ok(unsafe { std::slice::from_raw_parts(ptr.cast::<Hash>(), count) })
}

/// A proof for the host's buffer of room for `capacity` hashes (32 bytes each).
struct ProofOut {
    hashes: *mut Hash,
    capacity: usize,
    count: Out<usize>,
}

impl ProofOut {
    fn new(hashes: *mut u8, capacity: usize, count: *mut usize) -> Result<Self> {
        if hashes.is_null() {
            return Err(handle::null("out_hashes"));
        }
        Ok(ProofOut {
            // `[u8; 32]` has alignment 1.
            hashes: hashes.cast(),
            capacity,
            count: Out::new(count, "out_count")?,
        })
    }

    /// Copies `proof` out, or fails (writing nothing) when it does not fit.
    fn write(self, proof: &[Hash]) -> Result<()> {
        if proof.len() > self.capacity {
            return Err(Error::InvalidInput(format!(
                "the proof has {} hashes but out_capacity is {}",
                proof.len(),
                self.capacity
            )));
        }
        // SAFETY: `out_hashes` points to `capacity * 32` writable bytes per the contract, and
        // `proof.len() <= capacity`; the host's buffer cannot overlap the Vec.
        unsafe { std::ptr::copy_nonoverlapping(proof.as_ptr(), self.hashes, proof.len()) };
        self.count.write(proof.len());
        Ok(())
    }
}

/// Signs a checkpoint of every committed event (batched mode: waits for a flush) with
/// the `signers_count` signers at `signers` (the first names the checkpoint's origin; the
/// others act as witnesses), stores it with the log, and writes the signed note (C2SP
/// tlog-checkpoint in a C2SP signed note) to `*out_note` (free with `mgn_string_free`).
///
/// Errors: `MGN_INVALID_ARGUMENT` (NULL argument or signer, no signer, more than 100),
/// `MGN_TAMPERED` (the stored tree does not extend the last checkpoint the log issued: it
/// refuses to sign a contradicting history), pool and database errors. Thread-safe.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn mgn_audit_checkpoint(
    audit: *const mgn_audit,
    signers: *const *const mgn_checkpoint_signer,
    signers_count: usize,
    out_note: *mut *mut c_char,
) -> mgn_status {
    boundary::call("mgn_audit_checkpoint", || {
        // SAFETY: NULL or live.
        let audit = unsafe { handle::borrow(audit, "audit") }?;
        bounded(
            signers_count,
            limits::MAX_CHECKPOINT_SIGNERS,
            "signers_count",
        )?;
        let handles = if signers_count == 0 {
            &[]
        } else if signers.is_null() {
            return Err(handle::null("signers"));
        } else {
            // SAFETY: `signers_count` pointers per the contract; the count is bounded.
            unsafe { std::slice::from_raw_parts(signers, signers_count) }
        };
        let signers = handles
            .iter()
            .enumerate()
            // SAFETY: each is NULL or a live signer per the contract.
            .map(|(i, s)| {
                unsafe { handle::borrow(*s, &format!("signers[{i}]")) }.map(|s| &s.signer)
            })
            .collect::<Result<Vec<_>>>()?;
        let out = Out::new(out_note, "out_note")?;
        let note = audit.log.checkpoint(&signers)?;
        out.write(alloc_string(note)?);
        Ok(())
    })
}

/// Writes every checkpoint `audit` issued, oldest first, as signed notes (the text
/// `mgn_audit_checkpoint` returned for each) to `*out_notes`, an array of `*out_count`
/// strings (NULL when there are none): to publish them again, or to hand the latest to a
/// verifier after a crash lost the one `mgn_audit_checkpoint` returned. Release the array
/// with `mgn_string_list_free(*out_notes, *out_count)`.
///
/// Errors: `MGN_INVALID_ARGUMENT` (NULL argument), `MGN_TAMPERED`, pool and database
/// errors. Thread-safe.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn mgn_audit_checkpoints(
    audit: *const mgn_audit,
    out_notes: *mut *mut *mut c_char,
    out_count: *mut usize,
) -> mgn_status {
    boundary::call("mgn_audit_checkpoints", || {
        // SAFETY: NULL or live.
        let audit = unsafe { handle::borrow(audit, "audit") }?;
        let out_notes = Out::new(out_notes, "out_notes")?;
        let out_count = Out::new(out_count, "out_count")?;
        let (notes, count) = alloc_string_list(audit.log.checkpoints()?)?;
        out_notes.write(notes);
        out_count.write(count);
        Ok(())
    })
}

/// Writes the leaf data of event `seq` (`MGN_AUDIT_LEAF_LEN` bytes: the input of the RFC
/// 9162 leaf hash of leaf `seq - 1`) to `out_leaf` (room for `MGN_AUDIT_LEAF_LEN` bytes). The leaf reveals the sequence number
/// and time, and a commitment to the event; nothing else.
///
/// Errors: `MGN_INVALID_ARGUMENT` (NULL argument, no event `seq`), `MGN_TAMPERED`, pool
/// and database errors. Thread-safe.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn mgn_audit_leaf(
    audit: *const mgn_audit,
    seq: u64,
    out_leaf: *mut u8,
) -> mgn_status {
    boundary::call("mgn_audit_leaf", || {
        // SAFETY: NULL or live.
        let audit = unsafe { handle::borrow(audit, "audit") }?;
        let out = Out::new(out_leaf.cast::<[u8; MGN_AUDIT_LEAF_LEN]>(), "out_leaf")?;
        out.write(audit.log.leaf(seq)?);
        Ok(())
    })
}

/// Writes the RFC 9162 root hash of the tree of the first `tree_size` events to
/// `out_root` (room for `MGN_HASH_LEN` bytes; size 0 gives the root of the empty tree,
/// SHA-256 of nothing).
///
/// Errors: `MGN_INVALID_ARGUMENT` (NULL argument, fewer than `tree_size` events),
/// `MGN_TAMPERED`, pool and database errors. Thread-safe.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn mgn_audit_tree_root(
    audit: *const mgn_audit,
    tree_size: u64,
    out_root: *mut u8,
) -> mgn_status {
    boundary::call("mgn_audit_tree_root", || {
        // SAFETY: NULL or live.
        let audit = unsafe { handle::borrow(audit, "audit") }?;
        let out = Out::new(out_root.cast::<Hash>(), "out_root")?;
        out.write(audit.log.tree_root(tree_size)?);
        Ok(())
    })
}

/// Writes the RFC 9162 inclusion proof of event `seq` (leaf `seq - 1`) in the tree of the
/// first `tree_size` events: its hashes, from the leaf up and `MGN_HASH_LEN` bytes each,
/// back to back to `out_hashes` (room for `out_capacity` hashes, that is `out_capacity *
/// MGN_HASH_LEN` bytes; `MGN_MAX_PROOF_HASHES` hashes always suffice) and their number
/// to `*out_count`.
///
/// Errors: `MGN_INVALID_ARGUMENT` (NULL argument, unless `1 <= seq <= tree_size <=` the
/// number of events, or the proof does not fit: nothing is written then), `MGN_TAMPERED`,
/// pool and database errors. Thread-safe.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn mgn_audit_inclusion_proof(
    audit: *const mgn_audit,
    seq: u64,
    tree_size: u64,
    out_hashes: *mut u8,
    out_capacity: usize,
    out_count: *mut usize,
) -> mgn_status {
    boundary::call("mgn_audit_inclusion_proof", || {
        // SAFETY: NULL or live.
        let audit = unsafe { handle::borrow(audit, "audit") }?;
        let out = ProofOut::new(out_hashes, out_capacity, out_count)?;
        out.write(&audit.log.inclusion_proof(seq, tree_size)?)
    })
}

/// Writes the RFC 9162 consistency proof that the tree of the first `new_size` events
/// extends the tree of the first `old_size`: its hashes, `MGN_HASH_LEN` bytes each, back
/// to back to `out_hashes` (room for `out_capacity` hashes; `MGN_MAX_PROOF_HASHES` hashes
/// always suffice) and their number to `*out_count`.
///
/// Errors: `MGN_INVALID_ARGUMENT` (NULL argument, unless `1 <= old_size <= new_size <=`
/// the number of events, or the proof does not fit: nothing is written then),
/// `MGN_TAMPERED`, pool and database errors. Thread-safe.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn mgn_audit_consistency_proof(
    audit: *const mgn_audit,
    old_size: u64,
    new_size: u64,
    out_hashes: *mut u8,
    out_capacity: usize,
    out_count: *mut usize,
) -> mgn_status {
    boundary::call("mgn_audit_consistency_proof", || {
        // SAFETY: NULL or live.
        let audit = unsafe { handle::borrow(audit, "audit") }?;
        let out = ProofOut::new(out_hashes, out_capacity, out_count)?;
        out.write(&audit.log.consistency_proof(old_size, new_size)?)
    })
}

/// Checks the log against a checkpoint it issued (`note`, NUL-terminated) and writes the
/// report to `*out` (release with `mgn_audit_report_clear`). The note must carry a valid
/// signature by `verifier_key` (`<name>+<key id>+<base64>`); then every event the
/// checkpoint covers is recomputed and compared with it, and the whole chain verified as
/// by `mgn_audit_verify`. This catches a key holder who rewrote events and rebuilt the
/// chain: `MGN_AUDIT_CHECKPOINT_MISMATCH` with `problem_seq` the first event rewritten
/// (0 when the tree data itself was replaced); `MGN_AUDIT_TRUNCATED` when events the
/// checkpoint covers were removed from the end.
///
/// Errors (verification could not run): `MGN_INVALID_ARGUMENT` (NULL argument, invalid
/// UTF-8, a malformed checkpoint), `MGN_INVALID_KEY` (a malformed verifier key, or events
/// under a key not supplied), `MGN_TAMPERED` (the note's signature does not verify), pool
/// and database errors. Thread-safe.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn mgn_audit_verify_checkpoint(
    audit: *const mgn_audit,
    note: *const c_char,
    verifier_key: *const c_char,
    out: *mut mgn_audit_report,
) -> mgn_status {
    boundary::call("mgn_audit_verify_checkpoint", || {
        // SAFETY: NULL or live.
        let audit = unsafe { handle::borrow(audit, "audit") }?;
        // SAFETY: NULL or NUL-terminated.
        let note = unsafe { str_arg(note, "note") }?;
        // SAFETY: NULL or NUL-terminated.
        let verifier = unsafe { verifier_arg(verifier_key) }?;
        let out = Out::new(out, "out")?;
        out.write(report_out(audit.log.verify_checkpoint(note, &verifier)?)?);
        Ok(())
    })
}

/// Writes the sealed export to the file at `path` (NUL-terminated UTF-8): one JSON line
/// per event from seq 1, `{"seq":N,"leaf":"<standard base64 of the leaf>"}`, revealing no
/// plaintext; writes the number of lines to `*out_count` (may be NULL). The file is
/// created readable by its owner only (0600) and synced; an existing file is replaced only
/// when `replace` is true (else `MGN_IO`). Anyone can check it against a checkpoint with
/// `mgn_verify_sealed_export`.
///
/// Errors: `MGN_INVALID_ARGUMENT` (NULL argument, invalid UTF-8), `MGN_IO` (the file
/// exists and `replace` is false, or cannot be written), `MGN_TAMPERED`, pool and
/// database errors. Thread-safe.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn mgn_audit_export_sealed(
    audit: *const mgn_audit,
    path: *const c_char,
    replace: bool,
    out_count: *mut u64,
) -> mgn_status {
    boundary::call("mgn_audit_export_sealed", || {
        // SAFETY: NULL or live.
        let audit = unsafe { handle::borrow(audit, "audit") }?;
        // SAFETY: NULL or NUL-terminated.
        let path = unsafe { str_arg(path, "path") }?;
        let out_count = OptOut::new(out_count);
        out_count.write(audit.log.export_sealed_to_path(Path::new(path), replace)?);
        Ok(())
    })
}

/// Checks the signature of a signed checkpoint without the log or the audit key: writes
/// true to `*out_valid` when `note` (NUL-terminated) is a well-formed checkpoint carrying
/// a valid signature by `verifier_key`, false when the signature does not verify (or the
/// note carries none by that key, or its signature block is malformed).
///
/// Errors: `MGN_INVALID_ARGUMENT` (NULL argument, invalid UTF-8, a validly signed note
/// whose text is not a checkpoint), `MGN_INVALID_KEY` (a malformed verifier key).
/// Thread-safe.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn mgn_verify_checkpoint(
    note: *const c_char,
    verifier_key: *const c_char,
    out_valid: *mut bool,
) -> mgn_status {
    boundary::call("mgn_verify_checkpoint", || {
        // SAFETY: NULL or NUL-terminated.
        let note = unsafe { str_arg(note, "note") }?;
        // SAFETY: NULL or NUL-terminated.
        let verifier = unsafe { verifier_arg(verifier_key) }?;
        let out = Out::new(out_valid, "out_valid")?;
        out.write(verified(core_audit::open_checkpoint(note, &verifier))?);
        Ok(())
    })
}

/// Checks a sealed export (the file at `path`, written by `mgn_audit_export_sealed`)
/// against a signed checkpoint from public data only, and writes the report to `*out`
/// (release with `mgn_audit_report_clear`): every line's form, sequence numbers 1, 2, 3,
/// ... matching their leaves, and the RFC 9162 root over the leaves the checkpoint covers
/// equal to its root (`MGN_AUDIT_CHECKPOINT_MISMATCH` otherwise; `MGN_AUDIT_TRUNCATED`
/// when the export is shorter). `checked` is the number of lines read.
///
/// Errors (verification could not run): `MGN_INVALID_ARGUMENT` (NULL argument, invalid
/// UTF-8, a malformed checkpoint), `MGN_INVALID_KEY` (a malformed verifier key),
/// `MGN_TAMPERED` (the note's signature does not verify), `MGN_IO` (the file cannot be
/// read). Thread-safe.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn mgn_verify_sealed_export(
    path: *const c_char,
    note: *const c_char,
    verifier_key: *const c_char,
    out: *mut mgn_audit_report,
) -> mgn_status {
    boundary::call("mgn_verify_sealed_export", || {
        // SAFETY: NULL or NUL-terminated.
        let path = unsafe { str_arg(path, "path") }?;
        // SAFETY: NULL or NUL-terminated.
        let note = unsafe { str_arg(note, "note") }?;
        // SAFETY: NULL or NUL-terminated.
        let verifier = unsafe { verifier_arg(verifier_key) }?;
        let out = Out::new(out, "out")?;
        let report = core_audit::verify_sealed_export_file(Path::new(path), note, &verifier)?;
        out.write(report_out(report)?);
        Ok(())
    })
}

/// Checks an RFC 9162 inclusion proof without the log: writes true to `*out_valid` when
/// the leaf data `leaf` (`leaf_len` bytes, for example from `mgn_audit_leaf`) is leaf
/// `seq - 1` of the tree of `tree_size` leaves whose root is `root` (`MGN_HASH_LEN`
/// bytes), given the `proof_count` hashes at `proof` (`MGN_HASH_LEN` bytes each, back to
/// back, as `mgn_audit_inclusion_proof` writes them); false when it is not (or the proof
/// has the wrong length).
///
/// Errors: `MGN_INVALID_ARGUMENT` (NULL argument, `seq` 0 or above `tree_size`, more than
/// `MGN_MAX_PROOF_HASHES` hashes, a leaf over 64 KiB). Thread-safe.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn mgn_verify_inclusion(
    leaf: *const u8,
    leaf_len: usize,
    seq: u64,
    tree_size: u64,
    proof: *const u8,
    proof_count: usize,
    root: *const u8,
    out_valid: *mut bool,
) -> mgn_status {
    boundary::call("mgn_verify_inclusion", || {
        if leaf.is_null() {
            return Err(handle::null("leaf"));
        }
        // SAFETY: `leaf_len` readable bytes per the contract.
        let leaf = unsafe { bytes_arg(leaf, leaf_len, limits::MAX_LEAF_BYTES, "leaf") }?;
        // SAFETY: `proof_count` readable hashes per the contract.
        let proof = unsafe { proof_arg(proof, proof_count) }?;
        // SAFETY: NULL or 32 readable bytes.
        let root = unsafe { hash_arg(root, "root") }?;
        let out = Out::new(out_valid, "out_valid")?;
        let index = seq.checked_sub(1).ok_or_else(|| {
            Error::InvalidInput("seq is 0: audit sequence numbers start at 1".into())
        })?;
        out.write(verified(merkle::verify_inclusion(
            index,
            tree_size,
            &merkle::leaf_hash(leaf),
            proof,
            root,
        ))?);
        Ok(())
    })
}

/// Checks an RFC 9162 consistency proof without the log: writes true to `*out_valid` when
/// the tree of `old_size` leaves with root `old_root` is a prefix of the tree of
/// `new_size` leaves with root `new_root` (`MGN_HASH_LEN` bytes each), given the
/// `proof_count` hashes at `proof` (`MGN_HASH_LEN` bytes each, back to back, as
/// `mgn_audit_consistency_proof` writes them); false when it is not.
///
/// Errors: `MGN_INVALID_ARGUMENT` (NULL argument, `old_size` above `new_size`, more than
/// `MGN_MAX_PROOF_HASHES` hashes). Thread-safe.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn mgn_verify_consistency(
    old_size: u64,
    new_size: u64,
    old_root: *const u8,
    new_root: *const u8,
    proof: *const u8,
    proof_count: usize,
    out_valid: *mut bool,
) -> mgn_status {
    boundary::call("mgn_verify_consistency", || {
        // SAFETY: NULL or 32 readable bytes.
        let old_root = unsafe { hash_arg(old_root, "old_root") }?;
        // SAFETY: NULL or 32 readable bytes.
        let new_root = unsafe { hash_arg(new_root, "new_root") }?;
        // SAFETY: `proof_count` readable hashes per the contract.
        let proof = unsafe { proof_arg(proof, proof_count) }?;
        let out = Out::new(out_valid, "out_valid")?;
        out.write(verified(merkle::verify_consistency(
            old_size, new_size, old_root, new_root, proof,
        ))?);
        Ok(())
    })
}
