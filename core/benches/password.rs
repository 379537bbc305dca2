//! Password benchmarks, compared with Python peers (scripts/bench_password.py) in the
//! same session; results in docs/bench/password.md.
//!
//! cargo bench -p magnetar-core --bench password -- --measurement-time 5

use std::hint::black_box;
use std::time::Duration;

use base64::Engine as _;
use criterion::{Criterion, SamplingMode, criterion_group, criterion_main};
use magnetar_core::password::{PasswordHasher, Policy};

const PASSWORD: &str = "benchmark password";
/// pyca/bcrypt 4.0.1: `bcrypt.hashpw(b"benchmark password", bcrypt.gensalt(12))`.
const BCRYPT_12: &str = "$2b$12$jOmyLuVHJw5z3ppOIlGR3e4KcI2C8MGurNjPR8S3qDzIjrCqk.8qy";

/// A Django-format PBKDF2-SHA256 hash at 600,000 iterations (OWASP's figure).
fn pbkdf2_600k() -> String {
    let salt = "benchsaltbenchsalt";
    let mut dk = [0u8; 32];
    pbkdf2::pbkdf2_hmac::<sha2::Sha256>(PASSWORD.as_bytes(), salt.as_bytes(), 600_000, &mut dk);
    format!(
        "pbkdf2_sha256$600000${salt}${}",
        base64::engine::general_purpose::STANDARD.encode(dk)
    )
}

fn bench(c: &mut Criterion) {
    let hasher = PasswordHasher::new(Policy::default()).expect("default policy");
    let argon = hasher.hash(PASSWORD).expect("hash");
    let pbkdf2 = pbkdf2_600k();
    assert!(hasher.verify(PASSWORD, &argon).unwrap());
    assert!(hasher.verify(PASSWORD, BCRYPT_12).unwrap());
    assert!(hasher.verify(PASSWORD, &pbkdf2).unwrap());

    let mut g = c.benchmark_group("password");
    // Each operation takes 0.1 to 1 s: one iteration per sample keeps the run short.
    g.sample_size(10).sampling_mode(SamplingMode::Flat);
    g.bench_function("argon2id_default_hash", |b| {
        b.iter(|| hasher.hash(black_box(PASSWORD)).unwrap())
    });
    g.bench_function("argon2id_default_verify", |b| {
        b.iter(|| {
            hasher
                .verify(black_box(PASSWORD), black_box(&argon))
                .unwrap()
        })
    });
    g.bench_function("bcrypt_12_verify", |b| {
        b.iter(|| {
            hasher
                .verify(black_box(PASSWORD), black_box(BCRYPT_12))
                .unwrap()
        })
    });
    g.bench_function("pbkdf2_sha256_600k_verify", |b| {
        b.iter(|| {
            hasher
                .verify(black_box(PASSWORD), black_box(&pbkdf2))
                .unwrap()
        })
    });
    g.finish();
}

criterion_group! {
    name = benches;
    config = Criterion::default().measurement_time(Duration::from_secs(5)).warm_up_time(Duration::from_secs(1));
    targets = bench
}
criterion_main!(benches);
