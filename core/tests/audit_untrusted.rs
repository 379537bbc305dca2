//! The unauthenticated parts of the file (the lookup table, the blind-index columns, the
//! plaintext timestamps) decide nothing: queries re-check every condition on the
//! authenticated event, `verify()` reports search data that disagrees with the events,
//! forged or absurd lookup rows neither hang queries nor hide later events, a purge
//! takes its cut from authenticated data, and a head older than the purge anchor is
//! reported as unconfirmable.

mod audit_common;

use std::path::Path;
use std::time::Duration;

use audit_common::*;
use magnetar_core::ErrorKind;
use magnetar_core::audit::{AuditEvent, AuditLog, Filter, LOOKUP_LAG, Order, ProblemKind};
use magnetar_core::pool::Pool;

/// `LOOKUP_LAG + 200` events one second apart: the first `LOOKUP_LAG` are copied into
/// `audit_lookup`.
fn setup() -> (tempfile::TempDir, std::path::PathBuf, Pool, AuditLog) {
    log_of_events_a_second_apart(LOOKUP_LAG as usize + 200)
}

fn exec(path: &Path, sql: &str) {
    raw(path).execute_batch(sql).unwrap();
}

fn seqs(events: &[AuditEvent]) -> Vec<u64> {
    events.iter().map(|e| e.seq).collect()
}

fn problem(log: &AuditLog) -> (ProblemKind, u64) {
    let r = log.verify().unwrap();
    assert!(!r.ok, "{r:?}");
    let p = r.first_problem.unwrap();
    (p.kind, p.seq)
}

/// What a brute-force filter over every authenticated event returns.
fn brute(log: &AuditLog, filter: &Filter) -> Vec<u64> {
    let all = log.query(&Filter::default()).unwrap();
    all.iter()
        .filter(|e| filter.user_id.is_none() || e.user_id == filter.user_id)
        .filter(|e| filter.since_ms.is_none_or(|t| e.timestamp_ms >= t))
        .filter(|e| filter.until_ms.is_none_or(|t| e.timestamp_ms < t))
        .map(|e| e.seq)
        .collect()
}

#[test]
fn forged_lookup_timestamps_cannot_add_events_to_a_time_range() {
    let (_d, path, _pool, log) = setup();
    let all = log.query(&Filter::default()).unwrap();
    let (since, until) = (all[99].timestamp_ms, all[109].timestamp_ms);
    // Move event 2000 (indexed) into the window, as far as the lookup table says.
    exec(
        &path,
        &format!(
            "UPDATE audit_lookup SET ts = {} WHERE seq = 2000",
            since + 1
        ),
    );
    let filter = Filter {
        since_ms: Some(since),
        until_ms: Some(until),
        ..Filter::default()
    };
    let got = seqs(&log.query(&filter).unwrap());
    assert_eq!(got, (100..110).collect::<Vec<u64>>());
    let with_action = Filter {
        action: Some("file.read".into()),
        ..filter
    };
    assert!(
        seqs(&log.query(&with_action).unwrap())
            .iter()
            .all(|s| (100..110).contains(s))
    );
    assert_eq!(problem(&log), (ProblemKind::LookupMismatch, 2000));
}

#[test]
fn edited_or_deleted_lookup_rows_are_reported_by_verify() {
    for sql in [
        "UPDATE audit_lookup SET user_idx = user_idx + 1 WHERE seq = 1234",
        "UPDATE audit_lookup SET action_idx = action_idx + 1 WHERE seq = 1234",
        "DELETE FROM audit_lookup WHERE seq = 1234",
        // The event's own blind-index columns (the unindexed tail is searched by them).
        "UPDATE audit_events SET user_idx = NULL WHERE seq = 1234",
        "UPDATE audit_events SET action_idx = 7 WHERE seq = 1234",
    ] {
        let (_d, path, _pool, log) = setup();
        assert!(log.verify().unwrap().ok);
        exec(&path, sql);
        assert_eq!(problem(&log), (ProblemKind::LookupMismatch, 1234), "{sql}");
    }
    // A lookup row for no event at all.
    let (_d, path, _pool, log) = setup();
    exec(
        &path,
        "INSERT INTO audit_lookup SELECT 999999, ts, user_idx, action_idx FROM audit_lookup WHERE seq = 1",
    );
    assert_eq!(problem(&log), (ProblemKind::LookupMismatch, 999_999));
}

#[test]
fn absurd_lookup_rows_neither_hang_queries_nor_hide_later_events() {
    let (_d, path, _pool, log) = setup();
    let tail = LOOKUP_LAG + 200;
    // Rows far past the end, just past the tail, and below the start, all "for" user-0.
    exec(
        &path,
        &format!(
            "INSERT INTO audit_lookup SELECT {far}, ts, user_idx, action_idx FROM audit_lookup WHERE seq = 1;
             INSERT INTO audit_lookup SELECT {next}, ts, user_idx, action_idx FROM audit_lookup WHERE seq = 1;
             INSERT INTO audit_lookup SELECT -5, ts, user_idx, action_idx FROM audit_lookup WHERE seq = 1;",
            far = 1i64 << 60,
            next = tail + 3,
        ),
    );
    // Events recorded afterwards, past the forged seq, and past the next copy.
    for i in 0..(LOOKUP_LAG as usize + 10) {
        log.record(&event(i)).unwrap();
    }
    for filter in [
        Filter::user("user-0"),
        Filter {
            order: Order::Descending,
            ..Filter::user("user-0")
        },
    ] {
        let mut got = seqs(&log.query(&filter).unwrap());
        got.sort_unstable();
        assert_eq!(got, brute(&log, &filter), "{filter:?}");
        assert!(got.iter().any(|s| *s > tail + 3), "later events are found");
    }
    assert_eq!(problem(&log).0, ProblemKind::LookupMismatch);
}

#[test]
fn purge_takes_its_cut_from_authenticated_timestamps() {
    let (_d, path, _pool, log) = setup();
    let all = log.query(&Filter::default()).unwrap();
    let cutoff = all[500].timestamp_ms;
    // The lookup table and the plaintext column both claim everything is ancient.
    exec(&path, "UPDATE audit_lookup SET ts = 0");
    assert_eq!(log.purge_before(cutoff).unwrap(), 500);
    assert_eq!(log.query(&Filter::default()).unwrap()[0].seq, 501);

    // An edited timestamp fails authentication: nothing is purged, the error says where.
    let (_d, path, _pool, log) = setup();
    exec(&path, "UPDATE audit_events SET ts = 0 WHERE seq = 300");
    let err = log.purge_before(cutoff).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Tampered, "{err}");
    assert!(err.to_string().contains("seq 300"), "{err}");
    assert_eq!(log.len().unwrap(), LOOKUP_LAG + 200);
}

#[test]
fn purge_verifies_the_chain_up_to_the_cut_before_anchoring() {
    for sql in [
        // A deleted event in the purged prefix: anchoring after it would hide the gap.
        "DELETE FROM audit_events WHERE seq = 250",
        // A replaced chain value in the prefix.
        "UPDATE audit_events SET chain = zeroblob(32) WHERE seq = 42",
        // The first kept event itself.
        "UPDATE audit_events SET chain = zeroblob(32) WHERE seq = 501",
    ] {
        let (_d, path, _pool, log) = setup();
        let cutoff = log.query(&Filter::default()).unwrap()[500].timestamp_ms;
        exec(&path, sql);
        let err = log.purge_before(cutoff).unwrap_err();
        assert_eq!(err.kind(), ErrorKind::Tampered, "{sql}: {err}");
        assert!(!log.verify().unwrap().ok);
    }
}

#[test]
fn a_head_older_than_the_purge_anchor_is_unconfirmable() {
    let (_d, path) = temp_db();
    let pool = pool(&path);
    let (log, clock) = open_with_clock(&pool);
    let mut heads = Vec::new();
    for i in 0..600 {
        log.record(&event(i)).unwrap();
        clock.advance(Duration::from_secs(1));
        if i == 99 || i == 299 {
            heads.push(log.head().unwrap());
        }
    }
    let (h100, h300) = (&heads[0], &heads[1]);
    let now = log.head().unwrap();
    assert!(log.verify_against(h100).unwrap().ok);
    let cutoff = log.query(&Filter::default()).unwrap()[300].timestamp_ms;
    assert_eq!(log.purge_before(cutoff).unwrap(), 300);
    // The anchor itself and later heads are still confirmed.
    assert!(log.verify_against(h300).unwrap().ok);
    assert!(log.verify_against(&now).unwrap().ok);
    let r = log.verify_against(h100).unwrap();
    assert!(!r.ok, "{r:?}");
    let p = r.first_problem.unwrap();
    assert_eq!(p.kind, ProblemKind::HeadUnconfirmable, "{p:?}");
    assert!(
        p.detail.contains("seq 100") && p.detail.contains("seq 300"),
        "{}",
        p.detail
    );
}

#[test]
fn a_removed_lookup_end_is_reported_queries_scan_and_reopening_rebuilds() {
    let (_d, path, pool, log) = setup();
    exec(&path, "DELETE FROM audit_meta WHERE name = 'lookup_end'");
    let r = log.verify().unwrap();
    let p = r.first_problem.unwrap();
    assert_eq!(
        (p.kind, p.seq),
        (ProblemKind::LookupMismatch, 0),
        "{}",
        p.detail
    );
    let filter = Filter::user("user-3");
    assert_eq!(seqs(&log.query(&filter).unwrap()), brute(&log, &filter));
    drop(log);
    let log = open(&pool);
    assert!(log.verify().unwrap().ok);
    assert_eq!(seqs(&log.query(&filter).unwrap()), brute(&log, &filter));
}
