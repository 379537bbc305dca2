//! `magnetar tour`: all five components on one scratch database, explained as it goes.
//!
//! Every step calls the same core API an application would; the tour only chooses demo
//! inputs and describes what happened.

use std::path::{Path, PathBuf};
use std::thread;
use std::time::Instant;

use clap::Args;
use magnetar_core::ErrorKind;
use magnetar_core::breach::{BreachChecker, BreachConfig, BreachStatus, IndexBuilder};
use magnetar_core::pool::{Pool, PoolConfig, PoolStats};
use magnetar_core::session::{FingerprintKey, RequestContext, SessionConfig, SessionRegistry};
use serde_json::{Map, Value, json};

use crate::output::{CliError, CmdResult, Report, thousands};

/// Arguments of `magnetar tour`.
#[derive(Debug, Args)]
pub struct TourArgs {
    /// Keep the tour's database at PATH (which must not exist yet) instead of a
    /// temporary directory deleted at the end.
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
        if !self.json {
            println!("\n== {title} ==");
        }
    }

    fn say(&self, text: impl AsRef<str>) {
        if !self.json {
            println!("{}", text.as_ref());
        }
    }

    fn record(&mut self, section: &str, value: Value) {
        self.summary.insert(section.to_owned(), value);
    }
}

/// Runs the tour.
pub fn run(args: &TourArgs, json: bool) -> CmdResult {
    // Scratch space for the breach index; the database too unless --db. Deleted when
    // dropped, at the end of the tour.
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
    breach_section(&mut tour, scratch.path())?;
    session_section(&mut tour, &pool)?;
    pool.close(std::time::Duration::from_secs(5))?;

    tour.say("\nTour finished.");
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
                h.join().unwrap_or_else(|_| {
                    Err(magnetar_core::Error::Internal(
                        "a tour thread panicked".into(),
                    ))
                })
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

/// The sample corpus shipped in the repository (`data/pwned-sample.txt`), embedded so the
/// tour works from any directory and needs no network.
const PWNED_SAMPLE: &str = include_str!("../../data/pwned-sample.txt");

/// Breached and safe passwords checked against an offline index built from the sample.
fn breach_section(tour: &mut Tour, scratch: &Path) -> Result<(), CliError> {
    tour.heading("2. Breach check: an offline index built from a sample corpus");
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
fn session_section(tour: &mut Tour, pool: &Pool) -> Result<(), CliError> {
    tour.heading("3. Session risk: the same session seen from more and more different places");
    let registry = SessionRegistry::open(
        pool.clone(),
        SessionConfig::new(FingerprintKey::generate()?),
    )?;
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
    tour.record(
        "session",
        json!({ "steps": decisions, "revoked_after_terminate": revoked }),
    );
    Ok(())
}
