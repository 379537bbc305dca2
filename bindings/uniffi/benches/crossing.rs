//! The Rust side of the Swift crossing benchmark (`swift/Benchmarks`, BENCHMARKS.md):
//! the calls Swift makes, made from Rust with no FFI in between, on the same inputs as
//! `swift/Benchmarks/Sources/CrossingBench/main.swift`.
//!
//! - `crossing/uniffi_rust/magnetar_version`: the smallest call (no argument, a short
//!   string back), for the fixed part of a crossing.
//! - `crossing/uniffi_rust/score_request`: `score_request` of this layer (builds both
//!   contexts from the records, scores, converts the assessment) — what the Swift call
//!   runs once it has crossed. Inputs are cloned outside the timed part.
//! - `crossing/uniffi_rust/score_prepared`: `RiskScorer::score` on two
//!   `PreparedRequestContext`s built beforehand (what Swift's cheap `score` runs),
//!   `crossing/uniffi_rust/decide_prepared`: `RiskScorer::decide` on the same, and
//!   `crossing/uniffi_rust/prepare_context`: building one of them from the record (paid
//!   once per request).
//! - `crossing/core/score`: core's `score` on pre-built contexts, as `core/benches/session.rs`
//!   measures it (`score/ip_change`).
//! - `crossing/uniffi_rust/pool_read` and `crossing/core/pool_query`: a point read
//!   (`SELECT v FROM t WHERE id = ?` on a 10,000-row table), through this layer's
//!   `Pool::read` and through core's `Pool::query`; `crossing/uniffi_rust/pool_read_value`
//!   and `crossing/core/pool_query_value`: the same through the single-value path.
//!
//! Run: `cargo bench -p magnetar-uniffi --bench crossing` (or `swift/Benchmarks/run.sh`,
//! which runs this and the Swift side one after the other).

use std::collections::HashMap;
use std::hint::black_box;
use std::time::Duration;

use criterion::measurement::WallTime;
use criterion::{BatchSize, BenchmarkGroup, Criterion, criterion_group, criterion_main};
use magnetar_core::pool::{Params, Value};
use magnetar_core::session as core_session;
use magnetar_uniffi::{
    Pool, PreparedRequestContext, RequestContext, RiskScorer, SqlValue, default_pool_config,
    default_scoring_policy, magnetar_version, score_request,
};

const CHROME_120: &str = "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.6099.71 Safari/537.36";
const ROWS: i64 = 10_000;
const POINT_READ: &str = "SELECT v FROM t WHERE id = ?";

fn context(ip: &str) -> RequestContext {
    RequestContext {
        ip: ip.into(),
        user_agent: CHROME_120.into(),
        headers: HashMap::from([
            ("Accept-Language".to_string(), "en-US,en;q=0.9".to_string()),
            (
                "Accept-Encoding".to_string(),
                "gzip, deflate, br".to_string(),
            ),
        ]),
    }
}

fn core_context(ip: &str) -> core_session::RequestContext {
    core_session::RequestContext::new(ip, CHROME_120)
        .unwrap()
        .with_header("Accept-Language", "en-US,en;q=0.9")
        .unwrap()
        .with_header("Accept-Encoding", "gzip, deflate, br")
        .unwrap()
}

fn bench_score(c: &mut Criterion) {
    let mut group = c.benchmark_group("crossing");
    group
        .measurement_time(Duration::from_secs(3))
        .warm_up_time(Duration::from_secs(1));
    let (previous, current) = (context("203.0.113.7"), context("198.51.100.2"));
    let policy = default_scoring_policy();
    group.bench_function("uniffi_rust/magnetar_version", |b| b.iter(magnetar_version));
    group.bench_function("uniffi_rust/score_request", |b| {
        b.iter_batched(
            || (previous.clone(), current.clone(), policy),
            |(p, c, pol)| score_request(p, c, pol).unwrap(),
            BatchSize::SmallInput,
        )
    });
    let scorer = RiskScorer::new(policy).unwrap();
    let prepared_previous = PreparedRequestContext::new(previous.clone()).unwrap();
    let prepared_current = PreparedRequestContext::new(current.clone()).unwrap();
    group.bench_function("uniffi_rust/score_prepared", |b| {
        // The Swift call passes two object handles: an Arc clone each.
        b.iter_batched(
            || (prepared_previous.clone(), prepared_current.clone()),
            |(p, c)| scorer.score(p, c),
            BatchSize::SmallInput,
        )
    });
    group.bench_function("uniffi_rust/decide_prepared", |b| {
        b.iter_batched(
            || (prepared_previous.clone(), prepared_current.clone()),
            |(p, c)| scorer.decide(p, c),
            BatchSize::SmallInput,
        )
    });
    group.bench_function("uniffi_rust/prepare_context", |b| {
        b.iter_batched(
            || current.clone(),
            |c| PreparedRequestContext::new(c).unwrap(),
            BatchSize::SmallInput,
        )
    });
    let (previous, current) = (core_context("203.0.113.7"), core_context("198.51.100.2"));
    group.bench_function("core/score", |b| {
        b.iter(|| core_session::score(black_box(&previous), black_box(&current)))
    });
    group.finish();
}

fn bench_pool(c: &mut Criterion) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("bench.db").to_string_lossy().into_owned();
    let pool = Pool::open(path, default_pool_config()).unwrap();
    pool.execute(
        "CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT NOT NULL)".into(),
        vec![],
    )
    .unwrap();
    let rows: Vec<Vec<SqlValue>> = (0..ROWS)
        .map(|id| {
            vec![
                SqlValue::Integer(id),
                SqlValue::Text(format!("value-{id:08}")),
            ]
        })
        .collect();
    pool.execute_many("INSERT INTO t (id, v) VALUES (?, ?)".into(), rows)
        .unwrap();

    let mut group = c.benchmark_group("crossing");
    group
        .measurement_time(Duration::from_secs(3))
        .warm_up_time(Duration::from_secs(1));
    let positional = |id| Params::Positional(vec![Value::Integer(id)]);
    point_read(&mut group, "uniffi_rust/pool_read", |id| {
        pool.read(POINT_READ.into(), vec![SqlValue::Integer(id)])
    });
    point_read(&mut group, "uniffi_rust/pool_read_value", |id| {
        pool.read_value(POINT_READ.into(), vec![SqlValue::Integer(id)])
    });
    let core_pool = magnetar_core::pool::Pool::open(
        dir.path().join("bench.db"),
        magnetar_core::pool::PoolConfig::default(),
    )
    .unwrap();
    point_read(&mut group, "core/pool_query", |id| {
        core_pool.query(POINT_READ, &positional(id))
    });
    point_read(&mut group, "core/pool_query_value", |id| {
        core_pool.query_value(POINT_READ, &positional(id))
    });
    group.finish();
    pool.close(Duration::from_secs(5)).unwrap();
    core_pool.close(Duration::from_secs(5)).unwrap();
}

/// Benchmarks `read` as a point read of a different row each iteration.
fn point_read<T, E: std::fmt::Debug>(
    group: &mut BenchmarkGroup<'_, WallTime>,
    name: &str,
    read: impl Fn(i64) -> Result<T, E>,
) {
    let mut id = 0i64;
    group.bench_function(name, |b| {
        b.iter(|| {
            id = (id + 7919) % ROWS;
            read(id).unwrap()
        })
    });
}

criterion_group!(benches, bench_score, bench_pool);
criterion_main!(benches);
