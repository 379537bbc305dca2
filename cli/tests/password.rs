//! `magnetar password hash|verify|identify|upgrade-table`.

mod common;

use common::{json_run, magnetar};
use predicates::str::contains;

/// Small Argon2 parameters: tests check behaviour, not strength.
const FAST: [&str; 4] = ["--memory-kib", "256", "--iterations", "1"];
/// hex SHA-256 of "hunter2".
const HUNTER2_SHA256: &str = "f52fbd32b2b3b86ff88ef6c490628285f482af15ddcb29541f94bcf526a3f6c7";
/// md5-crypt of "Hello world!".
const MD5_CRYPT: &str = "$1$saltstri$YMyguxXMBpd2TEZ.vS/3q1";

fn args<'a>(head: &[&'a str]) -> Vec<&'a str> {
    let mut v = head.to_vec();
    v.extend_from_slice(&FAST);
    v
}

#[test]
fn hash_then_verify_round_trip() {
    let doc = json_run(&args(&["password", "hash"]), Some("s3cret pass\n"), 0);
    let phc = doc["hash"].as_str().unwrap().to_owned();
    assert!(phc.starts_with("$argon2id$v=19$m=256,t=1,p=1$"), "{phc}");
    let doc = json_run(
        &args(&["password", "verify", &phc]),
        Some("s3cret pass\n"),
        0,
    );
    assert_eq!(doc["valid"], true);
    assert_eq!(doc["scheme"], "argon2id");
    assert!(doc["new_hash"].is_null());
    let doc = json_run(&args(&["password", "verify", &phc]), Some("wrong\n"), 1);
    assert_eq!(doc["valid"], false);
    magnetar()
        .args(args(&["password", "verify", &phc]))
        .write_stdin("wrong\n")
        .assert()
        .code(1)
        .stdout(contains("INVALID"));
}

#[test]
fn hash_prints_only_the_phc_string_in_text_mode() {
    let out = magnetar()
        .args(args(&["password", "hash"]))
        .write_stdin("pw\n")
        .assert()
        .success()
        .get_output()
        .stdout
        .clone();
    let text = String::from_utf8(out).unwrap();
    assert_eq!(text.lines().count(), 1);
    assert!(text.starts_with("$argon2id$"));
}

#[test]
fn verify_a_legacy_hash_offers_an_upgrade() {
    let doc = json_run(
        &args(&[
            "password",
            "verify",
            HUNTER2_SHA256,
            "--legacy-digest",
            "sha256",
        ]),
        Some("hunter2\n"),
        0,
    );
    assert_eq!(doc["valid"], true);
    assert_eq!(doc["scheme"], "hex_sha256");
    assert!(doc["new_hash"].as_str().unwrap().starts_with("$argon2id$"));
    let doc = json_run(
        &args(&["password", "verify", MD5_CRYPT]),
        Some("Hello world!\n"),
        0,
    );
    assert_eq!(doc["valid"], true);
}

#[test]
fn identify_recognises_formats_and_exits_1_on_garbage() {
    let doc = json_run(&["password", "identify", MD5_CRYPT], None, 0);
    assert_eq!(doc["scheme"], "md5_crypt");
    assert_eq!(doc["legacy"], true);
    assert_eq!(doc["needs_rehash"], true);
    let doc = json_run(&["password", "identify", "certainly not a hash"], None, 1);
    assert_eq!(doc["recognised"], false);
    // A bare hex digest is only accepted when its kind is named.
    json_run(&["password", "identify", HUNTER2_SHA256], None, 1);
    let doc = json_run(
        &[
            "password",
            "identify",
            HUNTER2_SHA256,
            "--legacy-digest",
            "sha256",
        ],
        None,
        0,
    );
    assert_eq!(doc["scheme"], "hex_sha256");
}

#[test]
fn a_malformed_stored_hash_is_an_error_for_verify() {
    let doc = json_run(&["password", "verify", "$2b$99$garbage"], Some("pw\n"), 2);
    common::assert_error_kind(&doc, "invalid_hash");
}

#[test]
fn bad_policy_is_a_usage_level_error() {
    let doc = json_run(&["password", "hash", "--memory-kib", "1"], Some("pw\n"), 2);
    common::assert_error_kind(&doc, "invalid_config");
    let doc = json_run(
        &[
            "password",
            "identify",
            MD5_CRYPT,
            "--legacy-digest",
            "crc32",
        ],
        None,
        2,
    );
    common::assert_error_kind(&doc, "invalid_config");
}

fn accounts_db(dir: &tempfile::TempDir) -> std::path::PathBuf {
    let db = dir.path().join("accounts.db");
    let conn = rusqlite::Connection::open(&db).unwrap();
    conn.execute_batch("CREATE TABLE accounts (email TEXT PRIMARY KEY, pw TEXT) WITHOUT ROWID")
        .unwrap();
    for (email, pw) in [
        ("a@example.com", Some(HUNTER2_SHA256)),
        ("b@example.com", Some(MD5_CRYPT)),
        ("c@example.com", None),
        ("d@example.com", Some("garbage")),
        ("e@example.com", Some(MD5_CRYPT)),
    ] {
        conn.execute("INSERT INTO accounts VALUES (?1, ?2)", (email, pw))
            .unwrap();
    }
    db
}

fn stored(db: &std::path::Path, email: &str) -> String {
    let conn = rusqlite::Connection::open(db).unwrap();
    conn.query_row("SELECT pw FROM accounts WHERE email = ?1", [email], |r| {
        r.get(0)
    })
    .unwrap()
}

#[test]
fn upgrade_table_wraps_legacy_hashes_in_batches_and_resumes() {
    let dir = tempfile::tempdir().unwrap();
    let db = accounts_db(&dir);
    let db_arg = db.to_str().unwrap();
    let table_args = [
        "password",
        "upgrade-table",
        "--db",
        db_arg,
        "--table",
        "accounts",
        "--hash-column",
        "pw",
        "--key-column",
        "email",
        "--batch",
        "2",
        "--legacy-digest",
        "sha256",
    ];
    let doc = json_run(&args(&table_args), None, 0);
    assert_eq!(doc["scanned"], 5);
    assert_eq!(doc["wrapped"], 3);
    assert_eq!(doc["empty"], 1);
    assert_eq!(doc["unrecognised"], 1);
    assert_eq!(doc["unrecognised_keys"][0], "d@example.com");

    let wrapped = stored(&db, "a@example.com");
    let doc = json_run(&["password", "identify", &wrapped], None, 0);
    assert_eq!(doc["scheme"], "wrapped_hex_sha256");
    let doc = json_run(
        &args(&["password", "verify", &wrapped]),
        Some("hunter2\n"),
        0,
    );
    assert!(doc["new_hash"].as_str().unwrap().starts_with("$argon2id$"));
    json_run(
        &args(&["password", "verify", &stored(&db, "b@example.com")]),
        Some("Hello world!\n"),
        0,
    );

    // Running again finds nothing left to do.
    let doc = json_run(&args(&table_args), None, 0);
    assert_eq!(
        (doc["wrapped"].as_u64(), doc["current"].as_u64()),
        (Some(0), Some(3))
    );
    magnetar()
        .args(args(&table_args))
        .assert()
        .success()
        .stdout(contains("0 legacy hashes wrapped"))
        .stdout(contains("1 unrecognised"));
}

#[test]
fn upgrade_table_reports_missing_tables_columns_and_files() {
    let dir = tempfile::tempdir().unwrap();
    let db = accounts_db(&dir);
    let db_arg = db.to_str().unwrap();
    let doc = json_run(
        &[
            "password",
            "upgrade-table",
            "--db",
            db_arg,
            "--table",
            "users",
            "--hash-column",
            "pw",
        ],
        None,
        2,
    );
    common::assert_error_kind(&doc, "invalid_input");
    magnetar()
        .args([
            "password",
            "upgrade-table",
            "--db",
            db_arg,
            "--table",
            "accounts",
        ])
        // `--column` is an alias of `--hash-column` (the form the top-level README shows).
        .args(["--column", "password"])
        .assert()
        .code(2)
        .stderr(contains("no column \"password\""));
    let missing = dir.path().join("missing.db");
    let doc = json_run(
        &[
            "password",
            "upgrade-table",
            "--db",
            missing.to_str().unwrap(),
            "--table",
            "t",
            "--hash-column",
            "h",
        ],
        None,
        2,
    );
    common::assert_error_kind(&doc, "usage");
    assert!(!missing.exists());
}
