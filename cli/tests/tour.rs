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
        .stdout(contains("Connection pool"))
        .stdout(contains("no \"database is locked\" error"))
        .stdout(contains("Breach check"))
        .stdout(contains("password                   -> BREACHED"))
        .stdout(contains("violet-anchor-93-quietly   -> not found"))
        .stdout(contains("Session risk"))
        .stdout(contains("-> terminate"))
        .stdout(contains("Tour finished."));
}

#[test]
fn tour_json_reports_each_section() {
    let doc = json_run(&["tour"], None, 0);
    assert_eq!(doc["ok"], Value::Bool(true));
    assert_eq!(doc["pool"]["rows_written"], 200);
    assert_eq!(doc["pool"]["stats"]["acquire_timeouts"], 0);
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
}

#[test]
fn tour_keeps_its_database_with_db_and_refuses_an_existing_file() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("kept.db");
    let db_arg = db.to_str().unwrap();
    magnetar().args(["tour", "--db", db_arg]).assert().success();
    assert!(db.is_file(), "the tour's database was not kept");
    magnetar()
        .args(["tour", "--db", db_arg])
        .assert()
        .code(2)
        .stderr(contains("already exists"));
}
