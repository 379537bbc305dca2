//! Schema objects planted in the file (triggers, views, indexes on the audit tables) never
//! run on the audit log's statements: the log refuses to open, or to go on, while they
//! are there. The host's own triggers on its own tables keep working, and the pool's
//! connections run in SQLite's defensive mode with an untrusted schema.

mod audit_common;

use audit_common::*;
use magnetar_core::ErrorKind;
use magnetar_core::audit::{AuditConfig, AuditLog, Filter, NewEvent};

/// A log of 5 events, closed.
fn setup() -> (tempfile::TempDir, std::path::PathBuf) {
    let (dir, path) = temp_db();
    let pool = pool(&path);
    let log = open(&pool);
    for i in 0..5 {
        log.record(&event(i)).unwrap();
    }
    log.close().unwrap();
    (dir, path)
}

fn open_err(path: &std::path::Path) -> magnetar_core::Error {
    AuditLog::open(pool(path), key(1), AuditConfig::default()).unwrap_err()
}

#[test]
fn planted_objects_on_audit_tables_refuse_the_open() {
    for (sql, named) in [
        // Swallows every insert: record would hand out ids of events never stored.
        (
            "CREATE TRIGGER swallow BEFORE INSERT ON audit_events BEGIN SELECT RAISE(IGNORE); END",
            "trigger swallow",
        ),
        // Rewrites what a read of the lookup table sees after each copy.
        (
            "CREATE TRIGGER hide AFTER INSERT ON audit_lookup BEGIN DELETE FROM audit_lookup WHERE seq = new.seq; END",
            "trigger hide",
        ),
        (
            "CREATE INDEX planted ON audit_events(ts * 2)",
            "index planted",
        ),
        // The events table replaced by a view that drops writes on the floor.
        (
            "ALTER TABLE audit_events RENAME TO real_events;
             CREATE VIEW audit_events AS SELECT * FROM real_events;
             CREATE TRIGGER fake INSTEAD OF INSERT ON audit_events BEGIN SELECT 1; END",
            "audit_events",
        ),
        // Magnetar's own index, redefined over another expression.
        (
            "DROP INDEX audit_lookup_ts; CREATE INDEX audit_lookup_ts ON audit_lookup(ts + 0)",
            "index audit_lookup_ts",
        ),
    ] {
        let (_d, path) = setup();
        raw(&path).execute_batch(sql).unwrap();
        let err = open_err(&path);
        assert_eq!(err.kind(), ErrorKind::Tampered, "{sql}: {err}");
        assert!(err.to_string().contains(named), "{sql}: {err}");
    }
}

#[test]
fn a_trigger_planted_while_the_log_is_open_stops_the_next_statement() {
    let (_d, path) = setup();
    let pool = pool(&path);
    let log = open(&pool);
    log.record(&NewEvent::new("before")).unwrap();
    raw(&path)
        .execute_batch(
            "CREATE TRIGGER swallow BEFORE INSERT ON audit_events BEGIN SELECT RAISE(IGNORE); END",
        )
        .unwrap();
    let err = log.record(&NewEvent::new("swallowed")).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Tampered, "{err}");
    assert!(err.to_string().contains("trigger swallow"), "{err}");
    assert_eq!(
        log.query(&Filter::default()).unwrap_err().kind(),
        ErrorKind::Tampered
    );
    assert_eq!(log.verify().unwrap_err().kind(), ErrorKind::Tampered);
    // Once it is gone, the log works again and nothing was lost or invented.
    raw(&path).execute_batch("DROP TRIGGER swallow").unwrap();
    log.record(&NewEvent::new("after")).unwrap();
    let actions: Vec<String> = log
        .query(&Filter::default())
        .unwrap()
        .into_iter()
        .map(|e| e.action)
        .collect();
    assert_eq!(actions.len(), 7);
    assert_eq!(actions[5..], ["before", "after"]);
    assert!(log.verify().unwrap().ok);
}

#[test]
fn the_hosts_triggers_on_its_own_tables_keep_firing() {
    let (_d, path) = temp_db();
    let pool = pool(&path);
    pool.write(|tx| {
        tx.execute_batch(
            "CREATE TABLE orders (id INTEGER PRIMARY KEY, total INTEGER);
             CREATE TABLE order_log (id INTEGER, note TEXT);
             CREATE TRIGGER order_added AFTER INSERT ON orders
                 BEGIN INSERT INTO order_log VALUES (new.id, 'added ' || upper('x')); END;",
        )?;
        Ok(())
    })
    .unwrap();
    let log = open(&pool);
    log.record(&NewEvent::new("login")).unwrap();
    pool.write(|tx| {
        tx.execute("INSERT INTO orders VALUES (1, 10)", [])?;
        Ok(())
    })
    .unwrap();
    let logged: i64 = pool
        .read(|c| Ok(c.query_row("SELECT count(*) FROM order_log", [], |r| r.get(0))?))
        .unwrap();
    assert_eq!(logged, 1);
    assert!(log.verify().unwrap().ok);
}

#[test]
fn pool_connections_are_defensive_and_do_not_trust_the_schema() {
    let (_d, path) = temp_db();
    let pool = pool(&path);
    let _log = open(&pool);
    // Defensive mode: the schema cannot be rewritten through the pool.
    pool.write(|tx| {
        tx.execute_batch("PRAGMA writable_schema = ON")?;
        let on: i64 = tx.query_row("PRAGMA writable_schema", [], |r| r.get(0))?;
        assert_eq!(on, 0, "writable_schema must stay off");
        Ok(())
    })
    .unwrap();
    for conn_trusts in [
        pool.write(|tx| Ok(tx.query_row("PRAGMA trusted_schema", [], |r| r.get::<_, i64>(0))?)),
        pool.read(|c| Ok(c.query_row("PRAGMA trusted_schema", [], |r| r.get::<_, i64>(0))?)),
    ] {
        assert_eq!(conn_trusts.unwrap(), 0);
    }
}
