//! Durability: a child process records events and prints each id once `record` (sync
//! mode) or `flush` (batched mode) has returned; the parent kills it with SIGKILL
//! mid-stream. Every acknowledged event must be in the database, and the log must verify.
//!
//! The child is this same test binary, re-run with `AUDIT_CHILD_DB` set, executing only
//! the ignored test `child_entry`.

mod audit_common;

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use audit_common::*;
use magnetar_core::audit::{AuditConfig, AuditLog, BatchConfig, Filter, WriteMode};

const CHILD_DB: &str = "AUDIT_CHILD_DB";
const CHILD_MODE: &str = "AUDIT_CHILD_MODE";

/// Runs only as the child (started with `--ignored`): records until killed.
#[test]
#[ignore = "child process of the durability tests"]
fn child_entry() {
    let path = std::env::var(CHILD_DB).expect("AUDIT_CHILD_DB names the database");
    let batched = std::env::var(CHILD_MODE).as_deref() == Ok("batched");
    let pool = pool(std::path::Path::new(&path));
    let mode = if batched {
        WriteMode::Batched(BatchConfig::default())
    } else {
        WriteMode::Synchronous
    };
    let log = AuditLog::open(
        &pool,
        key(1),
        AuditConfig {
            mode,
            ..Default::default()
        },
    )
    .unwrap();
    let mut unacked = Vec::new();
    for i in 0.. {
        let id = log.record(&event(i)).unwrap();
        if batched {
            unacked.push(id);
            if unacked.len() == 25 {
                log.flush().unwrap();
                for id in unacked.drain(..) {
                    println!("ACK {id}");
                }
            }
        } else {
            println!("ACK {id}");
        }
    }
}

fn run_and_kill(batched: bool) {
    let (_d, path) = temp_db();
    // Create the log first so the child only appends.
    drop(open(&pool(&path)));
    let mut child = Command::new(std::env::current_exe().unwrap())
        .args([
            "--exact",
            "child_entry",
            "--ignored",
            "--nocapture",
            "--test-threads=1",
        ])
        .env(CHILD_DB, &path)
        .env(CHILD_MODE, if batched { "batched" } else { "sync" })
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    let mut acked = Vec::new();
    let started = Instant::now();
    while acked.len() < 400 && started.elapsed() < Duration::from_secs(60) {
        match lines.next() {
            Some(Ok(line)) => {
                if let Some(id) = line.strip_prefix("ACK ") {
                    acked.push(id.to_string());
                }
            }
            _ => break,
        }
    }
    child.kill().unwrap(); // SIGKILL on Unix: no destructor, no flush runs.
    child.wait().unwrap();
    // Acknowledgements already printed before the kill count too.
    for line in lines.map_while(Result::ok) {
        if let Some(id) = line.strip_prefix("ACK ") {
            acked.push(id.to_string());
        }
    }
    assert!(
        acked.len() >= 400,
        "child acknowledged only {} events",
        acked.len()
    );

    let log = open(&pool(&path));
    let stored: std::collections::HashSet<String> = log
        .query(&Filter::default())
        .unwrap()
        .into_iter()
        .map(|e| e.event_id)
        .collect();
    let missing: Vec<_> = acked.iter().filter(|id| !stored.contains(*id)).collect();
    assert!(
        missing.is_empty(),
        "{} acknowledged events lost: {missing:?}",
        missing.len()
    );
    let r = log.verify().unwrap();
    assert!(r.ok, "{r:?}");
    assert!(r.checked >= acked.len() as u64);
}

#[test]
fn sigkill_loses_no_synchronously_recorded_event() {
    run_and_kill(false);
}

#[test]
fn sigkill_loses_no_flushed_batched_event() {
    run_and_kill(true);
}
