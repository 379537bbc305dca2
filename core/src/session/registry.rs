//! The session registry: sessions stored through a [`Store`], per-user limits, timeouts,
//! scoring of every request and the audit trail.
//!
//! # What is stored
//! Only the SHA-256 of each token (a 256-bit random token needs no slow hash: it
//! cannot be guessed, only stolen), a random public session id, the user id, the
//! creation, last-seen and absolute-expiry times, the baseline IP and User-Agent (the
//! subnet and browser-version comparisons need the values) and the keyed fingerprint
//! of the other headers (not their values). See [`schema`](super::schema). Lookups
//! go through a unique index on the token hash; the timing of an index lookup on a
//! SHA-256 output tells an attacker nothing usable about any token.
//!
//! # Baseline
//! A session is scored against the context it was created with; an allowed request
//! does not roll the baseline forward. A rolling baseline would let an attacker drift
//! one small allowed step at a time (a subnet move, then a version bump, then another
//! move) until nothing of the original client remains. After the host has completed a
//! step-up (2FA) it calls [`SessionRegistry::rebaseline`] to accept the new context.
//!
//! # Last-seen granularity
//! `validate` is a read-only lookup unless the stored last-seen time is at least
//! [`SessionConfig::touch_interval`] (default 60 s) old: a write per request would be
//! the dominant cost. The idle timeout is measured from the stored last-seen time, so
//! a session can expire up to `touch_interval` early (with the defaults: after 29 to
//! 30 minutes without requests). Allowed and monitored requests touch the session;
//! step-up requests do not (the request is not trusted until the second factor).
//!
//! # Concurrency
//! Creation counts and evicts inside one transaction under a per-user lock (SQLite:
//! `BEGIN IMMEDIATE` on the pool's single writer; PostgreSQL: an advisory lock on the
//! user), so concurrent logins from threads, processes or hosts sharing the store never
//! exceed the limit.
//!
//! # Audit
//! With a [`SessionAuditSink`] attached, every creation, rejection at the limit,
//! eviction, Monitor / StepUp / Terminate decision, rebaseline and revocation is
//! recorded (action names on [`SessionAction`]); [`SessionRegistry::validate_request`],
//! which HTTP middlewares call, also records refused tokens and (optionally) allowed
//! requests, so that rule is written once for every host. Events are recorded after the change
//! commits; if the sink fails, the operation returns its error. For `create`, the new
//! session is then revoked (reason `audit_failed`) so no usable session exists without
//! its audit record.

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde::Serialize;
use serde_json::json;
use sha2::{Digest, Sha256};
use zeroize::{Zeroize, ZeroizeOnDrop, Zeroizing};

use super::audit::{SessionAction, SessionAuditEvent, SessionAuditSink};
use super::config::{LimitPolicy, SessionConfig};
use super::context::{Fingerprint, FingerprintKey, RequestContext, parse_ip};
use super::score::{Assessment, Baseline, Decision, Scorer};
use super::store::postgres::PgSessions;
use super::store::sqlite::SqliteSessions;
use super::store::{self, Created, Limit, Row, SessionStore};
use crate::clock::SharedClock;
use crate::error::{Error, ErrorKind, Result};
use crate::store::Store;

/// Longest accepted user id, in bytes.
pub const MAX_USER_ID_LEN: usize = 256;

/// A session token: 256 random bits, URL-safe base64 without padding (43 characters).
/// Shown to the client once; only its SHA-256 is stored. Zeroized on drop; `Debug`
/// prints `[redacted]`.
#[derive(Clone, Zeroize, ZeroizeOnDrop)]
pub struct SessionToken(String);

impl SessionToken {
    /// The token text, to hand to the client (cookie, bearer header).
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for SessionToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("SessionToken([redacted])")
    }
}

/// A session as the host sees it (never the token).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Record))]
pub struct Session {
    /// Random public id (32 hex characters), safe to log and to show in a device list.
    pub id: String,
    /// The owner.
    pub user_id: String,
    /// Creation time, Unix ms.
    pub created_at_ms: i64,
    /// Last stored use, Unix ms (see the module docs on granularity).
    pub last_seen_ms: i64,
    /// When the session expires unless used again, Unix ms
    /// (`min(last_seen + idle_timeout, absolute expiry)`).
    pub idle_expires_at_ms: i64,
    /// Absolute expiry, Unix ms.
    pub expires_at_ms: i64,
    /// Baseline IP.
    pub ip: String,
    /// Baseline User-Agent.
    pub user_agent: String,
    /// When it was revoked, if it was.
    pub revoked_at_ms: Option<i64>,
    /// Why it was revoked: `revoked`, `evicted`, `terminated`, `audit_failed` or the
    /// reason given to `revoke_all`.
    pub revoke_reason: Option<String>,
}

/// The outcome of [`SessionRegistry::validate`].
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Record))]
pub struct Validation {
    /// Score, decision and reasons. On `Terminate` the session has been revoked.
    pub assessment: Assessment,
    /// The session after this request.
    pub session: Session,
}

/// The outcome of [`SessionRegistry::validate_request`] for a request that carried a
/// token.
#[derive(Debug)]
pub enum RequestOutcome {
    /// The token names a live session and the request was scored (on `Terminate` the
    /// session has been revoked: answer it as a refusal).
    Validated(Validation),
    /// The token names no usable session, for the reason the error gives
    /// (`SessionNotFound`, `SessionExpired`, `SessionRevoked`, or `InvalidInput` for a
    /// malformed token); recorded as `session.refused`.
    Refused(Error),
}

/// Sessions stored through a [`Store`] (an SQLite pool or PostgreSQL). `Send + Sync`;
/// clone the `Arc` you keep it in.
pub struct SessionRegistry {
    store: Box<dyn SessionStore>,
    backend: &'static str,
    key: FingerprintKey,
    scorer: Scorer,
    clock: SharedClock,
    max_sessions: usize,
    limit_policy: LimitPolicy,
    idle_ms: i64,
    absolute_ms: i64,
    touch_ms: i64,
    audit: Option<Arc<dyn SessionAuditSink>>,
}

impl fmt::Debug for SessionRegistry {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SessionRegistry")
            .field("backend", &self.backend)
            .field("max_sessions", &self.max_sessions)
            .field("limit_policy", &self.limit_policy)
            .field("idle_ms", &self.idle_ms)
            .field("absolute_ms", &self.absolute_ms)
            .field("touch_ms", &self.touch_ms)
            .field("audit", &self.audit.is_some())
            .finish_non_exhaustive()
    }
}

fn millis(name: &str, d: Duration) -> Result<i64> {
    let ms = i64::try_from(d.as_millis()).unwrap_or(i64::MAX);
    if ms <= 0 || ms > 366 * 24 * 3_600_000 {
        return Err(Error::InvalidConfig(format!(
            "{name} must be between 1 ms and 366 days, got {d:?}"
        )));
    }
    Ok(ms)
}

/// The SHA-256 of a token, after checking its shape.
fn token_hash(token: &str) -> Result<[u8; 32]> {
    let bad = || {
        Error::InvalidInput(
            "a session token is 43 URL-safe base64 characters encoding 32 bytes".into(),
        )
    };
    if token.len() != 43 {
        return Err(bad());
    }
    let raw = Zeroizing::new(URL_SAFE_NO_PAD.decode(token).map_err(|_| bad())?);
    if raw.len() != 32 {
        return Err(bad());
    }
    Ok(Sha256::digest(&raw[..]).into())
}

fn corrupt(what: String) -> Error {
    Error::Database {
        kind: ErrorKind::Corrupt,
        code: None,
        message: format!("session table holds an invalid {what}"),
    }
}

impl SessionRegistry {
    /// Opens the registry on a store (a [`Pool`](crate::pool::Pool) converts into one),
    /// creating or upgrading its table.
    ///
    /// Fails with `InvalidConfig` when a limit or timeout is out of range, and with
    /// `SchemaTooNew` when the database was written by a newer Magnetar.
    pub fn open(store: impl Into<Store>, config: SessionConfig) -> Result<Self> {
        let store = store.into();
        if config.max_sessions_per_user == 0 {
            return Err(Error::InvalidConfig(
                "max_sessions_per_user must be at least 1".into(),
            ));
        }
        let idle_ms = millis("idle_timeout", config.idle_timeout)?;
        let absolute_ms = millis("absolute_timeout", config.absolute_timeout)?;
        let touch_ms = i64::try_from(config.touch_interval.as_millis()).unwrap_or(i64::MAX);
        if touch_ms > idle_ms {
            return Err(Error::InvalidConfig(format!(
                "touch_interval ({:?}) must not exceed idle_timeout ({:?})",
                config.touch_interval, config.idle_timeout
            )));
        }
        let scorer = Scorer::new(config.scoring)?;
        let clock = config
            .clock
            .clone()
            .unwrap_or_else(|| store.clock().clone());
        let backend = store.backend();
        let store: Box<dyn SessionStore> = match store {
            Store::Sqlite(pool) => Box::new(SqliteSessions::open(pool)?),
            Store::Postgres(pg) => Box::new(PgSessions::open(pg)?),
        };
        Ok(SessionRegistry {
            store,
            backend,
            key: config.fingerprint_key.clone(),
            scorer,
            clock,
            max_sessions: config.max_sessions_per_user as usize,
            limit_policy: config.limit_policy,
            idle_ms,
            absolute_ms,
            touch_ms,
            audit: None,
        })
    }

    /// Attaches an audit sink; every later event is recorded through it.
    pub fn with_audit(mut self, sink: Arc<dyn SessionAuditSink>) -> Self {
        self.audit = Some(sink);
        self
    }

    /// Creates a session for `user_id` from the login request's context.
    ///
    /// At the per-user limit, either revokes the oldest sessions (`session.evict`) or
    /// fails with `SessionLimit`, depending on the policy. Returns the token (give it
    /// to the client; it is not stored) and the session.
    pub fn create(&self, user_id: &str, ctx: &RequestContext) -> Result<(SessionToken, Session)> {
        check_user_id(user_id)?;
        let raw = Zeroizing::new(crate::random::bytes::<32>()?);
        let token = SessionToken(URL_SAFE_NO_PAD.encode(&raw[..]));
        let hash: [u8; 32] = Sha256::digest(&raw[..]).into();
        let now = self.clock.unix_millis();
        let row = Row {
            id: hex::encode(crate::random::bytes::<16>()?),
            user_id: user_id.to_string(),
            created_at: now,
            last_seen: now,
            expires_at: now.saturating_add(self.absolute_ms),
            ip: ctx.ip().to_string(),
            user_agent: ctx.user_agent().to_string(),
            fingerprint: ctx.fingerprint(&self.key).as_bytes().to_vec(),
            revoked_at: None,
            revoke_reason: None,
        };
        let outcome = self.store.insert_limited(
            &row,
            &hash,
            Limit {
                max_sessions: self.max_sessions,
                policy: self.limit_policy,
                idle_ms: self.idle_ms,
            },
        )?;
        let evicted = match outcome {
            Created::Rejected(count) => {
                self.record(SessionAuditEvent {
                    action: SessionAction::Reject,
                    user_id: Some(user_id.to_string()),
                    session_id: None,
                    ip: Some(row.ip.clone()),
                    user_agent: Some(row.user_agent.clone()),
                    status: "rejected".into(),
                    details: json!({ "active_sessions": count, "limit": self.max_sessions }),
                    timestamp_ms: now,
                })?;
                return Err(Error::SessionLimit(format!(
                    "user already has {count} active sessions (limit {})",
                    self.max_sessions
                )));
            }
            Created::Stored { evicted } => evicted,
        };
        let session = self.session_of(&row);
        if let Err(err) = self.record_creation(&row, &evicted, now) {
            // Best effort: the error being reported is the audit failure.
            if let Err(revoke_err) = self.store.revoke(&row.id, now, "audit_failed") {
                log::error!("could not revoke session after audit failure: {revoke_err}");
            }
            return Err(err);
        }
        Ok((token, session))
    }

    fn record_creation(&self, row: &Row, evicted: &[Row], now: i64) -> Result<()> {
        for old in evicted {
            self.record(SessionAuditEvent {
                action: SessionAction::Evict,
                user_id: Some(old.user_id.clone()),
                session_id: Some(old.id.clone()),
                ip: Some(old.ip.clone()),
                user_agent: Some(old.user_agent.clone()),
                status: "evicted".into(),
                details: json!({ "reason": "session_limit", "limit": self.max_sessions, "new_session_id": row.id }),
                timestamp_ms: now,
            })?;
        }
        self.record(SessionAuditEvent {
            action: SessionAction::Create,
            user_id: Some(row.user_id.clone()),
            session_id: Some(row.id.clone()),
            ip: Some(row.ip.clone()),
            user_agent: Some(row.user_agent.clone()),
            status: "success".into(),
            details: json!({ "expires_at_ms": row.expires_at, "evicted": evicted.iter().map(|r| &r.id).collect::<Vec<_>>() }),
            timestamp_ms: now,
        })
    }

    /// Checks a token and scores the request against the session.
    ///
    /// Fails with `SessionNotFound` (no such token), `SessionRevoked` or
    /// `SessionExpired` (idle or absolute timeout), and `InvalidInput` for a token of
    /// the wrong shape. On `Terminate` the session is revoked and the assessment is
    /// still returned; later calls fail with `SessionRevoked`.
    pub fn validate(&self, token: &str, ctx: &RequestContext) -> Result<Validation> {
        let now = self.clock.unix_millis();
        let validation = self.score_request(token, ctx, now)?;
        self.record_decision(&validation, ctx, now, false)?;
        Ok(validation)
    }

    /// [`validate`](Self::validate) for a host's HTTP layer (a middleware in front of
    /// every request that carries a token): besides the Monitor / StepUp / Terminate
    /// decisions `validate` records, it records the two outcomes a middleware would
    /// otherwise record itself, so every host audits requests the same way:
    ///
    /// - a token that names no usable session (`validate` would fail with
    ///   `SessionNotFound`, `SessionExpired`, `SessionRevoked`, or `InvalidInput` for a
    ///   malformed token) is recorded as `session.refused`, with the error kind's name as
    ///   status and the request's IP and User-Agent, and returned as
    ///   [`RequestOutcome::Refused`] rather than as an error: the host answers it as
    ///   "not signed in" (HTTP 401), not as a failure;
    /// - with `audit_allow`, an allowed request is recorded as `session.allow` (status
    ///   `allow`, details the score), one event per request.
    ///
    /// Errors are what remains: pool, database and audit-sink failures.
    pub fn validate_request(
        &self,
        token: &str,
        ctx: &RequestContext,
        audit_allow: bool,
    ) -> Result<RequestOutcome> {
        let now = self.clock.unix_millis();
        let validation = match self.score_request(token, ctx, now) {
            Ok(validation) => validation,
            Err(err) if refuses_token(err.kind()) => {
                self.record(SessionAuditEvent {
                    action: SessionAction::Refused,
                    // The token is never recorded, and an unknown one names nobody.
                    user_id: None,
                    session_id: None,
                    ip: Some(ctx.ip().to_string()),
                    user_agent: Some(ctx.user_agent().to_string()),
                    status: err.kind().name().into(),
                    details: serde_json::Value::Null,
                    timestamp_ms: now,
                })?;
                return Ok(RequestOutcome::Refused(err));
            }
            Err(err) => return Err(err),
        };
        self.record_decision(&validation, ctx, now, audit_allow)?;
        Ok(RequestOutcome::Validated(validation))
    }

    /// The lookup, liveness check and scoring of `validate`, with the revocation on
    /// Terminate and the last-seen touch; records nothing. Its `SessionNotFound`,
    /// `SessionExpired`, `SessionRevoked` and `InvalidInput` errors all mean the token
    /// names no usable session (see [`refuses_token`]).
    fn score_request(&self, token: &str, ctx: &RequestContext, now: i64) -> Result<Validation> {
        let hash = token_hash(token)?;
        let mut row = self
            .store
            .by_token_hash(&hash)?
            .ok_or(Error::SessionNotFound)?;
        self.check_live(&row, now)?;

        let stored_ip =
            parse_ip(&row.ip).map_err(|_| corrupt(format!("IP for session {}", row.id)))?;
        let stored_fp = Fingerprint::from_slice(&row.fingerprint)
            .map_err(|_| corrupt(format!("fingerprint for session {}", row.id)))?;
        let fingerprint_change = (stored_fp != ctx.fingerprint(&self.key))
            .then(|| "fingerprinted headers changed".to_string());
        let assessment = self.scorer.assess(
            &Baseline {
                ip: stored_ip,
                user_agent: &row.user_agent,
            },
            ctx,
            fingerprint_change,
        );

        match assessment.decision {
            Decision::Terminate => {
                let revoked = self.store.revoke(&row.id, now, "terminated")?;
                if !revoked {
                    return Err(Error::SessionRevoked("revoked by another request".into()));
                }
                row.revoked_at = Some(now);
                row.revoke_reason = Some("terminated".into());
            }
            Decision::Allow | Decision::Monitor if now - row.last_seen >= self.touch_ms => {
                if !self.store.touch(&row.id, now)? {
                    return Err(Error::SessionRevoked("revoked by another request".into()));
                }
                row.last_seen = row.last_seen.max(now);
            }
            _ => {}
        }
        Ok(Validation {
            session: self.session_of(&row),
            assessment,
        })
    }

    /// Records a scored request: Monitor, StepUp and Terminate always, Allow only when
    /// `audit_allow`.
    fn record_decision(
        &self,
        validation: &Validation,
        ctx: &RequestContext,
        now: i64,
        audit_allow: bool,
    ) -> Result<()> {
        let assessment = &validation.assessment;
        let action = match assessment.decision {
            Decision::Allow if !audit_allow => return Ok(()),
            Decision::Allow => SessionAction::Allow,
            Decision::Monitor => SessionAction::Monitor,
            Decision::StepUp => SessionAction::StepUp,
            Decision::Terminate => SessionAction::Terminate,
        };
        let details = if action == SessionAction::Allow {
            // The score alone: an allowed request's reasons are all below the monitor
            // threshold, and an event per request should stay small.
            json!({ "score": assessment.score })
        } else {
            json!({ "score": assessment.score, "reasons": assessment.reasons })
        };
        self.record(SessionAuditEvent {
            action,
            user_id: Some(validation.session.user_id.clone()),
            session_id: Some(validation.session.id.clone()),
            ip: Some(ctx.ip().to_string()),
            user_agent: Some(ctx.user_agent().to_string()),
            status: assessment.decision.as_str().into(),
            details,
            timestamp_ms: now,
        })
    }

    /// Accepts `ctx` as the session's new baseline (IP, User-Agent, fingerprint),
    /// typically after the host completed a step-up. Same errors as `validate`.
    pub fn rebaseline(&self, token: &str, ctx: &RequestContext) -> Result<Session> {
        let hash = token_hash(token)?;
        let now = self.clock.unix_millis();
        let ip = ctx.ip().to_string();
        let fingerprint = ctx.fingerprint(&self.key);
        let mut row = self.store.rebaseline(
            &hash,
            now,
            &|row| self.check_live(row, now),
            store::Baseline {
                ip: &ip,
                user_agent: ctx.user_agent(),
                fingerprint: fingerprint.as_bytes(),
            },
        )?;
        let previous = json!({ "ip": row.ip, "user_agent": row.user_agent });
        row.ip = ip;
        row.user_agent = ctx.user_agent().to_string();
        row.last_seen = row.last_seen.max(now);
        self.record(SessionAuditEvent {
            action: SessionAction::Rebaseline,
            user_id: Some(row.user_id.clone()),
            session_id: Some(row.id.clone()),
            ip: Some(row.ip.clone()),
            user_agent: Some(row.user_agent.clone()),
            status: "success".into(),
            details: json!({ "previous": previous }),
            timestamp_ms: now,
        })?;
        Ok(self.session_of(&row))
    }

    /// Revokes the session of this token (logout). Revoking an already revoked or
    /// expired session succeeds; an unknown token fails with `SessionNotFound`.
    pub fn revoke(&self, token: &str) -> Result<()> {
        let hash = token_hash(token)?;
        let now = self.clock.unix_millis();
        let (row, revoked) = self.store.revoke_token(&hash, now, "revoked")?;
        if revoked {
            self.record(SessionAuditEvent {
                action: SessionAction::Revoke,
                user_id: Some(row.user_id.clone()),
                session_id: Some(row.id.clone()),
                ip: None,
                user_agent: None,
                status: "revoked".into(),
                details: json!({ "reason": "revoked" }),
                timestamp_ms: now,
            })?;
        }
        Ok(())
    }

    /// Revokes every session of a user (on password change, account lock...), with a
    /// reason kept on each session and in the audit event. Returns how many were
    /// revoked.
    pub fn revoke_all(&self, user_id: &str, reason: &str) -> Result<usize> {
        check_user_id(user_id)?;
        if reason.is_empty() || reason.len() > 256 {
            return Err(Error::InvalidInput(
                "a revocation reason is 1 to 256 bytes".into(),
            ));
        }
        let now = self.clock.unix_millis();
        let ids = self.store.revoke_user(user_id, now, reason)?;
        self.record(SessionAuditEvent {
            action: SessionAction::RevokeAll,
            user_id: Some(user_id.to_string()),
            session_id: None,
            ip: None,
            user_agent: None,
            status: "revoked".into(),
            details: json!({ "reason": reason, "count": ids.len(), "session_ids": ids }),
            timestamp_ms: now,
        })?;
        Ok(ids.len())
    }

    /// The user's live sessions (not revoked, not expired), oldest first.
    pub fn list(&self, user_id: &str) -> Result<Vec<Session>> {
        check_user_id(user_id)?;
        let now = self.clock.unix_millis();
        let rows = self.store.active_for_user(user_id, now, self.idle_ms)?;
        Ok(rows.iter().map(|r| self.session_of(r)).collect())
    }

    /// Deletes every session past its idle or absolute timeout (revoked ones too,
    /// which are kept until then so they report as revoked). Returns how many.
    pub fn sweep_expired(&self) -> Result<usize> {
        let now = self.clock.unix_millis();
        self.store.delete_expired(now, self.idle_ms)
    }

    fn check_live(&self, row: &Row, now: i64) -> Result<()> {
        if row.revoked_at.is_some() {
            let reason = row.revoke_reason.as_deref().unwrap_or("revoked");
            return Err(Error::SessionRevoked(format!(
                "session {} ({reason})",
                row.id
            )));
        }
        if now >= row.expires_at {
            return Err(Error::SessionExpired(format!(
                "session {} passed its absolute timeout",
                row.id
            )));
        }
        if now >= row.last_seen.saturating_add(self.idle_ms) {
            return Err(Error::SessionExpired(format!(
                "session {} passed its idle timeout",
                row.id
            )));
        }
        Ok(())
    }

    fn session_of(&self, row: &Row) -> Session {
        Session {
            id: row.id.clone(),
            user_id: row.user_id.clone(),
            created_at_ms: row.created_at,
            last_seen_ms: row.last_seen,
            idle_expires_at_ms: row
                .last_seen
                .saturating_add(self.idle_ms)
                .min(row.expires_at),
            expires_at_ms: row.expires_at,
            ip: row.ip.clone(),
            user_agent: row.user_agent.clone(),
            revoked_at_ms: row.revoked_at,
            revoke_reason: row.revoke_reason.clone(),
        }
    }

    fn record(&self, event: SessionAuditEvent) -> Result<()> {
        match &self.audit {
            Some(sink) => sink.record(event),
            None => Ok(()),
        }
    }
}

/// Whether an error of `score_request` means that the token names no usable session (the
/// client is not signed in) rather than that the registry failed.
fn refuses_token(kind: ErrorKind) -> bool {
    matches!(
        kind,
        ErrorKind::SessionNotFound
            | ErrorKind::SessionExpired
            | ErrorKind::SessionRevoked
            | ErrorKind::InvalidInput
    )
}

fn check_user_id(user_id: &str) -> Result<()> {
    if user_id.is_empty() || user_id.len() > MAX_USER_ID_LEN {
        return Err(Error::InvalidInput(format!(
            "a user id is 1 to {MAX_USER_ID_LEN} bytes, got {}",
            user_id.len()
        )));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn token_shape_is_checked() {
        assert!(token_hash(&URL_SAFE_NO_PAD.encode([9u8; 32])).is_ok());
        for bad in [
            "",
            "short",
            &"A".repeat(44),
            &"!".repeat(43),
            &"B".repeat(43),
        ] {
            let err = token_hash(bad).unwrap_err();
            assert_eq!(err.kind(), ErrorKind::InvalidInput, "{bad}");
        }
    }

    #[test]
    fn token_debug_is_redacted() {
        let t = SessionToken("secret-token".into());
        assert_eq!(format!("{t:?}"), "SessionToken([redacted])");
    }
}
