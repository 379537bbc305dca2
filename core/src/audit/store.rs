//! Appending events: sequence numbers and chain values are assigned inside the write
//! transaction, from the tail as committed, so concurrent writers (threads, the batch
//! writer, even another process sharing the file) always extend the same chain.

use std::borrow::Borrow;
use std::sync::atomic::Ordering;

use std::cell::Cell;

use super::chain::{Chain, ChainValue, mac_eq};
use super::codec::Prepared;
use super::schema::{
    LOOKUP_LAG, MAX_EVENTS_PER_KEY, expect_changes, get_meta, lookup_is_view, meta, set_meta,
};
use super::shared::Shared;
use crate::error::{Error, Result};
use crate::store::sql::{Arg, Db, Dialect, args};

/// Where the chain currently ends.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Tail {
    pub seq: u64,
    pub chain: ChainValue,
}

/// The purge anchor, if any, after checking its MAC. `Err(Tampered)` when it fails.
pub(crate) fn anchor(conn: &dyn Db, chain: &Chain) -> Result<Option<Tail>> {
    let Some(raw) = get_meta(conn, meta::ANCHOR)? else {
        return Ok(None);
    };
    let parsed = (raw.len() == 72).then(|| {
        let mut seq = [0u8; 8];
        seq.copy_from_slice(&raw[..8]);
        let mut value = [0u8; 32];
        value.copy_from_slice(&raw[8..40]);
        (u64::from_be_bytes(seq), value, &raw[40..])
    });
    match parsed {
        Some((seq, value, mac)) if mac_eq(mac, &chain.anchor_mac(seq, &value)) => {
            Ok(Some(Tail { seq, chain: value }))
        }
        _ => Err(Error::Tampered(
            "the audit log's purge anchor failed authentication".into(),
        )),
    }
}

/// Encodes an anchor with its MAC.
pub(crate) fn encode_anchor(chain: &Chain, tail: &Tail) -> Vec<u8> {
    let mut out = Vec::with_capacity(72);
    out.extend_from_slice(&tail.seq.to_be_bytes());
    out.extend_from_slice(&tail.chain);
    out.extend_from_slice(&chain.anchor_mac(tail.seq, &tail.chain));
    out
}

/// The last committed event, else the purge anchor, else the genesis value.
pub(crate) fn tail(conn: &dyn Db, shared: &Shared) -> Result<Tail> {
    let last = conn.opt(
        "SELECT seq, chain FROM audit_events ORDER BY seq DESC LIMIT 1",
        &[],
        |r| Ok((r.i64(0)?, r.bytes(1)?)),
    )?;
    tail_after(conn, shared, last)
}

/// The tail given the last event as read (`None`: the log has no event).
fn tail_after(conn: &dyn Db, shared: &Shared, last: Option<(i64, Vec<u8>)>) -> Result<Tail> {
    if let Some((seq, chain)) = last {
        let chain: ChainValue = chain.as_slice().try_into().map_err(|_| {
            Error::Tampered(format!("audit event seq {seq} has a malformed chain value"))
        })?;
        return Ok(Tail {
            seq: seq.max(0) as u64,
            chain,
        });
    }
    if let Some(a) = anchor(conn, &shared.chain)? {
        return Ok(a);
    }
    Ok(Tail {
        seq: 0,
        chain: shared.chain.genesis(&shared.log_id),
    })
}

/// The advisory lock that serializes a log's writers on PostgreSQL (see
/// [`crate::store::Store::write`]): one log per schema, as one per SQLite file.
pub(crate) const WRITE_LOCK: &str = "audit";

/// Whether event `seq` is stored with this id.
fn stored_at(conn: &dyn Db, seq: u64, event_id: &[u8]) -> Result<bool> {
    let found = conn.opt(
        "SELECT event_id FROM audit_events WHERE seq = ?1",
        args![seq as i64],
        |r| Ok(r.opt_bytes(0).ok().flatten()),
    )?;
    Ok(found.flatten().as_deref() == Some(event_id))
}

/// Appends `events` in one write transaction (see [`append`]) and returns the new tail.
///
/// On PostgreSQL the transaction is run again when its connection was lost, and the
/// commit may have happened before the loss: a run after one that got as far as
/// reading the tail first looks at the seq that run gave the batch's last event (a
/// batch commits whole, under the lock) and, when that event is there with this id,
/// returns the tail as it is instead of appending the events a second time.
pub(crate) fn write<P: Borrow<Prepared>>(shared: &Shared, events: &[P]) -> Result<Tail> {
    let placed = Cell::new(None);
    let (tail, lookup) = shared.store.write(WRITE_LOCK, |tx| {
        if let (Some(seq), Some(last)) = (placed.get(), events.last())
            && stored_at(tx, seq, &last.borrow().event_id)?
        {
            return Ok((tail(tx, shared)?, None));
        }
        append(tx, shared, events, &placed)
    })?;
    // Only once committed: a rolled-back copy must not raise the hint.
    if let Some(end) = lookup {
        shared.lookup_hint.store(end, Ordering::Relaxed);
    }
    Ok(tail)
}

/// Appends `events` in order inside `tx`, then brings `audit_lookup` up to date if at
/// least [`LOOKUP_LAG`] events are missing from it (where it is a table of its own, see
/// [`lookup_is_view`]). Returns the new tail and, when it
/// read it, the end of `audit_lookup` for [`Shared::lookup_hint`].
///
/// The hint spares a query per transaction: it is a lower bound of the end (another
/// process may have copied events since), or it describes rows a purge removed since;
/// either way it says "copy" no later than the real end would, and the real end is then
/// read inside the transaction.
///
/// `placed` is set to the seq the batch's last event gets, once known (see [`write`]).
fn append<P: Borrow<Prepared>>(
    tx: &dyn Db,
    shared: &Shared,
    events: &[P],
    placed: &Cell<Option<u64>>,
) -> Result<(Tail, Option<u64>)> {
    shared.guard(tx)?;
    let Some(first_key) = events.first().map(|e| e.borrow().key_id) else {
        return Ok((tail(tx, shared)?, None));
    };
    // The tail and the first event's key in one statement (one round trip on
    // PostgreSQL, where this runs for every synchronous `record`). `+?1`: SQLite
    // recompiles a statement comparing a bare parameter in a LEFT JOIN's ON at every
    // execution, which doubled the time of a synchronous record.
    let (last, key) = tx.one(
        "SELECT (SELECT seq FROM audit_events ORDER BY seq DESC LIMIT 1),
                (SELECT chain FROM audit_events ORDER BY seq DESC LIMIT 1),
                k.key_id, k.retired_ms, k.first_seq, k.reencrypted
         FROM (SELECT 1 AS one) AS one LEFT JOIN audit_keys k ON k.key_id = +?1",
        args![first_key],
        |r| {
            let last = match r.opt_i64(0)? {
                Some(seq) => Some((seq, r.bytes(1)?)),
                None => None,
            };
            let key = match r.opt_i64(2)? {
                Some(_) => Some((r.opt_i64(3)?, r.i64(4)?, r.i64(5)?)),
                None => None,
            };
            Ok((last, key))
        },
    )?;
    let mut tail = tail_after(tx, shared, last)?;
    let through = tail.seq + events.len() as u64;
    placed.set(Some(through));
    key_usable(first_key, key, through)?;
    // Events are sealed under the current key, so a batch has one key id, or two
    // around a rotation.
    let mut checked = first_key;
    for e in events {
        let key_id = e.borrow().key_id;
        if checked != key_id {
            check_key_usable(tx, key_id, through)?;
            checked = key_id;
        }
    }
    let first = tail.seq + 1;
    let mut chains = Vec::with_capacity(events.len());
    for e in events {
        let seq = tail.seq + 1;
        let chain = shared.chain.link(&tail.chain, seq, &e.borrow().digest);
        chains.push(chain);
        tail = Tail { seq, chain };
    }
    let rows: Vec<Vec<Arg<'_>>> = events
        .iter()
        .zip(&chains)
        .enumerate()
        .map(|(i, (e, chain))| {
            let e = e.borrow();
            vec![
                Arg::Int((first + i as u64) as i64),
                Arg::Int(e.ts),
                Arg::from(e.key_id),
                Arg::from(e.user_idx),
                Arg::from(e.action_idx),
                Arg::from(e.event_id.as_slice()),
                Arg::from(chain),
                Arg::from(e.fields.as_slice()),
            ]
        })
        .collect();
    let n = tx.insert_many(
        "audit_events",
        &[
            "seq",
            "ts",
            "key_id",
            "user_idx",
            "action_idx",
            "event_id",
            "chain",
            "fields",
        ],
        &rows,
    )?;
    expect_changes(
        n,
        events.len(),
        &format!("inserting audit events from seq {first}"),
    )?;
    let hint = shared.lookup_hint.load(Ordering::Relaxed);
    if lookup_is_view(tx) || tail.seq.saturating_sub(hint) < LOOKUP_LAG {
        return Ok((tail, None));
    }
    let indexed = lookup_end(tx, &shared.chain)?.unwrap_or(0);
    if tail.seq.saturating_sub(indexed) < LOOKUP_LAG {
        return Ok((tail, Some(indexed)));
    }
    copy_to_lookup(tx, &shared.chain, indexed, tail.seq)?;
    Ok((tail, Some(tail.seq)))
}

/// `Err` unless events up to seq `through` may be sealed under `key_id`: the key must
/// be a key of the log, not retired (by this process or another: the check runs in
/// the write transaction, which `retire_key` also needs), and within its nonce budget
/// ([`MAX_EVENTS_PER_KEY`], counted from the seq at which it became current).
pub(crate) fn check_key_usable(conn: &dyn Db, key_id: u32, through: u64) -> Result<()> {
    let row = conn.opt(
        "SELECT retired_ms, first_seq, reencrypted FROM audit_keys WHERE key_id = ?1",
        args![key_id],
        |r| Ok((r.opt_i64(0)?, r.i64(1)?, r.i64(2)?)),
    )?;
    key_usable(key_id, row, through)
}

/// [`check_key_usable`] on the key's row as read: `(retired_ms, first_seq,
/// reencrypted)`, `None` when there is no such key.
fn key_usable(key_id: u32, row: Option<(Option<i64>, i64, i64)>, through: u64) -> Result<()> {
    match row {
        None | Some((Some(_), _, _)) => Err(Error::WrongKey(format!(
            "audit key id {key_id} was retired (or removed), so nothing more is recorded under it: \
             reopen the log with its current key; this write was not committed"
        ))),
        Some((None, first_seq, reencrypted)) => {
            let sealed = (through as i64)
                .saturating_sub(first_seq)
                .saturating_add(reencrypted);
            if sealed > MAX_EVENTS_PER_KEY as i64 {
                return Err(Error::InvalidKey(format!(
                    "audit key id {key_id} has sealed its limit of {MAX_EVENTS_PER_KEY} events \
                     (random nonces must not repeat): rotate to a new key; this write was not committed"
                )));
            }
            Ok(())
        }
    }
}

/// The last seq copied into `audit_lookup`: events after it are found by scanning
/// `audit_events`, and lookup rows after it are ignored. `None` when the stored value is
/// missing or fails its MAC (then nothing in the table can be trusted to be complete:
/// queries scan `audit_events`, the next copy rebuilds the table, `verify()` reports it).
///
/// Taking the end from the table itself (its largest seq) would let one forged row
/// just past the tail move the end over events appended later, which queries would
/// then look for in the table and never find.
///
/// Where `audit_lookup` is a view of the events ([`lookup_is_view`]) it ends with them:
/// `i64::MAX` (every statement binds seqs as `i64`).
pub(crate) fn lookup_end(conn: &dyn Db, chain: &Chain) -> Result<Option<u64>> {
    if lookup_is_view(conn) {
        return Ok(Some(i64::MAX as u64));
    }
    let raw = get_meta(conn, meta::LOOKUP_END)?;
    Ok(raw.and_then(|raw| {
        let (end, mac) = raw.split_at_checked(8)?;
        let end = u64::from_be_bytes(end.try_into().ok()?);
        mac_eq(mac, &chain.lookup_end_mac(end)).then_some(end)
    }))
}

/// Stores the end of the lookup table with its MAC.
fn set_lookup_end(conn: &dyn Db, chain: &Chain, end: u64) -> Result<()> {
    let value = [end.to_be_bytes().as_slice(), &chain.lookup_end_mac(end)].concat();
    set_meta(conn, meta::LOOKUP_END, &value)
}

/// Copies every event after `from` into `audit_lookup` and records the new end. Rows
/// after `from` are forged or stale (see [`lookup_end`]): removed first, since they
/// would make the copy fail on a duplicate seq, and so every write after it.
pub(crate) fn copy_to_lookup(conn: &dyn Db, chain: &Chain, from: u64, to: u64) -> Result<()> {
    conn.exec(
        "DELETE FROM audit_lookup WHERE seq > ?1",
        args![from as i64],
    )?;
    // One statement, in seq order: the table's pages are appended, and the user index's
    // new entries all fall in the current epoch's subtree. `OR FAIL` rather than the
    // default `ABORT`: a conflict (impossible: only seqs past the end are copied) still
    // fails the statement and so the whole transaction, but SQLite then needs no
    // statement journal, which for thousands of rows spilled to a temporary file that
    // was created, written and deleted at every copy.
    // (PostgreSQL has no `OR FAIL`, and no statement journal to spare.)
    let insert = match conn.dialect() {
        Dialect::Sqlite => "INSERT OR FAIL INTO",
        Dialect::Postgres => "INSERT INTO",
    };
    conn.exec(
        &format!(
            "{insert} audit_lookup (seq, ts, user_idx, action_idx) \
             SELECT seq, ts, user_idx, action_idx FROM audit_events WHERE seq > ?1 AND seq <= ?2 ORDER BY seq"
        ),
        args![from as i64, to as i64],
    )?;
    set_lookup_end(conn, chain, to)
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::Ordering;

    use crate::audit::{AuditConfig, AuditKey, AuditLog, Filter, NewEvent, Order};
    use crate::pool::{Pool, PoolConfig};

    /// Behind the schema guard, every insert also checks that it stored its row: a
    /// trigger the guard has not seen (here: it is told the schema was checked) still
    /// cannot turn a swallowed insert into an event id.
    #[test]
    fn an_insert_that_stored_nothing_is_an_error() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("a.db");
        let pool = Pool::open(&path, PoolConfig::default()).unwrap();
        let log =
            AuditLog::open(&pool, AuditKey::generate().unwrap(), AuditConfig::default()).unwrap();
        let conn = rusqlite::Connection::open(&path).unwrap();
        conn.execute_batch(
            "CREATE TRIGGER swallow BEFORE INSERT ON audit_events BEGIN SELECT RAISE(IGNORE); END",
        )
        .unwrap();
        let version: i64 = conn
            .query_row("PRAGMA schema_version", [], |r| r.get(0))
            .unwrap();
        log.shared.schema_seen.store(version, Ordering::Relaxed);
        let err = log.record(&NewEvent::new("login")).unwrap_err();
        assert_eq!(err.kind(), crate::ErrorKind::Tampered, "{err}");
        assert!(err.to_string().contains("changed 0 rows"), "{err}");
        assert_eq!(log.len().unwrap(), 0);
    }

    /// The statements of a record, a query, `verify` and `head` are compiled once per
    /// connection, not at every execution: SQLite recompiles a statement whose plan
    /// depends on a bound value (a bare parameter compared in a LEFT JOIN's ON, a LIMIT,
    /// or a value a partial index applies to only for some values), which once doubled
    /// the time of a synchronous record (see `append`). Such parameters are written `+?`.
    #[test]
    fn statements_are_not_recompiled_at_every_execution() {
        let dir = tempfile::tempdir().unwrap();
        let config = PoolConfig {
            max_readers: 1,
            ..PoolConfig::default()
        };
        let pool = Pool::open(dir.path().join("a.db"), config).unwrap();
        let log =
            AuditLog::open(&pool, AuditKey::generate().unwrap(), AuditConfig::default()).unwrap();
        // Past LOOKUP_LAG, so that queries read the lookup table and the unindexed tail.
        for i in 0..(super::LOOKUP_LAG as usize + 100) {
            let action = if i % 3 == 0 { "login" } else { "view" };
            log.record(&NewEvent::new(action).user(format!("u{}", i % 7)))
                .unwrap();
        }
        for i in 0..5 {
            let user = Filter::user(format!("u{i}"));
            log.query(&user).unwrap();
            log.query(&Filter {
                order: Order::Descending,
                limit: Some(10),
                ..user
            })
            .unwrap();
            log.query(&Filter {
                action: Some(if i % 2 == 0 { "login" } else { "view" }.into()),
                since_ms: Some(i),
                until_ms: Some(i64::MAX - i),
                ..Filter::default()
            })
            .unwrap();
            assert!(log.verify().unwrap().ok);
            log.head().unwrap();
        }
        let mut recompiled = pool.write(|conn| Ok(recompiled_statements(conn))).unwrap();
        recompiled.extend(pool.read(|conn| Ok(recompiled_statements(conn))).unwrap());
        assert!(recompiled.is_empty(), "{recompiled:#?}");
    }

    /// The statements of `conn` that SQLite compiled more than twice (once, and once
    /// after the schema changed), with their counts.
    fn recompiled_statements(conn: &rusqlite::Connection) -> Vec<String> {
        let mut found = Vec::new();
        // SAFETY: the handle is this open connection's; the statements listed are its
        // own, alive while it is borrowed, and only read here.
        unsafe {
            use rusqlite::ffi;
            let db = conn.handle();
            let mut stmt = ffi::sqlite3_next_stmt(db, std::ptr::null_mut());
            while !stmt.is_null() {
                let n = ffi::sqlite3_stmt_status(stmt, ffi::SQLITE_STMTSTATUS_REPREPARE, 0);
                if n > 1 {
                    let sql = std::ffi::CStr::from_ptr(ffi::sqlite3_sql(stmt));
                    found.push(format!("{n}x {}", sql.to_string_lossy()));
                }
                stmt = ffi::sqlite3_next_stmt(db, stmt);
            }
        }
        found
    }
}
