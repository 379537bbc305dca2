//! Conventions every command shares: help, usage errors, exit codes.

mod common;

use common::magnetar;
use predicates::str::contains;

#[test]
fn help_documents_exit_codes_and_every_command() {
    let assert = magnetar().arg("--help").assert().success();
    let out = String::from_utf8_lossy(&assert.get_output().stdout).into_owned();
    for needle in [
        "Exit codes:",
        "tour",
        "audit",
        "breach",
        "password",
        "session",
        "--json",
    ] {
        assert!(out.contains(needle), "--help lacks {needle:?}:\n{out}");
    }
}

#[test]
fn every_subcommand_has_help() {
    for path in [
        &["tour"][..],
        &["audit"],
        &["audit", "verify"],
        &["audit", "query"],
        &["audit", "export"],
        &["audit", "head"],
        &["audit", "rotate-key"],
        &["audit", "purge"],
        &["breach"],
        &["breach", "build-index"],
        &["breach", "check"],
        &["password"],
        &["password", "hash"],
        &["password", "verify"],
        &["password", "identify"],
        &["password", "upgrade-table"],
        &["session"],
        &["session", "score"],
    ] {
        magnetar()
            .args(path)
            .arg("--help")
            .assert()
            .success()
            .stdout(contains("Usage: magnetar"));
    }
}

#[test]
fn usage_errors_exit_2_with_a_message_on_stderr() {
    magnetar()
        .arg("no-such-command")
        .assert()
        .code(2)
        .stderr(contains("no-such-command"));
    magnetar().assert().code(2).stderr(contains("Usage"));
}

#[test]
fn version_is_printed() {
    magnetar()
        .arg("--version")
        .assert()
        .success()
        .stdout(contains(env!("CARGO_PKG_VERSION")));
}
