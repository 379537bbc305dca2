//! Checkpoints anyone can verify: the audit log as a transparency log.
//!
//! Every event is a leaf of an RFC 9162 Merkle tree (leaf data in [`super::tree`]). The
//! key holder signs C2SP checkpoints of the tree ([`AuditLog::checkpoint`]); anyone with
//! the verifier key, a checkpoint and public data checks the rest: inclusion proofs
//! ([`AuditLog::inclusion_proof`]), consistency proofs between checkpoints
//! ([`AuditLog::consistency_proof`]), and a sealed export of every leaf
//! ([`AuditLog::export_sealed`], [`verify_sealed_export`]). Once a checkpoint has left
//! the system, nobody (key holder included) can rewrite what it covers without being
//! caught: [`AuditLog::verify_checkpoint`] names the first event that differs.

use std::io::{BufRead, Write};
use std::path::Path;

use base64::Engine;
use base64::engine::general_purpose::STANDARD as B64;
use serde::{Deserialize, Serialize};

use super::AuditLog;
use super::event::{Problem, ProblemKind, VerifyReport};
use super::export::write_private;
use super::schema::expect_changes;
use super::store::WRITE_LOCK;
use super::tree::{self, LEAF_LEN, StoredNodes, leaf_seq};
use super::verify::{self, Leaves};
use crate::error::{Error, Result};
use crate::store::sql::{Db, args};
use crate::tlog::checkpoint::{self, Checkpoint};
use crate::tlog::merkle::{self, Frontier, Hash, leaf_hash};
use crate::tlog::note::{self, NoteSigner, NoteVerifier};

/// One line of a sealed export: an event's sequence number and its leaf data.
#[derive(Debug, Serialize, Deserialize)]
struct SealedLine {
    seq: u64,
    /// The leaf data, standard base64 (RFC 4648 §4, padded).
    leaf: String,
}

/// Longest line [`verify_sealed_export`] reads: a leaf line is about 90 bytes.
const MAX_SEALED_LINE: u64 = 1024;

fn report(seq: u64, kind: ProblemKind, detail: String, checked: u64) -> VerifyReport {
    VerifyReport {
        ok: false,
        checked,
        first_problem: Some(Problem {
            seq,
            event_id: None,
            kind,
            detail,
        }),
    }
}

impl AuditLog {
    /// Signs a checkpoint of every committed event (`flush` first in batched mode: this
    /// waits for it) and returns it as a C2SP signed note: origin (the first signer's
    /// name), tree size, base64 root hash, then one signature line per signer (a second
    /// signer can act as a witness; see also [`crate::tlog::note::cosign`]). The note is
    /// stored with the log ([`AuditLog::checkpoints`]).
    ///
    /// Before signing, the tree is checked to extend the last checkpoint the log issued
    /// (a consistency proof from the stored hashes): `Tampered` when it does not, so the
    /// log never signs a history that contradicts one it signed before.
    pub fn checkpoint(&self, signers: &[&NoteSigner]) -> Result<String> {
        let first = signers
            .first()
            .ok_or_else(|| Error::InvalidInput("a checkpoint needs at least one signer".into()))?;
        self.flush()?;
        let shared = &self.shared;
        tree::extend(shared, u64::MAX)?;
        let now = shared.clock.unix_millis();
        shared.store.write(WRITE_LOCK, |tx| {
            shared.guard(tx)?;
            let frontier = tree::frontier(tx, &shared.chain)?;
            let last = tx.opt(
                "SELECT note FROM audit_checkpoints ORDER BY id DESC LIMIT 1",
                &[],
                |r| r.text(0),
            )?;
            if let Some(note) = last {
                extends(tx, &note, &frontier)?;
            }
            let signed = Checkpoint {
                origin: first.name().to_string(),
                size: frontier.size(),
                root: frontier.root(),
                extensions: Vec::new(),
            }
            .sign(signers)?;
            let n = tx.exec(
                "INSERT INTO audit_checkpoints (size, note, created_ms) VALUES (?1, ?2, ?3)",
                args![frontier.size() as i64, signed.as_str(), now],
            )?;
            expect_changes(n, 1, "storing an audit checkpoint")?;
            Ok(signed)
        })
    }

    /// Every checkpoint the log issued, oldest first.
    pub fn checkpoints(&self) -> Result<Vec<String>> {
        let shared = &self.shared;
        shared.store.read(|conn| {
            shared.guard(conn)?;
            conn.all("SELECT note FROM audit_checkpoints ORDER BY id", &[], |r| {
                r.text(0)
            })
        })
    }

    /// The leaf data of event `seq` (see [`super::tree`] for its 49 bytes), extending
    /// the tree over it first if needed.
    pub fn leaf(&self, seq: u64) -> Result<[u8; LEAF_LEN]> {
        self.tree_covering(seq)?;
        let shared = &self.shared;
        let mut leaves = shared
            .store
            .read(|conn| tree::stored_leaves(conn, seq, seq))?;
        leaves
            .pop()
            .ok_or_else(|| Error::Internal(format!("no audit leaf for event seq {seq}")))
    }

    /// The RFC 9162 inclusion proof of event `seq` (leaf `seq - 1`) in the tree of the
    /// first `tree_size` events, as the list of sibling hashes from the leaf up.
    /// `InvalidInput` unless `1 <= seq <= tree_size <= ` the number of events.
    pub fn inclusion_proof(&self, seq: u64, tree_size: u64) -> Result<Vec<Hash>> {
        if seq == 0 || seq > tree_size {
            return Err(Error::InvalidInput(format!(
                "an inclusion proof needs 1 <= seq <= tree_size (got seq {seq}, tree_size {tree_size})"
            )));
        }
        self.tree_covering(tree_size)?;
        let shared = &self.shared;
        shared.store.read(|conn| {
            shared.guard(conn)?;
            merkle::prove_inclusion(&StoredNodes(conn), seq - 1, tree_size)
        })
    }

    /// The RFC 9162 consistency proof that the tree of the first `new_size` events
    /// extends the tree of the first `old_size`. `InvalidInput` unless `1 <= old_size
    /// <= new_size <= ` the number of events.
    pub fn consistency_proof(&self, old_size: u64, new_size: u64) -> Result<Vec<Hash>> {
        if old_size == 0 || old_size > new_size {
            return Err(Error::InvalidInput(format!(
                "a consistency proof needs 1 <= old_size <= new_size (got {old_size} and {new_size})"
            )));
        }
        self.tree_covering(new_size)?;
        let shared = &self.shared;
        shared.store.read(|conn| {
            shared.guard(conn)?;
            merkle::prove_consistency(&StoredNodes(conn), old_size, new_size)
        })
    }

    /// The root hash of the tree of the first `tree_size` events.
    pub fn tree_root(&self, tree_size: u64) -> Result<Hash> {
        if tree_size > 0 {
            self.tree_covering(tree_size)?;
        }
        let shared = &self.shared;
        shared.store.read(|conn| {
            shared.guard(conn)?;
            merkle::root(&StoredNodes(conn), tree_size)
        })
    }

    /// Extends the tree over events `..= size`; `InvalidInput` when the log has fewer.
    fn tree_covering(&self, size: u64) -> Result<()> {
        let have = tree::extend(&self.shared, size)?;
        if have < size {
            return Err(Error::InvalidInput(format!(
                "the audit log has {have} committed events, fewer than {size}"
            )));
        }
        Ok(())
    }

    /// Checks the log against a checkpoint it issued: `note` must carry a valid
    /// signature by `verifier` (`Tampered` otherwise), and then the report says whether
    /// the log still holds exactly the events the checkpoint covers.
    ///
    /// This catches what [`AuditLog::verify`] cannot: a key holder who rewrote events
    /// and rebuilt the chain. Each event's leaf is recomputed from its decrypted content
    /// and compared with the leaf stored when the tree was extended over it (which the
    /// checkpoint's root authenticates); the first event that differs is named
    /// ([`ProblemKind::CheckpointMismatch`]). If the tree data itself was replaced too,
    /// the root no longer matches and the report says so (seq 0): compare a sealed
    /// export taken before to find the event. The whole chain is verified as well, as by
    /// `verify()`.
    pub fn verify_checkpoint(&self, note: &str, verifier: &NoteVerifier) -> Result<VerifyReport> {
        let (cp, _) = checkpoint::open(note, std::slice::from_ref(verifier))?;
        let shared = &self.shared;
        let have = tree::extend(shared, cp.size)?;
        if have < cp.size {
            return Ok(report(
                have,
                ProblemKind::Truncated,
                format!(
                    "the checkpoint covers {} events but the log has {have}: events after seq {have} were removed",
                    cp.size
                ),
                0,
            ));
        }
        let stored = shared.store.read(|conn| {
            shared.guard(conn)?;
            tree::stored_leaves(conn, 1, cp.size)
        });
        let stored = match stored {
            Ok(leaves) if root_of(&leaves) == cp.root => leaves,
            Ok(_) | Err(Error::Tampered(_)) => {
                return Ok(report(
                    0,
                    ProblemKind::CheckpointMismatch,
                    format!(
                        "the log's tree data for events 1 to {} does not match the checkpoint's root: it was replaced (compare a sealed export taken before to find the event)",
                        cp.size
                    ),
                    0,
                ));
            }
            Err(e) => return Err(e),
        };
        let mut first_diff = None;
        let mut sink = |seq: u64, leaf: [u8; LEAF_LEN]| {
            let i = (seq - 1) as usize;
            if first_diff.is_none() && i < stored.len() && stored[i] != leaf {
                first_diff = Some(seq);
            }
            Ok(())
        };
        let mut all = Leaves {
            after: 0,
            through: u64::MAX,
            sink: &mut sink,
        };
        let chain = verify::run(shared, None, Some(&mut all))?;
        let rewritten = first_diff.map(|seq| {
            report(
                seq,
                ProblemKind::CheckpointMismatch,
                format!(
                    "event seq {seq} differs from leaf {} of the checkpoint of {} events: it was rewritten after the checkpoint",
                    seq - 1,
                    cp.size
                ),
                chain.checked,
            )
        });
        // The run stops at the first chain problem, so a rewritten event it found
        // comes before it.
        Ok(rewritten.unwrap_or(chain))
    }

    /// Writes the sealed export: one JSON line per event in the tree, from seq 1 (purged
    /// events included), `{"seq":N,"leaf":"<standard base64 of the 49-byte leaf>"}`.
    /// Nothing in it reveals plaintext. Extends the tree over every committed event
    /// first, so the export covers any checkpoint issued so far. Returns the number of
    /// lines.
    pub fn export_sealed(&self, out: &mut dyn Write) -> Result<u64> {
        let shared = &self.shared;
        let size = tree::extend(shared, u64::MAX)?;
        let io = |e| Error::io("writing the sealed audit export", e);
        let mut from = 1;
        while from <= size {
            let to = size.min(from + tree::ROUND - 1);
            let leaves = shared.store.read(|conn| {
                shared.guard(conn)?;
                tree::stored_leaves(conn, from, to)
            })?;
            for (seq, leaf) in (from..).zip(&leaves) {
                let line = serde_json::to_string(&SealedLine {
                    seq,
                    leaf: B64.encode(leaf),
                })
                .map_err(|e| io(std::io::Error::other(e)))?;
                out.write_all(line.as_bytes())
                    .and_then(|()| out.write_all(b"\n"))
                    .map_err(io)?;
            }
            from = to + 1;
        }
        out.flush().map_err(io)?;
        Ok(size)
    }

    /// [`AuditLog::export_sealed`] into a new file at `path` (created 0600, synced, never
    /// replacing a file unless `replace`), like the JSON Lines export.
    pub fn export_sealed_to_path(&self, path: &Path, replace: bool) -> Result<u64> {
        write_private(path, replace, &mut |out| self.export_sealed(out))
    }
}

/// Checks that the stored tree extends the checkpoint `note` the log issued before:
/// a consistency proof from the stored hashes, verified as a client would.
fn extends(conn: &dyn Db, note: &str, frontier: &Frontier) -> Result<()> {
    // The log's own note: the consistency proof below is the check that matters (an
    // edited note's root fails it).
    let old = Checkpoint::parse(note::unverified_text(note)?)?;
    let refuse = |why: &str| {
        Error::Tampered(format!(
            "the audit tree does not extend the last checkpoint the log issued (size {}): {why}; refusing to sign a contradicting history",
            old.size
        ))
    };
    if old.size > frontier.size() {
        return Err(refuse("the tree is smaller"));
    }
    if old.size == 0 {
        return Ok(());
    }
    let proof = merkle::prove_consistency(&StoredNodes(conn), old.size, frontier.size())
        .map_err(|_| refuse("stored hashes are missing"))?;
    merkle::verify_consistency(
        old.size,
        frontier.size(),
        &old.root,
        &frontier.root(),
        &proof,
    )
    .map_err(|_| refuse("stored hashes were changed"))
}

/// The RFC 9162 root over `leaves`.
fn root_of(leaves: &[[u8; LEAF_LEN]]) -> Hash {
    let mut frontier = Frontier::default();
    for leaf in leaves {
        frontier.append(leaf_hash(leaf));
    }
    frontier.root()
}

/// Checks a sealed export (see [`AuditLog::export_sealed`]) against a signed checkpoint
/// from public data only: the checkpoint's signature by `verifier` (`Tampered`
/// otherwise), every line's form, sequence numbers 1, 2, 3, ... each matching its leaf,
/// and the RFC 9162 root over the first `size` leaves equal to the checkpoint's. Lines
/// past the checkpoint (later events) must be well-formed too. The report's `checked` is
/// the number of lines read; `Io` when `input` cannot be read.
pub fn verify_sealed_export(
    input: &mut dyn BufRead,
    note: &str,
    verifier: &NoteVerifier,
) -> Result<VerifyReport> {
    let (cp, _) = checkpoint::open(note, std::slice::from_ref(verifier))?;
    let mut frontier = Frontier::default();
    let mut line = String::new();
    let mut seq = 0u64;
    loop {
        line.clear();
        let n = std::io::Read::take(&mut *input, MAX_SEALED_LINE)
            .read_line(&mut line)
            .map_err(|e| Error::io("reading the sealed export", e))?;
        if n == 0 {
            break;
        }
        seq += 1;
        let malformed = |why: &str| {
            report(
                seq,
                ProblemKind::MalformedRow,
                format!("line {seq} of the sealed export {why}"),
                seq - 1,
            )
        };
        if !line.ends_with('\n') && n as u64 == MAX_SEALED_LINE {
            return Ok(malformed("is longer than 1 KiB"));
        }
        let Ok(parsed) = serde_json::from_str::<SealedLine>(line.trim_end()) else {
            return Ok(malformed("is not a JSON object with \"seq\" and \"leaf\""));
        };
        if parsed.seq != seq {
            return Ok(report(
                seq,
                ProblemKind::MissingEvents,
                format!(
                    "line {seq} of the sealed export has seq {}, not {seq}: lines are missing, added or reordered",
                    parsed.seq
                ),
                seq - 1,
            ));
        }
        let leaf = B64.decode(parsed.leaf.as_bytes()).ok();
        if leaf.as_deref().and_then(leaf_seq) != Some(seq) {
            return Ok(malformed(
                "does not hold this event's 49-byte leaf in standard base64",
            ));
        }
        if seq <= cp.size {
            frontier.append(leaf_hash(leaf.as_deref().unwrap_or_default()));
            if seq == cp.size && frontier.root() != cp.root {
                return Ok(report(
                    0,
                    ProblemKind::CheckpointMismatch,
                    format!(
                        "the export's first {} leaves do not hash to the checkpoint's root: at least one event the checkpoint covers was changed",
                        cp.size
                    ),
                    seq,
                ));
            }
        }
    }
    if seq < cp.size {
        return Ok(report(
            seq,
            ProblemKind::Truncated,
            format!(
                "the export has {seq} leaves but the checkpoint covers {}",
                cp.size
            ),
            seq,
        ));
    }
    if cp.size == 0 && cp.root != merkle::empty_root() {
        return Ok(report(
            0,
            ProblemKind::CheckpointMismatch,
            "the checkpoint of an empty tree has a root other than SHA-256 of nothing".into(),
            seq,
        ));
    }
    Ok(VerifyReport {
        ok: true,
        checked: seq,
        first_problem: None,
    })
}

/// [`verify_sealed_export`] of the file at `path`; `Io` naming the file when it cannot be
/// opened or read.
pub fn verify_sealed_export_file(
    path: &Path,
    note: &str,
    verifier: &NoteVerifier,
) -> Result<VerifyReport> {
    let file = std::fs::File::open(path)
        .map_err(|e| Error::io(format!("opening the sealed export {}", path.display()), e))?;
    verify_sealed_export(&mut std::io::BufReader::new(file), note, verifier)
}

/// Whether `note` carries a valid signature by `verifier` and is a well-formed
/// checkpoint; returns the checkpoint. `Tampered` when it does not verify.
pub fn open_checkpoint(note: &str, verifier: &NoteVerifier) -> Result<Checkpoint> {
    Ok(checkpoint::open(note, std::slice::from_ref(verifier))?.0)
}
