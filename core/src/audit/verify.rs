//! `verify()`: walk the chain from genesis (or the purge anchor) to the tail.

use super::chain::{ChainValue, mac_eq};
use super::codec::{
    Keyring, RawRow, RowError, key_exists, missing_key, open_row, unknown_key_detail,
};
use super::event::{Head, Problem, ProblemKind, VerifyReport};
use super::schema::EVENT_COLUMNS;
use super::store::{Tail, anchor};
use super::{AuditLog, Shared};
use crate::error::{Error, Result};

impl AuditLog {
    /// Walks the whole chain in one read snapshot: decrypts and authenticates every field
    /// of every event, recomputes every chain value, and checks that sequence numbers
    /// have no gaps. Returns the number of events checked and the first problem.
    ///
    /// Without a recorded head, removing events from the *end* of the log cannot be
    /// detected (what remains is a valid chain); use [`AuditLog::verify_against`].
    ///
    /// Errors (rather than a report) only when verification cannot run: database errors,
    /// or events under a key the host did not supply (`InvalidKey`).
    pub fn verify(&self) -> Result<VerifyReport> {
        run(&self.shared, None)
    }

    /// [`AuditLog::verify`], and also checks that the log still reaches `head` (recorded
    /// earlier with [`AuditLog::head`]) with the same chain value there: a truncated
    /// tail is reported as [`ProblemKind::Truncated`], a rewritten log as
    /// [`ProblemKind::HeadMismatch`]. A head older than the last purge cannot be checked
    /// unless it is exactly the anchor.
    pub fn verify_against(&self, head: &Head) -> Result<VerifyReport> {
        let chain = hex::decode(&head.chain_hex)
            .ok()
            .and_then(|v| ChainValue::try_from(v.as_slice()).ok())
            .ok_or_else(|| {
                Error::InvalidInput("head.chain_hex is not 64 hexadecimal characters".into())
            })?;
        run(&self.shared, Some((head.seq, chain)))
    }
}

fn problem(seq: u64, event_id: Option<String>, kind: ProblemKind, detail: String) -> VerifyReport {
    VerifyReport {
        ok: false,
        checked: 0,
        first_problem: Some(Problem {
            seq,
            event_id,
            kind,
            detail,
        }),
    }
}

/// Rows per chunk handed to the decrypting thread.
const CHUNK: usize = 2048;

/// A row with the outcome of decrypting it and digesting its plaintext.
type Digested = (RawRow, std::result::Result<[u8; 32], RowError>);

/// Decrypts and digests a chunk of rows (the expensive, parallelizable part).
fn digest_chunk(keyring: &Keyring, rows: Vec<RawRow>) -> Vec<Digested> {
    rows.into_iter()
        .map(|raw| {
            let d = open_row(keyring, &raw).map(|o| o.digest(raw.ts));
            (raw, d)
        })
        .collect()
}

/// The sequential walk: gaps, row problems and chain links, in seq order.
struct Walk<'a> {
    shared: &'a Shared,
    conn: &'a rusqlite::Connection,
    head: Option<(u64, ChainValue)>,
    prev: Tail,
    checked: u64,
    head_seen: bool,
}

impl Walk<'_> {
    /// Checks one chunk; `Some(report)` at the first problem.
    fn chunk(&mut self, rows: Vec<Digested>) -> Result<Option<VerifyReport>> {
        for (raw, digest) in rows {
            if let Some(report) = self.row(&raw, digest)? {
                return Ok(Some(VerifyReport {
                    checked: self.checked,
                    ..report
                }));
            }
        }
        Ok(None)
    }

    fn row(
        &mut self,
        raw: &RawRow,
        digest: std::result::Result<[u8; 32], RowError>,
    ) -> Result<Option<VerifyReport>> {
        let prev = self.prev;
        let id = || raw.id_string();
        if raw.seq != prev.seq + 1 {
            let detail = if raw.seq <= prev.seq {
                format!(
                    "event seq {} is at or before the purge anchor (seq {})",
                    raw.seq, prev.seq
                )
            } else if raw.seq == prev.seq + 2 {
                format!("event seq {} is missing (deleted)", prev.seq + 1)
            } else {
                format!(
                    "events seq {} to {} are missing (deleted)",
                    prev.seq + 1,
                    raw.seq - 1
                )
            };
            return Ok(Some(problem(
                raw.seq,
                id(),
                ProblemKind::MissingEvents,
                detail,
            )));
        }
        let digest = match digest {
            Ok(d) => d,
            Err(RowError::MissingKey(k)) => {
                if key_exists(self.conn, k)? {
                    return Err(missing_key(k));
                }
                return Ok(Some(problem(
                    raw.seq,
                    id(),
                    ProblemKind::MalformedRow,
                    unknown_key_detail(k),
                )));
            }
            Err(RowError::Problem { kind, detail }) => {
                return Ok(Some(problem(raw.seq, id(), kind, detail)));
            }
        };
        let expected = self.shared.chain.link(&prev.chain, raw.seq, &digest);
        let stored = raw.chain.as_deref().unwrap_or_default();
        if !mac_eq(stored, &expected) {
            return Ok(Some(problem(
                raw.seq,
                id(),
                ProblemKind::ChainBroken,
                format!(
                    "event seq {} does not follow the chain (reordered, inserted or replaced event, or an edited id, timestamp or chain value)",
                    raw.seq
                ),
            )));
        }
        self.checked += 1;
        self.prev = Tail {
            seq: raw.seq,
            chain: expected,
        };
        if let Some((hseq, hchain)) = self.head
            && hseq == raw.seq
        {
            self.head_seen = true;
            if !mac_eq(&hchain, &expected) {
                return Ok(Some(problem(
                    raw.seq,
                    id(),
                    ProblemKind::HeadMismatch,
                    format!(
                        "the chain value at the recorded head (seq {hseq}) differs: the log was rewritten, or the head is from another log"
                    ),
                )));
            }
        }
        Ok(None)
    }

    /// Checks against the recorded head after the last row.
    fn finish(self, start: Tail) -> VerifyReport {
        let checked = self.checked;
        let fail = |report: VerifyReport| VerifyReport { checked, ..report };
        if let Some((hseq, hchain)) = self.head
            && !self.head_seen
        {
            let end = self.prev.seq;
            if hseq > end {
                return fail(problem(
                    end,
                    None,
                    ProblemKind::Truncated,
                    format!(
                        "the log ends at seq {end} but the recorded head is at seq {hseq}: events after seq {end} were removed"
                    ),
                ));
            }
            if hseq == start.seq && !mac_eq(&hchain, &start.chain) {
                return fail(problem(
                    hseq,
                    None,
                    ProblemKind::HeadMismatch,
                    format!(
                        "the chain value at the recorded head (seq {hseq}) differs from the log's"
                    ),
                ));
            }
        }
        VerifyReport {
            ok: true,
            checked,
            first_problem: None,
        }
    }
}

/// Reads rows in chunks on this thread while a scoped thread decrypts and digests the
/// previous chunk: SQLite reading and chain linking overlap with AES-GCM and SHA-256, so
/// a verify uses two cores.
fn run(shared: &Shared, head: Option<(u64, ChainValue)>) -> Result<VerifyReport> {
    shared.pool.read(|conn| {
        let start = match anchor(conn, &shared.chain) {
            Ok(Some(a)) => a,
            Ok(None) => Tail {
                seq: 0,
                chain: shared.chain.genesis(&shared.log_id),
            },
            Err(Error::Tampered(detail)) => {
                return Ok(problem(0, None, ProblemKind::AnchorTampered, detail));
            }
            Err(e) => return Err(e),
        };
        let keyring = shared.keyring.read().clone();
        let keyring: &Keyring = &keyring;
        let mut walk = Walk {
            shared,
            conn,
            head,
            prev: start,
            checked: 0,
            head_seen: false,
        };
        let mut stmt = conn.prepare(&format!(
            "SELECT {EVENT_COLUMNS} FROM audit_events ORDER BY seq"
        ))?;
        let mut rows = stmt.query([])?;
        std::thread::scope(|scope| -> Result<VerifyReport> {
            let mut in_flight = None;
            loop {
                let mut chunk = Vec::with_capacity(CHUNK);
                while chunk.len() < CHUNK {
                    match rows.next()? {
                        Some(row) => chunk.push(RawRow::from_row(row)?),
                        None => break,
                    }
                }
                let last = chunk.len() < CHUNK;
                let next =
                    (!chunk.is_empty()).then(|| scope.spawn(move || digest_chunk(keyring, chunk)));
                if let Some(handle) = std::mem::replace(&mut in_flight, next) {
                    let digested = join(handle)?;
                    if let Some(report) = walk.chunk(digested)? {
                        return Ok(report);
                    }
                }
                if last {
                    break;
                }
            }
            if let Some(handle) = in_flight
                && let Some(report) = walk.chunk(join(handle)?)?
            {
                return Ok(report);
            }
            Ok(walk.finish(start))
        })
    })
}

fn join(handle: std::thread::ScopedJoinHandle<'_, Vec<Digested>>) -> Result<Vec<Digested>> {
    handle
        .join()
        .map_err(|_| Error::Internal("the audit verify worker panicked".into()))
}
