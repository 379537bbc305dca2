//! `magnetar tour`: all five components on one scratch database, explained as it goes.
//!
//! Every step calls the same core API an application would; the tour only chooses demo
//! inputs and describes what happened.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::thread;
use std::time::{Duration, Instant};

use clap::Args;
use magnetar_core::audit::{
    AuditConfig, AuditKey, AuditLog, Filter, NewEvent, ProblemKind, verify_sealed_export_file,
};
use magnetar_core::breach::{BreachChecker, BreachConfig, BreachStatus, IndexBuilder};
use magnetar_core::password::{self, HashTable, PasswordHasher, Policy};
use magnetar_core::pool::{Pool, PoolConfig, PoolStats};
use magnetar_core::session::{FingerprintKey, RequestContext, SessionConfig, SessionRegistry};
use magnetar_core::tlog::merkle::{leaf_hash, verify_inclusion};
use magnetar_core::tlog::{NoteSigner, checkpoint};
use magnetar_core::{Error, ErrorKind};
use serde_json::{Map, Value, json};
use zeroize::Zeroizing;

use crate::audit_cmd::event_line;
use crate::output::{CliError, CmdResult, Report, plural, thousands};

/// Arguments of `magnetar tour`.
#[derive(Debug, Args)]
pub struct TourArgs {
    /// Keep the tour's database at PATH (which must not exist yet) instead of a
    /// temporary directory deleted at the end; the demo audit key is then printed so
    /// you can inspect it with `magnetar audit`.
    #[arg(long, value_name = "PATH")]
    db: Option<PathBuf>,
}

/// The tour's narrator: prints as it goes (text mode) and collects a JSON summary.
struct Tour {
    json: bool,
    summary: Map<String, Value>,
}

impl Tour {
    fn heading(&self, title: &str) {
        self.say(format!("\n== {title} =="));
    }

    /// Prints one paragraph in text mode. A reader that closed the pipe (`magnetar tour
    /// | head`) is not an error: the tour goes on silently.
    fn say(&self, text: impl AsRef<str>) {
        if !self.json {
            let _ = writeln!(std::io::stdout(), "{}", text.as_ref());
        }
    }

    fn record(&mut self, section: &str, value: Value) {
        self.summary.insert(section.to_owned(), value);
    }
}

/// Runs the tour.
pub fn run(args: &TourArgs, json: bool) -> CmdResult {
    // Scratch space for the breach index and the tampered copy; the database too unless
    // --db. Deleted when dropped, at the end of the tour.
    let scratch = tempfile::Builder::new()
        .prefix("magnetar-tour-")
        .tempdir()
        .map_err(|e| CliError::io("cannot create a temporary directory", e))?;
    let db_path = match &args.db {
        Some(path) if path.exists() => {
            return Err(CliError::usage(format!(
                "{} already exists; the tour only writes to a new file (choose another --db PATH)",
                path.display()
            )));
        }
        Some(path) => path.clone(),
        None => scratch.path().join("tour.db"),
    };

    let mut tour = Tour {
        json,
        summary: Map::new(),
    };
    tour.say("Magnetar tour: the five components, working on one SQLite file.");
    tour.say(format!(
        "Database: {}{}",
        db_path.display(),
        if args.db.is_some() {
            " (kept after the tour)"
        } else {
            " (temporary, deleted at the end; use --db PATH to keep it)"
        }
    ));
    tour.record("database", json!(db_path.display().to_string()));

    let pool = Pool::open(&db_path, PoolConfig::default())?;
    pool_section(&mut tour, &pool)?;
    let (log, key) = audit_open_section(&mut tour, &pool, args.db.is_some())?;
    password_section(&mut tour, &pool, &log)?;
    breach_section(&mut tour, scratch.path(), &log)?;
    session_section(&mut tour, &pool, &log)?;
    audit_trail_section(&mut tour, &pool, &log, &key, scratch.path())?;
    transparency_section(&mut tour, &pool, &log, &key, scratch.path())?;
    log.close()?;
    pool.close(Duration::from_secs(5))?;

    tour.say("\nTour finished: every component did its job, and the tampering and the rewrite were caught.");
    tour.summary.insert("ok".into(), json!(true));
    Ok(if json {
        Report::new(Value::Object(tour.summary), String::new())
    } else {
        Report::streamed()
    })
}

const WRITER_THREADS: usize = 4;
const WRITES_PER_THREAD: usize = 50;
const READER_THREADS: usize = 4;
const READS_PER_THREAD: usize = 100;

/// Several threads write and read at once through one pool.
fn pool_section(tour: &mut Tour, pool: &Pool) -> Result<(), CliError> {
    tour.heading("1. Connection pool: concurrent reads and writes on one SQLite file");
    tour.say(format!(
        "{WRITER_THREADS} threads each insert {WRITES_PER_THREAD} rows (one transaction per row) while \
         {READER_THREADS} threads each run {READS_PER_THREAD} queries, all through one Pool."
    ));
    pool.write(|tx| {
        tx.execute_batch(
            "CREATE TABLE tour_orders (
                 id INTEGER PRIMARY KEY,
                 worker INTEGER NOT NULL,
                 amount INTEGER NOT NULL
             )",
        )?;
        Ok(())
    })?;

    let started = Instant::now();
    let outcomes: Vec<magnetar_core::Result<()>> = thread::scope(|s| {
        let mut handles = Vec::new();
        for worker in 0..WRITER_THREADS {
            handles.push(s.spawn(move || {
                for i in 0..WRITES_PER_THREAD {
                    pool.write(|tx| {
                        tx.execute(
                            "INSERT INTO tour_orders (worker, amount) VALUES (?1, ?2)",
                            (worker as i64, (i as i64 + 1) * 10),
                        )?;
                        Ok(())
                    })?;
                }
                Ok(())
            }));
        }
        for _ in 0..READER_THREADS {
            handles.push(s.spawn(move || {
                for _ in 0..READS_PER_THREAD {
                    pool.read(|conn| {
                        let _: (i64, i64) = conn.query_row(
                            "SELECT count(*), coalesce(sum(amount), 0) FROM tour_orders",
                            [],
                            |r| Ok((r.get(0)?, r.get(1)?)),
                        )?;
                        Ok(())
                    })?;
                }
                Ok(())
            }));
        }
        handles
            .into_iter()
            .map(|h| {
                h.join()
                    .unwrap_or_else(|_| Err(Error::Internal("a tour thread panicked".into())))
            })
            .collect()
    });
    let elapsed = started.elapsed();
    for outcome in outcomes {
        outcome?;
    }
    let rows: i64 = pool
        .read(|conn| Ok(conn.query_row("SELECT count(*) FROM tour_orders", [], |r| r.get(0))?))?;
    let stats = pool.stats();

    tour.say(format!(
        "Done in {} ms: {} rows written, {} reads, no \"database is locked\" error \
         (writes queue for the single writer; readers work on WAL snapshots in parallel).",
        elapsed.as_millis(),
        thousands(rows as u64),
        thousands((READER_THREADS * READS_PER_THREAD) as u64),
    ));
    tour.say(describe_stats(&stats));
    tour.record(
        "pool",
        json!({
            "writer_threads": WRITER_THREADS,
            "reader_threads": READER_THREADS,
            "rows_written": rows,
            "reads": READER_THREADS * READS_PER_THREAD,
            "elapsed_ms": elapsed.as_millis() as u64,
            "stats": stats,
        }),
    );
    Ok(())
}

/// The pool's stats in words.
fn describe_stats(s: &PoolStats) -> String {
    format!(
        "Pool stats: {} connections opened ({} readers of at most {}, plus the writer); \
         {} checkouts, {} timed out; wait for a connection p50 {} µs, p95 {} µs, max {} µs; \
         now {} idle, {} in use.",
        s.created,
        s.readers_open,
        s.max_readers,
        thousands(s.acquires),
        s.acquire_timeouts,
        s.wait_p50.as_micros(),
        s.wait_p95.as_micros(),
        s.wait_max.as_micros(),
        s.idle,
        s.in_use,
    )
}

/// Opens the audit log that records everything that follows, under a fresh demo key.
fn audit_open_section(
    tour: &mut Tour,
    pool: &Pool,
    kept: bool,
) -> Result<(Arc<AuditLog>, AuditKey), CliError> {
    tour.heading("2. Audit log: everything below is recorded, encrypted and chained");
    let bytes = Zeroizing::new(magnetar_core::random::bytes::<32>()?);
    let key = AuditKey::from_bytes(bytes.as_slice())?;
    let log = Arc::new(AuditLog::open(pool, key.clone(), AuditConfig::default())?);
    tour.say(
        "Opened the audit log with a demo key generated for this tour. Each event's fields \
         are encrypted with AES-256-GCM; user and action stay searchable through blind \
         indexes; an HMAC chain links every event to the one before.",
    );
    if kept {
        let hex: String = bytes.iter().map(|b| format!("{b:02x}")).collect();
        tour.say(format!(
            "Demo key (only for this demo database): MAGNETAR_AUDIT_KEY={hex}\n\
             Try afterwards: MAGNETAR_AUDIT_KEY={hex} magnetar audit query --db {}",
            pool.path().display()
        ));
        tour.record("demo_audit_key", json!(hex));
    }
    log.record(
        &NewEvent::new("pool.demo")
            .status("success")
            .details(json!({ "rows_written": WRITER_THREADS * WRITES_PER_THREAD })),
    )?;
    Ok((log, key))
}

/// hex SHA-256 of "hunter2": what an old system stored for alice (unsalted and fast:
/// the kind of hash Magnetar exists to retire).
const ALICE_LEGACY_SHA256: &str =
    "f52fbd32b2b3b86ff88ef6c490628285f482af15ddcb29541f94bcf526a3f6c7";
/// hex SHA-256 of "letmein" (bob).
const BOB_LEGACY_SHA256: &str = "1c8bfe8f801d79745c4631d09fff36c82aa37fc4cce4fc946683d7b336b63032";
/// md5-crypt of "Hello world!" (carol).
const CAROL_LEGACY_MD5_CRYPT: &str = "$1$saltstri$YMyguxXMBpd2TEZ.vS/3q1";

fn stored_hash(pool: &Pool, user: &str) -> Result<String, CliError> {
    Ok(pool.read(|c| {
        Ok(c.query_row(
            "SELECT password_hash FROM users WHERE name = ?1",
            [user],
            |r| r.get(0),
        )?)
    })?)
}

/// A legacy SHA-256 login upgraded to Argon2id, and the other legacy rows wrapped.
fn password_section(tour: &mut Tour, pool: &Pool, log: &AuditLog) -> Result<(), CliError> {
    tour.heading("3. Passwords: a legacy SHA-256 login upgraded to Argon2id");
    // OWASP's Argon2id parameters, plus the one legacy format this database used.
    let hasher = PasswordHasher::new(Policy::owasp().with_legacy_digests(&["sha256"])?)?;
    let p = hasher.policy();
    tour.say(format!(
        "Policy: new hashes are Argon2id with OWASP's parameters (m={} KiB, t={}, p={}); \
         old unsalted SHA-256 digests are accepted only to verify and upgrade them.",
        p.memory_kib, p.iterations, p.parallelism
    ));
    pool.write(|tx| {
        tx.execute_batch(
            "CREATE TABLE users (id INTEGER PRIMARY KEY, name TEXT UNIQUE NOT NULL, password_hash TEXT)",
        )?;
        for (name, hash) in [
            ("alice", ALICE_LEGACY_SHA256),
            ("bob", BOB_LEGACY_SHA256),
            ("carol", CAROL_LEGACY_MD5_CRYPT),
        ] {
            tx.execute(
                "INSERT INTO users (name, password_hash) VALUES (?1, ?2)",
                [name, hash],
            )?;
        }
        Ok(())
    })?;
    let before = hasher.identify(ALICE_LEGACY_SHA256)?.name();
    tour.say(format!(
        "alice's account was imported from an old system that stored an unsalted SHA-256 \
         digest ({before}): {}...",
        &ALICE_LEGACY_SHA256[..16]
    ));

    let wrong = hasher.verify_and_update("hunter3", ALICE_LEGACY_SHA256)?;
    log.record(
        &NewEvent::new("login")
            .user("alice")
            .status("failure")
            .client("203.0.113.7", "tour"),
    )?;
    tour.say(format!(
        "Login with a wrong password: {} (recorded in the audit log as a failed login).",
        if wrong.valid {
            "accepted?!"
        } else {
            "rejected"
        }
    ));

    let outcome = hasher.verify_and_update("hunter2", ALICE_LEGACY_SHA256)?;
    let new_hash = outcome
        .new_hash
        .clone()
        .ok_or_else(|| Error::Internal("the legacy hash was not upgraded".into()))?;
    let replaced = pool.write(|tx| {
        Ok(tx.execute(
            "UPDATE users SET password_hash = ?1 WHERE name = 'alice' AND password_hash = ?2",
            [&new_hash, ALICE_LEGACY_SHA256],
        )?)
    })?;
    log.record(
        &NewEvent::new("login")
            .user("alice")
            .status("success")
            .client("203.0.113.7", "tour")
            .details(json!({ "password_upgraded_from": before })),
    )?;
    let after = hasher.identify(&stored_hash(pool, "alice")?)?.name();
    let still_valid = hasher.verify("hunter2", &stored_hash(pool, "alice")?)?;
    tour.say(format!(
        "Login with the right password: {}; the stored hash was replaced ({replaced} row) by \
         {after}: {}...",
        if outcome.valid {
            "accepted"
        } else {
            "rejected"
        },
        &new_hash[..new_hash.len().min(40)]
    ));
    tour.say(format!(
        "The next login verifies against the new hash: {}.",
        if still_valid { "accepted" } else { "rejected" }
    ));

    tour.say(
        "bob and carol have not logged in yet. Instead of waiting, their legacy hashes are \
         wrapped now (Argon2id over the old hash, no password needed), in batches:",
    );
    let upgrade = password::upgrade_table(
        &hasher,
        pool,
        &HashTable::new("users", "password_hash"),
        2,
        |_| {},
    )?;
    let carol = hasher.identify(&stored_hash(pool, "carol")?)?.name();
    tour.say(format!(
        "upgrade-table: {} rows scanned, {} wrapped, {} already Argon2id. carol's hash is now \
         {carol}; her next login replaces it with plain Argon2id.",
        upgrade.scanned, upgrade.wrapped, upgrade.current
    ));
    log.record(
        &NewEvent::new("password.upgrade_table")
            .status("success")
            .details(json!({ "wrapped": upgrade.wrapped, "current": upgrade.current })),
    )?;
    tour.record(
        "password",
        json!({
            "argon2_memory_kib": hasher.policy().memory_kib,
            "argon2_iterations": hasher.policy().iterations,
            "legacy_scheme": before,
            "wrong_password_accepted": wrong.valid,
            "right_password_accepted": outcome.valid,
            "upgraded_scheme": after,
            "upgraded_hash_verifies": still_valid,
            "table_upgrade": upgrade,
        }),
    );
    Ok(())
}

/// The sample corpus shipped in the repository (`data/pwned-sample.txt`), embedded so the
/// tour works from any directory and needs no network.
const PWNED_SAMPLE: &str = include_str!("../../data/pwned-sample.txt");

/// Breached and safe passwords checked against an offline index built from the sample.
fn breach_section(tour: &mut Tour, scratch: &Path, log: &AuditLog) -> Result<(), CliError> {
    tour.heading("4. Breach check: an offline index built from a sample corpus");
    let corpus = scratch.join("pwned-sample.txt");
    std::fs::write(&corpus, PWNED_SAMPLE)
        .map_err(|e| CliError::io(format!("cannot write {}", corpus.display()), e))?;
    let index = scratch.join("pwned-sample.idx");
    let stats = IndexBuilder::new().build(&corpus, &index)?;
    tour.say(format!(
        "Built an index of {} hashes ({} bytes) from the sample shipped in data/pwned-sample.txt \
         (same HASH:COUNT format as the real ~40 GB Pwned Passwords corpus; its counts are \
         illustrative).",
        stats.distinct_hashes,
        thousands(stats.file_bytes)
    ));
    let checker = BreachChecker::new(BreachConfig {
        online: false,
        offline_index: Some(index),
        ..BreachConfig::default()
    })?;
    tour.say(
        "Offline only: the tour never touches the network. (Online, only the first 5 hex \
         digits of the password's SHA-1 would leave the machine.)",
    );
    let mut results = Vec::new();
    for candidate in ["password", "P@ssw0rd", "violet-anchor-93-quietly"] {
        let result = checker.check(candidate);
        let (status, count, words) = match &result.status {
            BreachStatus::Breached { count } => (
                "breached",
                *count,
                format!("BREACHED, seen about {} times", thousands(*count)),
            ),
            BreachStatus::NotFound => ("not_found", 0, "not found".to_string()),
            BreachStatus::Unknown { reason } => ("unknown", 0, format!("unknown ({reason})")),
        };
        tour.say(format!("  {candidate:<26} -> {words}"));
        // The audit event never carries the password.
        log.record(
            &NewEvent::new("password.breach_check")
                .user("alice")
                .status(status)
                .details(json!({ "count": count, "source": "offline" })),
        )?;
        results.push(json!({ "password": candidate, "status": status, "count": count }));
    }
    tour.record(
        "breach",
        json!({
            "index_hashes": stats.distinct_hashes,
            "index_bytes": stats.file_bytes,
            "offline_only": true,
            "checks": results,
        }),
    );
    Ok(())
}

const CHROME_WINDOWS: &str = "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 \
                              (KHTML, like Gecko) Chrome/120.0.0.0 Safari/537.36";
const FIREFOX_LINUX: &str =
    "Mozilla/5.0 (X11; Linux x86_64; rv:121.0) Gecko/20100101 Firefox/121.0";

/// One session whose IP and browser change step by step until it is terminated.
fn session_section(tour: &mut Tour, pool: &Pool, log: &Arc<AuditLog>) -> Result<(), CliError> {
    tour.heading("5. Session risk: the same session seen from more and more different places");
    let registry = SessionRegistry::open(
        pool.clone(),
        SessionConfig::new(FingerprintKey::generate()?),
    )?
    .with_audit(log.clone());
    let start = RequestContext::new("203.0.113.7", CHROME_WINDOWS)?
        .with_header("accept-language", "en-US")?;
    let (token, session) = registry.create("alice", &start)?;
    tour.say(format!(
        "alice signs in from 203.0.113.7 with Chrome on Windows: session {} (only a hash of \
         its token is stored).",
        &session.id[..12]
    ));

    let steps: [(&str, &str, &str, &str); 4] = [
        (
            "same network, new address",
            "203.0.113.42",
            CHROME_WINDOWS,
            "en-US",
        ),
        (
            "a different browser",
            "203.0.113.42",
            FIREFOX_LINUX,
            "en-US",
        ),
        (
            "and another network",
            "198.51.100.23",
            FIREFOX_LINUX,
            "en-US",
        ),
        (
            "and a different language",
            "198.51.100.23",
            FIREFOX_LINUX,
            "de-DE",
        ),
    ];
    let mut decisions = Vec::new();
    for (what, ip, ua, language) in steps {
        let ctx = RequestContext::new(ip, ua)?.with_header("accept-language", language)?;
        let validation = registry.validate(token.as_str(), &ctx)?;
        let a = &validation.assessment;
        let reasons: Vec<&str> = a.reasons.iter().map(|r| r.signal.as_str()).collect();
        tour.say(format!(
            "  {what:<27} score {:.2} -> {:<9} ({})",
            a.score,
            a.decision.as_str(),
            if reasons.is_empty() {
                "no change".to_string()
            } else {
                reasons.join(" + ")
            }
        ));
        decisions.push(json!({
            "step": what,
            "ip": ip,
            "score": a.score,
            "decision": a.decision.as_str(),
            "reasons": reasons,
        }));
    }
    let after = registry.validate(token.as_str(), &start);
    let revoked = matches!(&after, Err(e) if e.kind() == ErrorKind::SessionRevoked);
    tour.say(format!(
        "The terminated session is revoked: even the original browser now gets {}.",
        match &after {
            Err(e) => format!("\"{e}\""),
            Ok(_) => "in (unexpected)".to_string(),
        }
    ));
    tour.say("Every monitor, step-up and terminate decision went to the audit log.");
    tour.record(
        "session",
        json!({ "steps": decisions, "revoked_after_terminate": revoked }),
    );
    Ok(())
}

/// Width at which the tour cuts audit lines.
const TRAIL_WIDTH: usize = 150;

/// The audit trail of the whole tour, verified; then a tampered copy caught.
fn audit_trail_section(
    tour: &mut Tour,
    pool: &Pool,
    log: &AuditLog,
    key: &AuditKey,
    scratch: &Path,
) -> Result<(), CliError> {
    tour.heading("6. Audit trail: what happened, verified, and a tampered copy caught");
    let events = log.query(&Filter::default())?;
    for e in &events {
        // Details (scores, reasons) make long lines; `magnetar audit query` shows them all.
        let line = event_line(e);
        match line.char_indices().nth(TRAIL_WIDTH) {
            Some((cut, _)) => tour.say(format!("  {}...", &line[..cut])),
            None => tour.say(format!("  {line}")),
        }
    }
    let report = log.verify()?;
    let head = log.head()?;
    tour.say(format!(
        "verify: {} {} decrypted, authenticated and chained: {}. Head: seq {}, chain {}...",
        report.checked,
        plural(report.checked, "event"),
        if report.ok {
            "OK, no tampering"
        } else {
            "PROBLEM"
        },
        head.seq,
        &head.chain_hex[..16.min(head.chain_hex.len())]
    ));

    // A consistent copy of the live database, then an "attacker" edits one row with SQL.
    let copy = copy_database(pool, &scratch.join("tampered-copy.db"))?;
    let failed = log
        .query(&Filter {
            action: Some("login".into()),
            ..Filter::default()
        })?
        .into_iter()
        .map(|e| (e.seq, e.status))
        .collect::<Vec<_>>();
    let failure_seq = failed
        .iter()
        .find(|(_, s)| s.as_deref() == Some("failure"))
        .map(|(seq, _)| *seq);
    let success_seq = failed
        .iter()
        .find(|(_, s)| s.as_deref() == Some("success"))
        .map(|(seq, _)| *seq);
    let (Some(failure_seq), Some(success_seq)) = (failure_seq, success_seq) else {
        return Err(Error::Internal("the tour's login events are missing".into()).into());
    };
    let copy_pool = Pool::open(&copy, PoolConfig::default())?;
    copy_pool.write(|tx| {
        tx.execute(
            "UPDATE audit_events SET fields = (SELECT fields FROM audit_events WHERE seq = ?1) \
             WHERE seq = ?2",
            [success_seq as i64, failure_seq as i64],
        )?;
        Ok(())
    })?;
    tour.say(format!(
        "Copied the database and, in the copy, rewrote event #{failure_seq} with SQL: its \
         encrypted fields were replaced by those of event #{success_seq}, to turn the failed \
         login into a successful one."
    ));
    let copy_log = AuditLog::open(&copy_pool, key.clone(), AuditConfig::default())?;
    let tampered = copy_log.verify()?;
    match &tampered.first_problem {
        Some(p) => tour.say(format!(
            "verify on the copy: TAMPERED at event #{} ({}): {}. {} {} verified before it. \
             (`magnetar audit verify` exits with code 1 here; the tour expected it and goes on.)",
            p.seq,
            json!(p.kind).as_str().unwrap_or("problem"),
            p.detail,
            tampered.checked,
            plural(tampered.checked, "event")
        )),
        None => tour.say("verify on the copy: no problem found (unexpected!)"),
    }
    copy_log.close()?;
    copy_pool.close(Duration::from_secs(5))?;
    tour.record(
        "audit",
        json!({
            "events": events.len(),
            "verify": report,
            "head": head,
            "tampered_copy": { "edited_seq": failure_seq, "verify": tampered },
        }),
    );
    if !report.ok || tampered.ok {
        return Err(CliError {
            kind: "tour",
            message: "the audit log did not verify as expected".into(),
            code: 1,
        });
    }
    Ok(())
}

/// A consistent copy of the live database at `copy` (`VACUUM INTO`, on the writer so that
/// no transaction is half in it).
fn copy_database(pool: &Pool, copy: &Path) -> Result<PathBuf, CliError> {
    let writer = pool.writer()?;
    writer
        .execute("VACUUM INTO ?1", [copy.display().to_string()])
        .map_err(Error::from)?;
    Ok(copy.to_path_buf())
}

/// A signed checkpoint of the trail, checked from public data; then a rewrite by someone
/// holding the key (which `verify()` cannot see) caught against it.
fn transparency_section(
    tour: &mut Tour,
    pool: &Pool,
    log: &AuditLog,
    key: &AuditKey,
    scratch: &Path,
) -> Result<(), CliError> {
    tour.heading("7. Transparency: a signed checkpoint anyone can verify, and a rewrite caught");
    let signer = NoteSigner::generate("tour.magnetar.example/audit")?;
    let verifier = signer.verifier();
    let note = log.checkpoint(&[&signer])?;
    let (cp, _) = checkpoint::open(&note, std::slice::from_ref(&verifier))?;
    tour.say(format!(
        "Signed a checkpoint (C2SP signed note, Ed25519) of the Merkle tree over all {} events:",
        cp.size
    ));
    for line in note.lines() {
        tour.say(format!("  | {line}"));
    }
    tour.say(format!("Verifier key, for auditors: {verifier}"));

    let sealed = scratch.join("sealed.jsonl");
    log.export_sealed_to_path(&sealed, false)?;
    let export = verify_sealed_export_file(&sealed, &note, &verifier)?;
    let seq = cp.size.div_ceil(2);
    let proof = log.inclusion_proof(seq, cp.size)?;
    let included = verify_inclusion(
        seq - 1,
        cp.size,
        &leaf_hash(&log.leaf(seq)?),
        &proof,
        &cp.root,
    )
    .is_ok();
    tour.say(format!(
        "Without the key: the sealed export ({} leaf lines, no plaintext) hashes to the signed root: {}; event #{seq} is in the tree by a {}-hash inclusion proof: {}. (`magnetar audit verify-export` and `magnetar audit prove` do this.)",
        export.checked,
        if export.ok { "OK" } else { "NOT VERIFIED" },
        proof.len(),
        if included { "OK" } else { "NOT VERIFIED" },
    ));

    // A copy in which someone holding the key rewrites history from `from` on: the
    // library rebuilds the chain for them, so the log's own verify() passes.
    let copy = copy_database(pool, &scratch.join("rewritten-copy.db"))?;
    let from = cp.size.saturating_sub(2).max(1);
    let copy_pool = Pool::open(&copy, PoolConfig::default())?;
    copy_pool.write(|tx| {
        tx.execute("DELETE FROM audit_events WHERE seq >= ?1", [from as i64])?;
        tx.execute("DELETE FROM audit_lookup WHERE seq >= ?1", [from as i64])?;
        Ok(())
    })?;
    let copy_log = AuditLog::open(&copy_pool, key.clone(), AuditConfig::default())?;
    for _ in from..=cp.size {
        copy_log.record(&NewEvent::new("login").user("mallory").status("success"))?;
    }
    let chain = copy_log.verify()?;
    let against = copy_log.verify_checkpoint(&note, &verifier)?;
    tour.say(format!(
        "In a copy, someone with the key deleted events #{from}-#{} and recorded others in their place. verify() on the copy: {} (the chain was rebuilt). Against the checkpoint: {}",
        cp.size,
        if chain.ok { "OK" } else { "PROBLEM" },
        match &against.first_problem {
            Some(p) => format!("CAUGHT at event #{}: {}", p.seq, p.detail),
            None => "not caught (unexpected!)".into(),
        }
    ));
    copy_log.close()?;
    copy_pool.close(Duration::from_secs(5))?;
    let caught = against
        .first_problem
        .as_ref()
        .is_some_and(|p| p.kind == ProblemKind::CheckpointMismatch && p.seq == from);
    tour.record(
        "transparency",
        json!({
            "checkpoint": note,
            "verifier_key": verifier.to_string(),
            "sealed_export": export,
            "inclusion_proof_ok": included,
            "rewrite": { "from_seq": from, "verify": chain, "verify_checkpoint": against },
        }),
    );
    if !export.ok || !included || !chain.ok || !caught {
        return Err(CliError {
            kind: "tour",
            message: "the transparency log did not verify as expected".into(),
            code: 1,
        });
    }
    Ok(())
}
