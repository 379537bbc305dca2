//! `magnetar audit verify|query|export|head|rotate-key|purge`.

mod common;

use std::path::{Path, PathBuf};

use common::{assert_error_kind, magnetar};
use magnetar_core::audit::{AuditConfig, AuditKey, AuditLog, NewEvent};
use magnetar_core::pool::{Pool, PoolConfig};
use predicates::str::contains;
use serde_json::Value;

const KEY: &str = "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f";
const OTHER_KEY: &str = "ffeeddccbbaa99887766554433221100ffeeddccbbaa99887766554433221100";

/// A database with an audit log under `KEY`: four events.
fn sample_log(dir: &tempfile::TempDir) -> PathBuf {
    let path = dir.path().join("audit.db");
    let pool = Pool::open(&path, PoolConfig::default()).unwrap();
    let log = AuditLog::open(&pool, AuditKey::parse(KEY).unwrap(), AuditConfig::default()).unwrap();
    for (action, user, status) in [
        ("login", "alice", "failure"),
        ("login", "alice", "success"),
        ("password.change", "alice", "success"),
        ("login", "bob", "success"),
    ] {
        log.record(
            &NewEvent::new(action)
                .user(user)
                .status(status)
                .client("203.0.113.7", "curl/8.0"),
        )
        .unwrap();
    }
    log.close().unwrap();
    pool.close(std::time::Duration::from_secs(5)).unwrap();
    path
}

fn audit(key: &str, args: &[&str], db: &Path) -> assert_cmd::Command {
    let mut cmd = magnetar();
    cmd.env("MAGNETAR_AUDIT_KEY", key)
        .arg("audit")
        .args(args)
        .arg("--db")
        .arg(db);
    cmd
}

fn audit_json(key: &str, args: &[&str], db: &Path, code: i32) -> Value {
    let mut cmd = audit(key, args, db);
    cmd.arg("--json");
    let out = cmd.assert().code(code).get_output().stdout.clone();
    serde_json::from_slice(&out)
        .unwrap_or_else(|e| panic!("not JSON ({e}): {}", String::from_utf8_lossy(&out)))
}

fn sql(db: &Path, statement: &str) {
    let conn = rusqlite::Connection::open(db).unwrap();
    conn.execute_batch(statement).unwrap();
}

#[test]
fn verify_an_intact_log() {
    let dir = tempfile::tempdir().unwrap();
    let db = sample_log(&dir);
    let doc = audit_json(KEY, &["verify"], &db, 0);
    assert_eq!(doc["ok"], true);
    assert_eq!(doc["checked"], 4);
    audit(KEY, &["verify"], &db)
        .assert()
        .success()
        .stdout(contains("OK: 4 events"));
}

#[test]
fn a_moved_field_is_tampering_exit_1() {
    let dir = tempfile::tempdir().unwrap();
    let db = sample_log(&dir);
    // Make the failed login look successful by copying another row's sealed fields.
    sql(
        &db,
        "UPDATE audit_events SET fields = (SELECT fields FROM audit_events WHERE seq = 2) WHERE seq = 1",
    );
    let doc = audit_json(KEY, &["verify"], &db, 1);
    assert_eq!(doc["ok"], false);
    assert_eq!(doc["first_problem"]["kind"], "field_tampered");
    assert_eq!(doc["first_problem"]["seq"], 1);
    audit(KEY, &["verify"], &db)
        .assert()
        .code(1)
        .stdout(contains("TAMPERED"));
}

#[test]
fn a_truncated_tail_is_caught_against_a_recorded_head() {
    let dir = tempfile::tempdir().unwrap();
    let db = sample_log(&dir);
    let head = audit_json(KEY, &["head"], &db, 0);
    assert_eq!(head["seq"], 4);
    let head_arg = format!("{}:{}", head["seq"], head["chain_hex"].as_str().unwrap());
    audit(KEY, &["head"], &db)
        .assert()
        .success()
        .stdout(contains(head_arg.as_str()));
    audit_json(KEY, &["verify", "--head", &head_arg], &db, 0);

    sql(&db, "DELETE FROM audit_events WHERE seq = 4");
    // Without the head, what remains is a valid chain.
    audit_json(KEY, &["verify"], &db, 0);
    let doc = audit_json(KEY, &["verify", "--head", &head_arg], &db, 1);
    assert_eq!(doc["first_problem"]["kind"], "truncated");

    let doc = audit_json(KEY, &["verify", "--head", "nonsense"], &db, 2);
    assert_error_kind(&doc, "usage");
}

#[test]
fn wrong_and_malformed_keys_exit_2() {
    let dir = tempfile::tempdir().unwrap();
    let db = sample_log(&dir);
    let doc = audit_json(OTHER_KEY, &["verify"], &db, 2);
    assert_error_kind(&doc, "wrong_key");
    audit(OTHER_KEY, &["query"], &db)
        .assert()
        .code(2)
        .stderr(contains("wrong key"));
    let doc = audit_json("not a key", &["verify"], &db, 2);
    assert_error_kind(&doc, "invalid_key");
}

#[test]
fn missing_foreign_and_non_database_files_exit_2_and_are_not_modified() {
    let dir = tempfile::tempdir().unwrap();
    let missing = dir.path().join("missing.db");
    let doc = audit_json(KEY, &["verify"], &missing, 2);
    assert_error_kind(&doc, "usage");
    assert!(!missing.exists(), "verify must not create a database");

    let other = dir.path().join("other.db");
    sql(&other, "CREATE TABLE t (x INTEGER)");
    audit(KEY, &["verify"], &other)
        .assert()
        .code(2)
        .stderr(contains("holds no audit log"));
    let conn = rusqlite::Connection::open(&other).unwrap();
    let tables: i64 = conn
        .query_row(
            "SELECT count(*) FROM sqlite_master WHERE name LIKE 'audit%'",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(tables, 0, "no audit table was created");

    let garbage = dir.path().join("garbage.db");
    std::fs::write(&garbage, vec![0x5a; 4096]).unwrap();
    let doc = audit_json(KEY, &["verify"], &garbage, 2);
    assert_error_kind(&doc, "not_a_database");
}

#[test]
fn query_filters_by_user_and_action() {
    let dir = tempfile::tempdir().unwrap();
    let db = sample_log(&dir);
    let doc = audit_json(KEY, &["query", "--user", "alice"], &db, 0);
    assert_eq!(doc["count"], 3);
    let doc = audit_json(
        KEY,
        &[
            "query",
            "--action",
            "login",
            "--newest-first",
            "--limit",
            "1",
        ],
        &db,
        0,
    );
    assert_eq!(doc["count"], 1);
    assert_eq!(doc["events"][0]["user_id"], "bob");
    let doc = audit_json(
        KEY,
        &["query", "--since", "1d", "--until", "2999-01-01"],
        &db,
        0,
    );
    assert_eq!(doc["count"], 4);
    let doc = audit_json(KEY, &["query", "--until", "2000-01-01"], &db, 0);
    assert_eq!(doc["count"], 0);
    audit(KEY, &["query", "--user", "bob"], &db)
        .assert()
        .success()
        .stdout(contains("login  user=bob  status=success"))
        .stdout(contains("1 event"));
    let doc = audit_json(KEY, &["query", "--since", "last tuesday"], &db, 2);
    assert_error_kind(&doc, "usage");
}

#[test]
fn export_writes_json_lines_to_a_file_or_stdout() {
    let dir = tempfile::tempdir().unwrap();
    let db = sample_log(&dir);
    let out = dir.path().join("export.jsonl");
    let doc = audit_json(KEY, &["export", "-o", out.to_str().unwrap()], &db, 0);
    assert_eq!(doc["exported"], 4);
    let text = std::fs::read_to_string(&out).unwrap();
    let events: Vec<Value> = text
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(events.len(), 4);
    assert_eq!(events[0]["action"], "login");
    assert_eq!(events[0]["status"], "failure");

    let stdout = audit(KEY, &["export", "--user", "bob"], &db)
        .assert()
        .success()
        .get_output()
        .stdout
        .clone();
    let lines: Vec<Value> = String::from_utf8(stdout)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(lines.len(), 1);
    assert_eq!(lines[0]["user_id"], "bob");
}

#[test]
fn rotate_key_reencrypts_and_retires_the_old_key() {
    let dir = tempfile::tempdir().unwrap();
    let db = sample_log(&dir);
    let mut cmd = audit(KEY, &["rotate-key", "--batch", "3"], &db);
    cmd.env("MAGNETAR_AUDIT_NEW_KEY", OTHER_KEY).arg("--json");
    let out = cmd.assert().success().get_output().stdout.clone();
    let doc: Value = serde_json::from_slice(&out).unwrap();
    assert_eq!(doc["reencrypted"], 4);
    assert_eq!(doc["new_key_id"], 2);
    let doc = audit_json(OTHER_KEY, &["verify"], &db, 0);
    assert_eq!(doc["checked"], 4);
    let doc = audit_json(KEY, &["verify"], &db, 2);
    assert_error_kind(&doc, "wrong_key");
    // A zero batch is refused before the key is touched.
    audit(OTHER_KEY, &["rotate-key", "--batch", "0"], &db)
        .env("MAGNETAR_AUDIT_NEW_KEY", KEY)
        .assert()
        .code(2)
        .stderr(contains("not a batch size"));
    audit_json(OTHER_KEY, &["verify"], &db, 0);
}

#[test]
fn an_interrupted_rotation_is_finished_by_running_rotate_key_again() {
    let dir = tempfile::tempdir().unwrap();
    let db = sample_log(&dir);
    // The new key became current, then the run stopped before re-encrypting anything.
    {
        let pool = Pool::open(&db, PoolConfig::default()).unwrap();
        let log =
            AuditLog::open(&pool, AuditKey::parse(KEY).unwrap(), AuditConfig::default()).unwrap();
        log.rotate_key(AuditKey::parse(OTHER_KEY).unwrap()).unwrap();
        log.close().unwrap();
        pool.close(std::time::Duration::from_secs(5)).unwrap();
    }
    // Either key alone can no longer read every event.
    assert_error_kind(&audit_json(KEY, &["verify"], &db, 2), "wrong_key");
    assert_error_kind(&audit_json(OTHER_KEY, &["verify"], &db, 2), "invalid_key");

    // The same command as before, with the same two keys, finishes the job.
    let mut cmd = audit(KEY, &["rotate-key", "--batch", "3", "--json"], &db);
    cmd.env("MAGNETAR_AUDIT_NEW_KEY", OTHER_KEY);
    let out = cmd.assert().success().get_output().stdout.clone();
    let doc: Value = serde_json::from_slice(&out).unwrap();
    assert_eq!(doc["resumed"], true, "{doc}");
    assert_eq!(
        (&doc["old_key_id"], &doc["new_key_id"], &doc["reencrypted"]),
        (&Value::from(1), &Value::from(2), &Value::from(4))
    );
    assert_eq!(audit_json(OTHER_KEY, &["verify"], &db, 0)["checked"], 4);
    assert_error_kind(&audit_json(KEY, &["verify"], &db, 2), "wrong_key");

    // Two keys that are not this log's: the original error, nothing changed.
    let stranger = "0f0e0d0c0b0a09080706050403020100f0e0d0c0b0a090807060504030201000";
    let mut cmd = audit(stranger, &["rotate-key", "--json"], &db);
    cmd.env("MAGNETAR_AUDIT_NEW_KEY", KEY);
    let out = cmd.assert().code(2).get_output().stdout.clone();
    assert_error_kind(&serde_json::from_slice(&out).unwrap(), "wrong_key");
    assert_eq!(audit_json(OTHER_KEY, &["verify"], &db, 0)["checked"], 4);
}

#[test]
fn purge_deletes_old_events_and_the_log_stays_verifiable() {
    let dir = tempfile::tempdir().unwrap();
    let db = sample_log(&dir);
    let doc = audit_json(KEY, &["purge", "--before", "2000-01-01"], &db, 0);
    assert_eq!(doc["deleted"], 0);
    let doc = audit_json(KEY, &["purge", "--before", "2999-01-01T00:00:00Z"], &db, 0);
    assert_eq!(doc["deleted"], 4);
    let doc = audit_json(KEY, &["verify"], &db, 0);
    assert_eq!(doc["ok"], true);
}

#[test]
fn a_passphrase_from_stdin_opens_a_passphrase_log() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("pass.db");
    let pool = Pool::open(&db, PoolConfig::default()).unwrap();
    let log =
        AuditLog::open_with_passphrase(&pool, "correct horse battery", AuditConfig::default())
            .unwrap();
    log.record(&NewEvent::new("login").user("alice")).unwrap();
    log.close().unwrap();
    pool.close(std::time::Duration::from_secs(5)).unwrap();
    magnetar()
        .args(["audit", "verify", "--db"])
        .arg(&db)
        .write_stdin("correct horse battery\n")
        .assert()
        .success()
        .stdout(contains("OK: 1 event "));
    magnetar()
        .args(["audit", "verify", "--db"])
        .arg(&db)
        .write_stdin("wrong horse battery\n")
        .assert()
        .code(2)
        .stderr(contains("wrong key"));
}

#[test]
fn export_to_a_closed_pipe_ends_quietly() {
    use std::io::{BufRead, BufReader};
    use std::process::{Command, Stdio};

    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("big.db");
    let pool = Pool::open(&db, PoolConfig::default()).unwrap();
    let log = AuditLog::open(&pool, AuditKey::parse(KEY).unwrap(), AuditConfig::default()).unwrap();
    // Far more than a pipe buffer (64 KiB) of JSON Lines.
    let details = serde_json::json!({ "note": "x".repeat(200) });
    for i in 0..1500 {
        log.record(
            &NewEvent::new("bulk")
                .user(format!("u{i}"))
                .details(details.clone()),
        )
        .unwrap();
    }
    log.close().unwrap();
    pool.close(std::time::Duration::from_secs(5)).unwrap();

    let mut child = Command::new(assert_cmd::cargo::cargo_bin!("magnetar"))
        .env("MAGNETAR_AUDIT_KEY", KEY)
        .args(["audit", "export", "--db"])
        .arg(&db)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut first = String::new();
    BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut first)
        .unwrap();
    assert!(first.contains("\"bulk\""), "{first}");
    // The reader is dropped here: the pipe is closed while magnetar is still writing.
    let out = child.wait_with_output().unwrap();
    assert_eq!(out.status.code(), Some(0));
    assert!(
        out.stderr.is_empty(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn export_files_are_private_and_never_replace_a_file_unless_forced() {
    let dir = tempfile::tempdir().unwrap();
    let db = sample_log(&dir);
    let out = dir.path().join("export.jsonl");
    audit_json(KEY, &["export", "-o", out.to_str().unwrap()], &db, 0);
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&out).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o600, "{mode:o}");
    }
    // An existing file (here the auditor's notes) is left alone.
    std::fs::write(&out, "notes\n").unwrap();
    let doc = audit_json(KEY, &["export", "-o", out.to_str().unwrap()], &db, 2);
    assert!(
        doc["error"]["message"]
            .as_str()
            .unwrap()
            .contains("already exists"),
        "{doc}"
    );
    assert_eq!(std::fs::read_to_string(&out).unwrap(), "notes\n");
    // --force replaces it, and the replacement is private even if the old file was not.
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&out, std::fs::Permissions::from_mode(0o644)).unwrap();
    }
    let doc = audit_json(
        KEY,
        &["export", "--force", "-o", out.to_str().unwrap()],
        &db,
        0,
    );
    assert_eq!(doc["exported"], 4);
    assert_eq!(std::fs::read_to_string(&out).unwrap().lines().count(), 4);
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&out).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o600, "{mode:o}");
    }
    let leftovers = std::fs::read_dir(dir.path())
        .unwrap()
        .filter(|e| {
            e.as_ref()
                .unwrap()
                .file_name()
                .to_string_lossy()
                .ends_with(".tmp")
        })
        .count();
    assert_eq!(leftovers, 0);
}

#[test]
fn control_characters_from_decrypted_fields_are_never_printed() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("audit.db");
    let pool = Pool::open(&path, PoolConfig::default()).unwrap();
    let log = AuditLog::open(&pool, AuditKey::parse(KEY).unwrap(), AuditConfig::default()).unwrap();
    // A user id that would clear the screen and forge a second, innocent-looking line;
    // C1 CSI, DEL and a right-to-left override in other fields.
    let evil = "mallory\x1b[2J\n#2    2026-01-01T00:00:00Z  login  user=alice";
    log.record(
        &NewEvent::new("login\u{9b}31m")
            .user(evil)
            .status("ok\u{7f}\u{202e}")
            .details(serde_json::json!({ "note": "\u{85}\u{1b}]0;pwned\u{7}" })),
    )
    .unwrap();
    log.close().unwrap();
    pool.close(std::time::Duration::from_secs(5)).unwrap();
    let printable = |out: &[u8]| {
        let text = String::from_utf8(out.to_vec()).unwrap();
        let bad: Vec<char> = text
            .chars()
            .filter(|c| (c.is_control() && *c != '\n') || ('\u{202a}'..='\u{202e}').contains(c))
            .collect();
        assert!(bad.is_empty(), "printed {bad:?} in {text:?}");
        text
    };
    for args in [
        vec!["query"],
        vec!["query", "--json"],
        vec!["export"],
        vec!["verify"],
    ] {
        let out = audit(KEY, &args, &path)
            .assert()
            .success()
            .get_output()
            .stdout
            .clone();
        let text = printable(&out);
        if args == ["query"] {
            assert_eq!(
                text.lines().count(),
                2,
                "one event line and the count: {text}"
            );
            assert!(text.contains("user=mallory\\u{1b}[2J\\u{a}#2"), "{text}");
        }
    }
    // The JSON still carries the exact values.
    let doc = audit_json(KEY, &["query"], &path, 0);
    assert_eq!(doc["events"][0]["user_id"], evil);
    assert_eq!(doc["events"][0]["status"], "ok\u{7f}\u{202e}");
}

#[test]
fn rotate_key_is_safe_while_an_application_keeps_writing() {
    use std::sync::Arc;
    use std::sync::atomic::{AtomicBool, Ordering};

    let dir = tempfile::tempdir().unwrap();
    let db = sample_log(&dir);
    let stop = Arc::new(AtomicBool::new(false));
    // The application: its own pool and log under the old key, recording throughout.
    let app = std::thread::spawn({
        let (db, stop) = (db.clone(), stop.clone());
        move || {
            let pool = Pool::open(&db, PoolConfig::default()).unwrap();
            let log = AuditLog::open(&pool, AuditKey::parse(KEY).unwrap(), AuditConfig::default())
                .unwrap();
            let (mut recorded, mut refused) = (0u64, 0u64);
            while !stop.load(Ordering::Relaxed) {
                match log.record(&NewEvent::new("app.write")) {
                    Ok(_) => recorded += 1,
                    Err(e) => {
                        // Only once the old key is retired, and said so.
                        assert_eq!(e.kind(), magnetar_core::ErrorKind::WrongKey, "{e}");
                        refused += 1;
                        std::thread::sleep(std::time::Duration::from_millis(5));
                    }
                }
            }
            (recorded, refused)
        }
    });
    std::thread::sleep(std::time::Duration::from_millis(50));
    let out = audit(KEY, &["rotate-key", "--batch", "50", "--json"], &db)
        .env("MAGNETAR_AUDIT_NEW_KEY", OTHER_KEY)
        .output()
        .unwrap();
    std::thread::sleep(std::time::Duration::from_millis(50));
    stop.store(true, Ordering::Relaxed);
    let (recorded, refused) = app.join().unwrap();
    let count = |sql: &str| -> i64 {
        rusqlite::Connection::open(&db)
            .unwrap()
            .query_row(sql, [], |r| r.get(0))
            .unwrap()
    };
    // Every event the application was told was recorded is in the log.
    assert_eq!(
        count("SELECT count(*) FROM audit_events"),
        4 + recorded as i64
    );
    let doc: Value = serde_json::from_slice(&out.stdout).unwrap();
    match out.status.code() {
        // Retired: nothing is left, or was committed afterwards, under the old key.
        Some(0) => {
            assert_eq!(doc["old_key_retired"], true);
            assert_eq!(
                count("SELECT count(*) FROM audit_events WHERE key_id = 1"),
                0
            );
            let verified = audit_json(OTHER_KEY, &["verify"], &db, 0);
            assert_eq!(verified["checked"], 4 + recorded);
        }
        // The application never paused: the old key stays, and the command says why.
        Some(2) => {
            assert_eq!(refused, 0, "nothing is refused while the old key is kept");
            let message = doc["error"]["message"].as_str().unwrap();
            assert!(message.contains("keep arriving"), "{message}");
        }
        other => panic!("rotate-key exited with {other:?}: {doc}"),
    }
}

#[test]
fn copy_moves_the_log_into_another_database_verified() {
    let dir = tempfile::tempdir().unwrap();
    let db = sample_log(&dir);
    let copy = dir.path().join("copy.db");
    let out = magnetar()
        .env("MAGNETAR_AUDIT_KEY", KEY)
        .args(["audit", "copy", "--json", "--from"])
        .arg(&db)
        .arg("--to")
        .arg(&copy)
        .assert()
        .success()
        .get_output()
        .stdout
        .clone();
    let doc: Value = serde_json::from_slice(&out).unwrap();
    assert_eq!(doc["copied"], 4);
    let head = audit_json(KEY, &["head"], &db, 0);
    assert_eq!(doc["chain_hex"], head["chain_hex"]);
    let verified = audit_json(KEY, &["verify"], &copy, 0);
    assert_eq!(verified["checked"], 4);
    // Never into a database that already holds a log.
    magnetar()
        .env("MAGNETAR_AUDIT_KEY", KEY)
        .args(["audit", "copy", "--from"])
        .arg(&db)
        .arg("--to")
        .arg(&copy)
        .assert()
        .code(2)
        .stderr(contains("already holds an audit log"));
    // A tampered source is refused and nothing is written.
    sql(
        &db,
        "UPDATE audit_events SET chain = zeroblob(32) WHERE seq = 2",
    );
    let third = dir.path().join("third.db");
    magnetar()
        .env("MAGNETAR_AUDIT_KEY", KEY)
        .args(["audit", "copy", "--from"])
        .arg(&db)
        .arg("--to")
        .arg(&third)
        .assert()
        .code(1)
        .stderr(contains("nothing was copied"));
    assert!(!third.exists(), "the refused copy left {}", third.display());
}
