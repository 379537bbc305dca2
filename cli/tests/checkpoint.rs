//! `magnetar audit new-signer|checkpoint|prove|export --sealed|verify-export` and
//! `verify --checkpoint`: the transparency log from the command line.

mod common;

use std::path::{Path, PathBuf};

use base64::Engine;
use base64::engine::general_purpose::STANDARD as B64;
use common::magnetar;
use magnetar_core::audit::{AuditConfig, AuditKey, AuditLog, NewEvent};
use magnetar_core::pool::{Pool, PoolConfig};
use magnetar_core::tlog::merkle::{leaf_hash, verify_inclusion};
use magnetar_core::tlog::{Checkpoint, NoteVerifier};
use serde_json::Value;

const KEY: &str = "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f";

fn sample_log(dir: &Path, events: usize) -> PathBuf {
    let path = dir.join("audit.db");
    let pool = Pool::open(&path, PoolConfig::default()).unwrap();
    let log = AuditLog::open(&pool, AuditKey::parse(KEY).unwrap(), AuditConfig::default()).unwrap();
    for i in 0..events {
        log.record(
            &NewEvent::new("login")
                .user(format!("u{i}"))
                .status("success"),
        )
        .unwrap();
    }
    path
}

/// Runs `magnetar --json audit ARGS` with the key set; returns stdout as JSON.
fn run(args: &[&str], code: i32) -> Value {
    let out = magnetar()
        .env("MAGNETAR_AUDIT_KEY", KEY)
        .arg("--json")
        .arg("audit")
        .args(args)
        .assert()
        .code(code)
        .get_output()
        .clone();
    serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!(
            "{args:?}: not JSON ({e}): {}\n{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        )
    })
}

struct Setup {
    _dir: tempfile::TempDir,
    db: PathBuf,
    note: PathBuf,
    vkey: String,
    export: PathBuf,
}

fn setup() -> Setup {
    let dir = tempfile::tempdir().unwrap();
    let db = sample_log(dir.path(), 12);
    let key_file = dir.path().join("signer.key");
    let created = run(
        &[
            "new-signer",
            "--name",
            "example.com/audit",
            "-o",
            key_file.to_str().unwrap(),
        ],
        0,
    );
    let vkey = created["verifier_key"].as_str().unwrap().to_string();
    assert!(vkey.starts_with("example.com/audit+"), "{vkey}");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&key_file).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o600);
    }
    let db_s = db.to_str().unwrap();
    let signed = run(
        &[
            "checkpoint",
            "--db",
            db_s,
            "--signer-key",
            key_file.to_str().unwrap(),
        ],
        0,
    );
    let note = dir.path().join("checkpoint.note");
    std::fs::write(&note, signed["checkpoint"].as_str().unwrap()).unwrap();
    let export = dir.path().join("sealed.jsonl");
    let written = run(
        &[
            "export",
            "--db",
            db_s,
            "--sealed",
            "-o",
            export.to_str().unwrap(),
        ],
        0,
    );
    assert_eq!(written["exported"], 12);
    Setup {
        _dir: dir,
        db,
        note,
        vkey,
        export,
    }
}

fn verify_export(s: &Setup, export: &Path, vkey: &str) -> assert_cmd::assert::Assert {
    magnetar()
        .args(["audit", "verify-export"])
        .arg(export)
        .arg("--checkpoint")
        .arg(&s.note)
        .args(["--verifier-key", vkey])
        .assert()
}

#[test]
fn a_sealed_export_verifies_from_public_data_only() {
    let s = setup();
    // No key in the environment: verify-export needs none.
    verify_export(&s, &s.export, &s.vkey)
        .code(0)
        .stdout(predicates::str::contains("OK: 12 leaf lines read"));
    let text = std::fs::read_to_string(&s.export).unwrap();
    // An edited leaf, a dropped line: exit 1.
    let first: Value = serde_json::from_str(text.lines().next().unwrap()).unwrap();
    let mut leaf = B64.decode(first["leaf"].as_str().unwrap()).unwrap();
    leaf[48] ^= 1;
    let edited = text.replacen(first["leaf"].as_str().unwrap(), &B64.encode(&leaf), 1);
    let bad = s.export.with_file_name("edited.jsonl");
    std::fs::write(&bad, edited).unwrap();
    verify_export(&s, &bad, &s.vkey)
        .code(1)
        .stdout(predicates::str::contains("NOT VERIFIED"));
    let dropped: String = text.lines().skip(1).map(|l| format!("{l}\n")).collect();
    std::fs::write(&bad, dropped).unwrap();
    verify_export(&s, &bad, &s.vkey).code(1);
    // Another signer's key: the checkpoint does not verify (1); a malformed key or a
    // missing file is a usage or I/O error (2).
    let other = magnetar_core::tlog::NoteSigner::generate("example.com/audit").unwrap();
    verify_export(&s, &s.export, &other.verifier().to_string()).code(1);
    verify_export(&s, &s.export, "not a key").code(2);
    verify_export(&s, &s.export.with_file_name("missing.jsonl"), &s.vkey).code(2);
}

#[test]
fn proofs_printed_by_the_cli_verify() {
    let s = setup();
    let note = std::fs::read_to_string(&s.note).unwrap();
    let verifier = NoteVerifier::parse(&s.vkey).unwrap();
    let cp: Checkpoint = magnetar_core::audit::open_checkpoint(&note, &verifier).unwrap();
    let db = s.db.to_str().unwrap();
    let p = run(&["prove", "--db", db, "--seq", "5", "--size", "12"], 0);
    let leaf = B64.decode(p["leaf"].as_str().unwrap()).unwrap();
    let proof: Vec<[u8; 32]> = p["proof"]
        .as_array()
        .unwrap()
        .iter()
        .map(|h| B64.decode(h.as_str().unwrap()).unwrap().try_into().unwrap())
        .collect();
    verify_inclusion(4, 12, &leaf_hash(&leaf), &proof, &cp.root).unwrap();
    let c = run(&["prove", "--db", db, "--old-size", "3", "--size", "12"], 0);
    assert!(!c["proof"].as_array().unwrap().is_empty());
    // Out of range: a clear error, exit 2.
    run(&["prove", "--db", db, "--seq", "13", "--size", "12"], 2);
    magnetar()
        .args(["audit", "prove", "--db", db])
        .assert()
        .code(2);
}

#[test]
fn verify_against_a_checkpoint_names_the_rewritten_event() {
    let s = setup();
    let db = s.db.to_str().unwrap();
    let note = s.note.to_str().unwrap();
    let against_checkpoint = |code| {
        let args = [
            "verify",
            "--db",
            db,
            "--checkpoint",
            note,
            "--verifier-key",
            &s.vkey,
        ];
        run(&args, code)
    };
    against_checkpoint(0);
    // The key holder deletes the tail from seq 7 and records other events in its place.
    rusqlite::Connection::open(&s.db)
        .unwrap()
        .execute_batch(
            "DELETE FROM audit_events WHERE seq >= 7; DELETE FROM audit_lookup WHERE seq >= 7;",
        )
        .unwrap();
    {
        let pool = Pool::open(&s.db, PoolConfig::default()).unwrap();
        let log =
            AuditLog::open(&pool, AuditKey::parse(KEY).unwrap(), AuditConfig::default()).unwrap();
        for _ in 7..=12 {
            log.record(&NewEvent::new("login").user("mallory")).unwrap();
        }
    }
    run(&["verify", "--db", db], 0);
    let r = against_checkpoint(1);
    assert_eq!(r["first_problem"]["seq"], 7);
    assert_eq!(r["first_problem"]["kind"], "checkpoint_mismatch");
}
