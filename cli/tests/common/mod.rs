//! Helpers shared by the CLI's integration tests: they run the real `magnetar` binary.

#![allow(dead_code)] // Each test file uses a different subset of these helpers.

use std::path::{Path, PathBuf};

use assert_cmd::Command;
use serde_json::Value;

/// The `magnetar` binary built for this test run.
pub fn magnetar() -> Command {
    let mut cmd = assert_cmd::cargo::cargo_bin_cmd!("magnetar");
    // Tests must never depend on the developer's environment.
    cmd.env_remove("MAGNETAR_AUDIT_KEY");
    cmd.env_remove("MAGNETAR_AUDIT_NEW_KEY");
    cmd
}

/// Runs `magnetar --json ARGS`, asserts the exit code and parses stdout as one JSON doc.
pub fn json_run(args: &[&str], stdin: Option<&str>, code: i32) -> Value {
    let mut cmd = magnetar();
    cmd.arg("--json").args(args);
    if let Some(input) = stdin {
        cmd.write_stdin(input);
    }
    let out = cmd.assert().code(code).get_output().clone();
    let text = String::from_utf8(out.stdout).expect("stdout is UTF-8");
    serde_json::from_str(&text).unwrap_or_else(|e| {
        panic!(
            "stdout of {args:?} is not one JSON document ({e}):\n{text}\nstderr:\n{}",
            String::from_utf8_lossy(&out.stderr)
        )
    })
}

/// The repository root (the CLI crate lives in `cli/`).
pub fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("cli/ has a parent")
        .to_path_buf()
}

/// Asserts a JSON error document (`{"ok": false, "error": {"kind": K, ...}}`).
pub fn assert_error_kind(doc: &Value, kind: &str) {
    assert_eq!(doc["ok"], Value::Bool(false), "{doc}");
    assert_eq!(doc["error"]["kind"], Value::String(kind.into()), "{doc}");
    assert!(
        doc["error"]["message"]
            .as_str()
            .is_some_and(|m| !m.is_empty()),
        "{doc}"
    );
}
