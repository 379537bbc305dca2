//! SQL on the session table. Every function takes a connection (or a transaction,
//! which derefs to one) so the registry decides the transaction boundaries.

use rusqlite::{Connection, OptionalExtension, params};

use crate::error::Result;

/// One stored session, as in the table.
#[derive(Debug, Clone)]
pub(crate) struct Row {
    pub id: String,
    pub user_id: String,
    pub created_at: i64,
    pub last_seen: i64,
    pub expires_at: i64,
    pub ip: String,
    pub user_agent: String,
    pub fingerprint: Vec<u8>,
    pub revoked_at: Option<i64>,
    pub revoke_reason: Option<String>,
}

const COLUMNS: &str = "id, user_id, created_at, last_seen, expires_at, ip, user_agent, \
                       fingerprint, revoked_at, revoke_reason";

fn read_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<Row> {
    Ok(Row {
        id: r.get(0)?,
        user_id: r.get(1)?,
        created_at: r.get(2)?,
        last_seen: r.get(3)?,
        expires_at: r.get(4)?,
        ip: r.get(5)?,
        user_agent: r.get(6)?,
        fingerprint: r.get(7)?,
        revoked_at: r.get(8)?,
        revoke_reason: r.get(9)?,
    })
}

/// The session with this token hash, whatever its state.
pub(crate) fn by_token_hash(conn: &Connection, token_hash: &[u8; 32]) -> Result<Option<Row>> {
    let mut stmt = conn.prepare_cached(&format!(
        "SELECT {COLUMNS} FROM magnetar_session WHERE token_hash = ?1"
    ))?;
    Ok(stmt.query_row([&token_hash[..]], read_row).optional()?)
}

/// The user's live sessions (not revoked, not past either timeout), oldest first.
pub(crate) fn active_for_user(
    conn: &Connection,
    user_id: &str,
    now: i64,
    idle_ms: i64,
) -> Result<Vec<Row>> {
    let mut stmt = conn.prepare_cached(&format!(
        "SELECT {COLUMNS} FROM magnetar_session
         WHERE user_id = ?1 AND revoked_at IS NULL AND expires_at > ?2 AND last_seen > ?3
         ORDER BY created_at, rowid"
    ))?;
    let rows = stmt.query_map(params![user_id, now, now.saturating_sub(idle_ms)], read_row)?;
    Ok(rows.collect::<rusqlite::Result<Vec<_>>>()?)
}

/// Stores a new session.
pub(crate) fn insert(conn: &Connection, row: &Row, token_hash: &[u8; 32]) -> Result<()> {
    let mut stmt = conn.prepare_cached(
        "INSERT INTO magnetar_session (id, token_hash, user_id, created_at, last_seen,
             expires_at, ip, user_agent, fingerprint)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
    )?;
    stmt.execute(params![
        row.id,
        &token_hash[..],
        row.user_id,
        row.created_at,
        row.last_seen,
        row.expires_at,
        row.ip,
        row.user_agent,
        row.fingerprint,
    ])?;
    Ok(())
}

/// Revokes one session unless it already is; whether this call revoked it.
pub(crate) fn revoke(conn: &Connection, id: &str, now: i64, reason: &str) -> Result<bool> {
    let mut stmt = conn.prepare_cached(
        "UPDATE magnetar_session SET revoked_at = ?2, revoke_reason = ?3
         WHERE id = ?1 AND revoked_at IS NULL",
    )?;
    Ok(stmt.execute(params![id, now, reason])? == 1)
}

/// Revokes every unrevoked session of a user; the ids revoked.
pub(crate) fn revoke_user(
    conn: &Connection,
    user_id: &str,
    now: i64,
    reason: &str,
) -> Result<Vec<String>> {
    let mut stmt = conn.prepare_cached(
        "UPDATE magnetar_session SET revoked_at = ?2, revoke_reason = ?3
         WHERE user_id = ?1 AND revoked_at IS NULL RETURNING id",
    )?;
    let ids = stmt.query_map(params![user_id, now, reason], |r| r.get(0))?;
    let mut ids = ids.collect::<rusqlite::Result<Vec<String>>>()?;
    ids.sort();
    Ok(ids)
}

/// Moves last-seen forward on a live session; false when it was revoked meanwhile.
pub(crate) fn touch(conn: &Connection, id: &str, now: i64) -> Result<bool> {
    let mut stmt = conn.prepare_cached(
        "UPDATE magnetar_session SET last_seen = max(last_seen, ?2)
         WHERE id = ?1 AND revoked_at IS NULL",
    )?;
    Ok(stmt.execute(params![id, now])? == 1)
}

/// Replaces the baseline context of a live session and touches it.
pub(crate) fn rebaseline(
    conn: &Connection,
    id: &str,
    now: i64,
    ip: &str,
    user_agent: &str,
    fingerprint: &[u8],
) -> Result<bool> {
    let mut stmt = conn.prepare_cached(
        "UPDATE magnetar_session SET last_seen = max(last_seen, ?2), ip = ?3,
             user_agent = ?4, fingerprint = ?5
         WHERE id = ?1 AND revoked_at IS NULL",
    )?;
    Ok(stmt.execute(params![id, now, ip, user_agent, fingerprint])? == 1)
}

/// Deletes every session past its absolute or idle timeout (revoked or not).
pub(crate) fn delete_expired(conn: &Connection, now: i64, idle_ms: i64) -> Result<usize> {
    let mut stmt = conn
        .prepare_cached("DELETE FROM magnetar_session WHERE expires_at <= ?1 OR last_seen <= ?2")?;
    Ok(stmt.execute(params![now, now.saturating_sub(idle_ms)])?)
}
