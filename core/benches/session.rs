//! Session benchmarks: `score` (target <= 2 us) and `validate` with 100,000 stored
//! sessions (target <= 50 us median). Results: docs/bench/session.md.

use std::hint::black_box;
use std::time::Duration;

use criterion::{Criterion, criterion_group, criterion_main};
use magnetar_core::pool::{Pool, PoolConfig};
use magnetar_core::session::{
    FingerprintKey, RequestContext, SessionConfig, SessionRegistry, score, user_agent,
};

const CHROME_120: &str = "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.6099.71 Safari/537.36";
const CHROME_121: &str = "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/121.0.6167.85 Safari/537.36";
const FIREFOX: &str =
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:121.0) Gecko/20100101 Firefox/121.0";

fn ctx(ip: &str, ua: &str, lang: &str) -> RequestContext {
    RequestContext::new(ip, ua)
        .unwrap()
        .with_header("Accept-Language", lang)
        .unwrap()
        .with_header("Accept-Encoding", "gzip, deflate, br")
        .unwrap()
}

fn bench_score(c: &mut Criterion) {
    let base = ctx("203.0.113.7", CHROME_120, "en-US,en;q=0.9");
    let cases = [
        ("same_context", base.clone()),
        (
            "ip_change",
            ctx("198.51.100.2", CHROME_120, "en-US,en;q=0.9"),
        ),
        ("ip_and_headers", ctx("198.51.100.2", CHROME_120, "de")),
        (
            "version_bump",
            ctx("203.0.113.7", CHROME_121, "en-US,en;q=0.9"),
        ),
        ("all_signals", ctx("198.51.100.2", FIREFOX, "de")),
    ];
    let mut group = c.benchmark_group("score");
    group
        .measurement_time(Duration::from_secs(3))
        .warm_up_time(Duration::from_secs(1));
    for (name, current) in &cases {
        group.bench_function(*name, |b| {
            b.iter(|| score(black_box(&base), black_box(current)))
        });
    }
    group.finish();

    let mut group = c.benchmark_group("score_parts");
    group
        .measurement_time(Duration::from_secs(2))
        .warm_up_time(Duration::from_secs(1));
    group.bench_function("user_agent_parse_chrome", |b| {
        b.iter(|| user_agent::parse(black_box(CHROME_120)))
    });
    let key = FingerprintKey::new([7; 32]);
    group.bench_function("fingerprint", |b| {
        b.iter(|| black_box(&base).fingerprint(&key))
    });
    group.bench_function("context_from_json", |b| {
        let json = base.to_json();
        b.iter(|| RequestContext::from_json(black_box(&json)).unwrap())
    });
    group.finish();
}

fn bench_validate(c: &mut Criterion) {
    const SESSIONS: usize = 100_000;
    let dir = tempfile::tempdir().unwrap();
    let pool = Pool::open(dir.path().join("sessions.db"), PoolConfig::default()).unwrap();
    let registry = SessionRegistry::open(
        pool.clone(),
        SessionConfig::new(FingerprintKey::new([7; 32])),
    )
    .unwrap();
    let login = ctx("203.0.113.7", CHROME_120, "en-US,en;q=0.9");
    let mut tokens = Vec::with_capacity(1000);
    for i in 0..SESSIONS {
        let (token, _) = registry.create(&format!("user-{i}"), &login).unwrap();
        if i % (SESSIONS / 1000) == 0 {
            tokens.push(token);
        }
    }

    let mut group = c.benchmark_group("validate_100k");
    group
        .measurement_time(Duration::from_secs(4))
        .warm_up_time(Duration::from_secs(1));
    let mut i = 0;
    group.bench_function("allow", |b| {
        b.iter(|| {
            i = (i + 1) % tokens.len();
            registry
                .validate(tokens[i].as_str(), black_box(&login))
                .unwrap()
        })
    });
    let moved = ctx("198.51.100.2", CHROME_121, "en-US,en;q=0.9");
    group.bench_function("ip_change_and_version_bump", |b| {
        b.iter(|| {
            i = (i + 1) % tokens.len();
            registry
                .validate(tokens[i].as_str(), black_box(&moved))
                .unwrap()
        })
    });
    // Floor: the indexed lookup alone, through the same pool, over the same 1,000
    // sessions in the same order (so both see the same page-cache behaviour).
    use base64::Engine;
    use sha2::Digest;
    let hashes: Vec<[u8; 32]> = tokens
        .iter()
        .map(|t| {
            let raw = base64::engine::general_purpose::URL_SAFE_NO_PAD
                .decode(t.as_str())
                .unwrap();
            sha2::Sha256::digest(&raw).into()
        })
        .collect();
    group.bench_function("peer_raw_indexed_lookup", |b| {
        b.iter(|| {
            i = (i + 1) % hashes.len();
            pool.read(|conn| {
                let mut stmt = conn.prepare_cached(
                    "SELECT id, last_seen FROM magnetar_session WHERE token_hash = ?1",
                )?;
                let mut rows = stmt.query([&hashes[i][..]])?;
                Ok(rows.next()?.map(|r| r.get::<_, i64>(1)).transpose()?)
            })
            .unwrap()
        })
    });
    group.finish();
}

criterion_group!(benches, bench_score, bench_validate);
criterion_main!(benches);
