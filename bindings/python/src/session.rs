//! `magnetar.SessionRegistry` and `magnetar.score`: session risk scoring, per-user
//! limits and timeouts, stored through the pool, decisions written to the audit log.

use std::sync::Arc;

use magnetar_core::session::{
    Assessment, FingerprintKey, LimitPolicy, RequestContext, RequestOutcome, Session,
    SessionConfig, SessionRegistry,
};
use pyo3::prelude::*;
use pyo3::types::{PyBytes, PyDict, PyTuple};

use crate::aio::in_executor;
use crate::audit::PyAuditLog;
use crate::conversions::{duration_from_py, type_name};
use crate::errors::{IntoPyResult, invalid_input, to_py};
use crate::store::store_from_py;

/// A request context from an IP, a User-Agent and optional fingerprinted headers
/// (a mapping of header name to value).
fn context(
    ip: &str,
    user_agent: &str,
    headers: Option<&Bound<'_, PyAny>>,
) -> PyResult<RequestContext> {
    let mut ctx = RequestContext::new(ip, user_agent).py_err()?;
    if let Some(headers) = headers.filter(|h| !h.is_none()) {
        let items = match headers.cast::<PyDict>() {
            Ok(d) => d.items().into_any(),
            Err(_) if headers.hasattr("items")? => headers.call_method0("items")?,
            Err(_) => {
                return Err(invalid_input(format!(
                    "headers must be a mapping of header name to value, got {}",
                    type_name(headers)
                )));
            }
        };
        for pair in items.try_iter()? {
            let (name, value): (String, String) = pair?
                .extract()
                .map_err(|_| invalid_input("header names and values must be str"))?;
            ctx.insert_header(&name, &value).py_err()?;
        }
    }
    Ok(ctx)
}

/// A context from a mapping `{"ip": ..., "user_agent": ..., "headers": {...}}`.
fn context_from_mapping(obj: &Bound<'_, PyAny>) -> PyResult<RequestContext> {
    let get = |key: &str| -> PyResult<Option<Bound<'_, PyAny>>> {
        match obj.get_item(key) {
            Ok(v) if !v.is_none() => Ok(Some(v)),
            Ok(_) => Ok(None),
            Err(e) if e.is_instance_of::<pyo3::exceptions::PyKeyError>(obj.py()) => Ok(None),
            Err(e) => Err(e),
        }
    };
    let ip: String = get("ip")?
        .ok_or_else(|| invalid_input("a request context needs an \"ip\""))?
        .extract()?;
    let user_agent: String = match get("user_agent")? {
        Some(ua) => ua.extract()?,
        None => String::new(),
    };
    let headers = get("headers")?;
    context(&ip, &user_agent, headers.as_ref())
}

/// A session as the host sees it (never its token).
#[pyclass(module = "magnetar", name = "Session", frozen)]
pub struct PySession {
    /// Random public id (32 hex characters), safe to log and show in a device list.
    #[pyo3(get)]
    id: String,
    /// The owner.
    #[pyo3(get)]
    user_id: String,
    /// Creation time, Unix milliseconds.
    #[pyo3(get)]
    created_at_ms: i64,
    /// Last stored use, Unix milliseconds.
    #[pyo3(get)]
    last_seen_ms: i64,
    /// When the session expires unless used again, Unix milliseconds.
    #[pyo3(get)]
    idle_expires_at_ms: i64,
    /// Absolute expiry, Unix milliseconds.
    #[pyo3(get)]
    expires_at_ms: i64,
    /// Baseline IP.
    #[pyo3(get)]
    ip: String,
    /// Baseline User-Agent.
    #[pyo3(get)]
    user_agent: String,
    /// When it was revoked, Unix milliseconds, or `None`.
    #[pyo3(get)]
    revoked_at_ms: Option<i64>,
    /// Why it was revoked, or `None`.
    #[pyo3(get)]
    revoke_reason: Option<String>,
}

impl From<Session> for PySession {
    fn from(s: Session) -> Self {
        PySession {
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

#[pymethods]
impl PySession {
    fn __repr__(&self) -> String {
        format!(
            "<Session id={} user_id={:?} ip={}{}>",
            self.id,
            self.user_id,
            self.ip,
            if self.revoked_at_ms.is_some() {
                " revoked"
            } else {
                ""
            }
        )
    }
}

/// One signal's contribution to a risk score.
#[pyclass(module = "magnetar", name = "RiskReason", frozen)]
pub struct PyRiskReason {
    /// `"ip_change"`, `"ip_subnet_change"`, `"user_agent_change"`,
    /// `"user_agent_version_change"` or `"fingerprint_mismatch"`.
    #[pyo3(get)]
    signal: &'static str,
    /// The weight it added to the score.
    #[pyo3(get)]
    weight: f64,
    /// What changed, e.g. `"203.0.113.7 -> 198.51.100.2"`.
    #[pyo3(get)]
    detail: String,
}

#[pymethods]
impl PyRiskReason {
    fn __repr__(&self) -> String {
        format!(
            "<RiskReason {} +{} ({})>",
            self.signal, self.weight, self.detail
        )
    }

    fn __str__(&self) -> String {
        format!("{}: {}", self.signal, self.detail)
    }
}

/// The risk assessment of a request: `score` in [0, 1], `decision` (`"allow"`,
/// `"monitor"`, `"step_up"` or `"terminate"`), the `reasons`, and for
/// `SessionRegistry.validate` the `session` after the request.
#[pyclass(module = "magnetar", name = "Assessment", frozen)]
pub struct PyAssessment {
    /// Sum of the signal weights, clamped to [0, 1].
    #[pyo3(get)]
    score: f64,
    /// `"allow"`, `"monitor"`, `"step_up"` or `"terminate"` (the session was revoked).
    #[pyo3(get)]
    decision: &'static str,
    /// The signals that fired.
    #[pyo3(get)]
    reasons: Vec<Py<PyRiskReason>>,
    /// The session after this request (`None` from `magnetar.score`).
    #[pyo3(get)]
    session: Option<Py<PySession>>,
}

#[pymethods]
impl PyAssessment {
    fn __repr__(&self, py: Python<'_>) -> String {
        let reasons: Vec<String> = self
            .reasons
            .iter()
            .map(|r| r.bind(py).get().signal.to_string())
            .collect();
        format!(
            "<Assessment score={} decision={} reasons={reasons:?}>",
            self.score, self.decision
        )
    }
}

fn assessment_to_py(
    py: Python<'_>,
    a: Assessment,
    session: Option<Session>,
) -> PyResult<PyAssessment> {
    Ok(PyAssessment {
        score: a.score,
        decision: a.decision.as_str(),
        reasons: a
            .reasons
            .into_iter()
            .map(|r| {
                Py::new(
                    py,
                    PyRiskReason {
                        signal: r.signal.as_str(),
                        weight: r.weight,
                        detail: r.detail,
                    },
                )
            })
            .collect::<PyResult<_>>()?,
        session: session
            .map(|s| Py::new(py, PySession::from(s)))
            .transpose()?,
    })
}

/// What a User-Agent string says: `family`, `version`, `os`, `os_version`, `kind`
/// (`"browser"`, `"crawler"`, ...), the way core reads it for scoring.
#[pyfunction]
pub fn parse_user_agent<'py>(py: Python<'py>, user_agent: &str) -> PyResult<Bound<'py, PyAny>> {
    let info = magnetar_core::session::user_agent::parse(user_agent);
    let value = serde_json::to_value(&info).map_err(|e| to_py(e.into()))?;
    crate::audit::json_to_py(py, &value)
}

/// Scores `current` against `previous` with the default policy. Each is a mapping
/// `{"ip": str, "user_agent": str, "headers": {name: value}}` (`headers` optional).
#[pyfunction]
pub fn score(
    py: Python<'_>,
    previous: &Bound<'_, PyAny>,
    current: &Bound<'_, PyAny>,
) -> PyResult<PyAssessment> {
    let previous = context_from_mapping(previous)?;
    let current = context_from_mapping(current)?;
    let a = magnetar_core::session::score(&previous, &current);
    assessment_to_py(py, a, None)
}

/// Sessions stored in a pool's database, or in PostgreSQL when `pool` is a
/// `PostgresStore` (many app servers sharing the sessions, limits and revocations):
/// per-user limits, idle and absolute timeouts, risk scoring of every request, and
/// (with `audit`) every decision in the audit log.
///
/// `fingerprint_key` (32 bytes, required: there is no default key) keys the HMAC of
/// the fingerprinted headers; keep it stable across restarts. Durations are seconds.
/// Safe to share between threads; calls release the GIL.
#[pyclass(module = "magnetar", name = "SessionRegistry", frozen)]
pub struct PySessionRegistry {
    inner: Arc<SessionRegistry>,
}

#[pymethods]
impl PySessionRegistry {
    #[new]
    #[pyo3(signature = (
        pool, *, fingerprint_key = None, audit = None, max_sessions = None,
        idle_timeout = None, absolute_timeout = None, touch_interval = None,
        reject_at_limit = false,
    ))]
    #[allow(clippy::too_many_arguments)]
    fn new(
        py: Python<'_>,
        pool: &Bound<'_, PyAny>,
        fingerprint_key: Option<&Bound<'_, PyAny>>,
        audit: Option<PyRef<'_, PyAuditLog>>,
        max_sessions: Option<u32>,
        idle_timeout: Option<&Bound<'_, PyAny>>,
        absolute_timeout: Option<&Bound<'_, PyAny>>,
        touch_interval: Option<&Bound<'_, PyAny>>,
        reject_at_limit: bool,
    ) -> PyResult<Self> {
        let key = match fingerprint_key.filter(|k| !k.is_none()) {
            Some(k) => {
                let bytes = k.cast::<PyBytes>().map_err(|_| {
                    to_py(magnetar_core::Error::InvalidKey(format!(
                        "fingerprint_key must be 32 bytes, got {}",
                        type_name(k)
                    )))
                })?;
                FingerprintKey::from_slice(bytes.as_bytes()).py_err()?
            }
            None => {
                return Err(to_py(magnetar_core::Error::InvalidKey(
                    "SessionRegistry needs fingerprint_key= (32 bytes, e.g. os.urandom(32) \
                     kept in your secret store); there is no default key"
                        .into(),
                )));
            }
        };
        let mut config = SessionConfig::new(key);
        if let Some(n) = max_sessions {
            config.max_sessions_per_user = n;
        }
        if let Some(d) = idle_timeout {
            config.idle_timeout = duration_from_py("idle_timeout", d)?;
        }
        if let Some(d) = absolute_timeout {
            config.absolute_timeout = duration_from_py("absolute_timeout", d)?;
        }
        if let Some(d) = touch_interval {
            config.touch_interval = duration_from_py("touch_interval", d)?;
        }
        if reject_at_limit {
            config.limit_policy = LimitPolicy::Reject;
        }
        let store = store_from_py(pool)?;
        let sink = audit.map(|a| a.inner.clone());
        let registry = py
            .detach(|| {
                let registry = SessionRegistry::open(store, config)?;
                Ok::<_, magnetar_core::Error>(match sink {
                    Some(log) => registry.with_audit(log),
                    None => registry,
                })
            })
            .py_err()?;
        Ok(PySessionRegistry {
            inner: Arc::new(registry),
        })
    }

    /// Creates a session for `user_id` from the login request; returns
    /// `(token, session)`. Give the token to the client (it is not stored).
    #[pyo3(signature = (user_id, *, ip, user_agent, headers = None))]
    fn create(
        &self,
        py: Python<'_>,
        user_id: String,
        ip: String,
        user_agent: String,
        headers: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<(String, PySession)> {
        let ctx = context(&ip, &user_agent, headers)?;
        let (token, session) = py.detach(|| self.inner.create(&user_id, &ctx)).py_err()?;
        Ok((token.as_str().to_owned(), PySession::from(session)))
    }

    /// Checks `token` and scores this request against its session. Raises
    /// `SessionNotFound`, `SessionExpired` or `SessionRevoked`; on `"terminate"` the
    /// session has been revoked.
    #[pyo3(signature = (token, *, ip, user_agent, headers = None))]
    fn validate(
        &self,
        py: Python<'_>,
        token: String,
        ip: String,
        user_agent: String,
        headers: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<PyAssessment> {
        let token = zeroize::Zeroizing::new(token);
        let ctx = context(&ip, &user_agent, headers)?;
        let v = py.detach(|| self.inner.validate(&token, &ctx)).py_err()?;
        assessment_to_py(py, v.assessment, Some(v.session))
    }

    /// `validate` for an HTTP middleware: also records a refused token
    /// (`session.refused`) and, with `audit_allow`, an allowed request (`session.allow`)
    /// through the registry's audit log. A token that names no live session is not
    /// raised: its `SessionNotFound`, `SessionExpired`, `SessionRevoked` or `InvalidInput`
    /// (malformed token) is returned, for a 401; only failures of the store or the audit
    /// log are raised.
    #[pyo3(signature = (token, *, ip, user_agent, audit_allow, headers = None))]
    fn validate_request(
        &self,
        py: Python<'_>,
        token: String,
        ip: String,
        user_agent: String,
        audit_allow: bool,
        headers: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<Py<PyAny>> {
        let token = zeroize::Zeroizing::new(token);
        let ctx = context(&ip, &user_agent, headers)?;
        let outcome = py
            .detach(|| self.inner.validate_request(&token, &ctx, audit_allow))
            .py_err()?;
        Ok(match outcome {
            RequestOutcome::Validated(v) => {
                Py::new(py, assessment_to_py(py, v.assessment, Some(v.session))?)?.into_any()
            }
            RequestOutcome::Refused(err) => to_py(err).into_value(py).into_any(),
        })
    }

    /// Accepts this request's context as the session's new baseline (after the user
    /// completed a step-up); returns the session.
    #[pyo3(signature = (token, *, ip, user_agent, headers = None))]
    fn rebaseline(
        &self,
        py: Python<'_>,
        token: String,
        ip: String,
        user_agent: String,
        headers: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<PySession> {
        let token = zeroize::Zeroizing::new(token);
        let ctx = context(&ip, &user_agent, headers)?;
        let s = py.detach(|| self.inner.rebaseline(&token, &ctx)).py_err()?;
        Ok(PySession::from(s))
    }

    /// Revokes the session of `token` (logout).
    fn revoke(&self, py: Python<'_>, token: String) -> PyResult<()> {
        let token = zeroize::Zeroizing::new(token);
        py.detach(|| self.inner.revoke(&token)).py_err()
    }

    /// `create` for asyncio: a coroutine that runs it on the loop's default executor.
    #[pyo3(signature = (*args, **kwargs), text_signature = "($self, user_id, *, ip, user_agent, headers=None)")]
    fn create_async<'py>(
        slf: &Bound<'py, Self>,
        args: &Bound<'py, PyTuple>,
        kwargs: Option<&Bound<'py, PyDict>>,
    ) -> PyResult<Bound<'py, PyAny>> {
        in_executor(slf.as_any(), "create", args, kwargs)
    }

    /// `validate` for asyncio: a coroutine that runs it on the loop's default executor.
    #[pyo3(signature = (*args, **kwargs), text_signature = "($self, token, *, ip, user_agent, headers=None)")]
    fn validate_async<'py>(
        slf: &Bound<'py, Self>,
        args: &Bound<'py, PyTuple>,
        kwargs: Option<&Bound<'py, PyDict>>,
    ) -> PyResult<Bound<'py, PyAny>> {
        in_executor(slf.as_any(), "validate", args, kwargs)
    }

    /// `validate_request` for asyncio: a coroutine that runs it on the loop's default
    /// executor.
    #[pyo3(signature = (*args, **kwargs), text_signature = "($self, token, *, ip, user_agent, audit_allow, headers=None)")]
    fn validate_request_async<'py>(
        slf: &Bound<'py, Self>,
        args: &Bound<'py, PyTuple>,
        kwargs: Option<&Bound<'py, PyDict>>,
    ) -> PyResult<Bound<'py, PyAny>> {
        in_executor(slf.as_any(), "validate_request", args, kwargs)
    }

    /// `rebaseline` for asyncio: a coroutine that runs it on the loop's default executor.
    #[pyo3(signature = (*args, **kwargs), text_signature = "($self, token, *, ip, user_agent, headers=None)")]
    fn rebaseline_async<'py>(
        slf: &Bound<'py, Self>,
        args: &Bound<'py, PyTuple>,
        kwargs: Option<&Bound<'py, PyDict>>,
    ) -> PyResult<Bound<'py, PyAny>> {
        in_executor(slf.as_any(), "rebaseline", args, kwargs)
    }

    /// `revoke` for asyncio: a coroutine that runs it on the loop's default executor.
    #[pyo3(signature = (*args, **kwargs), text_signature = "($self, token)")]
    fn revoke_async<'py>(
        slf: &Bound<'py, Self>,
        args: &Bound<'py, PyTuple>,
        kwargs: Option<&Bound<'py, PyDict>>,
    ) -> PyResult<Bound<'py, PyAny>> {
        in_executor(slf.as_any(), "revoke", args, kwargs)
    }

    /// Revokes every session of `user_id` (password change, account lock); returns
    /// how many.
    #[pyo3(
        signature = (user_id, reason = "revoked".to_owned()),
        text_signature = "($self, user_id, reason='revoked')"
    )]
    fn revoke_all(&self, py: Python<'_>, user_id: String, reason: String) -> PyResult<usize> {
        py.detach(|| self.inner.revoke_all(&user_id, &reason))
            .py_err()
    }

    /// The user's live sessions, oldest first.
    fn sessions(&self, py: Python<'_>, user_id: String) -> PyResult<Vec<PySession>> {
        let list = py.detach(|| self.inner.list(&user_id)).py_err()?;
        Ok(list.into_iter().map(PySession::from).collect())
    }

    /// Deletes sessions past their timeouts; returns how many.
    fn sweep_expired(&self, py: Python<'_>) -> PyResult<usize> {
        py.detach(|| self.inner.sweep_expired()).py_err()
    }
}
