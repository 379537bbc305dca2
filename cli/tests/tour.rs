//! `magnetar tour`: the README's main job, run end to end.

mod common;

use common::{json_run, magnetar};
use predicates::str::contains;
use serde_json::Value;

#[test]
fn tour_walks_through_every_section_and_exits_0() {
    magnetar()
        .arg("tour")
        .assert()
        .success()
        .stdout(contains("1. Connection pool"))
        .stdout(contains("no \"database is locked\" error"))
        .stdout(contains("2. Audit log"))
        .stdout(contains("3. Passwords"))
        .stdout(contains("replaced (1 row) by argon2id"))
        .stdout(contains("4. Breach check"))
        .stdout(contains("password                   -> BREACHED"))
        .stdout(contains("violet-anchor-93-quietly   -> not found"))
        .stdout(contains("5. Session risk"))
        .stdout(contains("-> terminate"))
        .stdout(contains("6. Audit trail"))
        .stdout(contains("OK, no tampering"))
        .stdout(contains("verify on the copy: TAMPERED"))
        .stdout(contains("7. Transparency"))
        .stdout(contains("hashes to the signed root: OK"))
        .stdout(contains("Against the checkpoint: CAUGHT"))
        .stdout(contains("Tour finished"));
}

#[test]
fn tour_json_reports_each_section() {
    let doc = json_run(&["tour"], None, 0);
    assert_eq!(doc["ok"], Value::Bool(true));
    assert_eq!(doc["pool"]["rows_written"], 200);
    assert_eq!(doc["pool"]["stats"]["acquire_timeouts"], 0);

    assert_eq!(doc["password"]["legacy_scheme"], "hex_sha256");
    assert_eq!(doc["password"]["wrong_password_accepted"], false);
    assert_eq!(doc["password"]["right_password_accepted"], true);
    assert_eq!(doc["password"]["upgraded_scheme"], "argon2id");
    assert_eq!(doc["password"]["upgraded_hash_verifies"], true);
    assert_eq!(doc["password"]["table_upgrade"]["wrapped"], 2);

    assert_eq!(doc["breach"]["offline_only"], true);
    let statuses: Vec<&str> = doc["breach"]["checks"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["status"].as_str().unwrap())
        .collect();
    assert_eq!(statuses, ["breached", "breached", "not_found"]);

    let decisions: Vec<&str> = doc["session"]["steps"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["decision"].as_str().unwrap())
        .collect();
    assert_eq!(decisions, ["allow", "monitor", "step_up", "terminate"]);
    assert_eq!(doc["session"]["revoked_after_terminate"], true);

    let audit = &doc["audit"];
    assert_eq!(audit["verify"]["ok"], true);
    assert_eq!(audit["verify"]["checked"], audit["events"]);
    assert_eq!(audit["tampered_copy"]["verify"]["ok"], false);
    assert_eq!(
        audit["tampered_copy"]["verify"]["first_problem"]["kind"],
        "field_tampered"
    );
    assert_eq!(
        audit["tampered_copy"]["verify"]["first_problem"]["seq"],
        audit["tampered_copy"]["edited_seq"]
    );
}

#[test]
fn tour_keeps_its_database_with_db_and_refuses_an_existing_file() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("kept.db");
    let db_arg = db.to_str().unwrap();
    let doc = json_run(&["tour", "--db", db_arg], None, 0);
    assert!(db.is_file(), "the tour's database was not kept");
    // The printed demo key opens the kept audit log with the operator's tools.
    let key = doc["demo_audit_key"].as_str().unwrap();
    let out = magnetar()
        .env("MAGNETAR_AUDIT_KEY", key)
        .args(["--json", "audit", "verify", "--db", db_arg])
        .assert()
        .success()
        .get_output()
        .stdout
        .clone();
    let verify: Value = serde_json::from_slice(&out).unwrap();
    assert_eq!(verify["checked"], doc["audit"]["events"]);
    let t = &doc["transparency"];
    assert!(
        t["checkpoint"]
            .as_str()
            .unwrap()
            .contains("tour.magnetar.example/audit")
    );
    assert_eq!(t["sealed_export"]["ok"], Value::Bool(true));
    assert_eq!(t["inclusion_proof_ok"], Value::Bool(true));
    assert_eq!(t["rewrite"]["verify"]["ok"], Value::Bool(true));
    let caught = &t["rewrite"]["verify_checkpoint"]["first_problem"];
    assert_eq!(caught["kind"], "checkpoint_mismatch");
    assert_eq!(caught["seq"], t["rewrite"]["from_seq"]);
    magnetar()
        .args(["tour", "--db", db_arg])
        .assert()
        .code(2)
        .stderr(contains("already exists"));
}
