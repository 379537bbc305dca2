//! `verify()`: walk the chain from genesis (or the purge anchor) to the tail.

use std::collections::VecDeque;

use super::AuditLog;
use super::chain::{ChainValue, EventDigest, mac_eq};
use super::codec::{
    Keyring, RowError, RowRef, key_exists, missing_key, open_fields, unknown_key_detail,
};
use super::event::{Head, Problem, ProblemKind, VerifyReport, format_event_id};
use super::schema::{EVENT_COLUMNS, LOOKUP_COLUMNS};
use super::shared::Shared;
use super::store::{Tail, anchor, lookup_end};
use super::tree::{self, LEAF_LEN};
use crate::error::{Error, Result};
use crate::store::sql::{Db, Row, args};

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
        run(&self.shared, None, None)
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
        run(&self.shared, Some((head.seq, chain)), None)
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

/// A verify run that also yields every verified event's Merkle leaf (see
/// [`super::tree`]), over the events `after + 1 ..= through`.
pub(super) struct Leaves<'a> {
    /// The run starts after this seq: at the purge anchor or genesis when it is the
    /// anchor's seq (or 0), otherwise at the stored chain value of event `after`, which
    /// the link of event `after + 1` then checks.
    pub after: u64,
    /// The last seq to read.
    pub through: u64,
    /// Receives `(seq, leaf data)` of each verified event, in order.
    pub sink: &'a mut dyn FnMut(u64, [u8; LEAF_LEN]) -> Result<()>,
}

/// Rows per chunk handed to a worker.
const CHUNK: usize = 2048;

/// Where one value of a row sits in its chunk's buffer.
#[derive(Debug, Clone, Copy)]
struct Span {
    start: usize,
    len: usize,
}

/// One row of a chunk: its integers inline, its blobs as spans of the chunk's buffer
/// (`None` where the stored value is not a blob: an edited row, reported, not an error).
struct RowPos {
    seq: u64,
    ts: i64,
    key_id: i64,
    event_id: Option<Span>,
    chain: Option<Span>,
    fields: Option<Span>,
    /// The stored blind indexes (`None` when NULL or not an integer).
    user_idx: Option<i64>,
    action_idx: Option<i64>,
    /// The event's row in `audit_lookup`, if any.
    lookup: Option<LookupRow>,
}

/// A row of `audit_lookup`, read leniently like the rest.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct LookupRow {
    ts: Option<i64>,
    user_idx: Option<i64>,
    action_idx: Option<i64>,
}

/// Rows read from SQLite into one buffer: no allocation per row or per field.
struct Chunk {
    rows: Vec<RowPos>,
    data: Vec<u8>,
    /// The stored chain value before the first row (the previous chunk's last row, or
    /// the start: genesis or anchor); `None` when that value is malformed.
    prev_chain: Option<ChainValue>,
}

impl Chunk {
    fn bytes(&self, span: Option<Span>) -> Option<&[u8]> {
        span.map(|s| &self.data[s.start..s.start + s.len])
    }

    fn event_id(&self, row: &RowPos) -> Option<String> {
        let id: [u8; 16] = self.bytes(row.event_id)?.try_into().ok()?;
        Some(format_event_id(&id))
    }

    fn chain(&self, row: &RowPos) -> Option<ChainValue> {
        self.bytes(row.chain)?.try_into().ok()
    }

    /// Appends the current row of `row` (columns of [`EVENT_COLUMNS`]). Types are read
    /// leniently, as [`super::codec::RawRow::from_row`] does.
    fn push(&mut self, row: &dyn Row) -> Result<()> {
        let mut blob = |i: usize| -> Option<Span> {
            let start = self.data.len();
            row.append_bytes(i, &mut self.data)
                .map(|len| Span { start, len })
        };
        let event_id = blob(1);
        let chain = blob(4);
        let fields = blob(5);
        let int = |i: usize| row.opt_i64(i).ok().flatten();
        self.rows.push(RowPos {
            seq: row.i64(0)?.max(0) as u64,
            ts: int(2).unwrap_or(i64::MIN),
            key_id: int(3).unwrap_or(-1),
            event_id,
            chain,
            fields,
            user_idx: int(6),
            action_idx: int(7),
            lookup: row.opt_i64(8)?.map(|_| LookupRow {
                ts: int(9),
                user_idx: int(10),
                action_idx: int(11),
            }),
        });
        Ok(())
    }
}

/// What a worker found for one row.
enum Outcome {
    /// Every field authenticated and the stored chain value is the link from the
    /// previous row's stored value; with the event's leaf commitment when asked for.
    Ok(Option<[u8; 32]>),
    /// A field or the row's structure is bad, or its key is missing.
    Row(RowError),
    /// The stored chain value is not the link from the previous row's.
    ChainBroken,
    /// The event is intact but its search data disagrees with it (the detail says how).
    Lookup(String),
}

/// Decrypts and digests every row of a chunk and checks each row's stored chain value
/// against the link computed from the previous row's *stored* value. This is the whole
/// per-row cost of verification, and rows are independent, so chunks run on all cores.
///
/// Checking links from stored values is equivalent to the sequential walk from the
/// start: the walk stops at the first row that fails, and every row before it had a
/// stored value equal to the expected one, so the first failing row fails the same way.
///
/// Then it checks the row's search data against the authenticated event: its blind
/// indexes recomputed from the decrypted user and action, and its copy in
/// `audit_lookup`, which every event up to `lookup_end` must have.
///
/// With `leaves`, it also computes each intact event's leaf commitment.
fn check_chunk(
    shared: &Shared,
    keyring: &Keyring,
    chunk: &Chunk,
    lookup_end: u64,
    leaves: bool,
) -> Vec<Outcome> {
    let mut scratch = Vec::with_capacity(512);
    let mut prev = chunk.prev_chain;
    let mut out = Vec::with_capacity(chunk.rows.len());
    for row in &chunk.rows {
        let event_id = chunk.bytes(row.event_id).unwrap_or_default();
        let view = RowRef {
            seq: row.seq,
            event_id,
            ts: row.ts,
            key_id: row.key_id,
            fields: chunk.bytes(row.fields),
        };
        // An id of the wrong length fails in open_fields before any field.
        let id: [u8; 16] = event_id.try_into().unwrap_or([0; 16]);
        let mut digest = EventDigest::new(&id, row.ts);
        let (mut user_idx, mut action_idx) = (None, None);
        let opened = open_fields(keyring, &view, &mut scratch, |i, plain| {
            digest.field(plain);
            // `presence ‖ value`: a present user or action is indexed, an absent user
            // is NULL.
            match (i, plain.split_first()) {
                (0, Some((1, v))) => action_idx = Some(shared.actions.compute_bytes(v)),
                (1, Some((1, v))) => user_idx = Some(shared.users.compute_bytes(v)),
                _ => {}
            }
        });
        let stored = chunk.bytes(row.chain).unwrap_or_default();
        out.push(match (opened, prev) {
            (Err(e), _) => Outcome::Row(e),
            (Ok(_), Some(p)) => {
                let digest = digest.finish();
                if !mac_eq(stored, &shared.chain.link(&p, row.seq, &digest)) {
                    Outcome::ChainBroken
                } else if let Some(detail) = lookup_problem(row, user_idx, action_idx, lookup_end) {
                    Outcome::Lookup(detail)
                } else {
                    Outcome::Ok(leaves.then(|| tree::commitment(&shared.leaf_salt, &id, &digest)))
                }
            }
            (Ok(_), _) => Outcome::ChainBroken,
        });
        prev = chunk.chain(row);
    }
    out
}

/// How a row's search data disagrees with its authenticated event, if it does.
fn lookup_problem(
    row: &RowPos,
    user_idx: Option<i64>,
    action_idx: Option<i64>,
    lookup_end: u64,
) -> Option<String> {
    let seq = row.seq;
    if row.user_idx != user_idx || row.action_idx != action_idx {
        return Some(format!(
            "event seq {seq}'s blind-index columns do not match its user and action (edited: queries by user or action would miss it)"
        ));
    }
    let want = LookupRow {
        ts: Some(row.ts),
        user_idx,
        action_idx,
    };
    match row.lookup {
        Some(_) if seq > lookup_end => Some(format!(
            "event seq {seq} has a lookup row past the lookup table's end (seq {lookup_end}): forged"
        )),
        Some(found) if found != want => Some(format!(
            "the lookup row of event seq {seq} does not match the event (edited: queries would miss it)"
        )),
        None if seq <= lookup_end => Some(format!(
            "event seq {seq} has no lookup row although the lookup table reaches seq {lookup_end} (deleted: queries would miss it)"
        )),
        _ => None,
    }
}

/// The first row of `audit_lookup` that belongs to no event: forged, or left behind.
fn orphan_lookup_row(conn: &dyn Db) -> Result<Option<VerifyReport>> {
    let orphan = conn.opt(
        "SELECT l.seq FROM audit_lookup l
         WHERE NOT EXISTS (SELECT 1 FROM audit_events e WHERE e.seq = l.seq)
         ORDER BY l.seq LIMIT 1",
        &[],
        |r| r.i64(0),
    )?;
    Ok(orphan.map(|seq| {
        problem(
            seq.max(0) as u64,
            None,
            ProblemKind::LookupMismatch,
            format!("the lookup table has a row for seq {seq}, which is no event (forged or left behind)"),
        )
    }))
}

/// The sequential walk: gaps, row problems and chain links, in seq order.
struct Walk<'a, 's> {
    conn: &'a dyn Db,
    leaves: Option<&'a mut Leaves<'s>>,
    head: Option<(u64, ChainValue)>,
    prev: Tail,
    checked: u64,
    head_seen: bool,
}

impl Walk<'_, '_> {
    /// Checks one chunk; `Some(report)` at the first problem.
    fn chunk(&mut self, chunk: &Chunk, outcomes: Vec<Outcome>) -> Result<Option<VerifyReport>> {
        for (row, outcome) in chunk.rows.iter().zip(outcomes) {
            if let Some(report) = self.row(chunk, row, outcome)? {
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
        chunk: &Chunk,
        row: &RowPos,
        outcome: Outcome,
    ) -> Result<Option<VerifyReport>> {
        let prev = self.prev;
        let id = || chunk.event_id(row);
        if row.seq != prev.seq + 1 {
            let detail = if row.seq <= prev.seq {
                format!(
                    "event seq {} is at or before the purge anchor (seq {})",
                    row.seq, prev.seq
                )
            } else if row.seq == prev.seq + 2 {
                format!("event seq {} is missing (deleted)", prev.seq + 1)
            } else {
                format!(
                    "events seq {} to {} are missing (deleted)",
                    prev.seq + 1,
                    row.seq - 1
                )
            };
            return Ok(Some(problem(
                row.seq,
                id(),
                ProblemKind::MissingEvents,
                detail,
            )));
        }
        match outcome {
            Outcome::Ok(commitment) => {
                if let (Some(leaves), Some(c)) = (self.leaves.as_deref_mut(), commitment) {
                    (leaves.sink)(row.seq, tree::leaf_data(row.seq, row.ts, &c))?;
                }
            }
            Outcome::Row(RowError::MissingKey(k)) => {
                if key_exists(self.conn, k)? {
                    return Err(missing_key(k));
                }
                return Ok(Some(problem(
                    row.seq,
                    id(),
                    ProblemKind::MalformedRow,
                    unknown_key_detail(k),
                )));
            }
            Outcome::Row(RowError::Problem { kind, detail }) => {
                return Ok(Some(problem(row.seq, id(), kind, detail)));
            }
            Outcome::Lookup(detail) => {
                return Ok(Some(problem(
                    row.seq,
                    id(),
                    ProblemKind::LookupMismatch,
                    detail,
                )));
            }
            Outcome::ChainBroken => {
                return Ok(Some(problem(
                    row.seq,
                    id(),
                    ProblemKind::ChainBroken,
                    format!(
                        "event seq {} does not follow the chain (reordered, inserted or replaced event, or an edited id, timestamp or chain value)",
                        row.seq
                    ),
                )));
            }
        }
        // The worker checked the link, so the stored value is the expected one.
        let Some(chain) = chunk.chain(row) else {
            return Err(Error::Internal(
                "audit verify: a linked row has no chain value".into(),
            ));
        };
        self.checked += 1;
        self.prev = Tail {
            seq: row.seq,
            chain,
        };
        if let Some((hseq, hchain)) = self.head
            && hseq == row.seq
        {
            self.head_seen = true;
            if !mac_eq(&hchain, &chain) {
                return Ok(Some(problem(
                    row.seq,
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
            if hseq < start.seq {
                return fail(problem(
                    hseq,
                    None,
                    ProblemKind::HeadUnconfirmable,
                    format!(
                        "the recorded head (seq {hseq}) is older than the purge anchor (seq {}): the events that would confirm it were purged, so it can be neither confirmed nor refuted",
                        start.seq
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

/// Reads rows in chunks on this thread while scoped worker threads (one per core)
/// decrypt, digest and link the chunks read before: SQLite reading overlaps with
/// AES-GCM, SHA-256 and HMAC, and the expensive part uses every core. Results are walked
/// in seq order, so the first problem reported is the first in the log.
///
/// With `leaves`, only the events in its range are read and each verified event's leaf
/// goes to its sink; the checks for the whole log (orphan lookup rows) are skipped
/// unless the range starts at the log's start.
pub(super) fn run(
    shared: &Shared,
    head: Option<(u64, ChainValue)>,
    mut leaves: Option<&mut Leaves<'_>>,
) -> Result<VerifyReport> {
    let workers = std::thread::available_parallelism().map_or(1, |n| n.get().min(MAX_WORKERS));
    shared.store.read(|conn| {
        shared.guard(conn)?;
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
        let (after, through) = leaves.as_ref().map_or((0, u64::MAX), |l| (l.after, l.through));
        let whole_log = after <= start.seq;
        let start = if whole_log {
            start
        } else {
            Tail {
                seq: after,
                chain: stored_chain(conn, after)?,
            }
        };
        let with_leaves = leaves.is_some();
        let keyring = shared.keyring.read().clone();
        let keyring: &Keyring = &keyring;
        let mut walk = Walk {
            conn,
            leaves: leaves.as_deref_mut(),
            head,
            prev: start,
            checked: 0,
            head_seen: false,
        };
        let Some(lookup_end) = lookup_end(conn, &shared.chain)? else {
            return Ok(problem(
                0,
                None,
                ProblemKind::LookupMismatch,
                "the end of the lookup table is missing or fails authentication (queries scan every event until the next write rebuilds the table)".into(),
            ));
        };
        // Read a chunk at a time, each from where the last one ended (one seek per
        // chunk): the walk runs other statements between chunks. `LIMIT +?3`: SQLite
        // plans with a bare LIMIT parameter's value, so it recompiled the statement
        // whenever the value changed.
        let sql = format!(
            "SELECT {EVENT_COLUMNS}, {LOOKUP_COLUMNS} FROM audit_events e
             LEFT JOIN audit_lookup l ON l.seq = e.seq
             WHERE e.seq > ?1 AND e.seq <= ?2 ORDER BY e.seq LIMIT +?3"
        );
        let bound = |v: u64| i64::try_from(v).unwrap_or(i64::MAX);
        let mut read_after = bound(start.seq);
        std::thread::scope(|scope| -> Result<VerifyReport> {
            let mut in_flight = VecDeque::with_capacity(workers);
            let mut prev_chain = Some(start.chain);
            let mut done = false;
            while !done || !in_flight.is_empty() {
                if !done {
                    let mut chunk = Chunk {
                        rows: Vec::with_capacity(CHUNK),
                        data: Vec::with_capacity(CHUNK * 768),
                        prev_chain,
                    };
                    conn.each(
                        &sql,
                        args![read_after, bound(through), CHUNK as i64],
                        &mut |row| chunk.push(row).map(|()| true),
                    )?;
                    done = chunk.rows.len() < CHUNK;
                    if let Some(last) = chunk.rows.last() {
                        read_after = last.seq as i64;
                    }
                    prev_chain = chunk.rows.last().and_then(|r| chunk.chain(r));
                    if !chunk.rows.is_empty() {
                        in_flight.push_back(scope.spawn(move || {
                            let outcomes =
                                check_chunk(shared, keyring, &chunk, lookup_end, with_leaves);
                            (chunk, outcomes)
                        }));
                    }
                }
                // Keep every worker busy; walk the oldest chunk once they all are (or
                // once there is nothing left to read).
                if (in_flight.len() >= workers || done)
                    && let Some(handle) = in_flight.pop_front()
                {
                    let (chunk, outcomes) = join(handle)?;
                    if let Some(report) = walk.chunk(&chunk, outcomes)? {
                        return Ok(report);
                    }
                }
            }
            let report = walk.finish(start);
            if !report.ok || !whole_log {
                return Ok(report);
            }
            Ok(orphan_lookup_row(conn)?
                .map(|p| VerifyReport {
                    checked: report.checked,
                    ..p
                })
                .unwrap_or(report))
        })
    })
}

/// The stored chain value of event `seq`, where a partial run starts (the next event's
/// link authenticates it).
fn stored_chain(conn: &dyn Db, seq: u64) -> Result<ChainValue> {
    let stored = conn
        .opt(
            "SELECT chain FROM audit_events WHERE seq = ?1",
            args![seq as i64],
            |r| Ok(r.opt_bytes(0).ok().flatten()),
        )?
        .flatten();
    stored
        .and_then(|v| ChainValue::try_from(v.as_slice()).ok())
        .ok_or_else(|| {
            Error::Tampered(format!(
                "audit event seq {seq}, where the Merkle tree ends, is missing or has a malformed chain value"
            ))
        })
}

/// Most worker threads a verify starts (beyond this, SQLite reading on one thread is the
/// bound).
const MAX_WORKERS: usize = 8;

type Checked = (Chunk, Vec<Outcome>);

fn join(handle: std::thread::ScopedJoinHandle<'_, Checked>) -> Result<Checked> {
    handle
        .join()
        .map_err(|_| Error::Internal("the audit verify worker panicked".into()))
}
