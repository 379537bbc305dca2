//! Sessions: request contexts (`mgn_request`), the pure risk score, and the session
//! registry (`mgn_sessions`) stored through a pool.

use std::ffi::c_char;
use std::ptr;
use std::time::Duration;

use magnetar_core::Result;
use magnetar_core::session::user_agent::ClientKind;
use magnetar_core::session::{
    Assessment, Decision, FingerprintKey, LimitPolicy, RequestContext, RequestOutcome, Scorer,
    ScoringPolicy, Session, SessionConfig, SessionRegistry, Signal, Thresholds, Validation,
    Weights, score,
};
use magnetar_core::store::Store;

use crate::audit::mgn_audit;
use crate::boundary;
use crate::handle::{self, OptOut, Out};
use crate::pool::mgn_pool;
use crate::status::mgn_status;
use crate::store::mgn_pg_store;
use crate::strings::{alloc_string, bytes_arg, limits, str_arg};

/// The context of one HTTP request: client IP, User-Agent and other fingerprinted
/// headers (e.g. Accept-Language). Created by `mgn_request_new`, released with
/// `mgn_request_free`.
///
/// Thread safety: `mgn_request_set_header` modifies the request and must not run while
/// another thread uses it; otherwise any number of threads may read it at once.
#[allow(non_camel_case_types)]
pub struct mgn_request {
    ctx: RequestContext,
}

/// Creates a request context from a textual IPv4/IPv6 address and a User-Agent (both
/// NUL-terminated UTF-8; the User-Agent may be "") and writes it to `*out`.
///
/// Errors: `MGN_INVALID_ARGUMENT` (NULL argument, invalid UTF-8, an IP that does not
/// parse, an over-long User-Agent). Thread-safe.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn mgn_request_new(
    ip: *const c_char,
    user_agent: *const c_char,
    out: *mut *mut mgn_request,
) -> mgn_status {
    boundary::call("mgn_request_new", || {
        // SAFETY: NULL or NUL-terminated.
        let ip = unsafe { str_arg(ip, "ip") }?;
        // SAFETY: NULL or NUL-terminated.
        let user_agent = unsafe { str_arg(user_agent, "user_agent") }?;
        let out = Out::new(out, "out")?;
        let ctx = RequestContext::new(ip, user_agent)?;
        out.write(handle::into_raw(mgn_request { ctx }));
        Ok(())
    })
}

/// Adds (or replaces) a fingerprinted header of `request`; an empty value removes it.
/// Names are case-insensitive; values are normalised.
///
/// Errors: `MGN_INVALID_ARGUMENT` (NULL argument, invalid UTF-8, a name that is not an
/// HTTP token or is User-Agent, an over-long value, too many headers). Not thread-safe
/// for the same request.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn mgn_request_set_header(
    request: *mut mgn_request,
    name: *const c_char,
    value: *const c_char,
) -> mgn_status {
    boundary::call("mgn_request_set_header", || {
        // SAFETY: NULL or a live request, used by this thread only during the call.
        let request = unsafe { request.as_mut() }.ok_or_else(|| handle::null("request"))?;
        // SAFETY: NULL or NUL-terminated.
        let name = unsafe { str_arg(name, "name") }?;
        // SAFETY: NULL or NUL-terminated.
        let value = unsafe { str_arg(value, "value") }?;
        request.ctx.insert_header(name, value)
    })
}

/// Releases a request context. NULL is a no-op.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn mgn_request_free(request: *mut mgn_request) {
    // SAFETY: NULL or a live request, freed once.
    boundary::call_void(|| unsafe { handle::free(request) })
}

/// What to do about a request, by increasing risk.
#[allow(non_camel_case_types)]
#[repr(u32)]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum mgn_decision {
    /// Score below the monitor threshold: let it through.
    MGN_DECISION_ALLOW = 1,
    /// Let it through, and record it.
    MGN_DECISION_MONITOR = 2,
    /// Require a second factor before continuing.
    MGN_DECISION_STEP_UP = 3,
    /// End the session (the registry revokes it).
    MGN_DECISION_TERMINATE = 4,
}

/// A risk signal that contributed to a score.
#[allow(non_camel_case_types)]
#[repr(u32)]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum mgn_signal {
    /// The IP moved to another network.
    MGN_SIGNAL_IP_CHANGE = 1,
    /// The IP moved within the same IPv4 /24 or IPv6 /48.
    MGN_SIGNAL_IP_SUBNET_CHANGE = 2,
    /// The User-Agent changed to another browser, OS, device or app.
    MGN_SIGNAL_USER_AGENT_CHANGE = 3,
    /// Only the browser/app version moved.
    MGN_SIGNAL_USER_AGENT_VERSION_CHANGE = 4,
    /// The other fingerprinted headers changed.
    MGN_SIGNAL_FINGERPRINT_MISMATCH = 5,
}

/// One signal's contribution to a score.
#[allow(non_camel_case_types)]
#[repr(C)]
#[derive(Debug)]
pub struct mgn_reason {
    /// The signal.
    pub signal: mgn_signal,
    /// The weight it added.
    pub weight: f64,
    /// What changed, e.g. "203.0.113.7 -> 198.51.100.2" (owned by the assessment).
    pub detail: *mut c_char,
}

/// A risk assessment: the score in [0, 1], its decision, and the reasons. Filled by
/// `mgn_session_score` and `mgn_sessions_validate`; release what it holds with
/// `mgn_assessment_clear`.
#[allow(non_camel_case_types)]
#[repr(C)]
#[derive(Debug)]
pub struct mgn_assessment {
    /// Sum of the signal weights, clamped to [0, 1].
    pub score: f64,
    /// The decision the score falls into.
    pub decision: mgn_decision,
    /// `n_reasons` reasons in a fixed order (IP, User-Agent, fingerprint); NULL when 0.
    pub reasons: *mut mgn_reason,
    /// Number of entries at `reasons`.
    pub n_reasons: usize,
}

fn assessment_out(a: Assessment) -> Result<mgn_assessment> {
    let mut reasons = Vec::with_capacity(a.reasons.len());
    for r in a.reasons {
        let signal = match r.signal {
            Signal::IpChange => mgn_signal::MGN_SIGNAL_IP_CHANGE,
            Signal::IpSubnetChange => mgn_signal::MGN_SIGNAL_IP_SUBNET_CHANGE,
            Signal::UserAgentChange => mgn_signal::MGN_SIGNAL_USER_AGENT_CHANGE,
            Signal::UserAgentVersionChange => mgn_signal::MGN_SIGNAL_USER_AGENT_VERSION_CHANGE,
            Signal::FingerprintMismatch => mgn_signal::MGN_SIGNAL_FINGERPRINT_MISMATCH,
        };
        let detail = match alloc_string(r.detail) {
            Ok(d) => d,
            Err(e) => {
                free_reasons(reasons);
                return Err(e);
            }
        };
        reasons.push(mgn_reason {
            signal,
            weight: r.weight,
            detail,
        });
    }
    let decision = match a.decision {
        Decision::Allow => mgn_decision::MGN_DECISION_ALLOW,
        Decision::Monitor => mgn_decision::MGN_DECISION_MONITOR,
        Decision::StepUp => mgn_decision::MGN_DECISION_STEP_UP,
        Decision::Terminate => mgn_decision::MGN_DECISION_TERMINATE,
    };
    let n_reasons = reasons.len();
    let reasons = if n_reasons == 0 {
        ptr::null_mut()
    } else {
        Box::into_raw(reasons.into_boxed_slice()).cast::<mgn_reason>()
    };
    Ok(mgn_assessment {
        score: a.score,
        decision,
        reasons,
        n_reasons,
    })
}

fn free_reasons(reasons: Vec<mgn_reason>) {
    for r in reasons {
        // SAFETY: every detail was made by `alloc_string`.
        unsafe { crate::strings::mgn_string_free(r.detail) };
    }
}

/// Releases the reasons an assessment holds and resets it (score 0, no reasons). NULL,
/// and clearing twice, are no-ops. Only pass assessments filled by this library.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn mgn_assessment_clear(assessment: *mut mgn_assessment) {
    boundary::call_void(|| {
        // SAFETY: NULL or an assessment filled by this library.
        let Some(a) = (unsafe { assessment.as_mut() }) else {
            return;
        };
        if !a.reasons.is_null() {
            // SAFETY: `reasons`/`n_reasons` come from a boxed slice made in
            // `assessment_out`, released once (the pointer is reset below).
            let boxed =
                unsafe { Box::from_raw(ptr::slice_from_raw_parts_mut(a.reasons, a.n_reasons)) };
            free_reasons(boxed.into_vec());
        }
        a.reasons = ptr::null_mut();
        a.n_reasons = 0;
        a.score = 0.0;
    })
}

/// Weights and thresholds of the risk score. Fill with `mgn_scoring_policy_default`.
#[allow(non_camel_case_types)]
#[repr(C)]
#[derive(Debug, Clone, Copy)]
pub struct mgn_scoring_policy {
    /// IP moved to another network (default 0.3).
    pub ip_change: f64,
    /// IP moved within the same subnet (default 0.1).
    pub ip_subnet_change: f64,
    /// User-Agent changed (default 0.5).
    pub user_agent_change: f64,
    /// Only the browser version moved (default 0.1).
    pub user_agent_version_change: f64,
    /// Other fingerprinted headers changed (default 0.2).
    pub fingerprint_mismatch: f64,
    /// Monitor from this score (default 0.5).
    pub monitor: f64,
    /// Step up from this score (default 0.7).
    pub step_up: f64,
    /// Terminate from this score (default 0.9).
    pub terminate: f64,
    /// IPv4 prefix length of a "same subnet" move (default 24).
    pub ipv4_subnet_prefix: u8,
    /// IPv6 prefix length of a "same subnet" move (default 48).
    pub ipv6_subnet_prefix: u8,
}

impl mgn_scoring_policy {
    fn from_core(p: &ScoringPolicy) -> Self {
        mgn_scoring_policy {
            ip_change: p.weights.ip_change,
            ip_subnet_change: p.weights.ip_subnet_change,
            user_agent_change: p.weights.user_agent_change,
            user_agent_version_change: p.weights.user_agent_version_change,
            fingerprint_mismatch: p.weights.fingerprint_mismatch,
            monitor: p.thresholds.monitor,
            step_up: p.thresholds.step_up,
            terminate: p.thresholds.terminate,
            ipv4_subnet_prefix: p.ipv4_subnet_prefix,
            ipv6_subnet_prefix: p.ipv6_subnet_prefix,
        }
    }

    fn to_core(self) -> ScoringPolicy {
        ScoringPolicy {
            weights: Weights {
                ip_change: self.ip_change,
                ip_subnet_change: self.ip_subnet_change,
                user_agent_change: self.user_agent_change,
                user_agent_version_change: self.user_agent_version_change,
                fingerprint_mismatch: self.fingerprint_mismatch,
            },
            thresholds: Thresholds {
                monitor: self.monitor,
                step_up: self.step_up,
                terminate: self.terminate,
            },
            ipv4_subnet_prefix: self.ipv4_subnet_prefix,
            ipv6_subnet_prefix: self.ipv6_subnet_prefix,
        }
    }
}

/// Writes core's default scoring policy to `*out`.
///
/// Errors: `MGN_INVALID_ARGUMENT` if `out` is NULL. Thread-safe.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn mgn_scoring_policy_default(out: *mut mgn_scoring_policy) -> mgn_status {
    boundary::call("mgn_scoring_policy_default", || {
        let out = Out::new(out, "out")?;
        out.write(mgn_scoring_policy::from_core(&ScoringPolicy::default()));
        Ok(())
    })
}

/// Scores `current` against `previous` (a pure function: nothing is stored) under `policy`
/// (NULL for the default) and writes the assessment to `*out`; release it with
/// `mgn_assessment_clear`.
///
/// Errors: `MGN_INVALID_ARGUMENT` (NULL request or `out`), `MGN_INVALID_CONFIG` (a weight
/// or threshold out of range, named in the message). Thread-safe.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn mgn_session_score(
    policy: *const mgn_scoring_policy,
    previous: *const mgn_request,
    current: *const mgn_request,
    out: *mut mgn_assessment,
) -> mgn_status {
    boundary::call("mgn_session_score", || {
        // SAFETY: NULL or live.
        let previous = unsafe { handle::borrow(previous, "previous") }?;
        // SAFETY: NULL or live.
        let current = unsafe { handle::borrow(current, "current") }?;
        let out = Out::new(out, "out")?;
        // SAFETY: NULL or a pointer to an `mgn_scoring_policy`.
        let assessment = match unsafe { policy.as_ref() } {
            Some(p) => Scorer::new(p.to_core())?.score(&previous.ctx, &current.ctx),
            None => score(&previous.ctx, &current.ctx),
        };
        out.write(assessment_out(assessment)?);
        Ok(())
    })
}

/// Session registry settings. Fill with `mgn_session_options_default`. Durations in ms.
#[allow(non_camel_case_types)]
#[repr(C)]
#[derive(Debug, Clone, Copy)]
pub struct mgn_session_options {
    /// Concurrent sessions per user (default 3, at least 1).
    pub max_sessions_per_user: u32,
    /// At the limit, refuse new sessions with `MGN_SESSION_LIMIT` instead of revoking the
    /// oldest (default false: evict the oldest).
    pub reject_at_limit: bool,
    /// A session unused this long expires (default 1800000, 30 minutes).
    pub idle_timeout_ms: u64,
    /// A session expires this long after creation (default 86400000, 24 hours).
    pub absolute_timeout_ms: u64,
    /// Last-seen is written only when it moved by at least this much (default 60000; at
    /// most `idle_timeout_ms`).
    pub touch_interval_ms: u64,
    /// Weights and thresholds of the risk score.
    pub scoring: mgn_scoring_policy,
}

fn ms(d: Duration) -> u64 {
    u64::try_from(d.as_millis()).unwrap_or(u64::MAX)
}

/// Writes core's default session settings to `*out`.
///
/// Errors: `MGN_INVALID_ARGUMENT` if `out` is NULL. Thread-safe.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn mgn_session_options_default(out: *mut mgn_session_options) -> mgn_status {
    boundary::call("mgn_session_options_default", || {
        let out = Out::new(out, "out")?;
        // The key is only a placeholder to read the defaults; it is dropped (and zeroized)
        // at once.
        let c = SessionConfig::new(FingerprintKey::new([0; 32]));
        out.write(mgn_session_options {
            max_sessions_per_user: c.max_sessions_per_user,
            reject_at_limit: c.limit_policy == LimitPolicy::Reject,
            idle_timeout_ms: ms(c.idle_timeout),
            absolute_timeout_ms: ms(c.absolute_timeout),
            touch_interval_ms: ms(c.touch_interval),
            scoring: mgn_scoring_policy::from_core(&c.scoring),
        });
        Ok(())
    })
}

/// The session registry: sessions stored through a pool or a PostgreSQL store (only a
/// hash of each token),
/// per-user limits, idle and absolute timeouts, and risk scoring of every request.
/// Created by `mgn_sessions_open`, released with `mgn_sessions_free`.
///
/// Thread safety: any number of threads may use one registry at once.
#[allow(non_camel_case_types)]
pub struct mgn_sessions {
    registry: SessionRegistry,
}

/// Opens the session registry in `pool`'s database (creating its table), with the host's
/// 32-byte fingerprint key (`key_len` must be 32; it is copied) and `options` (NULL for the
/// defaults), and writes it to `*out`. The pool may be freed afterwards: the registry keeps
/// its own reference.
///
/// `audit` may be NULL; otherwise every creation, rejection at the limit, eviction,
/// monitor / step-up / terminate decision, rebaseline and revocation is recorded in that
/// audit log (actions `session.create`, `session.step_up`, ...; resource `session`/<id>),
/// after the change commits. If recording fails, the operation returns that error (a new
/// session is then revoked). The registry keeps the log open until it is freed.
///
/// Errors: `MGN_INVALID_ARGUMENT` (NULL argument), `MGN_INVALID_KEY` (a key that is not 32
/// bytes), `MGN_INVALID_CONFIG`, `MGN_SCHEMA_TOO_NEW`, pool and database errors.
/// Thread-safe.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn mgn_sessions_open(
    pool: *const mgn_pool,
    fingerprint_key: *const u8,
    key_len: usize,
    options: *const mgn_session_options,
    audit: *const mgn_audit,
    out: *mut *mut mgn_sessions,
) -> mgn_status {
    boundary::call("mgn_sessions_open", || {
        // SAFETY: NULL or live.
        let pool = unsafe { handle::borrow(pool, "pool") }?;
        // SAFETY: forwarded contract.
        unsafe {
            open_on(
                Store::sqlite(pool.pool.clone()),
                fingerprint_key,
                key_len,
                options,
                audit,
                out,
            )
        }
    })
}

/// `mgn_sessions_open` on a PostgreSQL store: the registry's table is created in the
/// store's schema on first use (a role with DML rights only works once it exists), and
/// the per-user limit, revocations and sweeps hold across every process and host that
/// opens a registry on the same server and schema. The store may be freed afterwards:
/// the registry keeps its own reference.
///
/// Errors: as `mgn_sessions_open`, plus `MGN_UNAVAILABLE` (server unreachable after
/// the store's retries), `MGN_POOL_TIMEOUT` (every connection of the store stayed busy
/// for `connect_timeout_ms`) and `MGN_DATABASE` (e.g. permission denied creating the
/// table).
/// Thread-safe.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn mgn_sessions_open_store(
    store: *const mgn_pg_store,
    fingerprint_key: *const u8,
    key_len: usize,
    options: *const mgn_session_options,
    audit: *const mgn_audit,
    out: *mut *mut mgn_sessions,
) -> mgn_status {
    boundary::call("mgn_sessions_open_store", || {
        // SAFETY: NULL or live.
        let store = unsafe { handle::borrow(store, "store") }?;
        // SAFETY: forwarded contract.
        unsafe {
            open_on(
                Store::Postgres(store.store.clone()),
                fingerprint_key,
                key_len,
                options,
                audit,
                out,
            )
        }
    })
}

/// The body of both constructors.
unsafe fn open_on(
    store: Store,
    fingerprint_key: *const u8,
    key_len: usize,
    options: *const mgn_session_options,
    audit: *const mgn_audit,
    out: *mut *mut mgn_sessions,
) -> Result<()> {
    if fingerprint_key.is_null() {
        return Err(handle::null("fingerprint_key"));
    }
    // SAFETY: `key_len` readable bytes per the contract.
    let key = unsafe {
        bytes_arg(
            fingerprint_key,
            key_len,
            limits::MAX_SECRET_BYTES,
            "fingerprint_key",
        )
    }?;
    let out = Out::new(out, "out")?;
    let mut config = SessionConfig::new(FingerprintKey::from_slice(key)?);
    // SAFETY: NULL or a pointer to an `mgn_session_options`.
    if let Some(o) = unsafe { options.as_ref() } {
        config.max_sessions_per_user = o.max_sessions_per_user;
        config.limit_policy = if o.reject_at_limit {
            LimitPolicy::Reject
        } else {
            LimitPolicy::EvictOldest
        };
        config.idle_timeout = Duration::from_millis(o.idle_timeout_ms);
        config.absolute_timeout = Duration::from_millis(o.absolute_timeout_ms);
        config.touch_interval = Duration::from_millis(o.touch_interval_ms);
        config.scoring = o.scoring.to_core();
    }
    let mut registry = SessionRegistry::open(store, config)?;
    // SAFETY: NULL or a live audit log.
    if let Some(audit) = unsafe { audit.as_ref() } {
        registry = registry.with_audit(audit.log.clone());
    }
    out.write(handle::into_raw(mgn_sessions { registry }));
    Ok(())
}

/// A session as the host sees it (never its token). Strings are owned by the struct:
/// release them with `mgn_session_info_clear`.
#[allow(non_camel_case_types)]
#[repr(C)]
#[derive(Debug)]
pub struct mgn_session_info {
    /// Random public id (32 hex characters), safe to log and show in a device list.
    pub id: *mut c_char,
    /// The owner.
    pub user_id: *mut c_char,
    /// Creation time, Unix ms.
    pub created_at_ms: i64,
    /// Last stored use, Unix ms.
    pub last_seen_ms: i64,
    /// When the session expires if unused, Unix ms.
    pub idle_expires_at_ms: i64,
    /// Absolute expiry, Unix ms.
    pub expires_at_ms: i64,
    /// Baseline client IP.
    pub ip: *mut c_char,
    /// Baseline User-Agent.
    pub user_agent: *mut c_char,
    /// Whether the session was revoked.
    pub revoked: bool,
    /// When it was revoked, Unix ms (0 unless `revoked`).
    pub revoked_at_ms: i64,
    /// Why it was revoked (e.g. "logout", "terminate"), or NULL.
    pub revoke_reason: *mut c_char,
}

impl mgn_session_info {
    const EMPTY: mgn_session_info = mgn_session_info {
        id: ptr::null_mut(),
        user_id: ptr::null_mut(),
        created_at_ms: 0,
        last_seen_ms: 0,
        idle_expires_at_ms: 0,
        expires_at_ms: 0,
        ip: ptr::null_mut(),
        user_agent: ptr::null_mut(),
        revoked: false,
        revoked_at_ms: 0,
        revoke_reason: ptr::null_mut(),
    };

    fn release(&mut self) {
        for s in [
            &mut self.id,
            &mut self.user_id,
            &mut self.ip,
            &mut self.user_agent,
            &mut self.revoke_reason,
        ] {
            // SAFETY: each is NULL or made by `alloc_string`, and reset after release.
            unsafe { crate::strings::mgn_string_free(*s) };
            *s = ptr::null_mut();
        }
        *self = mgn_session_info::EMPTY;
    }

    fn from_core(s: Session) -> Result<mgn_session_info> {
        let mut info = mgn_session_info {
            created_at_ms: s.created_at_ms,
            last_seen_ms: s.last_seen_ms,
            idle_expires_at_ms: s.idle_expires_at_ms,
            expires_at_ms: s.expires_at_ms,
            revoked: s.revoked_at_ms.is_some(),
            revoked_at_ms: s.revoked_at_ms.unwrap_or(0),
            ..mgn_session_info::EMPTY
        };
        let filled = (|| -> Result<()> {
            info.id = alloc_string(s.id)?;
            info.user_id = alloc_string(s.user_id)?;
            info.ip = alloc_string(s.ip)?;
            info.user_agent = alloc_string(s.user_agent)?;
            if let Some(reason) = s.revoke_reason {
                info.revoke_reason = alloc_string(reason)?;
            }
            Ok(())
        })();
        match filled {
            Ok(()) => Ok(info),
            Err(e) => {
                info.release();
                Err(e)
            }
        }
    }
}

/// Releases the strings a session info holds and resets it. NULL, and clearing twice,
/// are no-ops. Only pass structs filled by this library.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn mgn_session_info_clear(info: *mut mgn_session_info) {
    boundary::call_void(|| {
        // SAFETY: NULL or a struct filled by this library.
        if let Some(info) = unsafe { info.as_mut() } {
            info.release();
        }
    })
}

/// Borrows the registry, token and request of a call.
///
/// # Safety
/// Pointers are NULL or valid per the documented contracts.
unsafe fn registry_token_request<'a>(
    sessions: *const mgn_sessions,
    token: *const c_char,
    token_name: &str,
    request: *const mgn_request,
) -> Result<(&'a SessionRegistry, &'a str, &'a RequestContext)> {
    // SAFETY: forwarded contract.
    let s = unsafe { handle::borrow(sessions, "sessions") }?;
    // SAFETY: forwarded contract.
    let token = unsafe { str_arg(token, token_name) }?;
    // SAFETY: forwarded contract.
    let request = unsafe { handle::borrow(request, "request") }?;
    Ok((&s.registry, token, &request.ctx))
}

/// Creates a session for `user_id` from the login request and writes its token to
/// `*out_token` (43 characters; give it to the client, it is not stored; free with
/// `mgn_string_free`, which wipes it) and the session to `*out_session` (may be NULL;
/// release with `mgn_session_info_clear`).
///
/// At the per-user limit the oldest sessions are revoked, or, with `reject_at_limit`,
/// the call fails with `MGN_SESSION_LIMIT`. Errors: also `MGN_INVALID_ARGUMENT` (NULL
/// argument, invalid UTF-8, user id empty or over 256 bytes), pool and database errors.
/// Thread-safe.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn mgn_sessions_create(
    sessions: *const mgn_sessions,
    user_id: *const c_char,
    request: *const mgn_request,
    out_token: *mut *mut c_char,
    out_session: *mut mgn_session_info,
) -> mgn_status {
    boundary::call("mgn_sessions_create", || {
        // SAFETY: NULL or live / NUL-terminated, as documented.
        let (registry, user_id, ctx) =
            unsafe { registry_token_request(sessions, user_id, "user_id", request) }?;
        let out_token = Out::new(out_token, "out_token")?;
        let out_session = OptOut::new(out_session);
        let (token, session) = registry.create(user_id, ctx)?;
        let token = alloc_string(token.as_str())?;
        if out_session.wanted() {
            match mgn_session_info::from_core(session) {
                Ok(info) => out_session.write(info),
                Err(e) => {
                    // SAFETY: made by `alloc_string` just above and not handed out.
                    unsafe { crate::strings::mgn_string_free(token) };
                    return Err(e);
                }
            }
        }
        out_token.write(token);
        Ok(())
    })
}

/// Checks `token` (NUL-terminated) and scores `request` against the session's baseline;
/// writes the assessment to `*out_assessment` (release with `mgn_assessment_clear`) and
/// the session to `*out_session` (may be NULL; release with `mgn_session_info_clear`).
///
/// On `MGN_DECISION_TERMINATE` the session is revoked and the call still succeeds; later
/// calls fail with `MGN_SESSION_REVOKED`. Errors: `MGN_SESSION_NOT_FOUND`,
/// `MGN_SESSION_REVOKED`, `MGN_SESSION_EXPIRED`, `MGN_INVALID_ARGUMENT` (NULL argument,
/// a token of the wrong shape), pool and database errors. Thread-safe.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn mgn_sessions_validate(
    sessions: *const mgn_sessions,
    token: *const c_char,
    request: *const mgn_request,
    out_assessment: *mut mgn_assessment,
    out_session: *mut mgn_session_info,
) -> mgn_status {
    boundary::call("mgn_sessions_validate", || {
        // SAFETY: as documented.
        let (registry, token, ctx) =
            unsafe { registry_token_request(sessions, token, "token", request) }?;
        let out_assessment = Out::new(out_assessment, "out_assessment")?;
        let out_session = OptOut::new(out_session);
        write_validation(registry.validate(token, ctx)?, out_assessment, out_session)
    })
}

/// Writes a validation's assessment and (when wanted) session, both or neither.
fn write_validation(
    validation: Validation,
    out_assessment: Out<mgn_assessment>,
    out_session: OptOut<mgn_session_info>,
) -> Result<()> {
    let info = if out_session.wanted() {
        Some(mgn_session_info::from_core(validation.session)?)
    } else {
        None
    };
    let assessment = match assessment_out(validation.assessment) {
        Ok(a) => a,
        Err(e) => {
            if let Some(mut info) = info {
                info.release();
            }
            return Err(e);
        }
    };
    out_assessment.write(assessment);
    if let Some(info) = info {
        out_session.write(info);
    }
    Ok(())
}

/// `mgn_sessions_validate` for a host's HTTP layer (a middleware in front of every
/// request that carries a token), which also records the outcomes such a layer would
/// otherwise record itself, so every host audits requests alike: a refused token as
/// `session.refused` (status the reason, e.g. `session_expired`, with the request's IP
/// and User-Agent; never the token), and, when `audit_allow` is true, an allowed request
/// as `session.allow` (details: the score). Monitor, step-up and terminate decisions are
/// recorded as by `mgn_sessions_validate`. Nothing is recorded without an audit log.
///
/// On success `*out_refusal` says which outcome it was:
/// - `MGN_OK`: the token names a live session; `*out_assessment` (release with
///   `mgn_assessment_clear`) and `*out_session` (may be NULL; release with
///   `mgn_session_info_clear`) are written as by `mgn_sessions_validate`. On
///   `MGN_DECISION_TERMINATE` the session has been revoked: answer as a refusal.
/// - `MGN_SESSION_NOT_FOUND`, `MGN_SESSION_EXPIRED`, `MGN_SESSION_REVOKED`, or
///   `MGN_INVALID_ARGUMENT` for a malformed token: the token names no usable session
///   (answer "not signed in", e.g. HTTP 401); nothing else is written.
///
/// Errors: `MGN_INVALID_ARGUMENT` (NULL argument, invalid UTF-8), pool, database and
/// audit errors (an outcome that cannot be recorded fails the call). Thread-safe.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn mgn_sessions_validate_request(
    sessions: *const mgn_sessions,
    token: *const c_char,
    request: *const mgn_request,
    audit_allow: bool,
    out_refusal: *mut mgn_status,
    out_assessment: *mut mgn_assessment,
    out_session: *mut mgn_session_info,
) -> mgn_status {
    boundary::call("mgn_sessions_validate_request", || {
        // SAFETY: as documented.
        let (registry, token, ctx) =
            unsafe { registry_token_request(sessions, token, "token", request) }?;
        let out_refusal = Out::new(out_refusal, "out_refusal")?;
        let out_assessment = Out::new(out_assessment, "out_assessment")?;
        let out_session = OptOut::new(out_session);
        match registry.validate_request(token, ctx, audit_allow)? {
            RequestOutcome::Validated(validation) => {
                write_validation(validation, out_assessment, out_session)?;
                out_refusal.write(mgn_status::MGN_OK);
            }
            RequestOutcome::Refused(err) => {
                out_refusal.write(mgn_status::from_kind(err.kind()));
            }
        }
        Ok(())
    })
}

/// Accepts `request` as the session's new baseline (IP, User-Agent, fingerprint),
/// typically after the host completed a step-up (2FA). Writes the session to
/// `*out_session` (may be NULL; release with `mgn_session_info_clear`).
///
/// Errors: as `mgn_sessions_validate`. Thread-safe.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn mgn_sessions_rebaseline(
    sessions: *const mgn_sessions,
    token: *const c_char,
    request: *const mgn_request,
    out_session: *mut mgn_session_info,
) -> mgn_status {
    boundary::call("mgn_sessions_rebaseline", || {
        // SAFETY: as documented.
        let (registry, token, ctx) =
            unsafe { registry_token_request(sessions, token, "token", request) }?;
        let out_session = OptOut::new(out_session);
        let session = registry.rebaseline(token, ctx)?;
        if out_session.wanted() {
            out_session.write(mgn_session_info::from_core(session)?);
        }
        Ok(())
    })
}

/// Revokes the session of `token` (logout). Revoking an already revoked or expired session
/// succeeds.
///
/// Errors: `MGN_SESSION_NOT_FOUND` (unknown token), `MGN_INVALID_ARGUMENT` (NULL argument,
/// malformed token), pool and database errors. Thread-safe.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn mgn_sessions_revoke(
    sessions: *const mgn_sessions,
    token: *const c_char,
) -> mgn_status {
    boundary::call("mgn_sessions_revoke", || {
        // SAFETY: NULL or live.
        let s = unsafe { handle::borrow(sessions, "sessions") }?;
        // SAFETY: NULL or NUL-terminated.
        let token = unsafe { str_arg(token, "token") }?;
        s.registry.revoke(token)
    })
}

/// Revokes every session of `user_id` (on password change, account lock...) with `reason`
/// kept on each session; writes how many were revoked to `*out_count` (may be NULL).
///
/// Errors: `MGN_INVALID_ARGUMENT` (NULL argument, invalid UTF-8), pool and database
/// errors. Thread-safe.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn mgn_sessions_revoke_all(
    sessions: *const mgn_sessions,
    user_id: *const c_char,
    reason: *const c_char,
    out_count: *mut usize,
) -> mgn_status {
    boundary::call("mgn_sessions_revoke_all", || {
        // SAFETY: NULL or live.
        let s = unsafe { handle::borrow(sessions, "sessions") }?;
        // SAFETY: NULL or NUL-terminated.
        let user_id = unsafe { str_arg(user_id, "user_id") }?;
        // SAFETY: NULL or NUL-terminated.
        let reason = unsafe { str_arg(reason, "reason") }?;
        let out = OptOut::new(out_count);
        out.write(s.registry.revoke_all(user_id, reason)?);
        Ok(())
    })
}

/// Writes the number of live sessions (not revoked, not expired) of `user_id` to `*out`.
///
/// Errors: `MGN_INVALID_ARGUMENT` (NULL argument, invalid UTF-8), pool and database
/// errors. Thread-safe.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn mgn_sessions_count(
    sessions: *const mgn_sessions,
    user_id: *const c_char,
    out: *mut usize,
) -> mgn_status {
    boundary::call("mgn_sessions_count", || {
        // SAFETY: NULL or live.
        let s = unsafe { handle::borrow(sessions, "sessions") }?;
        // SAFETY: NULL or NUL-terminated.
        let user_id = unsafe { str_arg(user_id, "user_id") }?;
        let out = Out::new(out, "out")?;
        out.write(s.registry.list(user_id)?.len());
        Ok(())
    })
}

/// Deletes every session past its idle or absolute timeout and writes how many to
/// `*out_count` (may be NULL). Run it periodically.
///
/// Errors: `MGN_INVALID_ARGUMENT` (NULL `sessions`), pool and database errors.
/// Thread-safe.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn mgn_sessions_sweep_expired(
    sessions: *const mgn_sessions,
    out_count: *mut usize,
) -> mgn_status {
    boundary::call("mgn_sessions_sweep_expired", || {
        // SAFETY: NULL or live.
        let s = unsafe { handle::borrow(sessions, "sessions") }?;
        let out = OptOut::new(out_count);
        out.write(s.registry.sweep_expired()?);
        Ok(())
    })
}

/// Releases a registry (its fingerprint key is wiped). NULL is a no-op. Call once, after
/// every other call using it returned.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn mgn_sessions_free(sessions: *mut mgn_sessions) {
    // SAFETY: NULL or a live registry, freed once.
    boundary::call_void(|| unsafe { handle::free(sessions) })
}

/// Writes the sessions of `user_id` that are neither revoked nor expired, newest first, to
/// `*out_sessions` (an array of `*out_count` entries; NULL when there are none) for a
/// device list. Release the array with `mgn_session_list_free(*out_sessions, *out_count)`.
///
/// Errors: `MGN_INVALID_ARGUMENT` (NULL argument, invalid UTF-8, user id empty or over 256
/// bytes), pool and database errors. Thread-safe.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn mgn_sessions_list(
    sessions: *const mgn_sessions,
    user_id: *const c_char,
    out_sessions: *mut *mut mgn_session_info,
    out_count: *mut usize,
) -> mgn_status {
    boundary::call("mgn_sessions_list", || {
        // SAFETY: NULL or live.
        let s = unsafe { handle::borrow(sessions, "sessions") }?;
        // SAFETY: NULL or NUL-terminated.
        let user_id = unsafe { str_arg(user_id, "user_id") }?;
        let out_sessions = Out::new(out_sessions, "out_sessions")?;
        let out_count = Out::new(out_count, "out_count")?;
        let mut infos: Vec<mgn_session_info> = Vec::new();
        for session in s.registry.list(user_id)? {
            match mgn_session_info::from_core(session) {
                Ok(info) => infos.push(info),
                Err(e) => {
                    infos.iter_mut().for_each(mgn_session_info::release);
                    return Err(e);
                }
            }
        }
        out_count.write(infos.len());
        out_sessions.write(if infos.is_empty() {
            ptr::null_mut()
        } else {
            Box::into_raw(infos.into_boxed_slice()).cast::<mgn_session_info>()
        });
        Ok(())
    })
}

/// Releases an array made by `mgn_sessions_list` (with the count it wrote) and every
/// string in it. NULL is a no-op.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn mgn_session_list_free(sessions: *mut mgn_session_info, count: usize) {
    boundary::call_void(|| {
        if sessions.is_null() {
            return;
        }
        // SAFETY: made by `mgn_sessions_list` as a boxed slice of `count` entries, freed
        // once.
        let mut list = unsafe { Box::from_raw(ptr::slice_from_raw_parts_mut(sessions, count)) };
        list.iter_mut().for_each(mgn_session_info::release);
    })
}

/// What a User-Agent string says, as `mgn_user_agent_parse` reads it. The strings are
/// empty (never NULL) when unknown; release them with `mgn_user_agent_clear`.
#[allow(non_camel_case_types)]
#[repr(C)]
#[derive(Debug)]
pub struct mgn_user_agent {
    /// Browser or app name (`Chrome`, `Firefox`, `MyApp`...).
    pub family: *mut c_char,
    /// Browser or app version.
    pub version: *mut c_char,
    /// Operating system.
    pub os: *mut c_char,
    /// OS version.
    pub os_version: *mut c_char,
    /// `"browser"`, `"native_app"`, `"crawler"` or `"unknown"` (static; do not free).
    pub kind: *const c_char,
}

impl mgn_user_agent {
    fn release(&mut self) {
        for s in [
            &mut self.family,
            &mut self.version,
            &mut self.os,
            &mut self.os_version,
        ] {
            // SAFETY: each is NULL or made by `alloc_string`, and reset after release.
            unsafe { crate::strings::mgn_string_free(*s) };
            *s = ptr::null_mut();
        }
        self.kind = ptr::null();
    }
}

/// Parses a User-Agent string (NUL-terminated UTF-8) the way session scoring reads it and
/// writes the result to `*out` (release with `mgn_user_agent_clear`).
///
/// Errors: `MGN_INVALID_ARGUMENT` (NULL argument, invalid UTF-8). Thread-safe.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn mgn_user_agent_parse(
    user_agent: *const c_char,
    out: *mut mgn_user_agent,
) -> mgn_status {
    boundary::call("mgn_user_agent_parse", || {
        // SAFETY: NULL or NUL-terminated.
        let user_agent = unsafe { str_arg(user_agent, "user_agent") }?;
        let out = Out::new(out, "out")?;
        let info = magnetar_core::session::user_agent::parse(user_agent);
        let kind: &'static std::ffi::CStr = match info.kind {
            ClientKind::Browser => c"browser",
            ClientKind::NativeApp => c"native_app",
            ClientKind::Crawler => c"crawler",
            _ => c"unknown",
        };
        let mut ua = mgn_user_agent {
            family: ptr::null_mut(),
            version: ptr::null_mut(),
            os: ptr::null_mut(),
            os_version: ptr::null_mut(),
            kind: kind.as_ptr(),
        };
        let filled = (|| -> Result<()> {
            ua.family = alloc_string(info.family)?;
            ua.version = alloc_string(info.version)?;
            ua.os = alloc_string(info.os)?;
            ua.os_version = alloc_string(info.os_version)?;
            Ok(())
        })();
        if let Err(e) = filled {
            ua.release();
            return Err(e);
        }
        out.write(ua);
        Ok(())
    })
}

/// Releases the strings of a `mgn_user_agent` filled by `mgn_user_agent_parse` and resets
/// it. NULL, and clearing twice, are no-ops.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn mgn_user_agent_clear(user_agent: *mut mgn_user_agent) {
    boundary::call_void(|| {
        // SAFETY: NULL or a struct filled by this library.
        if let Some(ua) = unsafe { user_agent.as_mut() } {
            ua.release();
        }
    })
}
