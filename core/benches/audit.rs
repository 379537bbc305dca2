//! Audit log benchmarks (see docs/bench/audit.md for figures and targets).
//!
//! - `audit/field_encrypt_64b`, `audit/field_decrypt_64b`: one field's AES-256-GCM.
//! - `audit/record_batched`: throughput of batched `record` + `flush` (10,000 events per
//!   iteration: each flush drains the pipeline, so the writer idles while the first
//!   events are encrypted and the recording thread while the last batch commits).
//! - `audit/record_batched_sustained`: the same with one flush per 100,000 events, the
//!   rate a busy host that flushes rarely (say once a second) sees.
//! - `audit/record_sync`: one synchronous `record` (one committed transaction).
//! - `audit/query_user_100`: newest 100 events of one user in a 1,000,000-event log.
//! - `audit/verify_1m`: `verify()` over the 1,000,000-event log.
//! - `audit/record_batched_checkpointed`: `record_batched_sustained` plus a signed
//!   checkpoint after every 100,000 events, which extends the Merkle tree over them:
//!   the record rate with the transparency log kept up to date.
//! - `audit/checkpoint_sign`: a checkpoint of the 1,000,000-event log when no event is
//!   new (authenticate the tree's edge, consistency with the last checkpoint, Ed25519).
//! - `audit/inclusion_proof_1m`, `audit/verify_inclusion_1m`,
//!   `audit/consistency_proof_1m`: RFC 9162 proofs over the 1,000,000-event tree.
//!
//! The 1,000,000-event database is built once per run (batched) in a temporary directory.
//! With `AUDIT_PEER_PYTHON=/path/to/python` the Python peer (scripts/bench_audit.py) runs in
//! the same process run and its figures are printed beside ours.

use std::hint::black_box;
use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, Instant};

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use magnetar_core::audit::cipher::FieldCipher;
use magnetar_core::audit::{
    AuditConfig, AuditKey, AuditLog, BatchConfig, Filter, NewEvent, Order, WriteMode,
};
use magnetar_core::pool::{Checkpoint, Pool, PoolConfig};
use magnetar_core::tlog::merkle::{leaf_hash, verify_inclusion};
use magnetar_core::tlog::{NoteSigner, checkpoint};

const BIG: usize = 1_000_000;
const USERS: usize = 10_000;
const UA: &str = "Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0";

/// The same event as `make_event(i)` in scripts/bench_audit.py (~200-byte details).
fn bench_event(i: usize) -> NewEvent {
    let details = serde_json::json!({
        "request_id": format!("req-{i:012}"),
        "path": format!("/api/v1/documents/{i}/content"),
        "method": "GET",
        "bytes": i * 7 % 100_000,
        "tenant": format!("tenant-{}", i % 97),
        "tags": ["audit", "bench", "read"],
        "note": "x".repeat(40),
    });
    NewEvent::new(if !i.is_multiple_of(10) {
        "document.view"
    } else {
        "login"
    })
    .user(format!("user-{}", i % USERS))
    .resource("document", format!("doc-{i}"))
    .status("success")
    .client(format!("203.0.113.{}", i % 256), UA)
    .details(details)
}

fn key() -> AuditKey {
    AuditKey::from_hex("8f1c2d3e4a5b6c7d8e9f0a1b2c3d4e5f60718293a4b5c6d7e8f90a1b2c3d4e5f").unwrap()
}

/// A pool whose connections keep a 64 MiB page cache (SQLite's default is 2 MiB): large
/// batches and the random-order blind-index B-tree otherwise spill and re-read pages.
/// This is the configuration docs/bench/audit.md recommends for busy audit logs.
/// `AUDIT_BENCH_WAL_AUTOCHECKPOINT=N` switches the pool to `Checkpoint::OnCommit` and
/// sets `PRAGMA wal_autocheckpoint = N` (pages; 0 disables automatic checkpoints), to
/// measure what checkpointing costs the write paths; without it the pool checkpoints in
/// the background (the default).
fn open(path: &Path, mode: WriteMode) -> AuditLog {
    let checkpoint: Option<u32> = std::env::var("AUDIT_BENCH_WAL_AUTOCHECKPOINT")
        .ok()
        .and_then(|v| v.parse().ok());
    let config = PoolConfig {
        // The init hook's `wal_autocheckpoint` only holds in OnCommit mode (Background
        // mode replaces it with the pool's WAL hook).
        checkpoint: match checkpoint {
            Some(_) => Checkpoint::OnCommit { pages: 1000 },
            None => Checkpoint::default(),
        },
        init: Some(Arc::new(move |conn: &rusqlite::Connection, _| {
            conn.execute_batch("PRAGMA cache_size = -65536")?;
            if let Some(pages) = checkpoint {
                conn.execute_batch(&format!("PRAGMA wal_autocheckpoint = {pages}"))?;
            }
            Ok(())
        })),
        ..PoolConfig::default()
    };
    let pool = Pool::open(path, config).unwrap();
    AuditLog::open(
        &pool,
        key(),
        AuditConfig {
            mode,
            ..Default::default()
        },
    )
    .unwrap()
}

fn batched() -> WriteMode {
    WriteMode::Batched(BatchConfig::default())
}

fn peer(events: usize) {
    let Ok(python) = std::env::var("AUDIT_PEER_PYTHON") else {
        eprintln!("(set AUDIT_PEER_PYTHON to run the Python peer in the same run)");
        return;
    };
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("../scripts/bench_audit.py");
    let out = std::process::Command::new(python)
        .arg(script)
        .args(["--events", &events.to_string(), "--json"])
        .output()
        .expect("running the Python peer");
    println!(
        "peer (Python): {}",
        String::from_utf8_lossy(&out.stdout).trim()
    );
    if !out.status.success() {
        eprintln!("peer failed: {}", String::from_utf8_lossy(&out.stderr));
    }
}

fn writes(c: &mut Criterion) {
    peer(20_000);
    let dir = tempfile::tempdir().unwrap();
    let mut g = c.benchmark_group("audit");
    g.measurement_time(Duration::from_secs(3));

    // The per-field AES-256-GCM cost (a 64-byte value; eight fields per event).
    let cipher = FieldCipher::new(&[7u8; 32], 1);
    let (id, nonce, value) = ([1u8; 16], [2u8; 12], [b'v'; 64]);
    let mut sealed = Vec::new();
    cipher
        .encrypt_into(&id, 0, "user_agent", &nonce, &value, &mut sealed)
        .unwrap();
    g.bench_function("field_encrypt_64b", |b| {
        let mut out = Vec::with_capacity(128);
        b.iter(|| {
            out.clear();
            cipher
                .encrypt_into(&id, 0, "user_agent", &nonce, black_box(&value), &mut out)
                .unwrap();
        })
    });
    g.bench_function("field_decrypt_64b", |b| {
        b.iter(|| {
            cipher
                .decrypt(&id, 0, "user_agent", black_box(&sealed))
                .unwrap()
        })
    });
    g.measurement_time(Duration::from_secs(5));

    const PER_ITER: usize = 10_000;
    let events: Vec<NewEvent> = (0..PER_ITER).map(bench_event).collect();
    g.sample_size(10);
    let signer = NoteSigner::generate("bench.example/audit").unwrap();
    for (name, per_flush, checkpointed) in [
        ("record_batched", PER_ITER, false),
        ("record_batched_sustained", 100_000, false),
        ("record_batched_checkpointed", 100_000, true),
    ] {
        let log = open(&dir.path().join(format!("{name}.db")), batched());
        g.throughput(Throughput::Elements(per_flush as u64));
        g.bench_function(name, |b| {
            b.iter_custom(|iters| {
                let start = Instant::now();
                for _ in 0..iters {
                    for e in events.iter().cycle().take(per_flush) {
                        black_box(log.record(e).unwrap());
                    }
                    log.flush().unwrap();
                    if checkpointed {
                        black_box(log.checkpoint(&[&signer]).unwrap());
                    }
                }
                start.elapsed()
            })
        });
        log.close().unwrap();
    }

    let log = open(&dir.path().join("sync.db"), WriteMode::Synchronous);
    g.throughput(Throughput::Elements(1));
    g.sample_size(50);
    let mut i = 0usize;
    g.bench_function("record_sync", |b| {
        b.iter(|| {
            i += 1;
            black_box(log.record(&events[i % PER_ITER]).unwrap())
        })
    });
    g.finish();
}

fn big_log(c: &mut Criterion) {
    // AUDIT_BENCH_EVENTS overrides the size, for profiling on a smaller log.
    let big: usize = std::env::var("AUDIT_BENCH_EVENTS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(BIG);
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("big.db");
    let (built, cpu) = timed(|| {
        let log = open(&path, batched());
        for i in 0..big {
            log.record(&bench_event(i)).unwrap();
        }
        log.close().unwrap();
    });
    println!(
        "built a {big}-event log in {built:.2?}, process CPU {cpu:.2?} ({:.0} events/s batched, one producer thread); file {} MB",
        big as f64 / built.as_secs_f64(),
        std::fs::metadata(&path).unwrap().len() / 1_000_000
    );
    let log = open(&path, WriteMode::Synchronous);
    // One timed verify with process CPU time: on a shared, loaded machine wall time
    // overstates what an idle machine would show; CPU time bounds it from below.
    let (wall, cpu) = timed(|| assert!(log.verify().unwrap().ok));
    println!("verify_1m once: wall {wall:.2?}, process CPU {cpu:.2?} (two threads)");

    let mut g = c.benchmark_group("audit");
    g.measurement_time(Duration::from_secs(3));
    g.sample_size(50);
    let mut u = 0usize;
    g.bench_function("query_user_100", |b| {
        b.iter(|| {
            u = (u + 7919) % USERS;
            let got = log
                .query(&Filter {
                    user_id: Some(format!("user-{u}")),
                    limit: Some(100),
                    order: Order::Descending,
                    ..Default::default()
                })
                .unwrap();
            assert_eq!(got.len(), (big / USERS).min(100));
            got
        })
    });

    transparency(&mut g, &log, big as u64);

    g.sample_size(10);
    g.measurement_time(Duration::from_secs(20));
    g.bench_function("verify_1m", |b| {
        b.iter(|| {
            let r = log.verify().unwrap();
            assert!(r.ok && r.checked == big as u64);
            r
        })
    });
    g.finish();
}

/// Checkpoints and proofs over the big log.
fn transparency(
    g: &mut criterion::BenchmarkGroup<'_, criterion::measurement::WallTime>,
    log: &AuditLog,
    big: u64,
) {
    let signer = NoteSigner::generate("bench.example/audit").unwrap();
    let (wall, cpu) = timed(|| {
        log.checkpoint(&[&signer]).unwrap();
    });
    println!(
        "first checkpoint of the {big}-event log (Merkle tree built over every event): wall {wall:.2?} ({:.2} µs per event), process CPU {cpu:.2?}",
        wall.as_secs_f64() * 1e6 / big as f64
    );
    let note = log.checkpoint(&[&signer]).unwrap();
    let (cp, _) = checkpoint::open(&note, &[signer.verifier()]).unwrap();
    g.bench_function("checkpoint_sign", |b| {
        b.iter(|| black_box(log.checkpoint(&[&signer]).unwrap()))
    });
    let mut seq = 0u64;
    let mut next = move || {
        seq = (seq + 7_919) % big + 1;
        seq
    };
    g.bench_function("inclusion_proof_1m", |b| {
        b.iter(|| black_box(log.inclusion_proof(next(), big).unwrap()))
    });
    let proofs: Vec<_> = (0..1000)
        .map(|_| {
            let seq = next();
            let leaf = leaf_hash(&log.leaf(seq).unwrap());
            (seq, leaf, log.inclusion_proof(seq, big).unwrap())
        })
        .collect();
    let mut i = 0;
    g.bench_function("verify_inclusion_1m", |b| {
        b.iter(|| {
            i = (i + 1) % proofs.len();
            let (seq, leaf, proof) = &proofs[i];
            verify_inclusion(seq - 1, big, leaf, proof, &cp.root).unwrap();
        })
    });
    g.bench_function("consistency_proof_1m", |b| {
        b.iter(|| black_box(log.consistency_proof(next(), big).unwrap()))
    });
}

/// Process CPU time (user + system) from /proc/self/stat, in clock ticks of 10 ms.
fn cpu_time() -> Duration {
    let stat = std::fs::read_to_string("/proc/self/stat").unwrap_or_default();
    let after = stat.rsplit_once(')').map(|(_, r)| r).unwrap_or("");
    let f: Vec<i64> = after
        .split_whitespace()
        .filter_map(|x| x.parse().ok())
        .collect();
    // After the ")" field: state is not numeric, so utime/stime are at 10 and 11 here.
    let ticks = f.get(10).unwrap_or(&0) + f.get(11).unwrap_or(&0);
    Duration::from_millis(ticks.max(0) as u64 * 10)
}

fn timed(f: impl FnOnce()) -> (Duration, Duration) {
    let (w, c) = (Instant::now(), cpu_time());
    f();
    (w.elapsed(), cpu_time().saturating_sub(c))
}

criterion_group!(benches, writes, big_log);
criterion_main!(benches);
