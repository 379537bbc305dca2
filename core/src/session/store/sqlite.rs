//! The session table in SQLite, through the pool. The functions take a connection
//! (or a transaction, which derefs to one); [`SqliteSessions`] runs each trait method
//! in one write transaction (`BEGIN IMMEDIATE` on the pool's single writer), which is
//! what serializes creates per user here.
//!
//! Every write checks, in its transaction, that it changed the rows it meant to: the
//! database file is not trusted, and a trigger placed in it can make an INSERT store
//! nothing or an UPDATE change nothing (`RAISE(IGNORE)`), or undo a change after it
//! (an AFTER trigger). Such a write is a `Tampered` error, never a silent success.

use rusqlite::{Connection, OptionalExtension, params};

use super::{Baseline, Created, Limit, Plan, Row, SessionStore, did_not_stick};
use crate::error::{Error, Result};
use crate::pool::{Migrations, Pool};
use crate::session::schema;

/// The session's `revoked_at`: `None` when there is no such row.
fn revoked_at(conn: &Connection, id: &str) -> Result<Option<Option<i64>>> {
    let mut stmt = conn.prepare_cached("SELECT revoked_at FROM magnetar_session WHERE id = ?1")?;
    Ok(stmt.query_row([id], |r| r.get(0)).optional()?)
}

/// The outcome of an UPDATE meant to change one live session, which changed `changed`
/// rows: no change is right only when the session was revoked or deleted meanwhile.
fn live_update(conn: &Connection, id: &str, changed: usize, what: &str) -> Result<bool> {
    if changed == 1 {
        return Ok(true);
    }
    if revoked_at(conn, id)? == Some(None) {
        return Err(did_not_stick(format!(
            "{what} live session {id} changed nothing"
        )));
    }
    Ok(false)
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
fn by_token_hash(conn: &Connection, token_hash: &[u8; 32]) -> Result<Option<Row>> {
    let mut stmt = conn.prepare_cached(&format!(
        "SELECT {COLUMNS} FROM magnetar_session WHERE token_hash = ?1"
    ))?;
    Ok(stmt.query_row([&token_hash[..]], read_row).optional()?)
}

/// The user's live sessions (not revoked, not past either timeout), oldest first.
fn active_for_user(conn: &Connection, user_id: &str, now: i64, idle_ms: i64) -> Result<Vec<Row>> {
    let mut stmt = conn.prepare_cached(&format!(
        "SELECT {COLUMNS} FROM magnetar_session
         WHERE user_id = ?1 AND revoked_at IS NULL AND expires_at > ?2 AND last_seen > ?3
         ORDER BY created_at, rowid"
    ))?;
    let rows = stmt.query_map(params![user_id, now, now.saturating_sub(idle_ms)], read_row)?;
    Ok(rows.collect::<rusqlite::Result<Vec<_>>>()?)
}

/// Stores a new session.
fn insert(conn: &Connection, row: &Row, token_hash: &[u8; 32]) -> Result<()> {
    let mut stmt = conn.prepare_cached(
        "INSERT INTO magnetar_session (id, token_hash, user_id, created_at, last_seen,
             expires_at, ip, user_agent, fingerprint)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
    )?;
    let inserted = stmt.execute(params![
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
    // Read back too: an AFTER INSERT trigger can delete or revoke the row while the
    // INSERT still reports one change.
    let stored: Option<(String, Option<i64>)> = conn
        .prepare_cached("SELECT id, revoked_at FROM magnetar_session WHERE token_hash = ?1")?
        .query_row([&token_hash[..]], |r| Ok((r.get(0)?, r.get(1)?)))
        .optional()?;
    if inserted != 1 || stored != Some((row.id.clone(), None)) {
        return Err(did_not_stick(format!(
            "storing session {} did not stick",
            row.id
        )));
    }
    Ok(())
}

/// Revokes one session unless it already is; whether this call revoked it.
fn revoke(conn: &Connection, id: &str, now: i64, reason: &str) -> Result<bool> {
    let mut stmt = conn.prepare_cached(
        "UPDATE magnetar_session SET revoked_at = ?2, revoke_reason = ?3
         WHERE id = ?1 AND revoked_at IS NULL",
    )?;
    let changed = stmt.execute(params![id, now, reason])?;
    // Whatever the UPDATE reported, the row must now be revoked (or gone): a BEFORE
    // trigger that RAISE(IGNORE)s reports no change, an AFTER one that clears
    // revoked_at reports one.
    if revoked_at(conn, id)? == Some(None) {
        return Err(did_not_stick(format!(
            "revoking session {id} did not stick"
        )));
    }
    Ok(changed == 1)
}

/// Revokes every unrevoked session of a user; the ids revoked.
fn revoke_user(conn: &Connection, user_id: &str, now: i64, reason: &str) -> Result<Vec<String>> {
    let mut stmt = conn.prepare_cached(
        "UPDATE magnetar_session SET revoked_at = ?2, revoke_reason = ?3
         WHERE user_id = ?1 AND revoked_at IS NULL RETURNING id",
    )?;
    let ids = stmt.query_map(params![user_id, now, reason], |r| r.get(0))?;
    let mut ids = ids.collect::<rusqlite::Result<Vec<String>>>()?;
    drop(stmt);
    let left: i64 = conn
        .prepare_cached(
            "SELECT count(*) FROM magnetar_session WHERE user_id = ?1 AND revoked_at IS NULL",
        )?
        .query_row([user_id], |r| r.get(0))?;
    if left != 0 {
        return Err(did_not_stick(format!(
            "revoking every session of a user left {left} unrevoked"
        )));
    }
    ids.sort();
    Ok(ids)
}

/// Moves last-seen forward on a live session; false when it was revoked meanwhile.
fn touch(conn: &Connection, id: &str, now: i64) -> Result<bool> {
    let mut stmt = conn.prepare_cached(
        "UPDATE magnetar_session SET last_seen = max(last_seen, ?2)
         WHERE id = ?1 AND revoked_at IS NULL",
    )?;
    live_update(conn, id, stmt.execute(params![id, now])?, "touching")
}

/// Replaces the baseline context of a live session and touches it.
fn rebaseline(
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
    let changed = stmt.execute(params![id, now, ip, user_agent, fingerprint])?;
    live_update(conn, id, changed, "rebaselining")
}

/// Deletes every session past its absolute or idle timeout (revoked or not).
fn delete_expired(conn: &Connection, now: i64, idle_ms: i64) -> Result<usize> {
    let idle_since = now.saturating_sub(idle_ms);
    let mut stmt = conn
        .prepare_cached("DELETE FROM magnetar_session WHERE expires_at <= ?1 OR last_seen <= ?2")?;
    let deleted = stmt.execute(params![now, idle_since])?;
    let left: i64 = conn
        .prepare_cached(
            "SELECT count(*) FROM magnetar_session WHERE expires_at <= ?1 OR last_seen <= ?2",
        )?
        .query_row(params![now, idle_since], |r| r.get(0))?;
    if left != 0 {
        return Err(did_not_stick(format!(
            "sweeping expired sessions left {left} behind"
        )));
    }
    Ok(deleted)
}

/// The SQLite backend of the session registry.
#[derive(Debug)]
pub(crate) struct SqliteSessions {
    pool: Pool,
}

impl SqliteSessions {
    /// Creates or upgrades the session table in the pool's database.
    pub(crate) fn open(pool: Pool) -> Result<Self> {
        pool.migrate(&Migrations::new("session", schema::MIGRATIONS))?;
        Ok(SqliteSessions { pool })
    }
}

impl SessionStore for SqliteSessions {
    fn insert_limited(&self, row: &Row, token_hash: &[u8; 32], limit: Limit) -> Result<Created> {
        self.pool.write(|tx| {
            let active = active_for_user(tx, &row.user_id, row.created_at, limit.idle_ms)?;
            let mut evicted = Vec::new();
            match limit.plan(active.len()) {
                Plan::Reject(count) => return Ok(Created::Rejected(count)),
                Plan::Evict(excess) => {
                    for old in active.into_iter().take(excess) {
                        if revoke(tx, &old.id, row.created_at, "evicted")? {
                            evicted.push(old);
                        }
                    }
                }
            }
            insert(tx, row, token_hash)?;
            Ok(Created::Stored { evicted })
        })
    }

    fn by_token_hash(&self, token_hash: &[u8; 32]) -> Result<Option<Row>> {
        self.pool.read(|conn| by_token_hash(conn, token_hash))
    }

    fn active_for_user(&self, user_id: &str, now: i64, idle_ms: i64) -> Result<Vec<Row>> {
        self.pool
            .read(|conn| active_for_user(conn, user_id, now, idle_ms))
    }

    fn revoke(&self, id: &str, now: i64, reason: &str) -> Result<bool> {
        self.pool.write(|tx| revoke(tx, id, now, reason))
    }

    fn revoke_token(&self, token_hash: &[u8; 32], now: i64, reason: &str) -> Result<(Row, bool)> {
        self.pool.write(|tx| {
            let row = by_token_hash(tx, token_hash)?.ok_or(Error::SessionNotFound)?;
            let revoked = revoke(tx, &row.id, now, reason)?;
            Ok((row, revoked))
        })
    }

    fn revoke_user(&self, user_id: &str, now: i64, reason: &str) -> Result<Vec<String>> {
        self.pool.write(|tx| revoke_user(tx, user_id, now, reason))
    }

    fn touch(&self, id: &str, now: i64) -> Result<bool> {
        self.pool.write(|tx| touch(tx, id, now))
    }

    fn rebaseline(
        &self,
        token_hash: &[u8; 32],
        now: i64,
        check: &dyn Fn(&Row) -> Result<()>,
        baseline: Baseline<'_>,
    ) -> Result<Row> {
        self.pool.write(|tx| {
            let row = by_token_hash(tx, token_hash)?.ok_or(Error::SessionNotFound)?;
            check(&row)?;
            rebaseline(
                tx,
                &row.id,
                now,
                baseline.ip,
                baseline.user_agent,
                baseline.fingerprint,
            )?;
            Ok(row)
        })
    }

    fn delete_expired(&self, now: i64, idle_ms: i64) -> Result<usize> {
        self.pool.write(|tx| delete_expired(tx, now, idle_ms))
    }
}
