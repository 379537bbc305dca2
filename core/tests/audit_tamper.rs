//! Tampering with the SQLite file directly (as an attacker with file access but no key
//! would) is detected by `verify()`, and tampered rows are never returned by `query()`.

mod audit_common;

use std::path::Path;

use audit_common::*;
use magnetar_core::ErrorKind;
use magnetar_core::audit::{AuditConfig, AuditLog, Filter, Head, ProblemKind, VerifyReport};

/// A log of 10 events, one second apart; returns the temp dir (keep it alive), the path
/// and the head.
fn setup() -> (tempfile::TempDir, std::path::PathBuf, Head) {
    let (dir, path) = temp_db();
    let pool = pool(&path);
    let (log, clock) = open_with_clock(&pool);
    for i in 0..10 {
        log.record(&event(i)).unwrap();
        clock.advance(std::time::Duration::from_secs(1));
    }
    let head = log.head().unwrap();
    assert_eq!(head.seq, 10);
    log.close().unwrap();
    pool.close(std::time::Duration::from_secs(5)).unwrap();
    (dir, path, head)
}

/// Opens the (tampered) log with the right key and verifies it.
fn verify(path: &Path, head: Option<&Head>) -> (AuditLog, VerifyReport) {
    let log = open(&pool(path));
    let report = match head {
        Some(h) => log.verify_against(h).unwrap(),
        None => log.verify().unwrap(),
    };
    (log, report)
}

fn assert_problem(report: &VerifyReport, seq: u64, kind: ProblemKind, checked: u64) {
    assert!(!report.ok, "{report:?}");
    let p = report.first_problem.as_ref().unwrap();
    assert_eq!(
        (p.seq, p.kind, report.checked),
        (seq, kind, checked),
        "{report:?}"
    );
}

fn exec(path: &Path, sql: &str) {
    raw(path).execute_batch(sql).unwrap();
}

#[test]
fn untouched_log_verifies() {
    let (_d, path, head) = setup();
    let (_log, r) = verify(&path, Some(&head));
    assert!(
        r.ok && r.checked == 10 && r.first_problem.is_none(),
        "{r:?}"
    );
}

#[test]
fn modified_field_is_detected_and_never_returned() {
    let (_d, path, _) = setup();
    // Flip one bit of event 4's user_id ciphertext.
    let mut fields = read_fields(&path, 4);
    fields[USER_ID][14] ^= 0x20;
    write_fields(&path, 4, &fields);
    let (log, r) = verify(&path, None);
    assert_problem(&r, 4, ProblemKind::FieldTampered, 3);
    let p = r.first_problem.unwrap();
    assert!(p.detail.contains("field user_id"), "{}", p.detail);
    assert!(p.event_id.is_some());
    // Query: the tampered row is an error, never data; rows not selected are fine.
    let err = log.query(&Filter::default()).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Tampered);
    assert!(
        err.to_string().contains("seq 4") && err.to_string().contains("user_id"),
        "{err}"
    );
    assert_eq!(log.query(&Filter::user("user-0")).unwrap().len(), 2);
    let err = log.query(&Filter::user("user-3")).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Tampered);
}

#[test]
fn field_moved_to_another_column_is_detected() {
    let (_d, path, _) = setup();
    let mut fields = read_fields(&path, 6);
    fields.swap(USER_ID, RESOURCE_ID);
    write_fields(&path, 6, &fields);
    let (_log, r) = verify(&path, None);
    assert_problem(&r, 6, ProblemKind::FieldTampered, 5);
    let detail = r.first_problem.unwrap().detail;
    assert!(
        detail.contains("field user_id") && detail.contains("of field resource_id"),
        "{detail}"
    );
}

#[test]
fn field_moved_from_another_event_is_detected() {
    let (_d, path, _) = setup();
    // Give event 7 the user of event 2 (a different user): the AAD names event 2.
    let mut fields = read_fields(&path, 7);
    fields[USER_ID] = read_fields(&path, 2).swap_remove(USER_ID);
    write_fields(&path, 7, &fields);
    let (log, r) = verify(&path, None);
    assert_problem(&r, 7, ProblemKind::FieldTampered, 6);
    assert!(r.first_problem.unwrap().detail.contains("field user_id"));
    assert_eq!(
        log.query(&Filter::default()).unwrap_err().kind(),
        ErrorKind::Tampered
    );
}

#[test]
fn deleted_event_is_detected() {
    let (_d, path, _) = setup();
    exec(&path, "DELETE FROM audit_events WHERE seq = 5");
    let (_log, r) = verify(&path, None);
    assert_problem(&r, 6, ProblemKind::MissingEvents, 4);
    assert!(r.first_problem.unwrap().detail.contains("seq 5 is missing"));

    let (_d, path, _) = setup();
    exec(&path, "DELETE FROM audit_events WHERE seq <= 2");
    let (_log, r) = verify(&path, None);
    assert_problem(&r, 3, ProblemKind::MissingEvents, 0);
}

#[test]
fn deleted_then_renumbered_events_break_the_chain() {
    let (_d, path, _) = setup();
    exec(
        &path,
        "DELETE FROM audit_events WHERE seq = 5; UPDATE audit_events SET seq = seq - 1 WHERE seq > 5;",
    );
    let (_log, r) = verify(&path, None);
    assert_problem(&r, 5, ProblemKind::ChainBroken, 4);
}

#[test]
fn reordered_events_are_detected() {
    let (_d, path, _) = setup();
    exec(
        &path,
        "UPDATE audit_events SET seq = -1 WHERE seq = 3;
         UPDATE audit_events SET seq = 3 WHERE seq = 4;
         UPDATE audit_events SET seq = 4 WHERE seq = -1;",
    );
    let (_log, r) = verify(&path, None);
    assert_problem(&r, 3, ProblemKind::ChainBroken, 2);
}

#[test]
fn inserted_event_is_detected() {
    // A copy of a genuine row (valid ciphertexts) inserted in the middle.
    let (_d, path, _) = setup();
    exec(
        &path,
        "UPDATE audit_events SET seq = seq + 100 WHERE seq >= 6;
         UPDATE audit_events SET seq = seq - 99 WHERE seq >= 106;
         INSERT INTO audit_events SELECT 6, ts, key_id, user_idx, action_idx, event_id, chain, fields
             FROM audit_events WHERE seq = 2;",
    );
    let (_log, r) = verify(&path, None);
    assert_problem(&r, 6, ProblemKind::ChainBroken, 5);

    // Appended at the end.
    let (_d, path, _) = setup();
    exec(
        &path,
        "INSERT INTO audit_events SELECT 11, ts, key_id, user_idx, action_idx, event_id, chain, fields
             FROM audit_events WHERE seq = 10;",
    );
    let (_log, r) = verify(&path, None);
    assert_problem(&r, 11, ProblemKind::ChainBroken, 10);
}

#[test]
fn truncated_tail_is_detected_against_the_recorded_head() {
    let (_d, path, head) = setup();
    exec(&path, "DELETE FROM audit_events WHERE seq > 7");
    // Without the head, what remains is a valid chain.
    let (_log, r) = verify(&path, None);
    assert!(r.ok && r.checked == 7, "{r:?}");
    let (_log, r) = verify(&path, Some(&head));
    assert_problem(&r, 7, ProblemKind::Truncated, 7);
    assert!(
        r.first_problem
            .unwrap()
            .detail
            .contains("head is at seq 10")
    );
}

#[test]
fn head_from_a_rewritten_log_is_detected() {
    let (_d, path, mut head) = setup();
    head.chain_hex = "00".repeat(32);
    let (_log, r) = verify(&path, Some(&head));
    assert_problem(&r, 10, ProblemKind::HeadMismatch, 10);
}

#[test]
fn edited_timestamp_id_chain_or_key_id_is_detected() {
    for (sql, kind) in [
        (
            "UPDATE audit_events SET ts = ts + 1 WHERE seq = 8",
            ProblemKind::FieldTampered,
        ),
        (
            "UPDATE audit_events SET event_id = (SELECT event_id FROM audit_events WHERE seq = 1) WHERE seq = 8",
            ProblemKind::FieldTampered,
        ),
        (
            "UPDATE audit_events SET chain = zeroblob(32) WHERE seq = 8",
            ProblemKind::ChainBroken,
        ),
        (
            "UPDATE audit_events SET key_id = 7 WHERE seq = 8",
            ProblemKind::MalformedRow,
        ),
        (
            "UPDATE audit_events SET event_id = x'00' WHERE seq = 8",
            ProblemKind::MalformedRow,
        ),
    ] {
        let (_d, path, _) = setup();
        exec(&path, sql);
        let (_log, r) = verify(&path, None);
        assert_problem(&r, 8, kind, 7);
    }
}

#[test]
fn editing_the_blind_index_only_hides_rows_it_cannot_forge_them() {
    let (_d, path, _) = setup();
    // Point event 3 (user-2) at user-0's index: a query for user-0 decrypts it, finds
    // user-2 and drops it as a false positive.
    exec(
        &path,
        "UPDATE audit_events SET user_idx = (SELECT user_idx FROM audit_events WHERE seq = 1) WHERE seq = 3",
    );
    let (log, r) = verify(&path, None);
    assert_problem(&r, 3, ProblemKind::LookupMismatch, 2);
    let rows = log.query(&Filter::user("user-0")).unwrap();
    assert!(rows.iter().all(|e| e.user_id.as_deref() == Some("user-0")));
    assert_eq!(rows.len(), 2);
}

#[test]
fn tampered_anchor_is_detected() {
    let (_d, path, _) = setup();
    {
        let log = open(&pool(&path));
        let cutoff = log.query(&Filter::default()).unwrap()[3].timestamp_ms;
        log.purge_before(cutoff).unwrap();
    }
    // Pretend more was purged legitimately: move the anchor past deleted rows.
    let conn = raw(&path);
    let mut anchor: Vec<u8> = conn
        .query_row(
            "SELECT value FROM audit_meta WHERE name = 'anchor'",
            [],
            |r| r.get(0),
        )
        .unwrap();
    let seq = u64::from_be_bytes(anchor[..8].try_into().unwrap());
    anchor[..8].copy_from_slice(&(seq + 2).to_be_bytes());
    conn.execute(
        "UPDATE audit_meta SET value = ?1 WHERE name = 'anchor'",
        [anchor],
    )
    .unwrap();
    conn.execute(
        "DELETE FROM audit_events WHERE seq <= ?1",
        [(seq + 2) as i64],
    )
    .unwrap();
    drop(conn);
    let (_log, r) = verify(&path, None);
    assert_problem(&r, 0, ProblemKind::AnchorTampered, 0);

    // A prefix deleted without purge_before (no anchor) shows as missing events.
    let (_d, path, _) = setup();
    exec(&path, "DELETE FROM audit_events WHERE seq <= 3");
    let (_log, r) = verify(&path, None);
    assert_problem(&r, 4, ProblemKind::MissingEvents, 0);
}

#[test]
fn tampered_key_material_fails_at_open() {
    let (_d, path, _) = setup();
    exec(
        &path,
        "UPDATE audit_keys SET wrapped_secret = zeroblob(length(wrapped_secret)) WHERE key_id = 1",
    );
    let err = AuditLog::open(pool(&path), key(1), AuditConfig::default()).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Tampered);

    let (_d, path, _) = setup();
    exec(&path, "UPDATE audit_keys SET check_value = zeroblob(32)");
    let err = AuditLog::open(pool(&path), key(1), AuditConfig::default()).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::WrongKey);

    // Another log id: the wrapped log secret's AAD names the log id, so open fails
    // (and the genesis value, which also depends on it, is never used).
    let (_d, path, _) = setup();
    exec(
        &path,
        "UPDATE audit_meta SET value = zeroblob(16) WHERE name = 'log_id'",
    );
    let err = AuditLog::open(pool(&path), key(1), AuditConfig::default()).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Tampered);
}

#[test]
fn problems_are_found_past_the_first_verify_chunk() {
    // verify() decrypts in chunks of 2,048 rows on a second thread: a problem in a later
    // chunk is still found at its exact position, and a clean log counts every event.
    let (_d, path) = temp_db();
    let pool = pool(&path);
    let log = open_batched(&pool, Default::default());
    for i in 0..4500 {
        log.record(&event(i)).unwrap();
    }
    log.flush().unwrap();
    let r = log.verify().unwrap();
    assert!(r.ok && r.checked == 4500, "{r:?}");
    let mut fields = read_fields(&path, 4100);
    fields[STATUS] = fields[DETAILS].clone();
    write_fields(&path, 4100, &fields);
    let r = log.verify().unwrap();
    assert_problem(&r, 4100, ProblemKind::FieldTampered, 4099);
}
