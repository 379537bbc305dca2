//! Helpers shared by the audit integration tests.
#![allow(dead_code)]

use std::path::{Path, PathBuf};

use magnetar_core::audit::{AuditConfig, AuditKey, AuditLog, NewEvent};
use magnetar_core::pool::{Pool, PoolConfig};

pub fn temp_db() -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("audit.db");
    (dir, path)
}

pub fn key(seed: u8) -> AuditKey {
    let bytes: Vec<u8> = (0..32u8)
        .map(|i| i.wrapping_mul(73).wrapping_add(seed))
        .collect();
    AuditKey::from_bytes(&bytes).unwrap()
}

pub fn pool(path: &Path) -> Pool {
    Pool::open(path, PoolConfig::default()).unwrap()
}

pub fn open(pool: &Pool) -> AuditLog {
    AuditLog::open(pool, key(1), AuditConfig::default()).unwrap()
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

/// A direct connection to the database file, as an attacker with file access has.
pub fn raw(path: &Path) -> rusqlite::Connection {
    rusqlite::Connection::open(path).unwrap()
}
