//! The session registry's audit events, written to Magnetar's own audit log.
//!
//! Every binding that lets a host pass an `AuditLog` to a `SessionRegistry` needs the
//! same mapping, so it lives here: the action name (`session.create`...), the user,
//! `resource_type` `"session"` with the public session id (never the token), the
//! status, the client IP and User-Agent, and the details (score and reasons,
//! revocation reason...). The audit log stamps its own time.

use crate::audit::{AuditLog, NewEvent};
use crate::error::Result;

use super::audit::{SessionAuditEvent, SessionAuditSink};

impl SessionAuditSink for AuditLog {
    fn record(&self, event: SessionAuditEvent) -> Result<()> {
        let details = (!event.details.is_null()).then_some(event.details);
        let new = NewEvent {
            action: event.action.as_str().to_owned(),
            user_id: Some(event.user_id),
            resource_type: Some("session".to_owned()),
            resource_id: event.session_id,
            status: Some(event.status),
            ip: event.ip,
            user_agent: event.user_agent,
            details,
        };
        AuditLog::record(self, &new).map(|_| ())
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use crate::audit::{AuditConfig, AuditKey, Filter};
    use crate::pool::{Pool, PoolConfig};
    use crate::session::{FingerprintKey, RequestContext, SessionConfig, SessionRegistry};

    #[test]
    fn registry_events_land_in_the_audit_log() {
        let dir = tempfile::tempdir().unwrap();
        let pool = Pool::open(dir.path().join("a.db"), PoolConfig::default()).unwrap();
        let log = Arc::new(
            crate::audit::AuditLog::open(
                &pool,
                AuditKey::generate().unwrap(),
                AuditConfig::default(),
            )
            .unwrap(),
        );
        let registry = SessionRegistry::open(
            pool.clone(),
            SessionConfig::new(FingerprintKey::generate().unwrap()),
        )
        .unwrap()
        .with_audit(log.clone());
        let ctx = RequestContext::new("203.0.113.7", "curl/8.0").unwrap();
        let (token, session) = registry.create("alice", &ctx).unwrap();
        registry.revoke(token.as_str()).unwrap();
        let events = log.query(&Filter::user("alice")).unwrap();
        let actions: Vec<&str> = events.iter().map(|e| e.action.as_str()).collect();
        assert_eq!(actions, ["session.create", "session.revoke"]);
        assert_eq!(events[0].resource_type.as_deref(), Some("session"));
        assert_eq!(events[0].resource_id.as_deref(), Some(session.id.as_str()));
        assert_eq!(events[0].ip.as_deref(), Some("203.0.113.7"));
        let text = format!("{events:?}");
        assert!(
            !text.contains(token.as_str()),
            "the token must not be logged"
        );
    }
}
