//! `magnetar breach build-index` and `magnetar breach check`.

mod common;

use std::path::PathBuf;

use common::{json_run, magnetar, repo_root};
use predicates::str::contains;

fn sample() -> PathBuf {
    repo_root().join("data/pwned-sample.txt")
}

fn built_index(dir: &tempfile::TempDir) -> PathBuf {
    let index = dir.path().join("pwned.idx");
    let doc = json_run(
        &[
            "breach",
            "build-index",
            sample().to_str().unwrap(),
            "-o",
            index.to_str().unwrap(),
        ],
        None,
        0,
    );
    assert_eq!(doc["rows"], 325);
    assert_eq!(doc["distinct_hashes"], 325);
    assert!(doc["file_bytes"].as_u64().unwrap() > 0);
    index
}

#[test]
fn build_index_prints_a_summary() {
    let dir = tempfile::tempdir().unwrap();
    let index = dir.path().join("top.idx");
    magnetar()
        .args(["breach", "build-index", sample().to_str().unwrap()])
        .args(["-o", index.to_str().unwrap(), "--top", "10"])
        .assert()
        .success()
        .stdout(contains("325 corpus rows read"))
        .stdout(contains("10 distinct hashes kept (top 10)"));
    assert!(index.is_file());
}

#[test]
fn breached_password_exits_1_and_safe_one_exits_0() {
    let dir = tempfile::tempdir().unwrap();
    let index = built_index(&dir);
    let idx = index.to_str().unwrap();
    let doc = json_run(&["breach", "check", "--index", idx], Some("password\n"), 1);
    assert_eq!(doc["status"], "breached");
    assert_eq!(doc["source"], "offline");
    assert!(doc["count"].as_u64().unwrap() > 0);
    let doc = json_run(
        &["breach", "check", "--index", idx],
        Some("violet-anchor-93-quietly\n"),
        0,
    );
    assert_eq!(doc["status"], "not_found");
    magnetar()
        .args(["breach", "check", "--index", idx])
        .write_stdin("letmein\n")
        .assert()
        .code(1)
        .stdout(contains("BREACHED"));
}

#[test]
fn the_password_is_never_taken_from_argv() {
    magnetar()
        .args(["breach", "check", "--index", "x.idx", "password"])
        .assert()
        .code(2)
        .stderr(contains("unexpected argument"));
}

#[test]
fn corrupt_and_missing_index_exit_2() {
    let dir = tempfile::tempdir().unwrap();
    let index = built_index(&dir);
    let mut bytes = std::fs::read(&index).unwrap();
    let last = bytes.len() - 1;
    bytes[last] ^= 0xff;
    let corrupt = dir.path().join("corrupt.idx");
    std::fs::write(&corrupt, &bytes).unwrap();
    let doc = json_run(
        &["breach", "check", "--index", corrupt.to_str().unwrap()],
        Some("password\n"),
        2,
    );
    common::assert_error_kind(&doc, "invalid_index");

    let garbage = dir.path().join("garbage.idx");
    std::fs::write(&garbage, b"not an index at all").unwrap();
    magnetar()
        .args(["breach", "check", "--index", garbage.to_str().unwrap()])
        .write_stdin("password\n")
        .assert()
        .code(2)
        .stderr(contains("invalid breach index"));

    let doc = json_run(
        &["breach", "check", "--index", "/no/such/file.idx"],
        Some("password\n"),
        2,
    );
    common::assert_error_kind(&doc, "usage");
    let doc = json_run(
        &[
            "breach",
            "build-index",
            "/no/such/corpus.txt",
            "-o",
            "out.idx",
        ],
        None,
        2,
    );
    common::assert_error_kind(&doc, "usage");
}

#[test]
fn a_malformed_corpus_names_the_line() {
    let dir = tempfile::tempdir().unwrap();
    let corpus = dir.path().join("bad.txt");
    std::fs::write(
        &corpus,
        "5BAA61E4C9B93F3F0682250B6CF8331B7EE68FD8:3\nthis is not a hash\n",
    )
    .unwrap();
    let out = dir.path().join("bad.idx");
    magnetar()
        .args(["breach", "build-index", corpus.to_str().unwrap(), "-o"])
        .arg(&out)
        .assert()
        .code(2)
        .stderr(contains("line 2"));
}

#[test]
fn no_password_on_stdin_is_a_usage_error() {
    let dir = tempfile::tempdir().unwrap();
    let index = built_index(&dir);
    magnetar()
        .args(["breach", "check", "--index", index.to_str().unwrap()])
        .write_stdin("")
        .assert()
        .code(2)
        .stderr(contains("no secret on stdin"));
}
