//! Helpers that join components: the session registry writing to the audit log, and
//! checking for an audit log without creating one.

use std::sync::Arc;

use magnetar_core::audit::{AuditConfig, AuditKey, AuditLog, Filter};
use magnetar_core::pool::{Pool, PoolConfig};
use magnetar_core::session::{FingerprintKey, RequestContext, SessionConfig, SessionRegistry};

#[test]
fn exists_is_false_until_a_log_is_opened_and_creates_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let pool = Pool::open(dir.path().join("app.db"), PoolConfig::default()).unwrap();
    assert!(!AuditLog::exists(&pool).unwrap());
    let tables: i64 = pool
        .read(|c| Ok(c.query_row("SELECT count(*) FROM sqlite_master", [], |r| r.get(0))?))
        .unwrap();
    assert_eq!(tables, 0, "exists() must not create the schema");
    let _log =
        AuditLog::open(&pool, AuditKey::generate().unwrap(), AuditConfig::default()).unwrap();
    assert!(AuditLog::exists(&pool).unwrap());
}

#[test]
fn session_decisions_land_in_the_audit_log() {
    let dir = tempfile::tempdir().unwrap();
    let pool = Pool::open(dir.path().join("app.db"), PoolConfig::default()).unwrap();
    let log = Arc::new(
        AuditLog::open(&pool, AuditKey::generate().unwrap(), AuditConfig::default()).unwrap(),
    );
    let registry = SessionRegistry::open(
        pool.clone(),
        SessionConfig::new(FingerprintKey::generate().unwrap()),
    )
    .unwrap()
    .with_audit(log.clone());
    let chrome = "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.0.0 Safari/537.36";
    let firefox = "Mozilla/5.0 (X11; Linux x86_64; rv:121.0) Gecko/20100101 Firefox/121.0";
    let (token, session) = registry
        .create(
            "alice",
            &RequestContext::new("203.0.113.7", chrome).unwrap(),
        )
        .unwrap();
    registry
        .validate(
            token.as_str(),
            &RequestContext::new("198.51.100.9", firefox).unwrap(),
        )
        .unwrap();

    let events = log.query(&Filter::user("alice")).unwrap();
    let actions: Vec<&str> = events.iter().map(|e| e.action.as_str()).collect();
    assert_eq!(actions, ["session.create", "session.step_up"]);
    let step_up = &events[1];
    assert_eq!(step_up.status.as_deref(), Some("step_up"));
    assert_eq!(step_up.resource_type.as_deref(), Some("session"));
    assert_eq!(step_up.resource_id.as_deref(), Some(session.id.as_str()));
    assert_eq!(step_up.ip.as_deref(), Some("198.51.100.9"));
    assert_eq!(step_up.user_agent.as_deref(), Some(firefox));
    assert!(step_up.details.as_ref().unwrap()["score"].as_f64().unwrap() >= 0.7);
    assert!(log.verify().unwrap().ok);
}
