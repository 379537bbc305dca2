//! `AuditLog::exists`: checking for an audit log without creating one.

use magnetar_core::audit::{AuditConfig, AuditKey, AuditLog};
use magnetar_testkit::temp_pool;

#[test]
fn exists_is_false_until_a_log_is_opened_and_creates_nothing() {
    let (_dir, pool) = temp_pool();
    assert!(!AuditLog::exists(&pool).unwrap());
    let tables: i64 = pool
        .read(|c| Ok(c.query_row("SELECT count(*) FROM sqlite_master", [], |r| r.get(0))?))
        .unwrap();
    assert_eq!(tables, 0, "exists() must not create the schema");
    let _log =
        AuditLog::open(&pool, AuditKey::generate().unwrap(), AuditConfig::default()).unwrap();
    assert!(AuditLog::exists(&pool).unwrap());
}
