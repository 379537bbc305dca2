//! Session risk as Swift sees it, called as plain Rust.

use std::collections::HashMap;
use std::time::Duration;

use magnetar_uniffi::{
    Decision, FingerprintKey, LimitPolicy, MagnetarError, Pool, PreparedRequestContext,
    RequestContext, RiskScorer, SessionRegistry, Signal, default_pool_config,
    default_scoring_policy, default_session_config, parse_user_agent, score_request,
};

fn ctx(ip: &str, ua: &str) -> RequestContext {
    RequestContext {
        ip: ip.into(),
        user_agent: ua.into(),
        headers: HashMap::from([("Accept-Language".to_string(), "en-GB,en;q=0.9".to_string())]),
    }
}

const FIREFOX: &str = "Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0";
const SAFARI: &str = "Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Mobile/15E148 Safari/604.1";

#[test]
fn defaults_are_cores() {
    let c = default_session_config();
    assert_eq!(c.max_sessions_per_user, 3);
    assert_eq!(c.limit_policy, LimitPolicy::EvictOldest);
    assert_eq!(c.idle_timeout, Duration::from_secs(30 * 60));
    let p = default_scoring_policy();
    assert_eq!(p.weights.ip_change, 0.3);
    assert_eq!(p.thresholds.terminate, 0.9);
}

#[test]
fn scoring_signals_and_decisions() {
    let policy = default_scoring_policy();
    let base = ctx("203.0.113.7", FIREFOX);
    let same = score_request(base.clone(), base.clone(), policy).unwrap();
    assert_eq!((same.score, same.decision), (0.0, Decision::Allow));

    let moved = score_request(base.clone(), ctx("198.51.100.2", SAFARI), policy).unwrap();
    assert_eq!(moved.decision, Decision::StepUp, "{moved:?}");
    let signals: Vec<Signal> = moved.reasons.iter().map(|r| r.signal).collect();
    assert_eq!(signals, [Signal::IpChange, Signal::UserAgentChange]);
    assert!((moved.score - 0.8).abs() < 1e-9);

    let err = score_request(ctx("not-an-ip", FIREFOX), base, policy).unwrap_err();
    assert!(matches!(err, MagnetarError::InvalidInput { .. }), "{err:?}");
}

#[test]
fn prepared_contexts_score_as_score_request_does() {
    let policy = default_scoring_policy();
    let scorer = RiskScorer::new(policy).unwrap();
    let pairs = [
        (ctx("203.0.113.7", FIREFOX), ctx("203.0.113.7", FIREFOX)),
        (ctx("203.0.113.7", FIREFOX), ctx("198.51.100.2", SAFARI)),
        (ctx("203.0.113.7", FIREFOX), ctx("203.0.113.9", FIREFOX)),
    ];
    for (previous, current) in pairs {
        let expected = score_request(previous.clone(), current.clone(), policy).unwrap();
        let previous = PreparedRequestContext::new(previous).unwrap();
        let current = PreparedRequestContext::new(current).unwrap();
        assert_eq!(
            scorer.decide(previous.clone(), current.clone()),
            expected.decision
        );
        assert_eq!(scorer.score(previous, current), expected);
    }
    // Validation happens once, when the context is prepared.
    let err = PreparedRequestContext::new(ctx("not-an-ip", FIREFOX)).unwrap_err();
    assert!(matches!(err, MagnetarError::InvalidInput { .. }), "{err:?}");
    let mut bad = policy;
    bad.weights.ip_change = 2.0;
    let err = RiskScorer::new(bad).unwrap_err();
    assert!(
        matches!(err, MagnetarError::InvalidConfig { .. }),
        "{err:?}"
    );
}

#[test]
fn registry_create_validate_limit_and_revoke() {
    let dir = tempfile::tempdir().unwrap();
    let pool = Pool::open(
        dir.path().join("s.db").to_string_lossy().into_owned(),
        default_pool_config(),
    )
    .unwrap();
    let key = FingerprintKey::from_bytes(vec![7; 32]).unwrap();
    let mut config = default_session_config();
    config.max_sessions_per_user = 2;
    config.limit_policy = LimitPolicy::Reject;
    let registry = SessionRegistry::new(pool, key, config, None).unwrap();

    let login = ctx("203.0.113.7", FIREFOX);
    let created = registry.create("alice".into(), login.clone()).unwrap();
    assert_eq!(created.token.len(), 43);
    assert!(!format!("{created:?}").contains(&created.token));
    assert_eq!(created.session.user_id, "alice");

    let ok = registry
        .validate(created.token.clone(), login.clone())
        .unwrap();
    assert_eq!(ok.assessment.decision, Decision::Allow);
    assert_eq!(ok.session.id, created.session.id);

    registry.create("alice".into(), login.clone()).unwrap();
    let err = registry.create("alice".into(), login.clone()).unwrap_err();
    assert!(matches!(err, MagnetarError::SessionLimit { .. }), "{err:?}");
    assert_eq!(registry.list("alice".into()).unwrap().len(), 2);

    let stolen = registry
        .validate(created.token.clone(), ctx("198.51.100.2", SAFARI))
        .unwrap();
    assert_eq!(stolen.assessment.decision, Decision::StepUp);
    let rebased = registry
        .rebaseline(created.token.clone(), ctx("198.51.100.2", SAFARI))
        .unwrap();
    assert_eq!(rebased.ip, "198.51.100.2");

    registry.revoke(created.token.clone()).unwrap();
    let err = registry.validate(created.token, login.clone()).unwrap_err();
    assert!(
        matches!(err, MagnetarError::SessionRevoked { .. }),
        "{err:?}"
    );
    assert_eq!(
        registry
            .revoke_all("alice".into(), "password_change".into())
            .unwrap(),
        1
    );
    assert!(registry.list("alice".into()).unwrap().is_empty());

    let unknown = "A".repeat(43);
    let err = registry.validate(unknown, login.clone()).unwrap_err();
    assert!(
        matches!(err, MagnetarError::SessionNotFound { .. }),
        "{err:?}"
    );
    let err = registry.validate("short".into(), login).unwrap_err();
    assert!(matches!(err, MagnetarError::InvalidInput { .. }), "{err:?}");
    assert_eq!(registry.sweep_expired().unwrap(), 0);
}

#[test]
fn keys_and_configs_are_checked() {
    let err = FingerprintKey::from_bytes(vec![1; 5]).unwrap_err();
    assert_eq!(err.kind(), "invalid_key", "{err}");
    FingerprintKey::derive(vec![9; 32]).unwrap();
    let key = FingerprintKey::generate().unwrap();
    assert_eq!(format!("{key:?}"), "FingerprintKey([redacted])");

    let dir = tempfile::tempdir().unwrap();
    let pool = Pool::open(
        dir.path().join("c.db").to_string_lossy().into_owned(),
        default_pool_config(),
    )
    .unwrap();
    let mut config = default_session_config();
    config.max_sessions_per_user = 0;
    let err = SessionRegistry::new(pool, key, config, None).unwrap_err();
    assert!(
        matches!(err, MagnetarError::InvalidConfig { .. }),
        "{err:?}"
    );
}

#[test]
fn decisions_are_recorded_in_the_audit_log() {
    use magnetar_uniffi::{AuditKey, AuditLog, AuditWriteMode, default_audit_filter};
    let dir = tempfile::tempdir().unwrap();
    let pool = Pool::open(
        dir.path().join("a.db").to_string_lossy().into_owned(),
        default_pool_config(),
    )
    .unwrap();
    let log = AuditLog::new(
        pool.clone(),
        AuditKey::generate().unwrap(),
        AuditWriteMode::Synchronous,
        vec![],
    )
    .unwrap();
    let registry = SessionRegistry::new(
        pool,
        FingerprintKey::generate().unwrap(),
        default_session_config(),
        Some(log.clone()),
    )
    .unwrap();
    let created = registry
        .create("alice".into(), ctx("203.0.113.7", FIREFOX))
        .unwrap();
    registry
        .validate(created.token.clone(), ctx("198.51.100.2", SAFARI))
        .unwrap();
    let events = log.query(default_audit_filter()).unwrap();
    let actions: Vec<&str> = events.iter().map(|e| e.action.as_str()).collect();
    assert_eq!(actions, ["session.create", "session.step_up"]);
    assert_eq!(
        events[0].resource_id.as_deref(),
        Some(created.session.id.as_str())
    );
    for e in &events {
        assert!(
            !format!("{e:?}").contains(&created.token),
            "the token never reaches the log"
        );
    }
    assert!(log.verify().unwrap().ok);
}

#[test]
fn user_agents_parse_as_scoring_reads_them() {
    let info = parse_user_agent(
        "Mozilla/5.0 (X11; Linux x86_64; rv:120.0) Gecko/20100101 Firefox/120.0".into(),
    );
    assert_eq!(
        (info.family.as_str(), info.kind.as_str()),
        ("Firefox", "browser")
    );
    assert!(info.version.starts_with("120"));
    assert_eq!(parse_user_agent(String::new()).kind, "unknown");
}
