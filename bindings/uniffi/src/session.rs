//! Session risk for Swift: request contexts, scoring, and the session registry.
//!
//! Every rule (normalisation, weights, thresholds, limits, timeouts) is core's; this
//! module converts records and errors. Assessments, decisions, signals, scoring
//! policies, limit policies, sessions and validations are core's own types, their uniffi
//! conversions derived in core.

use std::collections::HashMap;
use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use magnetar_core::session::{
    self as core_session, Assessment, Decision, LimitPolicy, ScoringPolicy, Session, Validation,
};
use magnetar_core::store::Store;
use zeroize::Zeroizing;

use crate::audit::AuditLog;
use crate::error::{MagnetarError, Result};
use crate::pool::Pool;
use crate::store::PostgresStore;

/// What a request looked like: client IP, User-Agent, and the other headers the host
/// chose to fingerprint (for example `Accept-Language`). Core validates and normalises
/// it on every call.
///
/// Not core's `RequestContext`: that one is validated and normalised on construction
/// (private fields, fallible constructor), so the record is the raw input core builds it
/// from.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct RequestContext {
    /// The client IP (IPv4 or IPv6).
    pub ip: String,
    /// The User-Agent header.
    pub user_agent: String,
    /// Other fingerprinted headers, by name.
    pub headers: HashMap<String, String>,
}

impl TryFrom<RequestContext> for core_session::RequestContext {
    type Error = magnetar_core::Error;
    fn try_from(c: RequestContext) -> magnetar_core::Result<Self> {
        let mut ctx = core_session::RequestContext::new(&c.ip, &c.user_agent)?;
        for (name, value) in &c.headers {
            ctx.insert_header(name, value)?;
        }
        Ok(ctx)
    }
}

fn context(c: RequestContext) -> Result<core_session::RequestContext> {
    Ok(core_session::RequestContext::try_from(c)?)
}

/// What a User-Agent string says, the way session scoring reads it. Strings are empty
/// when unknown.
///
/// Not core's `UserAgentInfo`: its kind is core's `ClientKind` enum, which Swift has always
/// read as a string.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct UserAgentInfo {
    /// Browser or app name (`Chrome`, `Firefox`, `MyApp`...).
    pub family: String,
    /// Browser or app version.
    pub version: String,
    /// Operating system.
    pub os: String,
    /// OS version.
    pub os_version: String,
    /// `browser`, `native_app`, `crawler` or `unknown`.
    pub kind: String,
}

/// Parses a User-Agent string the way session scoring reads it.
#[uniffi::export]
pub fn parse_user_agent(user_agent: String) -> UserAgentInfo {
    let info = core_session::user_agent::parse(&user_agent);
    UserAgentInfo {
        kind: match info.kind {
            core_session::ClientKind::Browser => "browser",
            core_session::ClientKind::NativeApp => "native_app",
            core_session::ClientKind::Crawler => "crawler",
            _ => "unknown",
        }
        .to_owned(),
        family: info.family,
        version: info.version,
        os: info.os,
        os_version: info.os_version,
    }
}

/// Core's default scoring policy (IP 0.3, User-Agent 0.5, fingerprint 0.2; monitor 0.5,
/// step-up 0.7, terminate 0.9).
#[uniffi::export]
pub fn default_scoring_policy() -> ScoringPolicy {
    ScoringPolicy::default()
}

/// Scores `current` against `previous` with `policy` (no registry, no storage).
#[uniffi::export]
pub fn score_request(
    previous: RequestContext,
    current: RequestContext,
    policy: ScoringPolicy,
) -> Result<Assessment> {
    let scorer = core_session::Scorer::new(policy)?;
    Ok(scorer.score(&context(previous)?, &context(current)?))
}

/// A [`RequestContext`] validated and normalised once, held by Rust: build one per
/// request and pass it to `RiskScorer.score` (or score it against several sessions)
/// without converting the record's strings and headers again on every call.
#[derive(Debug, uniffi::Object)]
pub struct PreparedRequestContext {
    inner: core_session::RequestContext,
}

#[uniffi::export]
impl PreparedRequestContext {
    /// Validates and normalises `context` (`invalidInput` for a bad IP, an over-long
    /// header, ...), as every call taking a `RequestContext` does.
    #[uniffi::constructor]
    pub fn new(context: RequestContext) -> Result<Arc<Self>> {
        Ok(Arc::new(PreparedRequestContext {
            inner: self::context(context)?,
        }))
    }
}

/// A scoring policy validated once, for scoring many requests: the cheap form of
/// `scoreRequest` when contexts are `PreparedRequestContext`s.
#[derive(Debug, uniffi::Object)]
pub struct RiskScorer {
    inner: core_session::Scorer,
}

#[uniffi::export]
impl RiskScorer {
    /// A scorer for `policy` (`invalidConfig` when a weight or threshold is out of range).
    #[uniffi::constructor]
    pub fn new(policy: ScoringPolicy) -> Result<Arc<Self>> {
        Ok(Arc::new(RiskScorer {
            inner: core_session::Scorer::new(policy)?,
        }))
    }

    /// Scores `current` against `previous`: the same result as `scoreRequest` with this
    /// scorer's policy.
    pub fn score(
        &self,
        previous: Arc<PreparedRequestContext>,
        current: Arc<PreparedRequestContext>,
    ) -> Assessment {
        self.inner.score(&previous.inner, &current.inner)
    }

    /// Only the decision of `score(previous:current:)`: the cheapest call for a hot path
    /// (one small enum comes back instead of an assessment with its reasons); call
    /// `score` when the decision is not `allow` and the reasons are wanted.
    pub fn decide(
        &self,
        previous: Arc<PreparedRequestContext>,
        current: Arc<PreparedRequestContext>,
    ) -> Decision {
        self.inner.score(&previous.inner, &current.inner).decision
    }
}

/// The key of the fingerprint HMAC. Opaque: the bytes never come back out.
#[derive(uniffi::Object)]
pub struct FingerprintKey {
    inner: core_session::FingerprintKey,
}

impl fmt::Debug for FingerprintKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("FingerprintKey([redacted])")
    }
}

#[uniffi::export]
impl FingerprintKey {
    /// A key from 32 bytes the host keeps (Keychain).
    #[uniffi::constructor]
    pub fn from_bytes(bytes: Vec<u8>) -> Result<Arc<Self>> {
        let bytes = Zeroizing::new(bytes);
        let inner = core_session::FingerprintKey::from_slice(&bytes)?;
        Ok(Arc::new(FingerprintKey { inner }))
    }

    /// A key derived from a master key (HKDF), so one stored secret serves several uses.
    #[uniffi::constructor]
    pub fn derive(master_key: Vec<u8>) -> Result<Arc<Self>> {
        let master_key = Zeroizing::new(master_key);
        let inner = core_session::FingerprintKey::derive(&master_key)?;
        Ok(Arc::new(FingerprintKey { inner }))
    }

    /// A fresh random key (fingerprints then only compare within this process's life).
    #[uniffi::constructor]
    pub fn generate() -> Result<Arc<Self>> {
        let inner = core_session::FingerprintKey::generate()?;
        Ok(Arc::new(FingerprintKey { inner }))
    }
}

/// Configuration of a session registry (the fingerprint key is passed separately).
/// Start from `SessionConfig()` in Swift (core's defaults).
///
/// Not core's `SessionConfig`: that one holds the fingerprint key (a secret, which stays
/// in an opaque `FingerprintKey`) and an optional clock (`Arc<dyn Clock>`), which uniffi
/// cannot carry.
#[derive(Debug, Clone, PartialEq, uniffi::Record)]
pub struct SessionConfig {
    /// Concurrent sessions per user (at least 1).
    pub max_sessions_per_user: u32,
    /// What happens at the limit.
    pub limit_policy: LimitPolicy,
    /// A session unused this long expires.
    pub idle_timeout: Duration,
    /// A session expires this long after creation.
    pub absolute_timeout: Duration,
    /// Last-seen is written only when it moved by at least this much.
    pub touch_interval: Duration,
    /// Weights and thresholds.
    pub scoring: ScoringPolicy,
}

/// Core's default session configuration (3 sessions per user, evict the oldest,
/// 30 min idle, 24 h absolute).
#[uniffi::export]
pub fn default_session_config() -> SessionConfig {
    // Core's defaults come with the key; a zero key is used only to read them.
    let c = core_session::SessionConfig::new(core_session::FingerprintKey::new([0; 32]));
    SessionConfig {
        max_sessions_per_user: c.max_sessions_per_user,
        limit_policy: c.limit_policy,
        idle_timeout: c.idle_timeout,
        absolute_timeout: c.absolute_timeout,
        touch_interval: c.touch_interval,
        scoring: c.scoring,
    }
}

fn core_config(key: &FingerprintKey, c: SessionConfig) -> core_session::SessionConfig {
    core_session::SessionConfig {
        max_sessions_per_user: c.max_sessions_per_user,
        limit_policy: c.limit_policy,
        idle_timeout: c.idle_timeout,
        absolute_timeout: c.absolute_timeout,
        touch_interval: c.touch_interval,
        scoring: c.scoring,
        ..core_session::SessionConfig::new(key.inner.clone())
    }
}

/// A new session and its token. Give the token to the client (cookie, bearer header);
/// Magnetar stores only its hash.
///
/// Core returns the pair as a tuple of its `SessionToken` and `Session`; uniffi has no
/// tuples, so this record carries them.
#[derive(Clone, PartialEq, Eq, uniffi::Record)]
pub struct CreatedSession {
    /// The session token (secret).
    pub token: String,
    /// The session.
    pub session: Session,
}

impl fmt::Debug for CreatedSession {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CreatedSession")
            .field("token", &"[redacted]")
            .field("session", &self.session)
            .finish()
    }
}

/// The outcome of `validateRequest` for a request that carried a token. Kept here
/// rather than derived on core's `RequestOutcome`: its refusal carries core's `Error`,
/// which crosses as `MagnetarError`.
#[derive(Debug, Clone, PartialEq, uniffi::Enum)]
pub enum RequestOutcome {
    /// The token names a live session and the request was scored (on `terminate` the
    /// session has been revoked: answer it as a refusal).
    Validated {
        /// The assessment and the session.
        validation: Validation,
    },
    /// The token names no usable session (recorded as `session.refused`).
    Refused {
        /// Why: `sessionNotFound`, `sessionExpired`, `sessionRevoked`, or `invalidInput`
        /// for a malformed token.
        reason: MagnetarError,
    },
}

/// Sessions stored through a SQLite pool or a PostgreSQL store: per-user limits,
/// timeouts, scoring of every request.
#[derive(Debug, uniffi::Object)]
pub struct SessionRegistry {
    inner: core_session::SessionRegistry,
}

impl SessionRegistry {
    fn open(
        store: impl Into<Store>,
        key: &FingerprintKey,
        config: SessionConfig,
        audit: Option<Arc<AuditLog>>,
    ) -> Result<Arc<Self>> {
        let mut inner = core_session::SessionRegistry::open(store, core_config(key, config))?;
        if let Some(log) = audit {
            let sink: Arc<dyn core_session::SessionAuditSink> = log.core();
            inner = inner.with_audit(sink);
        }
        Ok(Arc::new(SessionRegistry { inner }))
    }
}

#[uniffi::export]
impl SessionRegistry {
    /// Opens the registry on `pool`, creating or upgrading its table. With `audit`,
    /// every creation, rejection, eviction, Monitor / StepUp / Terminate decision,
    /// rebaseline and revocation is recorded in that log.
    #[uniffi::constructor]
    pub fn new(
        pool: Arc<Pool>,
        key: Arc<FingerprintKey>,
        config: SessionConfig,
        audit: Option<Arc<AuditLog>>,
    ) -> Result<Arc<Self>> {
        Self::open(pool.core(), &key, config, audit)
    }

    /// `new` on a PostgreSQL store: the per-user limit and revocations hold across every
    /// server sharing it (Swift's `SessionRegistry(store:key:config:audit:)`).
    #[uniffi::constructor]
    pub fn on_postgres(
        store: Arc<PostgresStore>,
        key: Arc<FingerprintKey>,
        config: SessionConfig,
        audit: Option<Arc<AuditLog>>,
    ) -> Result<Arc<Self>> {
        Self::open(store.core().clone(), &key, config, audit)
    }

    /// Creates a session for `user_id` from the login request's context.
    pub fn create(&self, user_id: String, context: RequestContext) -> Result<CreatedSession> {
        let (token, session) = self.inner.create(&user_id, &self::context(context)?)?;
        Ok(CreatedSession {
            token: token.as_str().to_string(),
            session,
        })
    }

    /// Checks a token and scores the request against the session.
    pub fn validate(&self, token: String, context: RequestContext) -> Result<Validation> {
        Ok(self.inner.validate(&token, &self::context(context)?)?)
    }

    /// `validate` for a host's HTTP layer: also records a refused token
    /// (`session.refused`) and, with `audit_allow`, an allowed request (`session.allow`),
    /// and returns a refusal instead of throwing it; only store and audit failures throw.
    pub fn validate_request(
        &self,
        token: String,
        context: RequestContext,
        audit_allow: bool,
    ) -> Result<RequestOutcome> {
        let token = Zeroizing::new(token);
        let outcome = self
            .inner
            .validate_request(&token, &self::context(context)?, audit_allow)?;
        Ok(match outcome {
            core_session::RequestOutcome::Validated(validation) => {
                RequestOutcome::Validated { validation }
            }
            core_session::RequestOutcome::Refused(err) => {
                RequestOutcome::Refused { reason: err.into() }
            }
        })
    }

    /// Accepts `context` as the session's new baseline (after a completed step-up).
    pub fn rebaseline(&self, token: String, context: RequestContext) -> Result<Session> {
        Ok(self.inner.rebaseline(&token, &self::context(context)?)?)
    }

    /// Revokes the session of this token (logout).
    pub fn revoke(&self, token: String) -> Result<()> {
        Ok(self.inner.revoke(&token)?)
    }

    /// Revokes every session of a user (password change, account lock); returns how
    /// many were revoked.
    pub fn revoke_all(&self, user_id: String, reason: String) -> Result<u64> {
        Ok(self.inner.revoke_all(&user_id, &reason)? as u64)
    }

    /// The user's live sessions, oldest first.
    pub fn list(&self, user_id: String) -> Result<Vec<Session>> {
        Ok(self.inner.list(&user_id)?)
    }

    /// Deletes every session past its timeouts; returns how many.
    pub fn sweep_expired(&self) -> Result<u64> {
        Ok(self.inner.sweep_expired()? as u64)
    }
}
