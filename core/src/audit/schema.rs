//! The audit log's tables, created through the pool's migration runner, and small
//! helpers for the `audit_meta` key/value table.

use rusqlite::{Connection, OptionalExtension, params};

use crate::error::Result;
use crate::pool::Migrations;

/// Version 1 of the schema.
///
/// - `audit_meta`: log id, current key id, passphrase salt, purge anchor, re-encryption
///   cursor.
/// - `audit_keys`: one row per master key: its key-check value and the log secret wrapped
///   under it.
/// - `audit_events`: one row per event. Every field column holds `nonce ‖ ciphertext ‖
///   tag` (a missing value is encrypted too, so a field cannot be blanked unnoticed).
///   `user_idx`/`action_idx` are the blind indexes; `seq` is the rowid, so index entries
///   come out in sequence order for free.
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
    seq           INTEGER PRIMARY KEY,
    event_id      BLOB NOT NULL,
    ts            INTEGER NOT NULL,
    key_id        INTEGER NOT NULL,
    user_idx      INTEGER,
    action_idx    INTEGER NOT NULL,
    action        BLOB NOT NULL,
    user_id       BLOB NOT NULL,
    resource_type BLOB NOT NULL,
    resource_id   BLOB NOT NULL,
    status        BLOB NOT NULL,
    ip            BLOB NOT NULL,
    user_agent    BLOB NOT NULL,
    details       BLOB NOT NULL,
    chain         BLOB NOT NULL
);
CREATE INDEX audit_events_user ON audit_events(user_idx) WHERE user_idx IS NOT NULL;
CREATE INDEX audit_events_action ON audit_events(action_idx);
CREATE INDEX audit_events_ts ON audit_events(ts);
";

/// The audit log's migrations (component `audit` in `_magnetar_schema`).
pub fn migrations() -> Migrations {
    Migrations::new("audit", &[V1])
}

/// The columns read for an event, in the order [`super::codec::RawRow::from_row`]
/// expects.
pub const EVENT_COLUMNS: &str = "seq, event_id, ts, key_id, action, user_id, resource_type, \
     resource_id, status, ip, user_agent, details, chain";

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
    /// Re-encryption cursor: last seq re-encrypted (8-byte big-endian).
    pub const REENCRYPT_CURSOR: &str = "reencrypt_cursor";
}

/// Reads a meta value.
pub fn get_meta(conn: &Connection, name: &str) -> Result<Option<Vec<u8>>> {
    Ok(conn
        .query_row(
            "SELECT value FROM audit_meta WHERE name = ?1",
            [name],
            |r| r.get(0),
        )
        .optional()?)
}

/// Writes a meta value.
pub fn set_meta(conn: &Connection, name: &str, value: &[u8]) -> Result<()> {
    conn.execute(
        "INSERT INTO audit_meta (name, value) VALUES (?1, ?2)
         ON CONFLICT(name) DO UPDATE SET value = excluded.value",
        params![name, value],
    )?;
    Ok(())
}

/// Reads a meta value holding a big-endian u64 (`None` when absent or malformed).
pub fn get_meta_u64(conn: &Connection, name: &str) -> Result<Option<u64>> {
    Ok(get_meta(conn, name)?
        .and_then(|v| <[u8; 8]>::try_from(v.as_slice()).ok())
        .map(u64::from_be_bytes))
}
