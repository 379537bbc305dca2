//! The PostgreSQL store as Swift sees it, called as plain Rust. The tests that need a
//! server skip without MAGNETAR_TEST_PG_URL; the README's test command runs them against
//! its throwaway server (scripts/with-postgres.sh).

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use magnetar_testkit::{pg_url, unique_name};
use magnetar_uniffi::{
    AuditKey, AuditLog, AuditWriteMode, FingerprintKey, LimitPolicy, MagnetarError, NewAuditEvent,
    PostgresStore, RequestContext, SessionRegistry, audit_log_exists_on_postgres,
    audit_rotate_and_reencrypt_on_postgres, default_postgres_config, default_session_config,
};

fn store(url: &str, schema: &str) -> Arc<PostgresStore> {
    let mut config = default_postgres_config();
    config.schema = schema.into();
    config.max_connections = 4;
    PostgresStore::new(url.into(), config).unwrap()
}

fn event(action: &str, user: &str) -> NewAuditEvent {
    NewAuditEvent {
        action: action.into(),
        user_id: Some(user.into()),
        resource_type: None,
        resource_id: None,
        status: None,
        ip: None,
        user_agent: None,
        details_json: Some(r#"{"n":1}"#.into()),
    }
}

#[test]
fn the_config_is_cores_and_an_unreachable_server_is_unavailable() {
    let mut config = default_postgres_config();
    assert_eq!(config.schema, "magnetar");
    assert_eq!(config.max_connections, 10);
    config.connect_timeout = Duration::from_secs(2);
    let url = "postgresql://app:hunter2-secret@127.0.0.1:1/app?sslmode=disable";
    let err = PostgresStore::new(url.into(), config.clone()).unwrap_err();
    assert!(matches!(err, MagnetarError::Unavailable { .. }), "{err:?}");
    assert!(!format!("{err} {err:?}").contains("hunter2"), "{err:?}");
    config.schema = "Bad-Name".into();
    let err = PostgresStore::new(url.into(), config).unwrap_err();
    assert!(
        matches!(err, MagnetarError::InvalidConfig { .. }),
        "{err:?}"
    );
}

#[test]
fn sessions_and_the_audit_log_share_one_schema_across_stores() {
    let Some(url) = pg_url("sessions_and_the_audit_log_share_one_schema_across_stores") else {
        return;
    };
    let schema = unique_name("uniffi");
    let (first, second) = (store(&url, &schema), store(&url, &schema));
    assert_eq!(first.schema(), schema);
    assert!(!format!("{first:?}").contains("password"));

    assert!(!audit_log_exists_on_postgres(first.clone()).unwrap());
    let key = AuditKey::generate().unwrap();
    let log = AuditLog::on_postgres(
        first.clone(),
        key.clone(),
        AuditWriteMode::Synchronous,
        vec![],
    )
    .unwrap();
    let batched = AuditLog::on_postgres(
        second.clone(),
        key.clone(),
        AuditWriteMode::Batched {
            queue_capacity: 64,
            max_batch: 16,
        },
        vec![],
    )
    .unwrap();
    assert!(audit_log_exists_on_postgres(second.clone()).unwrap());

    let mut config = default_session_config();
    config.max_sessions_per_user = 1;
    config.limit_policy = LimitPolicy::Reject;
    let fingerprint = FingerprintKey::from_bytes(vec![7; 32]).unwrap();
    let a = SessionRegistry::on_postgres(
        first,
        fingerprint.clone(),
        config.clone(),
        Some(log.clone()),
    )
    .unwrap();
    let b = SessionRegistry::on_postgres(second.clone(), fingerprint, config, None).unwrap();
    let login = RequestContext {
        ip: "203.0.113.7".into(),
        user_agent: "Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0".into(),
        headers: HashMap::new(),
    };
    let created = a.create("alice".into(), login.clone()).unwrap();
    let refused = b.create("alice".into(), login.clone()).unwrap_err();
    assert!(
        matches!(refused, MagnetarError::SessionLimit { .. }),
        "{refused:?}"
    );
    b.revoke(created.token.clone()).unwrap();
    let err = a.validate(created.token, login).unwrap_err();
    assert!(
        matches!(err, MagnetarError::SessionRevoked { .. }),
        "{err:?}"
    );

    for i in 0..10 {
        batched.record(event("view", &format!("u{i}"))).unwrap();
    }
    batched.close().unwrap();
    let report = log.verify().unwrap();
    assert!(report.ok, "{report:?}");
    // The registry recorded the creation (through `log`), then the ten batched views.
    assert_eq!(report.checked, 11);

    let new_key = AuditKey::generate().unwrap();
    let rotation =
        audit_rotate_and_reencrypt_on_postgres(second.clone(), key, new_key.clone(), 4, true)
            .unwrap();
    assert_eq!(rotation.reencrypted, 11);
    let rotated =
        AuditLog::on_postgres(second, new_key, AuditWriteMode::Synchronous, vec![]).unwrap();
    assert!(rotated.verify().unwrap().ok);
}
