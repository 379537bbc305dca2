//! Key lifecycle: no event is committed under a retired key (by this instance or by
//! another process still holding it), retiring waits for events already sealed, a
//! retired key stays recorded as retired, and each key's nonce budget is enforced.

mod audit_common;

use audit_common::*;
use magnetar_core::ErrorKind;
use magnetar_core::audit::{AuditConfig, AuditLog, Filter, MAX_EVENTS_PER_KEY, NewEvent};

fn events_under(path: &std::path::Path, key_id: u32) -> i64 {
    raw(path)
        .query_row(
            "SELECT count(*) FROM audit_events WHERE key_id = ?1",
            [key_id],
            |r| r.get(0),
        )
        .unwrap()
}

#[test]
fn another_process_cannot_commit_under_a_retired_key() {
    let (_d, path) = temp_db();
    // The application (its own pool: another process) keeps writing under key 1.
    let app_pool = pool(&path);
    let app = open(&app_pool);
    app.record(&NewEvent::new("before")).unwrap();
    // The operator rotates to key 2 and retires key 1, as `magnetar audit rotate-key`.
    let ops_pool = pool(&path);
    let ops = open(&ops_pool);
    ops.rotate_key(key(2)).unwrap();
    app.record(&NewEvent::new("during")).unwrap();
    assert!(ops.reencrypt(100).unwrap().done);
    ops.retire_key(1).unwrap();
    let err = app.record(&NewEvent::new("after")).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::WrongKey, "{err}");
    assert!(err.to_string().contains("retired"), "{err}");
    assert_eq!(events_under(&path, 1), 0);
    let actions: Vec<String> = ops
        .query(&Filter::default())
        .unwrap()
        .into_iter()
        .map(|e| e.action)
        .collect();
    assert_eq!(actions, ["before", "during"]);
    assert!(ops.verify().unwrap().ok);
}

#[test]
fn retiring_writes_what_was_sealed_under_the_key_first() {
    let (_d, path) = temp_db();
    let pool = pool(&path);
    let log = open_batched(&pool, Default::default());
    for i in 0..50 {
        log.record(&event(i)).unwrap();
    }
    log.rotate_key(key(2)).unwrap();
    // Some of the queued events (sealed under key 1) may not be written yet when
    // reencrypt runs: retire_key writes them first and then finds the key still in
    // use, rather than retiring it under them. Whichever way the race goes, no event
    // is lost and none stays under key 1.
    let mut attempts = 0;
    loop {
        assert!(log.reencrypt(1000).unwrap().done);
        match log.retire_key(1) {
            Ok(()) => break,
            Err(e) => assert_eq!(e.kind(), ErrorKind::InvalidInput, "{e}"),
        }
        attempts += 1;
        assert!(attempts < 3, "retire_key keeps finding events under key 1");
    }
    log.record(&event(50)).unwrap();
    log.flush().unwrap();
    assert_eq!(log.len().unwrap(), 51);
    assert_eq!(events_under(&path, 1), 0);
    assert!(log.verify().unwrap().ok);
}

#[test]
fn a_retired_key_stays_recorded_as_retired() {
    let (_d, path) = temp_db();
    let pool = pool(&path);
    let log = open(&pool);
    log.record(&NewEvent::new("x")).unwrap();
    log.rotate_key(key(2)).unwrap();
    assert!(log.reencrypt(10).unwrap().done);
    log.retire_key(1).unwrap();
    let (retired, wrapped): (Option<i64>, Vec<u8>) = raw(&path)
        .query_row(
            "SELECT retired_ms, wrapped_secret FROM audit_keys WHERE key_id = 1",
            [],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .unwrap();
    assert!(retired.is_some());
    assert!(
        wrapped.is_empty(),
        "the retired key's copy of the log secret is erased"
    );
    let err = AuditLog::open(&pool, key(1), AuditConfig::default()).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::WrongKey);
    assert!(err.to_string().contains("retired"), "{err}");
    let config = AuditConfig {
        previous_keys: vec![key(1)],
        ..Default::default()
    };
    let err = AuditLog::open(&pool, key(2), config).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::WrongKey);
    assert_eq!(
        log.retire_key(1).unwrap_err().kind(),
        ErrorKind::InvalidInput
    );
    // A new rotation takes a fresh id, never the retired one.
    assert_eq!(log.rotate_key(key(3)).unwrap(), 3);
}

#[test]
fn a_key_past_its_nonce_budget_refuses_until_rotated() {
    let (_d, path) = temp_db();
    let pool = pool(&path);
    let log = open(&pool);
    log.record(&NewEvent::new("x")).unwrap();
    // As if key 1 had sealed its whole budget.
    raw(&path)
        .execute(
            "UPDATE audit_keys SET reencrypted = ?1 WHERE key_id = 1",
            [MAX_EVENTS_PER_KEY as i64],
        )
        .unwrap();
    let err = log.record(&NewEvent::new("y")).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::InvalidKey, "{err}");
    assert!(err.to_string().contains("rotate"), "{err}");
    assert_eq!(log.len().unwrap(), 1);
    log.rotate_key(key(2)).unwrap();
    log.record(&NewEvent::new("y")).unwrap();
    assert_eq!(log.len().unwrap(), 2);
}

#[test]
fn the_rotation_workflow_rotates_reencrypts_retires_and_resumes() {
    use magnetar_core::audit::{RotationOptions, RotationReport};
    let (_d, path) = temp_db();
    let pool = pool(&path);
    let log = open(&pool);
    for i in 0..7 {
        log.record(&event(i)).unwrap();
    }
    log.close().unwrap();
    let options = RotationOptions {
        batch_size: 3,
        ..RotationOptions::default()
    };
    // A zero batch is refused before anything changes.
    let zero = RotationOptions {
        batch_size: 0,
        ..options
    };
    let err = AuditLog::rotate_and_reencrypt(
        &pool,
        key(1),
        key(2),
        AuditConfig::default(),
        zero,
        |_, _| {},
    )
    .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::InvalidInput, "{err}");
    assert_eq!(events_under(&path, 2), 0);

    let mut seen = Vec::new();
    let report = AuditLog::rotate_and_reencrypt(
        &pool,
        key(1),
        key(2),
        AuditConfig::default(),
        options,
        |done, total| seen.push((done, total)),
    )
    .unwrap();
    assert_eq!(
        report,
        RotationReport {
            old_key_id: 1,
            new_key_id: 2,
            reencrypted: 7,
            old_key_retired: true,
            resumed: false,
        }
    );
    assert_eq!(seen.last(), Some(&(7, 7)));
    assert_eq!(events_under(&path, 1), 0);
    let err = AuditLog::open(&pool, key(1), AuditConfig::default()).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::WrongKey, "{err}");

    // Interrupted after rotate_key: running the workflow again with the same two keys
    // finishes it.
    let log = AuditLog::open(&pool, key(2), AuditConfig::default()).unwrap();
    log.record(&event(8)).unwrap();
    log.rotate_key(key(3)).unwrap();
    log.close().unwrap();
    let report = AuditLog::rotate_and_reencrypt(
        &pool,
        key(2),
        key(3),
        AuditConfig::default(),
        options,
        |_, _| {},
    )
    .unwrap();
    assert!(report.resumed, "{report:?}");
    assert_eq!((report.old_key_id, report.new_key_id), (2, 3));
    assert_eq!(report.reencrypted, 8);
    let log = AuditLog::open(&pool, key(3), AuditConfig::default()).unwrap();
    assert!(log.verify().unwrap().ok);
    assert_eq!(log.key_ids(), [3]);
}
