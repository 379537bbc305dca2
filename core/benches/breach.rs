//! Breach check benchmarks: range parsing, cache hits, offline lookups on a 100M-hash
//! index, and index build throughput. Results: docs/bench/breach.md.
//!
//! `MAGNETAR_BENCH_HASHES` (default 100,000,000) sets the synthetic index size;
//! `MAGNETAR_BENCH_TEXT_LINES` (default 10,000,000) the one-shot text build. Artefacts
//! go to a temporary directory (override with `MAGNETAR_BENCH_DIR`) and are deleted.

use std::hint::black_box;
use std::io::Write;
use std::sync::Arc;
use std::time::{Duration, Instant};

use criterion::{BatchSize, Criterion, Throughput, criterion_group, criterion_main};
use magnetar_core::breach::range::find_in_range;
use magnetar_core::breach::{
    BreachChecker, BreachConfig, BreachIndex, HashKind, HttpResponse, IndexBuilder, Source,
    Transport, TransportError,
};
use sha1::{Digest, Sha1};

fn env_u64(name: &str, default: u64) -> u64 {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

fn bench_dir() -> tempfile::TempDir {
    match std::env::var("MAGNETAR_BENCH_DIR") {
        Ok(dir) => tempfile::tempdir_in(dir).unwrap(),
        Err(_) => tempfile::tempdir().unwrap(),
    }
}

/// SplitMix64: fast, deterministic synthetic hashes (SHA-1 outputs are uniform too).
fn synthetic(i: u64) -> [u8; 20] {
    let mut out = [0u8; 20];
    let mut x = i.wrapping_mul(0x9E37_79B9_7F4A_7C15);
    for chunk in out.chunks_mut(8) {
        x = x.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = x;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^= z >> 31;
        chunk.copy_from_slice(&z.to_be_bytes()[..chunk.len()]);
    }
    out
}

fn padded_body(lines: usize, with: &str) -> String {
    let mut rows: Vec<String> = (0..lines as u64 - 1)
        .map(|i| {
            let hex = hex::encode_upper(synthetic(i));
            let count = if i % 3 == 0 { 0 } else { i * 13 % 5000 + 1 };
            format!("{}:{count}", &hex[5..])
        })
        .collect();
    rows.push(format!("{with}:3861493"));
    rows.sort();
    rows.join("\r\n")
}

fn range_parse(c: &mut Criterion) {
    let suffix = "1E4C9B93F3F0682250B6CF8331B7EE68FD8";
    let body = padded_body(1000, suffix);
    let absent = "0000000000000000000000000000000000A";
    let mut g = c.benchmark_group("breach/range_parse_1000_lines");
    g.throughput(Throughput::Elements(1000));
    g.bench_function("find_present", |b| {
        b.iter(|| find_in_range(black_box(&body), black_box(suffix)).unwrap())
    });
    g.bench_function("find_absent", |b| {
        b.iter(|| find_in_range(black_box(&body), black_box(absent)).unwrap())
    });
    // Peer: an unvalidated scan (what a naive client does); shows what validation costs.
    g.bench_function("peer_naive_lines_scan", |b| {
        b.iter(|| {
            black_box(&body)
                .lines()
                .find(|l| l.starts_with(black_box(suffix)))
                .map(|l| l.len())
        })
    });
    g.finish();
}

struct FixedBody(String);
impl Transport for FixedBody {
    fn get(&self, _: &str, _: &[(String, String)]) -> Result<HttpResponse, TransportError> {
        Ok(HttpResponse::ok(self.0.clone()))
    }
}

fn cache_hit(c: &mut Criterion) {
    let body = padded_body(800, "1E4C9B93F3F0682250B6CF8331B7EE68FD8");
    let checker =
        BreachChecker::with_transport(BreachConfig::default(), Arc::new(FixedBody(body))).unwrap();
    // Fill the cache to its default 10,000 entries so the hit is in a full cache.
    for i in 0..9_999 {
        checker.check(&format!("filler-{i}"));
    }
    assert_eq!(checker.check("password").source, Source::Online);
    assert_eq!(checker.check("password").source, Source::Cache);
    let mut g = c.benchmark_group("breach/cache");
    g.bench_function("check_hit", |b| {
        b.iter(|| checker.check(black_box("password")))
    });
    g.bench_function("peer_sha1_only", |b| {
        b.iter(|| Sha1::digest(black_box("password").as_bytes()))
    });
    g.finish();
}

fn offline(c: &mut Criterion) {
    let n = env_u64("MAGNETAR_BENCH_HASHES", 100_000_000);
    let dir = bench_dir();
    let path = dir.path().join("synthetic.idx");
    let started = Instant::now();
    let stats = IndexBuilder::new()
        .run_records(16 << 20)
        .build_from_hashes(
            HashKind::Sha1,
            (0..n).map(|i| (synthetic(i), i % 50_000 + 1)),
            &path,
        )
        .unwrap();
    let build = started.elapsed();
    let started = Instant::now();
    let index = BreachIndex::open(&path).unwrap();
    let open = started.elapsed();
    let started = Instant::now();
    let unverified = BreachIndex::open_unverified_data(&path).unwrap();
    let open_fast = started.elapsed();
    drop(unverified);
    eprintln!(
        "offline index: {n} hashes, {} entries, {} runs spilled, {} bytes = {:.3} bytes/hash; \
         build from hashes {:.1?} ({:.2} M hashes/s); open (full CRC) {open:.1?}; open_unverified_data {open_fast:.1?}",
        stats.entries,
        stats.spilled_runs,
        stats.file_bytes,
        stats.file_bytes as f64 / n as f64,
        build,
        n as f64 / build.as_secs_f64() / 1e6,
    );

    let members: Vec<[u8; 20]> = (0..4096u64).map(|i| synthetic(i * 24_413 % n)).collect();
    let strangers: Vec<[u8; 20]> = (0..4096u64).map(|i| synthetic(n + i)).collect();
    let mut g = c.benchmark_group("breach/offline_lookup");
    let mut i = 0usize;
    g.bench_function("lookup_sha1_member", |b| {
        b.iter(|| {
            i = (i + 1) & 4095;
            index.lookup_sha1(black_box(&members[i])).unwrap()
        })
    });
    g.bench_function("lookup_sha1_absent", |b| {
        b.iter(|| {
            i = (i + 1) & 4095;
            index.lookup_sha1(black_box(&strangers[i])).unwrap()
        })
    });
    g.bench_function("lookup_password_incl_sha1", |b| {
        b.iter(|| index.lookup_password(black_box("correct horse battery staple")))
    });
    g.finish();
    drop(index);
}

fn write_text_corpus(path: &std::path::Path, lines: u64) {
    let mut w = std::io::BufWriter::with_capacity(1 << 20, std::fs::File::create(path).unwrap());
    for i in 0..lines {
        writeln!(w, "{}:{}", hex::encode_upper(synthetic(i)), i % 50_000 + 1).unwrap();
    }
    w.flush().unwrap();
}

fn build_text(c: &mut Criterion) {
    let dir = bench_dir();
    // One-shot 10M-line build (too long for criterion's 10 samples on a shared machine).
    let big = env_u64("MAGNETAR_BENCH_TEXT_LINES", 10_000_000);
    let corpus = dir.path().join("big.txt");
    write_text_corpus(&corpus, big);
    let out = dir.path().join("big.idx");
    let started = Instant::now();
    let stats = IndexBuilder::new()
        .run_records(4 << 20)
        .build(&corpus, &out)
        .unwrap();
    let took = started.elapsed();
    eprintln!(
        "text build: {big} lines in {took:.1?} = {:.2} M lines/s ({} runs spilled)",
        big as f64 / took.as_secs_f64() / 1e6,
        stats.spilled_runs
    );
    std::fs::remove_file(&corpus).unwrap();
    std::fs::remove_file(&out).unwrap();

    let lines = 1_000_000u64;
    let corpus = dir.path().join("small.txt");
    write_text_corpus(&corpus, lines);
    let mut g = c.benchmark_group("breach/build_text");
    g.sample_size(10).measurement_time(Duration::from_secs(8));
    g.throughput(Throughput::Elements(lines));
    g.bench_function("1M_lines_spilling", |b| {
        b.iter_batched(
            || dir.path().join("small.idx"),
            |out| {
                IndexBuilder::new()
                    .run_records(250_000)
                    .build(&corpus, &out)
                    .unwrap()
            },
            BatchSize::PerIteration,
        )
    });
    g.finish();
}

criterion_group! {
    name = benches;
    config = Criterion::default()
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(3));
    targets = range_parse, cache_hit, offline, build_text
}
criterion_main!(benches);
