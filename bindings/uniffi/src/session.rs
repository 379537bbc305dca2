//! Session risk for Swift: request contexts, scoring, and the session registry.
//!
//! Every rule (normalisation, weights, thresholds, limits, timeouts) is core's; this
//! module converts records and errors.

use std::collections::HashMap;
use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use magnetar_core::session as core_session;
use zeroize::Zeroizing;

use crate::audit::AuditLog;
use crate::error::{MagnetarError, Result};
use crate::pool::Pool;

/// What a request looked like: client IP, User-Agent, and the other headers the host
/// chose to fingerprint (for example `Accept-Language`). Core validates and normalises
/// it on every call.
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

/// What to do about a request, by increasing risk.
#[derive(Debug, Clone, Copy, PartialEq, Eq, uniffi::Enum)]
pub enum Decision {
    /// Let it through.
    Allow,
    /// Let it through, and record it.
    Monitor,
    /// Require a second factor before continuing.
    StepUp,
    /// End the session (the registry revokes it).
    Terminate,
}

/// A risk signal that contributed to a score.
#[derive(Debug, Clone, Copy, PartialEq, Eq, uniffi::Enum)]
pub enum Signal {
    /// The IP moved to another network.
    IpChange,
    /// The IP moved within the same subnet.
    IpSubnetChange,
    /// The User-Agent changed to a different browser, OS, device or app.
    UserAgentChange,
    /// Only the browser/app version moved.
    UserAgentVersionChange,
    /// The other fingerprinted headers changed.
    FingerprintMismatch,
}

/// One signal's contribution to a score.
#[derive(Debug, Clone, PartialEq, uniffi::Record)]
pub struct Reason {
    /// The signal.
    pub signal: Signal,
    /// The weight it added.
    pub weight: f64,
    /// What changed, for humans and the audit log.
    pub detail: String,
}

/// The result of scoring a request against its session.
#[derive(Debug, Clone, PartialEq, uniffi::Record)]
pub struct Assessment {
    /// Sum of the signal weights, clamped to 0...1.
    pub score: f64,
    /// The decision the score falls into.
    pub decision: Decision,
    /// The signals that fired.
    pub reasons: Vec<Reason>,
}

impl From<core_session::Decision> for Decision {
    fn from(d: core_session::Decision) -> Self {
        match d {
            core_session::Decision::Allow => Decision::Allow,
            core_session::Decision::Monitor => Decision::Monitor,
            core_session::Decision::StepUp => Decision::StepUp,
            core_session::Decision::Terminate => Decision::Terminate,
        }
    }
}

impl From<core_session::Signal> for Signal {
    fn from(s: core_session::Signal) -> Self {
        match s {
            core_session::Signal::IpChange => Signal::IpChange,
            core_session::Signal::IpSubnetChange => Signal::IpSubnetChange,
            core_session::Signal::UserAgentChange => Signal::UserAgentChange,
            core_session::Signal::UserAgentVersionChange => Signal::UserAgentVersionChange,
            core_session::Signal::FingerprintMismatch => Signal::FingerprintMismatch,
        }
    }
}

impl From<core_session::Assessment> for Assessment {
    fn from(a: core_session::Assessment) -> Self {
        Assessment {
            score: a.score,
            decision: a.decision.into(),
            reasons: a
                .reasons
                .into_iter()
                .map(|r| Reason {
                    signal: r.signal.into(),
                    weight: r.weight,
                    detail: r.detail,
                })
                .collect(),
        }
    }
}

/// Signal weights, each in 0...1.
#[derive(Debug, Clone, Copy, PartialEq, uniffi::Record)]
pub struct Weights {
    /// IP moved to another network.
    pub ip_change: f64,
    /// IP moved within the same subnet.
    pub ip_subnet_change: f64,
    /// User-Agent changed.
    pub user_agent_change: f64,
    /// Only the browser version moved.
    pub user_agent_version_change: f64,
    /// Other fingerprinted headers changed.
    pub fingerprint_mismatch: f64,
}

/// Decision thresholds: a score at or above one gets that decision.
#[derive(Debug, Clone, Copy, PartialEq, uniffi::Record)]
pub struct Thresholds {
    /// Monitor from this score.
    pub monitor: f64,
    /// Step-up from this score.
    pub step_up: f64,
    /// Terminate from this score.
    pub terminate: f64,
}

/// Everything that shapes a score.
#[derive(Debug, Clone, Copy, PartialEq, uniffi::Record)]
pub struct ScoringPolicy {
    /// Signal weights.
    pub weights: Weights,
    /// Decision thresholds.
    pub thresholds: Thresholds,
    /// IPv4 prefix length within which an IP change is a subnet change.
    pub ipv4_subnet_prefix: u8,
    /// IPv6 prefix length within which an IP change is a subnet change.
    pub ipv6_subnet_prefix: u8,
}

impl From<core_session::ScoringPolicy> for ScoringPolicy {
    fn from(p: core_session::ScoringPolicy) -> Self {
        ScoringPolicy {
            weights: Weights {
                ip_change: p.weights.ip_change,
                ip_subnet_change: p.weights.ip_subnet_change,
                user_agent_change: p.weights.user_agent_change,
                user_agent_version_change: p.weights.user_agent_version_change,
                fingerprint_mismatch: p.weights.fingerprint_mismatch,
            },
            thresholds: Thresholds {
                monitor: p.thresholds.monitor,
                step_up: p.thresholds.step_up,
                terminate: p.thresholds.terminate,
            },
            ipv4_subnet_prefix: p.ipv4_subnet_prefix,
            ipv6_subnet_prefix: p.ipv6_subnet_prefix,
        }
    }
}

impl From<ScoringPolicy> for core_session::ScoringPolicy {
    fn from(p: ScoringPolicy) -> Self {
        core_session::ScoringPolicy {
            weights: core_session::Weights {
                ip_change: p.weights.ip_change,
                ip_subnet_change: p.weights.ip_subnet_change,
                user_agent_change: p.weights.user_agent_change,
                user_agent_version_change: p.weights.user_agent_version_change,
                fingerprint_mismatch: p.weights.fingerprint_mismatch,
            },
            thresholds: core_session::Thresholds {
                monitor: p.thresholds.monitor,
                step_up: p.thresholds.step_up,
                terminate: p.thresholds.terminate,
            },
            ipv4_subnet_prefix: p.ipv4_subnet_prefix,
            ipv6_subnet_prefix: p.ipv6_subnet_prefix,
        }
    }
}

/// What a User-Agent string says, the way session scoring reads it. Strings are empty
/// when unknown.
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
    core_session::ScoringPolicy::default().into()
}

/// Scores `current` against `previous` with `policy` (no registry, no storage).
#[uniffi::export]
pub fn score_request(
    previous: RequestContext,
    current: RequestContext,
    policy: ScoringPolicy,
) -> Result<Assessment> {
    let scorer = core_session::Scorer::new(policy.into())?;
    Ok(scorer.score(&context(previous)?, &context(current)?).into())
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
            inner: core_session::Scorer::new(policy.into())?,
        }))
    }

    /// Scores `current` against `previous`: the same result as `scoreRequest` with this
    /// scorer's policy.
    pub fn score(
        &self,
        previous: Arc<PreparedRequestContext>,
        current: Arc<PreparedRequestContext>,
    ) -> Assessment {
        self.inner.score(&previous.inner, &current.inner).into()
    }

    /// Only the decision of `score(previous:current:)`: the cheapest call for a hot path
    /// (one small enum comes back instead of an assessment with its reasons); call
    /// `score` when the decision is not `allow` and the reasons are wanted.
    pub fn decide(
        &self,
        previous: Arc<PreparedRequestContext>,
        current: Arc<PreparedRequestContext>,
    ) -> Decision {
        self.inner
            .score(&previous.inner, &current.inner)
            .decision
            .into()
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

/// What `create` does at the per-user session limit.
#[derive(Debug, Clone, Copy, PartialEq, Eq, uniffi::Enum)]
pub enum LimitPolicy {
    /// Revoke the oldest sessions to make room.
    EvictOldest,
    /// Refuse the new session with `sessionLimit`.
    Reject,
}

/// Configuration of a session registry (the fingerprint key is passed separately).
/// Start from `SessionConfig()` in Swift (core's defaults).
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
        limit_policy: match c.limit_policy {
            core_session::LimitPolicy::EvictOldest => LimitPolicy::EvictOldest,
            core_session::LimitPolicy::Reject => LimitPolicy::Reject,
        },
        idle_timeout: c.idle_timeout,
        absolute_timeout: c.absolute_timeout,
        touch_interval: c.touch_interval,
        scoring: c.scoring.into(),
    }
}

fn core_config(key: &FingerprintKey, c: SessionConfig) -> core_session::SessionConfig {
    core_session::SessionConfig {
        max_sessions_per_user: c.max_sessions_per_user,
        limit_policy: match c.limit_policy {
            LimitPolicy::EvictOldest => core_session::LimitPolicy::EvictOldest,
            LimitPolicy::Reject => core_session::LimitPolicy::Reject,
        },
        idle_timeout: c.idle_timeout,
        absolute_timeout: c.absolute_timeout,
        touch_interval: c.touch_interval,
        scoring: c.scoring.into(),
        ..core_session::SessionConfig::new(key.inner.clone())
    }
}

/// A session as the host sees it (never the token).
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct Session {
    /// Random public id, safe to log and to show in a device list.
    pub id: String,
    /// The owner.
    pub user_id: String,
    /// Creation time, Unix ms.
    pub created_at_ms: i64,
    /// Last stored use, Unix ms.
    pub last_seen_ms: i64,
    /// When the session expires unless used again, Unix ms.
    pub idle_expires_at_ms: i64,
    /// Absolute expiry, Unix ms.
    pub expires_at_ms: i64,
    /// Baseline IP.
    pub ip: String,
    /// Baseline User-Agent.
    pub user_agent: String,
    /// When it was revoked, if it was.
    pub revoked_at_ms: Option<i64>,
    /// Why it was revoked.
    pub revoke_reason: Option<String>,
}

impl From<core_session::Session> for Session {
    fn from(s: core_session::Session) -> Self {
        Session {
            id: s.id,
            user_id: s.user_id,
            created_at_ms: s.created_at_ms,
            last_seen_ms: s.last_seen_ms,
            idle_expires_at_ms: s.idle_expires_at_ms,
            expires_at_ms: s.expires_at_ms,
            ip: s.ip,
            user_agent: s.user_agent,
            revoked_at_ms: s.revoked_at_ms,
            revoke_reason: s.revoke_reason,
        }
    }
}

/// A new session and its token. Give the token to the client (cookie, bearer header);
/// Magnetar stores only its hash.
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

/// The outcome of `validate`.
#[derive(Debug, Clone, PartialEq, uniffi::Record)]
pub struct Validation {
    /// Score, decision and reasons. On `terminate` the session has been revoked.
    pub assessment: Assessment,
    /// The session after this request.
    pub session: Session,
}

/// The outcome of `validateRequest` for a request that carried a token.
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

/// Sessions stored through a pool: per-user limits, timeouts, scoring of every request.
#[derive(Debug, uniffi::Object)]
pub struct SessionRegistry {
    inner: core_session::SessionRegistry,
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
        let mut inner =
            core_session::SessionRegistry::open(pool.core().clone(), core_config(&key, config))?;
        if let Some(log) = audit {
            let sink: Arc<dyn core_session::SessionAuditSink> = log.core();
            inner = inner.with_audit(sink);
        }
        Ok(Arc::new(SessionRegistry { inner }))
    }

    /// Creates a session for `user_id` from the login request's context.
    pub fn create(&self, user_id: String, context: RequestContext) -> Result<CreatedSession> {
        let (token, session) = self.inner.create(&user_id, &self::context(context)?)?;
        Ok(CreatedSession {
            token: token.as_str().to_string(),
            session: session.into(),
        })
    }

    /// Checks a token and scores the request against the session.
    pub fn validate(&self, token: String, context: RequestContext) -> Result<Validation> {
        let v = self.inner.validate(&token, &self::context(context)?)?;
        Ok(Validation {
            assessment: v.assessment.into(),
            session: v.session.into(),
        })
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
            core_session::RequestOutcome::Validated(v) => RequestOutcome::Validated {
                validation: Validation {
                    assessment: v.assessment.into(),
                    session: v.session.into(),
                },
            },
            core_session::RequestOutcome::Refused(err) => {
                RequestOutcome::Refused { reason: err.into() }
            }
        })
    }

    /// Accepts `context` as the session's new baseline (after a completed step-up).
    pub fn rebaseline(&self, token: String, context: RequestContext) -> Result<Session> {
        Ok(self
            .inner
            .rebaseline(&token, &self::context(context)?)?
            .into())
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
        Ok(self
            .inner
            .list(&user_id)?
            .into_iter()
            .map(Into::into)
            .collect())
    }

    /// Deletes every session past its timeouts; returns how many.
    pub fn sweep_expired(&self) -> Result<u64> {
        Ok(self.inner.sweep_expired()? as u64)
    }
}
