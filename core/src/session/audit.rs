//! The audit hook of the session registry.
//!
//! The registry does not depend on the audit log directly: it reports events to a
//! [`SessionAuditSink`], which the host (or Magnetar's `audit::AuditLog`) implements.
//! Events are reported after the database change they describe has committed, so a
//! sink that writes to the same database through the same pool cannot deadlock on the
//! single writer.

use serde::Serialize;

use crate::error::Result;

/// The actions the registry records, with stable names.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
pub enum SessionAction {
    /// `session.create`: a session was created (status `success`).
    #[serde(rename = "session.create")]
    Create,
    /// `session.reject`: a login was refused at the session limit under the reject
    /// policy (status `rejected`; no session id).
    #[serde(rename = "session.reject")]
    Reject,
    /// `session.evict`: the oldest session was revoked to make room for a new one
    /// (status `evicted`; details name the new session).
    #[serde(rename = "session.evict")]
    Evict,
    /// `session.monitor`: a request scored in the monitor band (status `monitor`).
    #[serde(rename = "session.monitor")]
    Monitor,
    /// `session.step_up`: a request requires a second factor (status `step_up`).
    #[serde(rename = "session.step_up")]
    StepUp,
    /// `session.terminate`: a request scored in the terminate band and the session
    /// was revoked (status `terminate`).
    #[serde(rename = "session.terminate")]
    Terminate,
    /// `session.allow`: a request scored in the allow band, recorded by
    /// [`validate_request`](super::SessionRegistry::validate_request) when the host asks
    /// for it (status `allow`; details carry the score only).
    #[serde(rename = "session.allow")]
    Allow,
    /// `session.refused`: a request's token named no usable session, recorded by
    /// [`validate_request`](super::SessionRegistry::validate_request) (status: the error
    /// kind's name, e.g. `session_expired`; no user, no session id, no details: the token
    /// is never recorded, and an unknown one names nobody).
    #[serde(rename = "session.refused")]
    Refused,
    /// `session.rebaseline`: the host accepted a request's context as the session's
    /// new baseline (after a successful step-up; status `success`).
    #[serde(rename = "session.rebaseline")]
    Rebaseline,
    /// `session.revoke`: one session was revoked by token (status `revoked`).
    #[serde(rename = "session.revoke")]
    Revoke,
    /// `session.revoke_all`: all of a user's sessions were revoked (status `revoked`;
    /// no session id; details carry the reason, count and session ids).
    #[serde(rename = "session.revoke_all")]
    RevokeAll,
}

impl SessionAction {
    /// The stable action name, e.g. `session.step_up`.
    pub fn as_str(self) -> &'static str {
        match self {
            SessionAction::Create => "session.create",
            SessionAction::Reject => "session.reject",
            SessionAction::Evict => "session.evict",
            SessionAction::Allow => "session.allow",
            SessionAction::Refused => "session.refused",
            SessionAction::Monitor => "session.monitor",
            SessionAction::StepUp => "session.step_up",
            SessionAction::Terminate => "session.terminate",
            SessionAction::Rebaseline => "session.rebaseline",
            SessionAction::Revoke => "session.revoke",
            SessionAction::RevokeAll => "session.revoke_all",
        }
    }
}

/// One event for the audit log. Never carries the session token or its hash.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SessionAuditEvent {
    /// What happened.
    pub action: SessionAction,
    /// The user the session belongs to; `None` for `session.refused` (a refused token
    /// names no session the registry can vouch for).
    pub user_id: Option<String>,
    /// The public session id (not the token); `None` for `session.reject`,
    /// `session.revoke_all` and `session.refused`.
    pub session_id: Option<String>,
    /// The client IP of the request that caused the event, when there was one.
    pub ip: Option<String>,
    /// The User-Agent of the request that caused the event, when there was one.
    pub user_agent: Option<String>,
    /// `success`, `rejected`, `evicted`, `revoked`, the decision name (`allow`,
    /// `monitor`, `step_up`, `terminate`), or for `session.refused` the error kind's name.
    pub status: String,
    /// Action-specific details: the score and reasons for decisions (the score only for
    /// `allow`), the revocation reason, the new session for an eviction; `Null` for
    /// `session.refused`, which has none.
    pub details: serde_json::Value,
    /// When it happened, in Unix milliseconds from the registry's clock.
    pub timestamp_ms: i64,
}

/// Where the registry records its events.
pub trait SessionAuditSink: Send + Sync {
    /// Records one event. An error is returned to the caller of the registry
    /// operation (the database change has already committed; see the registry docs).
    fn record(&self, event: SessionAuditEvent) -> Result<()>;
}

/// Magnetar's own audit log as the registry's sink.
///
/// Mapping: `action` → the action name (`session.create`...), `user_id`, `resource_type`
/// = `"session"`, `resource_id` = the public session id, `status`, `ip`, `user_agent`
/// and `details` one to one, except that `Null` details are stored as none (as a host's
/// `record` without details would store them). The audit log stamps the event with its own clock (by
/// default the pool's, as the registry's), so `timestamp_ms` is not copied.
impl SessionAuditSink for crate::audit::AuditLog {
    fn record(&self, event: SessionAuditEvent) -> Result<()> {
        let entry = crate::audit::NewEvent {
            action: event.action.as_str().to_string(),
            user_id: event.user_id,
            resource_type: Some("session".to_string()),
            resource_id: event.session_id,
            status: Some(event.status),
            ip: event.ip,
            user_agent: event.user_agent,
            details: (!event.details.is_null()).then_some(event.details),
        };
        crate::audit::AuditLog::record(self, &entry).map(|_| ())
    }
}
