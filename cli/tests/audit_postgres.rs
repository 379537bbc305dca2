//! `magnetar audit` on PostgreSQL: `copy` from an SQLite file into a schema and back,
//! and the other audit commands with a PostgreSQL `--db`.
//!
//! Needs `MAGNETAR_TEST_PG_URL` (see `scripts/with-postgres.sh`); skipped without it.

mod common;

use common::magnetar;
use magnetar_core::audit::{AuditConfig, AuditKey, AuditLog, NewEvent};
use magnetar_core::pool::{Pool, PoolConfig};
use serde_json::Value;

const KEY: &str = "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f";

fn json(args: &[&str]) -> Value {
    let out = magnetar()
        .env("MAGNETAR_AUDIT_KEY", KEY)
        .arg("audit")
        .args(args)
        .arg("--json")
        .assert()
        .success()
        .get_output()
        .stdout
        .clone();
    serde_json::from_slice(&out).unwrap()
}

#[test]
fn copy_into_postgres_then_use_it_there_and_copy_back() {
    let Some(url) = std::env::var("MAGNETAR_TEST_PG_URL")
        .ok()
        .filter(|u| !u.is_empty())
    else {
        eprintln!("SKIPPED: MAGNETAR_TEST_PG_URL is unset (run under scripts/with-postgres.sh)");
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("app.db");
    {
        let pool = Pool::open(&db, PoolConfig::default()).unwrap();
        let log =
            AuditLog::open(&pool, AuditKey::parse(KEY).unwrap(), AuditConfig::default()).unwrap();
        for i in 0..1000 {
            log.record(&NewEvent::new("login").user(format!("u{}", i % 10)))
                .unwrap();
        }
    }
    let schema = format!("cli_copy_{}", std::process::id());
    let db = db.to_str().unwrap();
    let copied = json(&["copy", "--from", db, "--to", &url, "--pg-schema", &schema]);
    assert_eq!(copied["copied"], 1000);

    let on_pg = ["--db", url.as_str(), "--pg-schema", schema.as_str()];
    let verified = json(&[&["verify"], &on_pg[..]].concat());
    assert_eq!(
        (verified["ok"].clone(), verified["checked"].clone()),
        (true.into(), 1000.into())
    );
    let head = json(&[&["head"], &on_pg[..]].concat());
    assert_eq!(head["chain_hex"], copied["chain_hex"]);
    let back = dir.path().join("back.db");
    let back = back.to_str().unwrap();
    let again = json(&["copy", "--from", &url, "--pg-schema", &schema, "--to", back]);
    assert_eq!(again["copied"], 1000);
    assert_eq!(json(&["verify", "--db", back])["checked"], 1000);
}
