//! The audit log's tables, created through the pool's migration runner, and small
//! helpers for the `audit_meta` key/value table.

use std::sync::atomic::{AtomicI64, Ordering};

use crate::error::{Error, Result};
use crate::pool::{Migrations, SchemaObjects};
use crate::store::sql::{Db, Dialect, args};

/// Version 1 of the schema.
///
/// - `audit_meta`: log id, current key id, passphrase salt, purge anchor, re-encryption
///   cursor.
/// - `audit_keys`: one row per master key: its key-check value and the log secret wrapped
///   under it.
/// - `audit_events`: one row per event, and no secondary index, so appending an event
///   dirties only the table's last page. `fields` holds the eight sealed fields (see
///   [`super::codec::pack`]); `user_idx`/`action_idx` are the blind indexes.
/// - `audit_lookup`: a copy of `(ts, user_idx, action_idx)` per event, with the indexes
///   queries use. It is filled in bulk, every [`LOOKUP_LAG`] events (see
///   [`super::store::write`]), so its random-order index pages are written once per
///   few thousand events instead of once per event; queries scan the few events not yet
///   copied in `audit_events` directly. The user index is partitioned by
///   `seq >> EPOCH_BITS` so that the entries being added all land in one small subtree
///   (the current epoch) however large the log grows.
const V1: &str = "
CREATE TABLE audit_meta (
    name  TEXT PRIMARY KEY NOT NULL,
    value BLOB NOT NULL
) WITHOUT ROWID;
CREATE TABLE audit_keys (
    key_id         INTEGER PRIMARY KEY,
    check_value    BLOB NOT NULL UNIQUE,
    wrapped_secret BLOB NOT NULL,
    created_ms     INTEGER NOT NULL
);
CREATE TABLE audit_events (
    seq        INTEGER PRIMARY KEY,
    ts         INTEGER NOT NULL,
    key_id     INTEGER NOT NULL,
    user_idx   INTEGER,
    action_idx INTEGER NOT NULL,
    event_id   BLOB NOT NULL,
    chain      BLOB NOT NULL,
    fields     BLOB NOT NULL
);
CREATE TABLE audit_lookup (
    seq        INTEGER PRIMARY KEY,
    ts         INTEGER NOT NULL,
    user_idx   INTEGER,
    action_idx INTEGER NOT NULL
);
CREATE INDEX audit_lookup_user ON audit_lookup(seq >> 12, user_idx) WHERE user_idx IS NOT NULL;
CREATE INDEX audit_lookup_action ON audit_lookup(action_idx);
CREATE INDEX audit_lookup_ts ON audit_lookup(ts);
";

/// Version 2: key lifecycle.
///
/// - `retired_ms`: when the key was retired. A retired key's row stays (its wrapped
///   secret is erased), so the key is reported as retired rather than unknown, and no
///   event can be committed under it (see [`super::store`]).
/// - `first_seq`: the last seq when the key became current; with `reencrypted` (events
///   re-encrypted under it) it bounds how many events the key has sealed, for the
///   random-nonce limit ([`MAX_EVENTS_PER_KEY`]).
const V2: &str = "
ALTER TABLE audit_keys ADD COLUMN retired_ms INTEGER;
ALTER TABLE audit_keys ADD COLUMN first_seq INTEGER NOT NULL DEFAULT 0;
ALTER TABLE audit_keys ADD COLUMN reencrypted INTEGER NOT NULL DEFAULT 0;
";

/// Version 3: the transparency log over the events (see [`super::tree`]).
///
/// - `audit_leaves`: the leaf data of every event in the tree (49 bytes, documented
///   in [`super::tree`]); kept when the event is purged, so old checkpoints stay
///   provable.
/// - `audit_tree`: the hash of every complete subtree, at the position in which
///   appends create it (leaves included), so a proof reads O(log n) rows by rowid.
/// - `audit_checkpoints`: every signed checkpoint the log has issued.
///
/// The tree's end (size, root, MAC under the chain key) is in `audit_meta`.
const V3: &str = "
CREATE TABLE audit_leaves (
    seq  INTEGER PRIMARY KEY,
    leaf BLOB NOT NULL
);
CREATE TABLE audit_tree (
    id   INTEGER PRIMARY KEY,
    hash BLOB NOT NULL
);
CREATE TABLE audit_checkpoints (
    id         INTEGER PRIMARY KEY,
    size       INTEGER NOT NULL,
    note       TEXT NOT NULL,
    created_ms INTEGER NOT NULL
);
";

/// Most events one master key may seal. Each event draws eight random 96-bit nonces;
/// NIST SP 800-38D caps random nonces at 2^32 encryptions per key (collision
/// probability below 2^-32). 2^28 events are 2^31 encryptions, half the cap, and the
/// collision probability stays below 2^-34. Past it, `record` fails until the key is
/// rotated.
pub const MAX_EVENTS_PER_KEY: u64 = 1 << 28;

/// The user index's partition: `seq >> EPOCH_BITS` (the `12` in `audit_lookup_user`).
///
/// An epoch holds as many events as one copy into `audit_lookup` ([`LOOKUP_LAG`]), so
/// each copy builds about one new epoch's subtree (~20 pages) from scratch and writes
/// each of its pages once. With epochs of 2^16 events, each copy's 4,096 entries landed
/// at random places in a subtree of up to ~320 pages and dirtied most of them: as many
/// WAL pages again as the events themselves, a third of the batched writer's time. The
/// price is on the query side: a user query seeks once per epoch (244 at 1M events).
pub const EPOCH_BITS: u32 = 12;

/// Events appended before they are copied into `audit_lookup` (in one statement, by the
/// transaction that reaches this many). Queries scan at most this many rows unindexed.
pub const LOOKUP_LAG: u64 = 4096;

/// The audit log's migrations (component `audit` in `_magnetar_schema`).
pub fn migrations() -> Migrations {
    Migrations::new("audit", &[V1, V2, V3])
}

/// The same tables on PostgreSQL (component `audit` in `{schema}.magnetar_schema`), in
/// one version: the SQLite versions' end state with PostgreSQL's types. Integers are
/// `BIGINT` throughout (the portable statements bind 64-bit values), bytes `BYTEA`.
///
/// A batch whose commit acknowledgement was lost is found again, when it is retried, at
/// the seq the lost attempt gave it (appends are idempotent by event id, see
/// [`super::store::write`]): no index on the event id is needed.
///
/// `audit_lookup` is a view of `audit_events`, which carries the lookup indexes itself
/// (see [`lookup_is_view`]). The time index is a BRIN index: events are appended in
/// time order, so a summary per range of pages finds a time range as well as a B-tree
/// would, and costs almost nothing to keep up (the B-tree cost a tenth of the batched
/// writer's server time). Clock skew between hosts only widens the ranges; a result is
/// never wrong, since every condition is checked again on the decrypted event.
pub const PG_MIGRATIONS: &[&str] = &["
CREATE TABLE {schema}.audit_meta (
    name  TEXT PRIMARY KEY,
    value BYTEA NOT NULL
);
CREATE TABLE {schema}.audit_keys (
    key_id         BIGINT PRIMARY KEY,
    check_value    BYTEA NOT NULL UNIQUE,
    wrapped_secret BYTEA NOT NULL,
    created_ms     BIGINT NOT NULL,
    retired_ms     BIGINT,
    first_seq      BIGINT NOT NULL DEFAULT 0,
    reencrypted    BIGINT NOT NULL DEFAULT 0
);
CREATE TABLE {schema}.audit_events (
    seq        BIGINT PRIMARY KEY,
    ts         BIGINT NOT NULL,
    key_id     BIGINT NOT NULL,
    user_idx   BIGINT,
    action_idx BIGINT NOT NULL,
    event_id   BYTEA NOT NULL,
    chain      BYTEA NOT NULL,
    fields     BYTEA NOT NULL
);
CREATE INDEX audit_events_user ON {schema}.audit_events((seq >> 12), user_idx) WHERE user_idx IS NOT NULL;
CREATE INDEX audit_events_action ON {schema}.audit_events(action_idx);
CREATE INDEX audit_events_ts ON {schema}.audit_events USING brin(ts);
CREATE VIEW {schema}.audit_lookup AS SELECT seq, ts, user_idx, action_idx FROM {schema}.audit_events;
CREATE TABLE {schema}.audit_leaves (
    seq  BIGINT PRIMARY KEY,
    leaf BYTEA NOT NULL
);
CREATE TABLE {schema}.audit_tree (
    id   BIGINT PRIMARY KEY,
    hash BYTEA NOT NULL
);
CREATE TABLE {schema}.audit_checkpoints (
    id         BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,
    size       BIGINT NOT NULL,
    note       TEXT NOT NULL,
    created_ms BIGINT NOT NULL
);
"];

/// Whether `audit_lookup` is a view of `audit_events` (PostgreSQL) rather than a table
/// the log fills in bulk (SQLite, see [`V1`]). Then every event is in it as soon as it
/// is committed, and can never disagree with it: [`super::store::lookup_end`] is the end
/// of the log, and nothing copies into the view or deletes from it.
///
/// The separate table exists for SQLite, which writes every page an insert dirties at
/// each commit: random-order index entries per event would cost a page each. PostgreSQL
/// keeps dirty pages in shared buffers and logs an index insertion in the WAL as a few
/// dozen bytes, so the second heap only added work: the copy into it (its rows, its
/// primary key, then the same indexes) took half of the batched writer's server time.
/// Indexing the events directly saves the rows, the key and the statement.
pub(crate) fn lookup_is_view(conn: &dyn Db) -> bool {
    conn.dialect() == Dialect::Postgres
}

/// The columns read for an event, in the order [`super::codec::RawRow::from_row`]
/// expects; queries name `audit_events` as `e`.
pub const EVENT_COLUMNS: &str = "e.seq, e.event_id, e.ts, e.key_id, e.chain, e.fields";

/// What `verify()` reads besides [`EVENT_COLUMNS`]: the event's blind indexes and its
/// copy in `audit_lookup` (all NULL when there is none), to check that this
/// unauthenticated data agrees with the authenticated event.
pub const LOOKUP_COLUMNS: &str = "e.user_idx, e.action_idx, l.seq, l.ts, l.user_idx, l.action_idx";

/// Meta keys.
pub mod meta {
    /// 16 random bytes naming this log; part of the chain's genesis value.
    pub const LOG_ID: &str = "log_id";
    /// The key id new events are encrypted under (8-byte big-endian).
    pub const CURRENT_KEY_ID: &str = "current_key_id";
    /// PBKDF2 salt for passphrase keys.
    pub const KDF_SALT: &str = "kdf_salt";
    /// Purge anchor: seq (8) ‖ chain (32) ‖ MAC (32).
    pub const ANCHOR: &str = "anchor";
    /// The first seq whose fields are sealed for this log (earlier ones may be v1):
    /// seq (8) ‖ MAC (32).
    pub const BOUND_FROM: &str = "bound_from";
    /// The last seq copied into `audit_lookup`: seq (8) ‖ MAC (32).
    pub const LOOKUP_END: &str = "lookup_end";
    /// The end of the Merkle tree: size (8) ‖ root (32) ‖ MAC (32).
    pub const TREE_END: &str = "tree_end";
    /// Re-encryption cursor: last seq re-encrypted (8-byte big-endian).
    pub const REENCRYPT_CURSOR: &str = "reencrypt_cursor";
}

/// Reads a meta value.
pub(crate) fn get_meta(conn: &dyn Db, name: &str) -> Result<Option<Vec<u8>>> {
    conn.opt(
        "SELECT value FROM audit_meta WHERE name = ?1",
        args![name],
        |r| r.bytes(0),
    )
}

/// Writes a meta value.
pub(crate) fn set_meta(conn: &dyn Db, name: &str, value: &[u8]) -> Result<()> {
    let n = conn.exec(
        "INSERT INTO audit_meta (name, value) VALUES (?1, ?2)
         ON CONFLICT(name) DO UPDATE SET value = excluded.value",
        args![name, value],
    )?;
    expect_changes(n, 1, &format!("writing audit_meta {name}"))
}

/// `Err(Tampered)` unless a write changed exactly `want` rows. Our statements name
/// their rows exactly, so any other count means something in the file (a trigger, a
/// view) intercepted the write: it must fail, never pass as done.
pub fn expect_changes(changed: usize, want: usize, what: &str) -> Result<()> {
    if changed == want {
        return Ok(());
    }
    Err(Error::Tampered(format!(
        "{what} changed {changed} rows instead of {want}: the database file intercepts the audit log's writes"
    )))
}

/// Checks that the audit tables carry only the objects Magnetar created (see
/// [`SchemaObjects`]), again whenever the schema has changed since the last check
/// (`seen` holds the `schema_version` last checked): a trigger added while the
/// application runs is refused at the next statement, not only at the next open.
/// Costs one `PRAGMA schema_version` (a read of the header page SQLite has cached)
/// per transaction.
///
/// SQLite only: there the database is a file that anyone who can write it can give
/// triggers. On PostgreSQL, DDL needs rights the application role does not have
/// (docs/postgres.md), and the row-count checks ([`expect_changes`]) still catch an
/// interception.
pub(crate) fn guard(conn: &dyn Db, objects: &SchemaObjects, seen: &AtomicI64) -> Result<()> {
    let Some(conn) = conn.sqlite() else {
        return Ok(());
    };
    let version: i64 = conn
        .prepare_cached("PRAGMA schema_version")?
        .query_row([], |r| r.get(0))?;
    if seen.load(Ordering::Relaxed) == version {
        return Ok(());
    }
    objects.check(conn)?;
    seen.store(version, Ordering::Relaxed);
    Ok(())
}

/// Reads a meta value holding a big-endian u64 (`None` when absent or malformed).
pub(crate) fn get_meta_u64(conn: &dyn Db, name: &str) -> Result<Option<u64>> {
    Ok(get_meta(conn, name)?
        .and_then(|v| <[u8; 8]>::try_from(v.as_slice()).ok())
        .map(u64::from_be_bytes))
}
