//! The audit log on a real PostgreSQL server.
//!
//! Needs `MAGNETAR_TEST_PG_URL` (and the other variables `scripts/with-postgres.sh`
//! exports); without it every test prints why it is skipped and passes, so a plain
//! `cargo test` stays green. The PostgreSQL suite of `scripts/test.sh` runs this file
//! under `scripts/with-postgres.sh`, which fails when the server cannot start.
//!
//! Covered: everything the SQLite log does (record in both modes, query, streamed
//! verify, head, export, rotation, purge, checkpoints and proofs) on one schema; 4
//! processes appending 2,500 events each into one chain; a writer killed mid-batch
//! loses nothing `flush` acknowledged; a server restart mid-run (retried, no duplicate,
//! no gap); edits by someone who can write the tables are caught; an application role
//! with DML rights only; copying a log from SQLite to PostgreSQL and back.

use std::io::Write;
use std::process::{Command, Stdio};
use std::sync::Arc;
use std::time::Duration;

use magnetar_core::ErrorKind;
use magnetar_core::audit::{
    AuditConfig, AuditKey, AuditLog, BatchConfig, Filter, NewEvent, Order, ProblemKind, WriteMode,
    open_checkpoint,
};
use magnetar_core::pool::{Pool, PoolConfig};
use magnetar_core::store::{PgConfig, Store};
use magnetar_core::tlog::note::NoteSigner;
use magnetar_testkit::{audit_key, pg_env, pg_url, unique_name};
use parking_lot::RwLock;

/// The restart test takes this for writing; every other test for reading.
static SERVER: RwLock<()> = RwLock::new(());

/// A schema of its own per test (one log per schema).
fn schema(test: &str) -> String {
    unique_name(&format!("audit_{test}"))
}

fn store(url: &str, schema: &str, adjust: impl FnOnce(&mut PgConfig)) -> Store {
    let mut config = PgConfig {
        max_connections: 4,
        schema: schema.into(),
        ..PgConfig::default()
    };
    adjust(&mut config);
    Store::postgres(url, config).unwrap()
}

/// A fixed key (every process of a test opens the same log).
fn key() -> AuditKey {
    audit_key(11)
}

fn batched(max_batch: usize) -> AuditConfig {
    AuditConfig {
        mode: WriteMode::Batched(BatchConfig {
            queue_capacity: 1024,
            max_batch,
        }),
        ..AuditConfig::default()
    }
}

fn sql(url: &str) -> postgres::Client {
    postgres::Client::connect(url, postgres::NoTls).unwrap()
}

fn event(i: usize) -> NewEvent {
    NewEvent::new(if i.is_multiple_of(3) { "login" } else { "view" })
        .user(format!("user-{}", i % 7))
        .resource("doc", format!("{i}"))
        .details(serde_json::json!({ "i": i }))
}

#[test]
fn everything_the_sqlite_log_does() {
    let Some(url) = pg_url("everything_the_sqlite_log_does") else {
        return;
    };
    let _server = SERVER.read();
    let schema = schema("all");
    let store = store(&url, &schema, |_| {});
    assert!(!AuditLog::exists(&store).unwrap());
    let log = AuditLog::open(&store, key(), AuditConfig::default()).unwrap();
    assert!(AuditLog::exists(&store).unwrap());
    let mut ids = Vec::new();
    for i in 0..300 {
        ids.push(log.record(&event(i)).unwrap());
    }
    assert_eq!(log.len().unwrap(), 300);
    let head = log.head().unwrap();
    assert_eq!(head.seq, 300);

    // Queries: by user, by action, newest first, offset and limit; past the lookup
    // table's copy too (more events than LOOKUP_LAG go through the table in another
    // test; here every event is in the unindexed tail).
    let user3 = log.query(&Filter::user("user-3")).unwrap();
    assert_eq!(user3.len(), (0..300).filter(|i| i % 7 == 3).count());
    assert!(user3.iter().all(|e| e.user_id.as_deref() == Some("user-3")));
    let filter = Filter {
        action: Some("login".into()),
        order: Order::Descending,
        limit: Some(5),
        offset: 1,
        ..Filter::default()
    };
    let logins = log.query(&filter).unwrap();
    assert_eq!(logins.len(), 5);
    // Logins are events 0, 3, 6, ... (seq = i + 1); the newest is skipped.
    assert_eq!(logins[0].seq, 295);
    assert_eq!(logins[0].details, Some(serde_json::json!({ "i": 294 })));

    // Batched mode on the same log.
    let writer = AuditLog::open(&store, key(), batched(64)).unwrap();
    for i in 300..5000 {
        writer.record(&event(i)).unwrap();
    }
    writer.flush().unwrap();
    assert_eq!(log.len().unwrap(), 5000);
    let report = log.verify_against(&head).unwrap();
    assert!(report.ok, "{:?}", report.first_problem);
    assert_eq!(report.checked, 5000);
    // Through the lookup table now (5,000 events > LOOKUP_LAG).
    assert_eq!(
        log.query(&Filter::user("user-3")).unwrap().len(),
        (0..5000).filter(|i| i % 7 == 3).count()
    );

    // Export.
    let mut out = Vec::new();
    assert_eq!(
        log.export_jsonl(&mut out, &Filter::default()).unwrap(),
        5000
    );
    assert_eq!(out.iter().filter(|b| **b == b'\n').count(), 5000);

    // Checkpoints and proofs.
    let signer = NoteSigner::generate("magnetar.test/pg").unwrap();
    let note = log.checkpoint(&[&signer]).unwrap();
    let checkpoint = open_checkpoint(&note, &signer.verifier()).unwrap();
    assert_eq!(checkpoint.size, 5000);
    assert_eq!(log.tree_root(5000).unwrap(), checkpoint.root);
    assert_eq!(log.inclusion_proof(1234, 5000).unwrap().len(), 13);
    assert!(log.verify_checkpoint(&note, &signer.verifier()).unwrap().ok);
    assert_eq!(log.checkpoints().unwrap(), std::slice::from_ref(&note));

    // Rotation: re-encrypt everything, retire the old key.
    let new = audit_key(99);
    drop(writer);
    let new_id = log.rotate_key(new.clone()).unwrap();
    loop {
        if log.reencrypt(700).unwrap().done {
            break;
        }
    }
    log.retire_key(1).unwrap();
    assert_eq!(
        AuditLog::open(&store, key(), AuditConfig::default())
            .unwrap_err()
            .kind(),
        ErrorKind::WrongKey
    );
    drop(log);
    let log = AuditLog::open(&store, new, AuditConfig::default()).unwrap();
    assert_eq!(log.current_key_id(), new_id);
    assert!(log.verify().unwrap().ok);

    // Purge keeps the chain anchored and the checkpoint provable.
    let cutoff = log.query(&Filter::default()).unwrap()[999].timestamp_ms + 1;
    let purged = log.purge_before(cutoff).unwrap();
    assert!(purged >= 1000, "{purged}");
    assert!(log.verify().unwrap().ok);
    assert!(log.verify_checkpoint(&note, &signer.verifier()).unwrap().ok);
    assert_eq!(log.inclusion_proof(10, 5000).unwrap().len(), 13);
    assert_eq!(log.len().unwrap(), 5000 - purged);
    assert!(!ids.is_empty());
}

/// One child of `four_processes_one_chain`: appends `APPEND_COUNT` events, synchronously
/// or batched.
#[test]
fn append_child() {
    let (Some(url), Some(schema), Some(count), Some(mode)) = (
        pg_env("MAGNETAR_TEST_PG_URL"),
        pg_env("APPEND_SCHEMA"),
        pg_env("APPEND_COUNT"),
        pg_env("APPEND_MODE"),
    ) else {
        return;
    };
    let count: usize = count.parse().unwrap();
    let config = if mode == "batched" {
        batched(100)
    } else {
        AuditConfig::default()
    };
    let log = AuditLog::open(store(&url, &schema, |_| {}), key(), config).unwrap();
    for i in 0..count {
        log.record(&event(i).user(format!("{mode}-{}", std::process::id())))
            .unwrap();
        if mode == "flush-then-die" && i + 1 == count / 2 {
            log.flush().unwrap();
            println!("FLUSHED {}", i + 1);
            std::io::stdout().flush().unwrap();
        }
    }
    if mode == "flush-then-die" {
        // Keep recording until the parent kills this process mid-batch.
        for i in 0.. {
            log.record(&event(i)).unwrap();
        }
    }
    log.close().unwrap();
    println!("APPENDED {count}");
}

fn child(url: &str, schema: &str, mode: &str, count: usize) -> std::process::Child {
    Command::new(std::env::current_exe().unwrap())
        .args(["--exact", "append_child", "--nocapture", "--test-threads=1"])
        .env("MAGNETAR_TEST_PG_URL", url)
        .env("APPEND_SCHEMA", schema)
        .env("APPEND_COUNT", count.to_string())
        .env("APPEND_MODE", mode)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap()
}

#[test]
fn four_processes_one_chain() {
    let Some(url) = pg_url("four_processes_one_chain") else {
        return;
    };
    let _server = SERVER.read();
    let schema = schema("four");
    let store = store(&url, &schema, |_| {});
    let log = AuditLog::open(&store, key(), AuditConfig::default()).unwrap();
    let children: Vec<_> = ["sync", "batched", "sync", "batched"]
        .iter()
        .map(|mode| child(&url, &schema, mode, 2500))
        .collect();
    for c in children {
        let out = c.wait_with_output().unwrap();
        assert!(
            out.status.success() && String::from_utf8_lossy(&out.stdout).contains("APPENDED 2500"),
            "child failed: {}\n{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
    }
    assert_eq!(log.len().unwrap(), 10_000);
    assert_eq!(log.head().unwrap().seq, 10_000);
    let report = log.verify().unwrap();
    assert!(report.ok, "{:?}", report.first_problem);
    assert_eq!(report.checked, 10_000);
    let (seqs, distinct): (i64, i64) = {
        let row = sql(&url)
            .query_one(
                &format!("SELECT max(seq), count(DISTINCT event_id) FROM {schema}.audit_events"),
                &[],
            )
            .unwrap();
        (row.get(0), row.get(1))
    };
    assert_eq!((seqs, distinct), (10_000, 10_000), "no gap, no duplicate");
}

#[test]
fn a_writer_killed_mid_batch_loses_nothing_flushed() {
    let Some(url) = pg_url("a_writer_killed_mid_batch_loses_nothing_flushed") else {
        return;
    };
    let _server = SERVER.read();
    let schema = schema("kill");
    let store = store(&url, &schema, |_| {});
    drop(AuditLog::open(&store, key(), AuditConfig::default()).unwrap());
    let mut c = child(&url, &schema, "flush-then-die", 2000);
    let mut stdout = c.stdout.take().unwrap();
    let mut seen = String::new();
    let mut buf = [0u8; 256];
    while !seen.contains("FLUSHED") {
        let n = std::io::Read::read(&mut stdout, &mut buf).unwrap();
        assert!(n > 0, "the child ended before flushing");
        seen.push_str(&String::from_utf8_lossy(&buf[..n]));
    }
    // Let it queue and write more batches, then kill it mid-way.
    std::thread::sleep(Duration::from_millis(300));
    c.kill().unwrap();
    c.wait().unwrap();
    let log = AuditLog::open(&store, key(), AuditConfig::default()).unwrap();
    let n = log.len().unwrap();
    assert!(n >= 1000, "{n} events survived, 1000 were flushed");
    let report = log.verify().unwrap();
    assert!(report.ok, "{:?}", report.first_problem);
    assert_eq!(report.checked, n);
    // The log goes on from where the killed writer's last commit left it.
    log.record(&NewEvent::new("after")).unwrap();
    assert!(log.verify().unwrap().ok);
}

#[test]
fn server_restart_mid_run_is_retried_without_duplicates_or_gaps() {
    let (Some(url), Some(restart)) = (
        pg_url("server_restart_mid_run_is_retried_without_duplicates_or_gaps"),
        pg_env("MAGNETAR_TEST_PG_RESTART"),
    ) else {
        return;
    };
    let _server = SERVER.write();
    let schema = schema("restart");
    let store = store(&url, &schema, |c| {
        c.attempts = 12;
        c.connect_timeout = Duration::from_secs(2);
    });
    let sync = Arc::new(AuditLog::open(&store, key(), AuditConfig::default()).unwrap());
    let batch = Arc::new(AuditLog::open(&store, key(), batched(50)).unwrap());
    let worker = |log: Arc<AuditLog>, flush: bool| {
        std::thread::spawn(move || {
            let started = std::time::Instant::now();
            let mut recorded = 0u64;
            while started.elapsed() < Duration::from_secs(5) {
                log.record(&event(recorded as usize))
                    .expect("record across a restart");
                recorded += 1;
                if flush && recorded.is_multiple_of(100) {
                    log.flush().expect("flush across a restart");
                }
            }
            log.flush().expect("the last flush");
            recorded
        })
    };
    let a = worker(sync.clone(), false);
    let b = worker(batch.clone(), true);
    std::thread::sleep(Duration::from_millis(1500));
    let status = Command::new("sh").args(["-c", &restart]).status().unwrap();
    assert!(status.success(), "restart command failed");
    let recorded = a.join().unwrap() + b.join().unwrap();
    assert!(recorded > 100, "only {recorded} events");
    assert_eq!(
        sync.len().unwrap(),
        recorded,
        "no duplicate and no lost event"
    );
    let report = sync.verify().unwrap();
    assert!(report.ok, "{:?}", report.first_problem);
    assert_eq!(report.checked, recorded);
}

#[test]
fn edits_by_someone_who_can_write_the_tables_are_caught() {
    let Some(url) = pg_url("edits_by_someone_who_can_write_the_tables_are_caught") else {
        return;
    };
    let _server = SERVER.read();
    let schema = schema("tamper");
    let store = store(&url, &schema, |_| {});
    let log = AuditLog::open(&store, key(), AuditConfig::default()).unwrap();
    for i in 0..50 {
        log.record(&event(i)).unwrap();
    }
    let mut db = sql(&url);
    let first_problem = |log: &AuditLog| log.verify().unwrap().first_problem.unwrap();

    // A field's ciphertext changed.
    db.batch_execute(&format!(
        "UPDATE {schema}.audit_events SET fields = fields || '\\x00'::bytea WHERE seq = 7"
    ))
    .unwrap();
    let p = first_problem(&log);
    assert_eq!(p.seq, 7, "{}", p.detail);
    assert!(
        matches!(
            p.kind,
            ProblemKind::FieldTampered | ProblemKind::MalformedRow
        ),
        "{p:?}"
    );
    let err = log.query(&Filter::default()).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Tampered, "{err}");

    // An event deleted from the middle: a gap.
    db.batch_execute(&format!(
        "DELETE FROM {schema}.audit_events WHERE seq IN (7, 20)"
    ))
    .unwrap();
    let p = first_problem(&log);
    assert_eq!(p.kind, ProblemKind::MissingEvents, "{p:?}");
    assert!(p.seq == 7 || p.seq == 8, "{p:?}");

    // A wrong type where bytes belong is a problem, not a crash.
    db.batch_execute(&format!(
        "ALTER TABLE {schema}.audit_meta ALTER COLUMN value TYPE TEXT USING encode(value, 'hex')"
    ))
    .unwrap();
    let err = AuditLog::open(&store, key(), AuditConfig::default()).unwrap_err();
    assert!(
        matches!(err.kind(), ErrorKind::Tampered | ErrorKind::Database),
        "{err}"
    );
}

/// On PostgreSQL `audit_lookup` is a view of the events, which carry the indexes: an
/// event is found as soon as it is committed, a purge leaves nothing behind for queries
/// to trip on, the indexes serve the queries' shapes, and an edited blind index is
/// caught by `verify` as on SQLite.
#[test]
fn lookups_read_indexes_on_the_events_themselves() {
    let Some(url) = pg_url("lookups_read_indexes_on_the_events_themselves") else {
        return;
    };
    let _server = SERVER.read();
    let schema = schema("lookup");
    let store = store(&url, &schema, |_| {});
    let log = AuditLog::open(&store, key(), AuditConfig::default()).unwrap();
    for i in 0..40 {
        log.record(&event(i)).unwrap();
    }
    let user3 = |log: &AuditLog| log.query(&Filter::user("user-3")).unwrap().len();
    assert_eq!(user3(&log), (0..40).filter(|i| i % 7 == 3).count());

    let mut db = sql(&url);
    let kind: String = db
        .query_one(
            "SELECT relkind::text FROM pg_class WHERE oid = $1::text::regclass",
            &[&format!("{schema}.audit_lookup")],
        )
        .unwrap()
        .get(0);
    assert_eq!(kind, "v", "audit_lookup is a view on PostgreSQL");
    assert_eq!(
        db.query_one(&format!("SELECT count(*) FROM {schema}.audit_lookup"), &[])
            .unwrap()
            .get::<_, i64>(0),
        40,
        "every committed event is in the lookup at once"
    );
    // The indexes match the queries' conditions (the planner is told to avoid a
    // sequential scan: on 40 rows it would rightly prefer one).
    let mut plan = |condition: &str| -> String {
        let mut tx = db.transaction().unwrap();
        tx.batch_execute("SET LOCAL enable_seqscan = off").unwrap();
        let rows = tx
            .query(
                &format!("EXPLAIN SELECT seq FROM {schema}.audit_lookup l WHERE {condition}"),
                &[],
            )
            .unwrap();
        rows.iter()
            .map(|r| r.get::<_, String>(0))
            .collect::<Vec<_>>()
            .join("\n")
    };
    for (condition, index) in [
        (
            "(l.seq >> 12) = +0 AND l.user_idx = +42",
            "audit_events_user",
        ),
        ("l.action_idx = +42", "audit_events_action"),
        ("l.ts >= +1 AND l.ts < +2", "audit_events_ts"),
    ] {
        let explained = plan(condition);
        assert!(explained.contains(index), "{condition}: {explained}");
    }

    // A purge removes the events and so their lookup rows; queries stay right.
    let cutoff = log.query(&Filter::default()).unwrap()[20].timestamp_ms + 1;
    let purged = log.purge_before(cutoff).unwrap();
    assert!(purged >= 21, "{purged}");
    assert!(log.verify().unwrap().ok);
    assert_eq!(
        user3(&log),
        log.query(&Filter::default())
            .unwrap()
            .iter()
            .filter(|e| e.user_id.as_deref() == Some("user-3"))
            .count()
    );

    // An event's blind index edited: queries by that user would miss it; verify says so.
    let seq: i64 = db
        .query_one(&format!("SELECT max(seq) FROM {schema}.audit_events"), &[])
        .unwrap()
        .get(0);
    db.batch_execute(&format!(
        "UPDATE {schema}.audit_events SET user_idx = user_idx + 1 WHERE seq = {seq}"
    ))
    .unwrap();
    let p = log.verify().unwrap().first_problem.unwrap();
    assert_eq!(
        (p.kind, p.seq),
        (ProblemKind::LookupMismatch, seq as u64),
        "{p:?}"
    );
}

#[test]
fn application_role_with_dml_rights_only() {
    let (Some(url), Some(app_url)) = (
        pg_url("application_role_with_dml_rights_only"),
        pg_env("MAGNETAR_TEST_PG_APP_URL"),
    ) else {
        return;
    };
    let _server = SERVER.read();
    let schema = schema("dml");
    let err = AuditLog::open(
        store(&app_url, &schema, |_| {}),
        key(),
        AuditConfig::default(),
    )
    .unwrap_err();
    assert!(err.to_string().contains("permission denied"), "{err}");
    assert!(!err.to_string().contains("app-secret-pw"));
    drop(AuditLog::open(store(&url, &schema, |_| {}), key(), AuditConfig::default()).unwrap());
    sql(&url)
        .batch_execute(&format!(
            "GRANT USAGE ON SCHEMA {schema} TO magnetar_app;
             GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA {schema} TO magnetar_app;"
        ))
        .unwrap();
    let log = AuditLog::open(store(&app_url, &schema, |_| {}), key(), batched(10)).unwrap();
    for i in 0..100 {
        log.record(&event(i)).unwrap();
    }
    log.flush().unwrap();
    let signer = NoteSigner::generate("magnetar.test/dml").unwrap();
    log.checkpoint(&[&signer]).unwrap();
    assert!(log.verify().unwrap().ok);
}

#[test]
fn copy_from_sqlite_to_postgres_and_back() {
    let Some(url) = pg_url("copy_from_sqlite_to_postgres_and_back") else {
        return;
    };
    let _server = SERVER.read();
    let dir = tempfile::tempdir().unwrap();
    let pool = Pool::open(dir.path().join("app.db"), PoolConfig::default()).unwrap();
    let log = AuditLog::open(&pool, key(), AuditConfig::default()).unwrap();
    for i in 0..5000 {
        log.record(&event(i)).unwrap();
    }
    let signer = NoteSigner::generate("magnetar.test/copy").unwrap();
    let note = log.checkpoint(&[&signer]).unwrap();
    let cutoff = log.query(&Filter::default()).unwrap()[99].timestamp_ms + 1;
    let kept = 5000 - log.purge_before(cutoff).unwrap();
    let first_kept = log.query(&Filter::default()).unwrap()[0].seq as usize;
    let head = log.head().unwrap();
    drop(log);

    let schema = schema("copy");
    let pg = store(&url, &schema, |_| {});
    let copied = AuditLog::copy(&pool, &pg, key(), AuditConfig::default()).unwrap();
    assert_eq!(copied.events, kept);
    assert_eq!(copied.head, head);
    let on_pg = AuditLog::open(&pg, key(), AuditConfig::default()).unwrap();
    assert!(on_pg.verify_against(&head).unwrap().ok);
    assert!(
        on_pg
            .verify_checkpoint(&note, &signer.verifier())
            .unwrap()
            .ok
    );
    assert_eq!(
        on_pg.query(&Filter::user("user-3")).unwrap().len(),
        (first_kept - 1..5000).filter(|i| i % 7 == 3).count()
    );
    on_pg.record(&NewEvent::new("on postgres")).unwrap();

    // Refused into a store that already has a log; back into a new SQLite file.
    let err = AuditLog::copy(&pool, &pg, key(), AuditConfig::default()).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::InvalidInput, "{err}");
    let back = Pool::open(dir.path().join("back.db"), PoolConfig::default()).unwrap();
    let report = AuditLog::copy(&pg, &back, key(), AuditConfig::default()).unwrap();
    assert_eq!(report.events, kept + 1);
    let log = AuditLog::open(&back, key(), AuditConfig::default()).unwrap();
    assert!(log.verify().unwrap().ok);
    assert!(log.verify_checkpoint(&note, &signer.verifier()).unwrap().ok);

    // A tampered source is refused, and nothing is written.
    let mut db = sql(&url);
    db.batch_execute(&format!(
        "UPDATE {schema}.audit_events SET chain = '\\x00'::bytea WHERE seq = 200"
    ))
    .unwrap();
    let dest = Pool::open(dir.path().join("third.db"), PoolConfig::default()).unwrap();
    let err = AuditLog::copy(&pg, &dest, key(), AuditConfig::default()).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Tampered, "{err}");
    assert!(!AuditLog::exists(&dest).unwrap());
}

/// The pool does not check a connection at every checkout (a round trip per operation):
/// a pooled connection a restart closed is found out by its first statement and replaced
/// without spending an attempt, so even a store allowed one attempt goes on.
#[test]
fn a_connection_closed_by_a_restart_is_replaced_without_spending_an_attempt() {
    let (Some(url), Some(restart)) = (
        pg_url("a_connection_closed_by_a_restart_is_replaced_without_spending_an_attempt"),
        pg_env("MAGNETAR_TEST_PG_RESTART"),
    ) else {
        return;
    };
    let _server = SERVER.write();
    let store = store(&url, &schema("stale"), |c| c.attempts = 1);
    let log = AuditLog::open(&store, key(), AuditConfig::default()).unwrap();
    log.record(&event(0)).unwrap();
    let status = Command::new("sh").args(["-c", &restart]).status().unwrap();
    assert!(status.success(), "restart command failed");
    log.record(&event(1))
        .expect("a closed pooled connection is replaced, not counted as the one attempt");
    assert_eq!(log.len().unwrap(), 2);
    assert!(log.verify().unwrap().ok);
}

/// A writer that cannot get the log's lock in `lock_timeout` fails with a clear error,
/// and its connection goes back to the pool usable (not inside an aborted transaction).
#[test]
fn a_lock_timeout_fails_cleanly_and_the_connection_stays_usable() {
    let Some(url) = pg_url("a_lock_timeout_fails_cleanly_and_the_connection_stays_usable") else {
        return;
    };
    let _server = SERVER.read();
    let schema = schema("locked");
    let store = store(&url, &schema, |c| {
        c.max_connections = 1;
        c.lock_timeout = Duration::from_millis(200);
    });
    let log = AuditLog::open(&store, key(), AuditConfig::default()).unwrap();
    log.record(&event(0)).unwrap();
    // Another session holds every advisory lock this log's writers could take.
    let mut holder = sql(&url);
    let mut tx = holder.transaction().unwrap();
    tx.batch_execute(&format!(
        "SELECT pg_advisory_xact_lock(k) FROM (SELECT ('x' || substr(encode(sha256('{schema}.audit'::bytea), 'hex'), 1, 16))::bit(64)::bigint AS k) AS key"
    ))
    .unwrap();
    let err = log.record(&event(1)).unwrap_err();
    assert!(err.to_string().contains("lock"), "{err}");
    tx.rollback().unwrap();
    // The one pooled connection is usable again.
    log.record(&event(2)).unwrap();
    assert_eq!(log.len().unwrap(), 2);
    assert!(log.verify().unwrap().ok);
}
