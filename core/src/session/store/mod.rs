//! The session registry's storage: a small trait with what the registry needs, and
//! its two implementations, SQLite ([`sqlite`], through the pool) and PostgreSQL
//! ([`postgres`]). The rules (limit policy, timeouts, scoring, audit) stay in the
//! registry; each operation here is one transaction on the backend.
//!
//! Every write checks, in its transaction, that it changed the rows it meant to (a
//! trigger can make a write store nothing, or undo it after): such a write is a
//! `Tampered` error, never a silent success.

pub(crate) mod postgres;
pub(crate) mod sqlite;

use std::fmt;

use super::config::LimitPolicy;
use crate::error::{Error, Result};

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

/// The per-user limit as `insert_limited` applies it.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Limit {
    pub max_sessions: usize,
    pub policy: LimitPolicy,
    pub idle_ms: i64,
}

/// The outcome of `insert_limited`.
pub(crate) enum Created {
    /// Refused: the user has this many live sessions and the policy rejects.
    Rejected(usize),
    /// Stored, after revoking these (oldest first) to make room.
    Stored { evicted: Vec<Row> },
}

/// What to do with a user's live sessions (oldest first) before adding one: refuse,
/// or revoke the first `n` of them.
pub(crate) enum Plan {
    Reject(usize),
    Evict(usize),
}

impl Limit {
    /// The one rule both backends apply under their per-user lock.
    pub(crate) fn plan(&self, live: usize) -> Plan {
        if live < self.max_sessions {
            return Plan::Evict(0);
        }
        match self.policy {
            LimitPolicy::Reject => Plan::Reject(live),
            LimitPolicy::EvictOldest => Plan::Evict(live + 1 - self.max_sessions),
        }
    }
}

/// What the session registry needs from a backend. Each method is one transaction.
pub(crate) trait SessionStore: Send + Sync + fmt::Debug {
    /// Stores `row` unless the limit refuses it, revoking the oldest live sessions as
    /// the limit says; counting, evicting and inserting happen under a per-user lock
    /// (SQLite: the single writer; PostgreSQL: an advisory lock on the user) so
    /// concurrent creates from any number of processes never exceed the limit.
    fn insert_limited(&self, row: &Row, token_hash: &[u8; 32], limit: Limit) -> Result<Created>;
    /// The session with this token hash, whatever its state.
    fn by_token_hash(&self, token_hash: &[u8; 32]) -> Result<Option<Row>>;
    /// The user's live sessions (not revoked, not past either timeout), oldest first.
    fn active_for_user(&self, user_id: &str, now: i64, idle_ms: i64) -> Result<Vec<Row>>;
    /// Revokes one session unless it already is; whether this call revoked it.
    fn revoke(&self, id: &str, now: i64, reason: &str) -> Result<bool>;
    /// Looks up a token and revokes its session in one transaction: the row (before)
    /// and whether this call revoked it. `SessionNotFound` for an unknown token.
    fn revoke_token(&self, token_hash: &[u8; 32], now: i64, reason: &str) -> Result<(Row, bool)>;
    /// Revokes every unrevoked session of a user; the ids revoked, sorted.
    fn revoke_user(&self, user_id: &str, now: i64, reason: &str) -> Result<Vec<String>>;
    /// Moves last-seen forward on a live session; false when it was revoked meanwhile.
    fn touch(&self, id: &str, now: i64) -> Result<bool>;
    /// Looks up a token, runs `check` on the row (liveness), then replaces the
    /// session's baseline and touches it, in one transaction. Returns the row before.
    fn rebaseline(
        &self,
        token_hash: &[u8; 32],
        now: i64,
        check: &dyn Fn(&Row) -> Result<()>,
        baseline: Baseline<'_>,
    ) -> Result<Row>;
    /// Deletes every session past its absolute or idle timeout (revoked or not).
    fn delete_expired(&self, now: i64, idle_ms: i64) -> Result<usize>;
}

/// A new baseline for `rebaseline`.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Baseline<'a> {
    pub ip: &'a str,
    pub user_agent: &'a str,
    pub fingerprint: &'a [u8],
}

/// The error for a write that did not take effect as intended.
pub(crate) fn did_not_stick(what: String) -> Error {
    Error::Tampered(format!(
        "session table: {what}; an object in the database (a trigger?) is interfering"
    ))
}
