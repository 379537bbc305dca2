//! The session registry writing its decisions to Magnetar's own encrypted audit log.

use std::sync::Arc;

use magnetar_core::ErrorKind;
use magnetar_core::audit::{AuditConfig, AuditKey, AuditLog, Filter};
use magnetar_core::session::{
    Decision, FingerprintKey, RequestContext, RequestOutcome, SessionConfig, SessionRegistry,
};
use magnetar_testkit::{temp_pool, ua};

#[test]
fn registry_events_land_in_the_audit_log_and_verify() {
    let (_dir, pool) = temp_pool();
    let audit = Arc::new(
        AuditLog::open(&pool, AuditKey::generate().unwrap(), AuditConfig::default()).unwrap(),
    );
    let config = SessionConfig::new(FingerprintKey::generate().unwrap());
    let registry = SessionRegistry::open(pool.clone(), config)
        .unwrap()
        .with_audit(audit.clone());

    let firefox = ua::FIREFOX_WIN_120;
    let chrome = ua::CHROME_MAC_REDUCED;
    let login = RequestContext::new("203.0.113.7", firefox).unwrap();
    let (token, session) = registry.create("alice", &login).unwrap();

    // A different network and a different browser: 0.3 + 0.5 = 0.8 → StepUp.
    let moved = RequestContext::new("198.51.100.9", chrome).unwrap();
    let v = registry.validate(token.as_str(), &moved).unwrap();
    assert_eq!(v.assessment.decision, Decision::StepUp);
    assert_eq!(registry.revoke_all("alice", "password_change").unwrap(), 1);

    let events = audit
        .query(&Filter {
            user_id: Some("alice".into()),
            ..Filter::default()
        })
        .unwrap();
    let actions: Vec<&str> = events.iter().map(|e| e.action.as_str()).collect();
    assert_eq!(
        actions,
        ["session.create", "session.step_up", "session.revoke_all"],
        "{actions:?}"
    );
    let create = &events[0];
    assert_eq!(create.resource_type.as_deref(), Some("session"));
    assert_eq!(create.resource_id.as_deref(), Some(session.id.as_str()));
    assert_eq!(create.ip.as_deref(), Some("203.0.113.7"));
    let step_up = &events[1];
    assert_eq!(step_up.status.as_deref(), Some("step_up"));
    let details = step_up.details.as_ref().unwrap().to_string();
    assert!(
        details.contains("ip_change") && details.contains("user_agent_change"),
        "{details}"
    );
    // The token never reaches the audit trail.
    for e in &events {
        assert!(!serde_json::to_string(e).unwrap().contains(token.as_str()));
    }
    let report = audit.verify().unwrap();
    assert!(report.ok, "{report:?}");
    assert_eq!(report.checked, 3);
}

/// What the Python middlewares recorded before the rule moved into core, field by field:
/// an allowed request and a refused token.
#[test]
fn validate_request_records_allowed_requests_and_refused_tokens() {
    let (_dir, pool) = temp_pool();
    let audit = Arc::new(
        AuditLog::open(&pool, AuditKey::generate().unwrap(), AuditConfig::default()).unwrap(),
    );
    let config = SessionConfig::new(FingerprintKey::generate().unwrap());
    let registry = SessionRegistry::open(pool.clone(), config)
        .unwrap()
        .with_audit(audit.clone());
    let home = RequestContext::new("203.0.113.7", ua::FIREFOX_WIN_120).unwrap();
    let (token, session) = registry.create("alice", &home).unwrap();

    let RequestOutcome::Validated(v) = registry
        .validate_request(token.as_str(), &home, true)
        .unwrap()
    else {
        panic!("a live session's token was refused");
    };
    assert_eq!(v.assessment.decision, Decision::Allow);
    // Without audit_allow an allowed request leaves no event.
    registry
        .validate_request(token.as_str(), &home, false)
        .unwrap();
    let unknown = "A".repeat(43);
    let stranger = RequestContext::new("198.51.100.9", ua::CHROME_MAC_REDUCED).unwrap();
    let RequestOutcome::Refused(err) = registry
        .validate_request(&unknown, &stranger, true)
        .unwrap()
    else {
        panic!("an unknown token was accepted");
    };
    assert_eq!(err.kind(), ErrorKind::SessionNotFound);
    let RequestOutcome::Refused(err) = registry
        .validate_request("not-a-token", &stranger, true)
        .unwrap()
    else {
        panic!("a malformed token was accepted");
    };
    assert_eq!(err.kind(), ErrorKind::InvalidInput);

    let events = audit.query(&Filter::default()).unwrap();
    let actions: Vec<&str> = events.iter().map(|e| e.action.as_str()).collect();
    assert_eq!(
        actions,
        [
            "session.create",
            "session.allow",
            "session.refused",
            "session.refused"
        ]
    );
    let allow = &events[1];
    assert_eq!(allow.user_id.as_deref(), Some("alice"));
    assert_eq!(allow.resource_type.as_deref(), Some("session"));
    assert_eq!(allow.resource_id.as_deref(), Some(session.id.as_str()));
    assert_eq!(allow.status.as_deref(), Some("allow"));
    assert_eq!(allow.ip.as_deref(), Some("203.0.113.7"));
    assert_eq!(allow.user_agent.as_deref(), Some(ua::FIREFOX_WIN_120));
    assert_eq!(allow.details, Some(serde_json::json!({ "score": 0.0 })));
    let refused = &events[2];
    assert_eq!(refused.user_id, None);
    assert_eq!(refused.resource_type.as_deref(), Some("session"));
    assert_eq!(refused.resource_id, None);
    assert_eq!(refused.status.as_deref(), Some("session_not_found"));
    assert_eq!(refused.ip.as_deref(), Some("198.51.100.9"));
    assert_eq!(refused.user_agent.as_deref(), Some(ua::CHROME_MAC_REDUCED));
    assert_eq!(refused.details, None);
    assert_eq!(events[3].status.as_deref(), Some("invalid_input"));
    for e in &events {
        let json = serde_json::to_string(e).unwrap();
        assert!(!json.contains(token.as_str()) && !json.contains(&unknown));
    }
}
