//! The batched writer under a lasting storage failure: memory stays bounded, `record`
//! and `flush` report the failure instead of hanging, and every event `record`
//! accepted is committed once storage works again.

mod audit_common;

use std::time::{Duration, Instant};

use audit_common::*;
use magnetar_core::audit::{AuditConfig, AuditLog, BatchConfig, NewEvent, WriteMode};
use magnetar_core::pool::{Pool, PoolConfig};

/// A pool that gives up on a locked database at once: another connection holding the
/// write lock is then a lasting storage failure, without waiting seconds per batch.
fn impatient_pool(path: &std::path::Path) -> Pool {
    let config = PoolConfig {
        busy_timeout: Duration::from_millis(5),
        ..PoolConfig::default()
    };
    Pool::open(path, config).unwrap()
}

#[test]
fn a_lasting_write_failure_is_reported_bounded_and_loses_nothing_accepted() {
    let (_d, path) = temp_db();
    let pool = impatient_pool(&path);
    let batch = BatchConfig {
        queue_capacity: 16,
        max_batch: 4,
    };
    let log = AuditLog::open(
        &pool,
        key(1),
        AuditConfig {
            mode: WriteMode::Batched(batch),
            ..Default::default()
        },
    )
    .unwrap();
    // Another process holds the write lock: every batch fails with SQLITE_BUSY.
    let blocker = raw(&path);
    blocker.execute_batch("BEGIN IMMEDIATE").unwrap();
    let started = Instant::now();
    let mut accepted = 0usize;
    let mut refused = None;
    for i in 0..1000 {
        match log.record(&event(i)) {
            Ok(_) => accepted += 1,
            Err(e) => {
                refused = Some(e);
                break;
            }
        }
    }
    let err = refused.expect("record must refuse once the queue is full and storage fails");
    assert!(err.to_string().contains("not recorded"), "{err}");
    assert!(
        accepted <= batch.queue_capacity + batch.max_batch,
        "{accepted} events held in memory"
    );
    assert!(started.elapsed() < Duration::from_secs(20));
    let err = log.flush().unwrap_err();
    assert!(
        err.to_string().contains("locked") || err.to_string().contains("busy"),
        "{err}"
    );
    assert_eq!(log.len().unwrap(), 0);

    // Storage comes back: everything accepted is committed, nothing else.
    blocker.execute_batch("COMMIT").unwrap();
    let deadline = Instant::now() + Duration::from_secs(20);
    while log.flush().is_err() {
        assert!(Instant::now() < deadline, "the writer never recovered");
        std::thread::sleep(Duration::from_millis(20));
    }
    assert_eq!(log.len().unwrap(), accepted as u64);
    log.record(&NewEvent::new("after")).unwrap();
    log.close().unwrap();
    assert_eq!(log.len().unwrap(), accepted as u64 + 1);
    assert!(open(&pool).verify().unwrap().ok);
}

#[test]
fn close_reports_events_it_could_not_store() {
    let (_d, path) = temp_db();
    let pool = impatient_pool(&path);
    let log = open_batched(&pool, BatchConfig::default());
    let blocker = raw(&path);
    blocker.execute_batch("BEGIN IMMEDIATE").unwrap();
    for i in 0..10 {
        log.record(&event(i)).unwrap();
    }
    let err = log.close().unwrap_err();
    assert!(err.to_string().contains("could not be stored"), "{err}");
    blocker.execute_batch("COMMIT").unwrap();
}
