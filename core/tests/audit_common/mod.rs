//! Helpers shared by the audit integration tests.
#![allow(dead_code, unused_imports)]

use std::path::Path;
use std::sync::Arc;

use magnetar_core::audit::{AuditConfig, AuditLog, BatchConfig, NewEvent, WriteMode};
use magnetar_core::clock::ManualClock;
use magnetar_core::pool::Pool;

pub use magnetar_testkit::{audit_key as key, open_pool as pool, raw, temp_db};

pub fn open(pool: &Pool) -> AuditLog {
    AuditLog::open(pool, key(1), AuditConfig::default()).unwrap()
}

/// A batched log (key 1).
pub fn open_batched(pool: &Pool, batch: BatchConfig) -> AuditLog {
    let config = AuditConfig {
        mode: WriteMode::Batched(batch),
        ..Default::default()
    };
    AuditLog::open(pool, key(1), config).unwrap()
}

/// A synchronous log (key 1) on a clock the test moves.
pub fn open_with_clock(pool: &Pool) -> (AuditLog, Arc<ManualClock>) {
    let clock = ManualClock::new();
    let config = AuditConfig {
        clock: Some(clock.clone()),
        ..Default::default()
    };
    (AuditLog::open(pool, key(1), config).unwrap(), clock)
}

/// A temporary database holding a synchronous log (key 1) of `n` events ([`event`]),
/// recorded one second apart on a manual clock.
pub fn log_of_events_a_second_apart(
    n: usize,
) -> (tempfile::TempDir, std::path::PathBuf, Pool, AuditLog) {
    let (dir, path) = temp_db();
    let pool = pool(&path);
    let (log, clock) = open_with_clock(&pool);
    for i in 0..n {
        log.record(&event(i)).unwrap();
        clock.advance(std::time::Duration::from_secs(1));
    }
    (dir, path, pool, log)
}

pub fn event(i: usize) -> NewEvent {
    NewEvent::new(if i.is_multiple_of(3) {
        "login"
    } else {
        "file.read"
    })
    .user(format!("user-{}", i % 5))
    .resource("file", format!("f{i}"))
    .status("success")
    .client("192.0.2.7", "Mozilla/5.0")
    .details(serde_json::json!({ "i": i, "note": "x".repeat(i % 7) }))
}

/// Field positions in the `fields` column (the order of `magnetar_core::audit::FIELDS`).
pub const USER_ID: usize = 1;
pub const RESOURCE_ID: usize = 3;
pub const STATUS: usize = 4;
pub const DETAILS: usize = 7;

/// The sealed fields of event `seq`, split as the documented column format says: a 0
/// byte, then eight times (LEB128 length ‖ `nonce ‖ ciphertext ‖ tag`). Written independently of the
/// library's codec, as an attacker would.
pub fn read_fields(path: &Path, seq: u64) -> Vec<Vec<u8>> {
    let blob: Vec<u8> = raw(path)
        .query_row(
            "SELECT fields FROM audit_events WHERE seq = ?1",
            [seq as i64],
            |r| r.get(0),
        )
        .unwrap();
    // A leading 0 says the fields are sealed for their log (no length is 0).
    assert_eq!(blob[0], 0, "a column in the bound format");
    let mut rest = &blob[1..];
    let mut fields = Vec::new();
    while !rest.is_empty() {
        let (mut len, mut shift) = (0usize, 0);
        loop {
            let b = rest[0];
            rest = &rest[1..];
            len |= usize::from(b & 0x7f) << shift;
            shift += 7;
            if b & 0x80 == 0 {
                break;
            }
        }
        fields.push(rest[..len].to_vec());
        rest = &rest[len..];
    }
    assert_eq!(fields.len(), 8);
    fields
}

/// Stores `fields` as event `seq`'s sealed fields (the inverse of [`read_fields`]).
pub fn write_fields(path: &Path, seq: u64, fields: &[Vec<u8>]) {
    let mut blob = vec![0u8];
    for f in fields {
        let mut len = f.len();
        while len >= 0x80 {
            blob.push((len as u8 & 0x7f) | 0x80);
            len >>= 7;
        }
        blob.push(len as u8);
        blob.extend_from_slice(f);
    }
    raw(path)
        .execute(
            "UPDATE audit_events SET fields = ?1 WHERE seq = ?2",
            rusqlite::params![blob, seq as i64],
        )
        .unwrap();
}
