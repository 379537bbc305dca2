//! The audit log as Swift sees it, called as plain Rust.

use std::sync::Arc;

use magnetar_uniffi::{
    AuditFilter, AuditKey, AuditLog, AuditOrder, AuditWriteMode, MagnetarError, NewAuditEvent,
    Pool, SqlValue, audit_rotate_and_reencrypt, default_audit_filter, default_batched_write_mode,
    default_pool_config,
};

fn pool(dir: &tempfile::TempDir) -> Arc<Pool> {
    Pool::open(
        dir.path().join("audit.db").to_string_lossy().into_owned(),
        default_pool_config(),
    )
    .unwrap()
}

fn event(action: &str, user: &str) -> NewAuditEvent {
    NewAuditEvent {
        action: action.into(),
        user_id: Some(user.into()),
        resource_type: None,
        resource_id: None,
        status: Some("success".into()),
        ip: Some("203.0.113.7".into()),
        user_agent: None,
        details_json: Some(r#"{"method":"password","attempt":1}"#.into()),
    }
}

#[test]
fn record_query_verify_export() {
    let dir = tempfile::tempdir().unwrap();
    let pool = pool(&dir);
    let key = AuditKey::generate().unwrap();
    assert!(format!("{key:?}").contains("redacted"));
    let log = AuditLog::new(pool, key, AuditWriteMode::Synchronous, vec![]).unwrap();
    let id = log.record(event("user.login", "alice")).unwrap();
    log.record(event("user.logout", "bob")).unwrap();
    assert_eq!(log.count().unwrap(), 2);

    let mut filter = default_audit_filter();
    assert_eq!(filter.order, AuditOrder::Ascending);
    filter.user_id = Some("alice".into());
    let found = log.query(filter).unwrap();
    assert_eq!(found.len(), 1);
    assert_eq!(found[0].event_id, id);
    let details: serde_json::Value =
        serde_json::from_str(found[0].details_json().as_deref().unwrap()).unwrap();
    assert_eq!(details["method"], "password");

    let newest = log
        .query(AuditFilter {
            order: AuditOrder::Descending,
            limit: Some(1),
            ..default_audit_filter()
        })
        .unwrap();
    assert_eq!(newest[0].action, "user.logout");

    let head = log.head().unwrap();
    assert_eq!(head.seq, 2);
    let report = log.verify().unwrap();
    assert!(report.ok && report.checked == 2 && report.first_problem.is_none());
    assert!(log.verify_against(head).unwrap().ok);

    let out = dir.path().join("audit.jsonl");
    let n = log
        .export_jsonl(out.to_string_lossy().into_owned(), default_audit_filter())
        .unwrap();
    assert_eq!(n, 2);
    assert_eq!(std::fs::read_to_string(&out).unwrap().lines().count(), 2);
    let path = out.to_string_lossy().into_owned();
    let err = log
        .export_jsonl(path.clone(), default_audit_filter())
        .unwrap_err();
    assert_eq!(err.kind(), "io");
    let mut alice = default_audit_filter();
    alice.user_id = Some("alice".into());
    assert_eq!(log.export_jsonl_replacing(path, alice).unwrap(), 1);
    assert_eq!(std::fs::read_to_string(out).unwrap().lines().count(), 1);
}

#[test]
fn keys_errors_and_tampering() {
    let dir = tempfile::tempdir().unwrap();
    let pool = pool(&dir);
    let log = AuditLog::new(
        pool.clone(),
        AuditKey::generate().unwrap(),
        AuditWriteMode::Synchronous,
        vec![],
    )
    .unwrap();
    for i in 0..3 {
        log.record(event(&format!("a{i}"), "u")).unwrap();
    }
    let err = AuditLog::new(
        pool.clone(),
        AuditKey::generate().unwrap(),
        AuditWriteMode::Synchronous,
        vec![],
    )
    .unwrap_err();
    assert!(matches!(err, MagnetarError::WrongKey { .. }), "{err:?}");
    assert_eq!(
        AuditKey::from_bytes(vec![0; 32]).unwrap_err().kind(),
        "invalid_key"
    );
    assert_eq!(
        AuditKey::parse("nope".into()).unwrap_err().kind(),
        "invalid_key"
    );
    let mut bad = event("x", "u");
    bad.details_json = Some("{not json".into());
    assert_eq!(log.record(bad).unwrap_err().kind(), "invalid_input");

    pool.execute(
        "DELETE FROM audit_events WHERE seq = ?".into(),
        vec![SqlValue::Integer(2)],
    )
    .unwrap();
    let report = log.verify().unwrap();
    assert!(!report.ok);
    assert!(report.first_problem.is_some(), "{report:?}");
}

#[test]
fn batched_writes_and_key_rotation() {
    let dir = tempfile::tempdir().unwrap();
    let pool = pool(&dir);
    let first = AuditKey::generate().unwrap();
    let log = AuditLog::new(
        pool.clone(),
        first.clone(),
        default_batched_write_mode(),
        vec![],
    )
    .unwrap();
    assert!(log.is_batched());
    for i in 0..20 {
        log.record(event("batched", &format!("u{i}"))).unwrap();
    }
    log.flush().unwrap();
    assert_eq!(log.count().unwrap(), 20);

    let second = AuditKey::generate().unwrap();
    let id = log.rotate_key(second.clone()).unwrap();
    assert_eq!(log.current_key_id(), id);
    let mut progress = log.reencrypt(7).unwrap();
    while !progress.done {
        progress = log.reencrypt(7).unwrap();
    }
    assert_eq!(progress.remaining, 0);
    log.close().unwrap();
    assert!(log.verify().unwrap().ok);
    drop(log);

    // Reopening needs the new key; the old one alone is refused.
    let err = AuditLog::new(pool.clone(), first, AuditWriteMode::Synchronous, vec![]).unwrap_err();
    assert_eq!(err.kind(), "wrong_key");
    let reopened = AuditLog::new(pool, second, AuditWriteMode::Synchronous, vec![]).unwrap();
    assert_eq!(reopened.count().unwrap(), 20);
}

#[test]
fn a_passphrase_log_reopens_with_its_passphrase_key() {
    let dir = tempfile::tempdir().unwrap();
    let pool = pool(&dir);
    let log = AuditLog::with_passphrase(
        pool.clone(),
        "correct horse battery staple".into(),
        AuditWriteMode::Synchronous,
    )
    .unwrap();
    log.record(event("x", "u")).unwrap();
    let key = log
        .passphrase_key("correct horse battery staple".into())
        .unwrap();
    drop(log);
    let reopened = AuditLog::new(pool, key, AuditWriteMode::Synchronous, vec![]).unwrap();
    assert_eq!(reopened.count().unwrap(), 1);
    let err = AuditLog::with_passphrase(
        self::pool(&tempfile::tempdir().unwrap()),
        "short".into(),
        AuditWriteMode::Synchronous,
    )
    .unwrap_err();
    assert_eq!(err.kind(), "invalid_key");
}

#[test]
fn exists_reports_without_creating() {
    let dir = tempfile::tempdir().unwrap();
    let pool = pool(&dir);
    assert!(!magnetar_uniffi::audit_log_exists(pool.clone()).unwrap());
    assert!(!magnetar_uniffi::audit_log_exists(pool.clone()).unwrap());
    AuditLog::new(
        pool.clone(),
        AuditKey::generate().unwrap(),
        AuditWriteMode::Synchronous,
        vec![],
    )
    .unwrap();
    assert!(magnetar_uniffi::audit_log_exists(pool).unwrap());
}

#[test]
fn the_rotation_workflow_and_key_ids() {
    let dir = tempfile::tempdir().unwrap();
    let pool = pool(&dir);
    let first = AuditKey::generate().unwrap();
    let log = AuditLog::new(
        pool.clone(),
        first.clone(),
        AuditWriteMode::Synchronous,
        vec![],
    )
    .unwrap();
    assert_eq!(log.key_ids(), [1]);
    for i in 0..5 {
        log.record(event("e", &format!("u{i}"))).unwrap();
    }
    log.close().unwrap();
    drop(log);
    let second = AuditKey::generate().unwrap();
    let err = audit_rotate_and_reencrypt(pool.clone(), first.clone(), second.clone(), 0, true)
        .unwrap_err();
    assert_eq!(err.kind(), "invalid_input");
    let report =
        audit_rotate_and_reencrypt(pool.clone(), first.clone(), second.clone(), 2, true).unwrap();
    assert_eq!((report.old_key_id, report.new_key_id), (1, 2));
    assert_eq!(report.reencrypted, 5);
    assert!(report.old_key_retired && !report.resumed);
    let reopened = AuditLog::new(pool, second, AuditWriteMode::Synchronous, vec![]).unwrap();
    assert_eq!(reopened.key_ids(), [2]);
    assert!(reopened.verify().unwrap().ok);
}
