//! `verify()`: walk the chain from genesis (or the purge anchor) to the tail.

use super::chain::{ChainValue, mac_eq};
use super::codec::{RawRow, RowError, key_exists, missing_key, open_row, unknown_key_detail};
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
        let mut prev = start;
        let mut checked = 0u64;
        let mut head_seen = false;
        let keyring = shared.keyring.read();
        let mut stmt =
            conn.prepare(&format!("SELECT {EVENT_COLUMNS} FROM audit_events ORDER BY seq"))?;
        let mut rows = stmt.query([])?;
        let fail = |report: VerifyReport, checked: u64| {
            Ok(VerifyReport { checked, ..report })
        };
        while let Some(row) = rows.next()? {
            let raw = RawRow::from_row(row)?;
            let id = raw.id_string();
            if raw.seq != prev.seq + 1 {
                let detail = if raw.seq <= prev.seq {
                    format!("event seq {} is at or before the purge anchor (seq {})", raw.seq, prev.seq)
                } else if raw.seq == prev.seq + 2 {
                    format!("event seq {} is missing (deleted)", prev.seq + 1)
                } else {
                    format!("events seq {} to {} are missing (deleted)", prev.seq + 1, raw.seq - 1)
                };
                return fail(problem(raw.seq, id, ProblemKind::MissingEvents, detail), checked);
            }
            let opened = match open_row(&keyring, &raw) {
                Ok(o) => o,
                Err(RowError::MissingKey(k)) => {
                    if key_exists(conn, k)? {
                        return Err(missing_key(k));
                    }
                    return fail(
                        problem(raw.seq, id, ProblemKind::MalformedRow, unknown_key_detail(k)),
                        checked,
                    );
                }
                Err(RowError::Problem { kind, detail }) => {
                    return fail(problem(raw.seq, id, kind, detail), checked);
                }
            };
            let expected = shared.chain.link(&prev.chain, raw.seq, &opened.digest(raw.ts));
            let stored = raw.chain.as_deref().unwrap_or_default();
            if !mac_eq(stored, &expected) {
                return fail(
                    problem(
                        raw.seq,
                        id,
                        ProblemKind::ChainBroken,
                        format!(
                            "event seq {} does not follow the chain (reordered, inserted or replaced event, or an edited id, timestamp or chain value)",
                            raw.seq
                        ),
                    ),
                    checked,
                );
            }
            checked += 1;
            prev = Tail {
                seq: raw.seq,
                chain: expected,
            };
            if let Some((hseq, hchain)) = head
                && hseq == raw.seq
            {
                head_seen = true;
                if !mac_eq(&hchain, &expected) {
                    return fail(
                        problem(
                            raw.seq,
                            id,
                            ProblemKind::HeadMismatch,
                            format!("the chain value at the recorded head (seq {hseq}) differs: the log was rewritten, or the head is from another log"),
                        ),
                        checked,
                    );
                }
            }
        }
        if let Some((hseq, hchain)) = head
            && !head_seen
        {
            if hseq > prev.seq {
                return fail(
                    problem(
                        prev.seq,
                        None,
                        ProblemKind::Truncated,
                        format!(
                            "the log ends at seq {} but the recorded head is at seq {hseq}: events after seq {} were removed",
                            prev.seq, prev.seq
                        ),
                    ),
                    checked,
                );
            }
            if hseq == start.seq && !mac_eq(&hchain, &start.chain) {
                return fail(
                    problem(
                        hseq,
                        None,
                        ProblemKind::HeadMismatch,
                        format!("the chain value at the recorded head (seq {hseq}) differs from the log's"),
                    ),
                    checked,
                );
            }
        }
        Ok(VerifyReport {
            ok: true,
            checked,
            first_problem: None,
        })
    })
}
