//! Queries over the two places events are found: `audit_lookup` (indexed, in bulk every
//! `LOOKUP_LAG` events, the user index partitioned by epochs of 2^EPOCH_BITS seqs) and the
//! unindexed tail of `audit_events`. Every filter must give exactly what a brute-force
//! filter over all events gives, across the boundary and across epochs.

mod audit_common;

use std::path::Path;

use audit_common::*;
use magnetar_core::audit::{AuditEvent, AuditLog, Filter, Order, ProblemKind};
use magnetar_core::audit::{EPOCH_BITS, LOOKUP_LAG};
use magnetar_core::pool::Pool;

/// `LOOKUP_LAG + 400` events recorded synchronously, one second apart: the first
/// `LOOKUP_LAG` are in `audit_lookup`, the rest only in `audit_events`.
fn setup() -> (tempfile::TempDir, std::path::PathBuf, Pool, AuditLog) {
    let (dir, path, pool, log) = log_of_events_a_second_apart(LOOKUP_LAG as usize + 400);
    assert_eq!(lookup_end(&path), LOOKUP_LAG);
    (dir, path, pool, log)
}

fn lookup_end(path: &Path) -> u64 {
    raw(path)
        .query_row("SELECT coalesce(max(seq), 0) FROM audit_lookup", [], |r| {
            r.get::<_, i64>(0)
        })
        .unwrap() as u64
}

/// What `filter` must return, computed from every event without any index.
fn expected(all: &[AuditEvent], filter: &Filter) -> Vec<u64> {
    let mut hits: Vec<u64> = all
        .iter()
        .filter(|e| filter.user_id.is_none() || e.user_id == filter.user_id)
        .filter(|e| filter.action.as_ref().is_none_or(|a| *a == e.action))
        .filter(|e| filter.since_ms.is_none_or(|t| e.timestamp_ms >= t))
        .filter(|e| filter.until_ms.is_none_or(|t| e.timestamp_ms < t))
        .map(|e| e.seq)
        .collect();
    if filter.order == Order::Descending {
        hits.reverse();
    }
    hits.into_iter()
        .skip(filter.offset as usize)
        .take(filter.limit.map_or(usize::MAX, |l| l as usize))
        .collect()
}

fn check_filters(log: &AuditLog) {
    let all = log.query(&Filter::default()).unwrap();
    let mid = all[all.len() / 2].timestamp_ms;
    let near_end = all[all.len() * 9 / 10].timestamp_ms;
    let mut filters = vec![Filter::user("user-3")];
    for order in [Order::Ascending, Order::Descending] {
        for (limit, offset) in [(None, 0), (Some(25), 790), (Some(3), 4000)] {
            let base = Filter {
                limit,
                offset,
                order,
                ..Filter::default()
            };
            filters.push(Filter {
                user_id: Some("user-2".into()),
                ..base.clone()
            });
            filters.push(Filter {
                action: Some("login".into()),
                ..base.clone()
            });
            filters.push(Filter {
                user_id: Some("user-4".into()),
                action: Some("file.read".into()),
                since_ms: Some(mid),
                ..base.clone()
            });
            filters.push(Filter {
                since_ms: Some(mid),
                until_ms: Some(near_end),
                ..base.clone()
            });
            filters.push(Filter {
                user_id: Some("nobody".into()),
                ..base
            });
        }
    }
    for filter in &filters {
        let got: Vec<u64> = log.query(filter).unwrap().iter().map(|e| e.seq).collect();
        assert_eq!(got, expected(&all, filter), "{filter:?}");
    }
}

#[test]
fn queries_agree_across_the_lookup_table_and_the_tail() {
    let (_d, _path, _pool, log) = setup();
    check_filters(&log);
}

#[test]
fn queries_span_the_epochs_of_the_user_index() {
    let (_d, path, pool, log) = setup();
    // Spread the events over epoch 0 (seqs up to 3000), epoch 3 (the next 500) and
    // epochs 5 and 6 (the rest, tail included), with empty epochs between. Sequence
    // numbers are not in the field AAD, so queries still decrypt (verify() would report
    // the gaps).
    let conn = raw(&path);
    for (from, shift) in [(3500, 2 << EPOCH_BITS), (3000, 3 << EPOCH_BITS)] {
        for table in ["audit_events", "audit_lookup"] {
            // Descending, so no row lands on a seq still taken.
            let seqs: Vec<i64> = conn
                .prepare(&format!(
                    "SELECT seq FROM {table} WHERE seq > ?1 ORDER BY seq DESC"
                ))
                .unwrap()
                .query_map([from], |r| r.get(0))
                .unwrap()
                .map(|r| r.unwrap())
                .collect();
            for s in seqs {
                conn.execute(
                    &format!("UPDATE {table} SET seq = seq + ?1 WHERE seq = ?2"),
                    [shift, s],
                )
                .unwrap();
            }
        }
    }
    drop(conn);
    assert_eq!(lookup_end(&path), LOOKUP_LAG + (5 << EPOCH_BITS));
    let epochs: Vec<i64> = raw(&path)
        .prepare(&format!(
            "SELECT DISTINCT seq >> {EPOCH_BITS} FROM audit_lookup ORDER BY 1"
        ))
        .unwrap()
        .query_map([], |r| r.get(0))
        .unwrap()
        .map(|r| r.unwrap())
        .collect();
    assert_eq!(epochs, [0, 3, 5, 6]);
    // The lookup table's end is authenticated (it is still seq LOOKUP_LAG), so the
    // moved rows past it are not trusted: this log finds those events by scanning.
    check_filters(&log);
    // Without the end, opening rebuilds the table from the (moved) events: every event
    // is then looked up through the epochs, gaps included.
    raw(&path)
        .execute("DELETE FROM audit_meta WHERE name = 'lookup_end'", [])
        .unwrap();
    let rebuilt = open(&pool);
    assert_eq!(
        lookup_end(&path),
        LOOKUP_LAG + 400 + (5 << EPOCH_BITS),
        "every event is in the lookup table"
    );
    check_filters(&rebuilt);
}

#[test]
fn user_queries_use_the_epoch_index() {
    let (_d, path, _pool, _log) = setup();
    let plan: Vec<String> = raw(&path)
        .prepare(&format!(
            "EXPLAIN QUERY PLAN SELECT e.seq FROM audit_lookup l JOIN audit_events e ON e.seq = l.seq \
             WHERE (l.seq >> {EPOCH_BITS}) = 0 AND 1 AND l.user_idx = 7 ORDER BY l.seq DESC",
        ))
        .unwrap()
        .query_map([], |r| r.get::<_, String>(3))
        .unwrap()
        .map(|r| r.unwrap())
        .collect();
    let plan = plan.join("\n");
    assert!(plan.contains("INDEX audit_lookup_user"), "{plan}");
    assert!(!plan.contains("TEMP B-TREE"), "{plan}");
}

#[test]
fn editing_the_lookup_table_only_hides_rows_it_cannot_forge_them() {
    let (_d, path, _pool, log) = setup();
    // Point an indexed event of user-2 at user-0: the query for user-0 decrypts it,
    // finds user-2 and drops it; the query for user-2 no longer finds it (hidden; the
    // lookup table is not part of the chain, but verify() compares it with the events).
    let conn = raw(&path);
    let user0: i64 = conn
        .query_row("SELECT user_idx FROM audit_lookup WHERE seq = 1", [], |r| {
            r.get(0)
        })
        .unwrap();
    conn.execute(
        "UPDATE audit_lookup SET user_idx = ?1 WHERE seq = 3",
        [user0],
    )
    .unwrap();
    drop(conn);
    let rows = log.query(&Filter::user("user-0")).unwrap();
    assert!(rows.iter().all(|e| e.user_id.as_deref() == Some("user-0")));
    assert!(!rows.iter().any(|e| e.seq == 3));
    let problem = log.verify().unwrap().first_problem.unwrap();
    assert_eq!(
        (problem.kind, problem.seq),
        (ProblemKind::LookupMismatch, 3)
    );
}

#[test]
fn purge_removes_lookup_rows_and_queries_continue() {
    let (_d, path, _pool, log) = setup();
    let all = log.query(&Filter::default()).unwrap();
    let cutoff = all[4300].timestamp_ms;
    assert_eq!(log.purge_before(cutoff).unwrap(), 4300);
    assert_eq!(lookup_end(&path), 0);
    check_filters(&log);
    // The next append that leaves LOOKUP_LAG events unindexed copies them.
    for i in 0..(LOOKUP_LAG as usize) {
        log.record(&event(i)).unwrap();
    }
    assert!(lookup_end(&path) > LOOKUP_LAG);
    check_filters(&log);
    assert!(log.verify().unwrap().ok);
}

#[test]
fn two_writers_on_one_file_copy_each_event_once() {
    // Two pools stand in for two processes: each log instance only knows the lookup
    // table's end as of its own last copy, and the copies must still neither duplicate
    // nor skip events.
    let (_d, path) = temp_db();
    let (pool_a, pool_b) = (pool(&path), pool(&path));
    let (a, b) = (open(&pool_a), open(&pool_b));
    let total = 2 * LOOKUP_LAG as usize + 300;
    for i in 0..total {
        let log = if (i / 700) % 2 == 0 { &a } else { &b };
        log.record(&event(i)).unwrap();
    }
    let end = lookup_end(&path);
    assert!(end >= 2 * LOOKUP_LAG && end <= total as u64, "{end}");
    let copied: i64 = raw(&path)
        .query_row("SELECT count(*) FROM audit_lookup", [], |r| r.get(0))
        .unwrap();
    assert_eq!(copied as u64, end);
    check_filters(&a);
    check_filters(&b);
    assert!(a.verify().unwrap().ok);
}
