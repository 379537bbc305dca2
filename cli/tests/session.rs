//! `magnetar session score`.

mod common;

use common::{json_run, magnetar};
use predicates::str::contains;

const BASE: &str = r#"{"ip": "203.0.113.7", "user_agent": "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.0.0 Safari/537.36", "headers": {"accept-language": "en-US"}}"#;
const FIREFOX_ELSEWHERE: &str = r#"{"ip": "198.51.100.20", "user_agent": "Mozilla/5.0 (X11; Linux x86_64; rv:121.0) Gecko/20100101 Firefox/121.0", "headers": {"accept-language": "de-DE"}}"#;

#[test]
fn same_context_is_allowed_with_exit_0() {
    let doc = json_run(&["session", "score", BASE, BASE], None, 0);
    assert_eq!(doc["decision"], "allow");
    assert_eq!(doc["score"], 0.0);
    assert_eq!(doc["reasons"].as_array().unwrap().len(), 0);
}

#[test]
fn new_ip_browser_and_headers_terminate_with_exit_1() {
    let doc = json_run(&["session", "score", BASE, FIREFOX_ELSEWHERE], None, 1);
    assert_eq!(doc["decision"], "terminate");
    assert_eq!(doc["score"], 1.0);
    let signals: Vec<&str> = doc["reasons"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["signal"].as_str().unwrap())
        .collect();
    assert!(signals.contains(&"ip_change"), "{signals:?}");
    assert!(signals.contains(&"user_agent_change"), "{signals:?}");
    assert!(signals.contains(&"fingerprint_mismatch"), "{signals:?}");
}

#[test]
fn contexts_from_a_file_and_stdin_with_human_output() {
    let dir = tempfile::tempdir().unwrap();
    let previous = dir.path().join("previous.json");
    std::fs::write(&previous, BASE).unwrap();
    let other_browser = BASE.replace("Chrome/120.0.0.0 Safari/537.36", "Firefox/121.0");
    magnetar()
        .args(["session", "score", previous.to_str().unwrap(), "-"])
        .write_stdin(other_browser)
        .assert()
        .success()
        .stdout(contains("monitor"))
        .stdout(contains("user_agent"));
}

#[test]
fn a_custom_policy_changes_the_decision() {
    let dir = tempfile::tempdir().unwrap();
    let policy = dir.path().join("policy.json");
    std::fs::write(
        &policy,
        r#"{"thresholds": {"monitor": 0.1, "step_up": 0.2, "terminate": 0.3}}"#,
    )
    .unwrap();
    let moved = BASE.replace("203.0.113.7", "198.51.100.20");
    let doc = json_run(
        &[
            "session",
            "score",
            BASE,
            &moved,
            "--policy",
            policy.to_str().unwrap(),
        ],
        None,
        1,
    );
    assert_eq!(doc["decision"], "terminate");
}

#[test]
fn bad_contexts_and_files_are_usage_errors() {
    let doc = json_run(
        &["session", "score", r#"{"ip": "not-an-ip"}"#, BASE],
        None,
        2,
    );
    common::assert_error_kind(&doc, "usage");
    let doc = json_run(
        &["session", "score", "/no/such/context.json", BASE],
        None,
        2,
    );
    common::assert_error_kind(&doc, "io");
    magnetar()
        .args(["session", "score", "-", "-"])
        .assert()
        .code(2)
        .stderr(contains("only one"));
}
