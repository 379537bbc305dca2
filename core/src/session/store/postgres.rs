//! The session table on PostgreSQL (`{schema}.session`, see
//! [`schema::PG_MIGRATIONS`](crate::session::schema::PG_MIGRATIONS)).
//!
//! Concurrency: the per-user limit is counted, and evictions and the insert done, in
//! one transaction holding `pg_advisory_xact_lock` on a 64-bit hash of the user id,
//! so creates for one user from any number of processes and hosts are serialized
//! (creates for different users are not, barring a hash collision, which only
//! serializes two users). `revoke_user` takes the same lock, so a create cannot slip
//! a session past a concurrent revoke-all. Revocations are plain committed UPDATEs:
//! every server sees them on its next lookup.
//!
//! Retries: every method runs through [`PgStore::transaction`] or [`PgStore::run`],
//! which run it again after a lost connection or a server restart. Each is idempotent:
//! `insert_limited` first looks for its own session id (a commit whose
//! acknowledgement was lost), revocations and touches are conditional UPDATEs.

use postgres::types::Type;
use postgres::{GenericClient, Row as PgRow};

use super::{Baseline, Created, Limit, Plan, Row, SessionStore, did_not_stick};
use crate::error::{Error, Result};
use crate::session::schema;
use crate::store::postgres::{PgFail, PgResult, PgStore};

const COLUMNS: &str = "id, user_id, created_at, last_seen, expires_at, ip, user_agent, \
                       fingerprint, revoked_at, revoke_reason";

fn read_row(r: &PgRow) -> PgResult<Row> {
    Ok(Row {
        id: r.try_get(0)?,
        user_id: r.try_get(1)?,
        created_at: r.try_get(2)?,
        last_seen: r.try_get(3)?,
        expires_at: r.try_get(4)?,
        ip: r.try_get(5)?,
        user_agent: r.try_get(6)?,
        fingerprint: r.try_get(7)?,
        revoked_at: r.try_get(8)?,
        revoke_reason: r.try_get(9)?,
    })
}

/// SQL with the schema filled in, built once per registry.
#[derive(Debug)]
struct Sql {
    by_token: String,
    by_id_revoked: String,
    active: String,
    lock_user: &'static str,
    lock_user_and_own: String,
    evict_and_insert: String,
    check_created: String,
    revoke: String,
    revoke_user: String,
    left_for_user: String,
    touch: String,
    rebaseline: String,
    delete_expired: String,
    left_expired: String,
}

/// The PostgreSQL backend of the session registry.
#[derive(Debug)]
pub(crate) struct PgSessions {
    pg: PgStore,
    sql: Sql,
}

impl PgSessions {
    /// Creates or upgrades the session table in the store's schema.
    pub(crate) fn open(pg: PgStore) -> Result<Self> {
        pg.migrate("session", schema::PG_MIGRATIONS)?;
        let s = |q: &str| pg.sql(&q.replace("{columns}", COLUMNS));
        let sql = Sql {
            by_token: s("SELECT {columns} FROM {schema}.session WHERE token_hash = $1"),
            by_id_revoked: s("SELECT revoked_at FROM {schema}.session WHERE id = $1"),
            active: s("SELECT {columns} FROM {schema}.session
                 WHERE user_id = $1 AND revoked_at IS NULL AND expires_at > $2 AND last_seen > $3
                 ORDER BY created_at, id"),
            lock_user: "SELECT pg_advisory_xact_lock(hashtextextended('magnetar.session.user:' || $1, 0))",
            // The lock, and whether this session id is already stored (a retry whose
            // first commit went through), in one round trip; the id is only ever
            // written by this create, so the statement's snapshot is fine for it.
            lock_user_and_own: s(
                "SELECT pg_advisory_xact_lock(hashtextextended('magnetar.session.user:' || $1, 0)),
                        (SELECT ARRAY[coalesce(revoked_at, -1)] FROM {schema}.session WHERE id = $2)",
            ),
            // The evictions and the insert in one statement: the UPDATE runs to
            // completion whatever the INSERT does, and reports which of the sessions
            // this create meant to evict it revoked (one revoked meanwhile is not).
            evict_and_insert: s(
                "WITH evicted AS (
                     UPDATE {schema}.session SET revoked_at = $4, revoke_reason = 'evicted'
                     WHERE id = ANY($10) AND revoked_at IS NULL
                     RETURNING id
                 )
                 INSERT INTO {schema}.session (id, token_hash, user_id, created_at, last_seen,
                     expires_at, ip, user_agent, fingerprint)
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)
                 RETURNING (SELECT coalesce(array_agg(id), '{}') FROM evicted)",
            ),
            // A separate statement, so that it sees what the triggers of the one before
            // did (AFTER triggers run at its end): the new session stored and live, and
            // none of the evicted still live.
            check_created: s(
                "SELECT (SELECT id FROM {schema}.session
                         WHERE token_hash = $1 AND revoked_at IS NULL),
                        (SELECT count(*) FROM {schema}.session
                         WHERE id = ANY($2) AND revoked_at IS NULL)",
            ),
            revoke: s(
                "UPDATE {schema}.session SET revoked_at = $2, revoke_reason = $3
                 WHERE id = $1 AND revoked_at IS NULL",
            ),
            revoke_user: s(
                "UPDATE {schema}.session SET revoked_at = $2, revoke_reason = $3
                 WHERE user_id = $1 AND revoked_at IS NULL RETURNING id",
            ),
            left_for_user: s(
                "SELECT count(*) FROM {schema}.session WHERE user_id = $1 AND revoked_at IS NULL",
            ),
            touch: s(
                "UPDATE {schema}.session SET last_seen = GREATEST(last_seen, $2)
                 WHERE id = $1 AND revoked_at IS NULL",
            ),
            rebaseline: s(
                "UPDATE {schema}.session SET last_seen = GREATEST(last_seen, $2), ip = $3,
                     user_agent = $4, fingerprint = $5
                 WHERE id = $1 AND revoked_at IS NULL",
            ),
            delete_expired: s(
                "DELETE FROM {schema}.session WHERE expires_at <= $1 OR last_seen <= $2",
            ),
            left_expired: s(
                "SELECT count(*) FROM {schema}.session WHERE expires_at <= $1 OR last_seen <= $2",
            ),
        };
        Ok(PgSessions { pg, sql })
    }

    fn revoked_at(&self, c: &mut impl GenericClient, id: &str) -> PgResult<Option<Option<i64>>> {
        Ok(c.query_opt(&self.sql.by_id_revoked, &[&id])?
            .map(|r| r.try_get(0))
            .transpose()?)
    }

    fn by_token(&self, c: &mut impl GenericClient, hash: &[u8; 32]) -> PgResult<Option<Row>> {
        c.query_opt(&self.sql.by_token, &[&&hash[..]])?
            .as_ref()
            .map(read_row)
            .transpose()
    }

    fn revoke_in(
        &self,
        c: &mut impl GenericClient,
        id: &str,
        now: i64,
        reason: &str,
    ) -> PgResult<bool> {
        let changed = c.execute(&self.sql.revoke, &[&id, &now, &reason])?;
        if self.revoked_at(c, id)? == Some(None) {
            return Err(did_not_stick(format!("revoking session {id} did not stick")).into());
        }
        Ok(changed == 1)
    }

    /// As the SQLite store: no change is right only when the session was revoked or
    /// deleted meanwhile.
    fn live_update(
        &self,
        c: &mut impl GenericClient,
        id: &str,
        changed: u64,
        what: &str,
    ) -> PgResult<bool> {
        if changed == 1 {
            return Ok(true);
        }
        if self.revoked_at(c, id)? == Some(None) {
            return Err(did_not_stick(format!("{what} live session {id} changed nothing")).into());
        }
        Ok(false)
    }
}

fn core(e: Error) -> PgFail {
    PgFail::Core(e)
}

impl SessionStore for PgSessions {
    fn insert_limited(&self, row: &Row, token_hash: &[u8; 32], limit: Limit) -> Result<Created> {
        let now = row.created_at;
        let since = now.saturating_sub(limit.idle_ms);
        // Six round trips whatever the limit does: BEGIN, the lock, the live sessions,
        // evictions and insert, the check, COMMIT. Each statement is prepared once per
        // connection, so the server does not parse and plan it on every create. The
        // live-sessions query walks the partial index of unrevoked sessions (PG_V2),
        // so its cost does not grow with revoked rows.
        self.pg.transaction(|tx| {
            let lock = tx.prepared(&self.sql.lock_user_and_own, &[Type::TEXT, Type::TEXT])?;
            let own: Option<Vec<i64>> =
                tx.query_one(&lock, &[&row.user_id, &row.id])?.try_get(1)?;
            // A retry after a commit whose acknowledgement was lost: already stored.
            if let Some(own) = own {
                if own.first() != Some(&-1) {
                    return Err(did_not_stick(format!("session {} was revoked", row.id)).into());
                }
                return Ok(Created::Stored {
                    evicted: Vec::new(),
                });
            }
            // A new statement, so a new snapshot: it sees every create that held the
            // lock before this one.
            let active = tx.prepared(&self.sql.active, &[Type::TEXT, Type::INT8, Type::INT8])?;
            let active = tx
                .query(&active, &[&row.user_id, &now, &since])?
                .iter()
                .map(read_row)
                .collect::<PgResult<Vec<_>>>()?;
            let mut to_evict: Vec<Row> = match limit.plan(active.len()) {
                Plan::Reject(count) => return Ok(Created::Rejected(count)),
                Plan::Evict(excess) => active.into_iter().take(excess).collect(),
            };
            let ids: Vec<&str> = to_evict.iter().map(|r| r.id.as_str()).collect();
            let insert = tx.prepared(
                &self.sql.evict_and_insert,
                &[
                    Type::TEXT,
                    Type::BYTEA,
                    Type::TEXT,
                    Type::INT8,
                    Type::INT8,
                    Type::INT8,
                    Type::TEXT,
                    Type::TEXT,
                    Type::BYTEA,
                    Type::TEXT_ARRAY,
                ],
            )?;
            let inserted = tx.query(
                &insert,
                &[
                    &row.id,
                    &&token_hash[..],
                    &row.user_id,
                    &row.created_at,
                    &row.last_seen,
                    &row.expires_at,
                    &row.ip,
                    &row.user_agent,
                    &row.fingerprint,
                    &ids,
                ],
            )?;
            // No row: a BEFORE trigger dropped the insert.
            let revoked: Vec<String> = match inserted.as_slice() {
                [one] => one.try_get(0)?,
                _ => {
                    return Err(
                        did_not_stick(format!("storing session {} did not stick", row.id)).into(),
                    );
                }
            };
            let check = tx.prepared(&self.sql.check_created, &[Type::BYTEA, Type::TEXT_ARRAY])?;
            let check = tx.query_one(&check, &[&&token_hash[..], &ids])?;
            let stored: Option<String> = check.try_get(0)?;
            let still_live: i64 = check.try_get(1)?;
            if stored.as_deref() != Some(row.id.as_str()) {
                return Err(
                    did_not_stick(format!("storing session {} did not stick", row.id)).into(),
                );
            }
            if still_live != 0 {
                return Err(did_not_stick(format!(
                    "evicting {still_live} session(s) of a user did not stick"
                ))
                .into());
            }
            to_evict.retain(|r| revoked.contains(&r.id));
            Ok(Created::Stored { evicted: to_evict })
        })
    }

    fn by_token_hash(&self, token_hash: &[u8; 32]) -> Result<Option<Row>> {
        // The hot path of `validate`: one round trip, prepared once per connection.
        self.pg.run(|c| {
            let by_token = c.prepared(&self.sql.by_token, &[Type::BYTEA])?;
            c.query_opt(&by_token, &[&&token_hash[..]])?
                .as_ref()
                .map(read_row)
                .transpose()
        })
    }

    fn active_for_user(&self, user_id: &str, now: i64, idle_ms: i64) -> Result<Vec<Row>> {
        let since = now.saturating_sub(idle_ms);
        self.pg.run(|c| {
            c.query(&self.sql.active, &[&user_id, &now, &since])?
                .iter()
                .map(read_row)
                .collect()
        })
    }

    fn revoke(&self, id: &str, now: i64, reason: &str) -> Result<bool> {
        self.pg
            .transaction(|tx| self.revoke_in(&mut **tx, id, now, reason))
    }

    fn revoke_token(&self, token_hash: &[u8; 32], now: i64, reason: &str) -> Result<(Row, bool)> {
        self.pg.transaction(|tx| {
            let row = self
                .by_token(&mut **tx, token_hash)?
                .ok_or_else(|| core(Error::SessionNotFound))?;
            let revoked = self.revoke_in(&mut **tx, &row.id, now, reason)?;
            Ok((row, revoked))
        })
    }

    fn revoke_user(&self, user_id: &str, now: i64, reason: &str) -> Result<Vec<String>> {
        self.pg.transaction(|tx| {
            tx.execute(self.sql.lock_user, &[&user_id])?;
            let mut ids = tx
                .query(&self.sql.revoke_user, &[&user_id, &now, &reason])?
                .iter()
                .map(|r| r.try_get::<_, String>(0))
                .collect::<std::result::Result<Vec<_>, _>>()?;
            let left: i64 = tx
                .query_one(&self.sql.left_for_user, &[&user_id])?
                .try_get(0)?;
            if left != 0 {
                return Err(did_not_stick(format!(
                    "revoking every session of a user left {left} unrevoked"
                ))
                .into());
            }
            ids.sort();
            Ok(ids)
        })
    }

    fn touch(&self, id: &str, now: i64) -> Result<bool> {
        self.pg.transaction(|tx| {
            let changed = tx.execute(&self.sql.touch, &[&id, &now])?;
            self.live_update(&mut **tx, id, changed, "touching")
        })
    }

    fn rebaseline(
        &self,
        token_hash: &[u8; 32],
        now: i64,
        check: &dyn Fn(&Row) -> Result<()>,
        baseline: Baseline<'_>,
    ) -> Result<Row> {
        self.pg.transaction(|tx| {
            let row = self
                .by_token(&mut **tx, token_hash)?
                .ok_or_else(|| core(Error::SessionNotFound))?;
            check(&row)?;
            let changed = tx.execute(
                &self.sql.rebaseline,
                &[
                    &row.id,
                    &now,
                    &baseline.ip,
                    &baseline.user_agent,
                    &baseline.fingerprint,
                ],
            )?;
            self.live_update(&mut **tx, &row.id, changed, "rebaselining")?;
            Ok(row)
        })
    }

    fn delete_expired(&self, now: i64, idle_ms: i64) -> Result<usize> {
        let since = now.saturating_sub(idle_ms);
        self.pg.transaction(|tx| {
            let deleted = tx.execute(&self.sql.delete_expired, &[&now, &since])?;
            let left: i64 = tx
                .query_one(&self.sql.left_expired, &[&now, &since])?
                .try_get(0)?;
            if left != 0 {
                return Err(
                    did_not_stick(format!("sweeping expired sessions left {left} behind")).into(),
                );
            }
            Ok(deleted as usize)
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::session::LimitPolicy;
    use crate::store::PgConfig;

    /// A create run again after its commit went through (the acknowledgement lost)
    /// stores nothing twice. Needs MAGNETAR_TEST_PG_URL (scripts/with-postgres.sh).
    #[test]
    fn insert_limited_is_idempotent_for_a_retried_create() {
        let Ok(url) = std::env::var("MAGNETAR_TEST_PG_URL") else {
            use std::io::Write;
            let _ = writeln!(
                std::io::stderr(),
                "SKIPPED insert_limited_is_idempotent_for_a_retried_create: MAGNETAR_TEST_PG_URL is unset"
            );
            return;
        };
        let pg = PgStore::open(&url, PgConfig::default()).unwrap();
        let sessions = PgSessions::open(pg).unwrap();
        let id = hex::encode(crate::random::bytes::<16>().unwrap());
        let row = Row {
            id: id.clone(),
            user_id: format!("idem-{id}"),
            created_at: 1_000,
            last_seen: 1_000,
            expires_at: i64::MAX,
            ip: "203.0.113.7".into(),
            user_agent: "curl/8.0".into(),
            fingerprint: vec![0; 32],
            revoked_at: None,
            revoke_reason: None,
        };
        let hash = crate::random::bytes::<32>().unwrap();
        let limit = Limit {
            max_sessions: 1,
            policy: LimitPolicy::Reject,
            idle_ms: i64::MAX / 4,
        };
        for _ in 0..2 {
            match sessions.insert_limited(&row, &hash, limit).unwrap() {
                Created::Stored { evicted } => assert!(evicted.is_empty()),
                Created::Rejected(_) => panic!("the retry was refused at the limit"),
            }
        }
        let live = sessions
            .active_for_user(&row.user_id, 2_000, i64::MAX / 4)
            .unwrap();
        assert_eq!(live.len(), 1);
        assert_eq!(live[0].id, id);
    }
}
