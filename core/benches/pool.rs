//! Pool benchmarks, side by side with the patterns the pool replaces.
//!
//! - `pool/acquire_release`: uncontended checkout + return (target ≤ 1 µs median).
//! - `point_reads_8_threads`: 8 threads of point reads on a 100k-row table through
//!   Magnetar, a new connection per query, and r2d2 with the same pragmas.
//! - a mixed load (8 readers + 1 writer for `MAGNETAR_BENCH_MIXED_SECS`, default 10 s),
//!   printed after criterion's output: reads/s, writes/s and busy errors.
//!
//! Run: `cargo bench -p magnetar-core --bench pool`.

use std::path::{Path, PathBuf};
use std::sync::Barrier;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::thread;
use std::time::{Duration, Instant};

use criterion::{Criterion, Throughput};
use magnetar_core::pool::{Pool, PoolConfig};
use rusqlite::{Connection, OpenFlags};

const ROWS: i64 = 100_000;
const THREADS: usize = 8;
const POINT_READ: &str = "SELECT v FROM t WHERE id = ?1";

fn setup(dir: &Path) -> PathBuf {
    let path = dir.join("bench.db");
    let pool = Pool::open(&path, PoolConfig::default()).unwrap();
    pool.write(|tx| {
        tx.execute_batch("CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT NOT NULL)")?;
        let mut stmt = tx.prepare("INSERT INTO t (id, v) VALUES (?1, ?2)")?;
        for id in 0..ROWS {
            stmt.execute(rusqlite::params![id, format!("value-{id:08}")])?;
        }
        Ok(())
    })
    .unwrap();
    pool.close(Duration::from_secs(5)).unwrap();
    path
}

/// The same pragmas Magnetar applies to a reader, for the peers.
fn reader_pragmas(conn: &Connection) -> rusqlite::Result<()> {
    conn.busy_timeout(Duration::from_secs(5))?;
    conn.execute_batch(
        "PRAGMA foreign_keys = ON; PRAGMA synchronous = NORMAL; PRAGMA query_only = ON;",
    )
}

/// What r2d2_sqlite's `SqliteConnectionManager` does (that crate pins an older rusqlite,
/// so it is reproduced here: open, run the init pragmas, validate with an empty batch).
struct SqliteManager(PathBuf);

impl r2d2::ManageConnection for SqliteManager {
    type Connection = Connection;
    type Error = rusqlite::Error;
    fn connect(&self) -> rusqlite::Result<Connection> {
        let conn = Connection::open_with_flags(&self.0, OpenFlags::default())?;
        reader_pragmas(&conn)?;
        Ok(conn)
    }
    fn is_valid(&self, conn: &mut Connection) -> rusqlite::Result<()> {
        conn.execute_batch("")
    }
    fn has_broken(&self, _: &mut Connection) -> bool {
        false
    }
}

fn id_for(thread: usize, i: u64) -> i64 {
    // A cheap spread over the table so reads are not all the same page.
    ((thread as u64 * 7919 + i * 104_729) % ROWS as u64) as i64
}

/// Runs `per_thread` point reads on each of 8 threads; returns the wall time.
fn run_threads(per_thread: u64, read: impl Fn(usize, i64) + Sync) -> Duration {
    let barrier = Barrier::new(THREADS + 1);
    thread::scope(|s| {
        for t in 0..THREADS {
            let (barrier, read) = (&barrier, &read);
            s.spawn(move || {
                barrier.wait();
                for i in 0..per_thread {
                    read(t, id_for(t, i));
                }
            });
        }
        barrier.wait();
        let start = Instant::now();
        // Leaving the scope joins every thread.
        start
    })
    .elapsed()
}

fn bench_acquire(c: &mut Criterion, path: &Path) {
    let pool = Pool::open(path, PoolConfig::default()).unwrap();
    drop(pool.reader().unwrap());
    let mut group = c.benchmark_group("pool");
    group.bench_function("acquire_release_reader", |b| {
        b.iter(|| drop(pool.reader().unwrap()))
    });
    group.bench_function("acquire_release_writer", |b| {
        b.iter(|| drop(pool.writer().unwrap()))
    });
    group.bench_function("read_empty_transaction", |b| {
        b.iter(|| pool.read(|_| Ok(())).unwrap())
    });
    group.finish();
}

fn bench_point_reads(c: &mut Criterion, path: &Path) {
    let mut group = c.benchmark_group("point_reads_8_threads");
    group.sample_size(10);
    group.measurement_time(Duration::from_secs(5));

    let pool = Pool::open(
        path,
        PoolConfig {
            max_readers: THREADS,
            ..Default::default()
        },
    )
    .unwrap();
    let per_thread = 5_000;
    group.throughput(Throughput::Elements(per_thread * THREADS as u64));
    group.bench_function("magnetar_reader_guard", |b| {
        b.iter_custom(|iters| {
            (0..iters)
                .map(|_| {
                    run_threads(per_thread, |_, id| {
                        let conn = pool.reader().unwrap();
                        let mut stmt = conn.prepare_cached(POINT_READ).unwrap();
                        let _: String = stmt.query_row([id], |r| r.get(0)).unwrap();
                    })
                })
                .sum()
        })
    });
    group.bench_function("magnetar_read_snapshot", |b| {
        b.iter_custom(|iters| {
            (0..iters)
                .map(|_| {
                    run_threads(per_thread, |_, id| {
                        let _: String = pool
                            .read(|c| {
                                Ok(c.prepare_cached(POINT_READ)?
                                    .query_row([id], |r| r.get(0))?)
                            })
                            .unwrap();
                    })
                })
                .sum()
        })
    });

    let manager = SqliteManager(path.to_path_buf());
    let r2d2_pool = r2d2::Pool::builder()
        .max_size(THREADS as u32)
        .build(manager)
        .unwrap();
    group.bench_function("r2d2_same_pragmas", |b| {
        b.iter_custom(|iters| {
            (0..iters)
                .map(|_| {
                    run_threads(per_thread, |_, id| {
                        let conn = r2d2_pool.get().unwrap();
                        let mut stmt = conn.prepare_cached(POINT_READ).unwrap();
                        let _: String = stmt.query_row([id], |r| r.get(0)).unwrap();
                    })
                })
                .sum()
        })
    });

    // Opening a connection costs far more than the query, so fewer queries per sample.
    let per_thread = 250;
    group.throughput(Throughput::Elements(per_thread * THREADS as u64));
    group.bench_function("connection_per_query", |b| {
        b.iter_custom(|iters| {
            (0..iters)
                .map(|_| {
                    run_threads(per_thread, |_, id| {
                        let conn = Connection::open(path).unwrap();
                        reader_pragmas(&conn).unwrap();
                        let _: String = conn.query_row(POINT_READ, [id], |r| r.get(0)).unwrap();
                    })
                })
                .sum()
        })
    });
    group.finish();
}

/// 8 readers and 1 writer through one pool for a fixed time; prints rates and errors.
fn mixed_load(path: &Path) {
    let secs: u64 = std::env::var("MAGNETAR_BENCH_MIXED_SECS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(10);
    let pool = Pool::open(
        path,
        PoolConfig {
            max_readers: THREADS,
            ..Default::default()
        },
    )
    .unwrap();
    let stop = AtomicBool::new(false);
    let (reads, writes, errors) = (AtomicU64::new(0), AtomicU64::new(0), AtomicU64::new(0));
    let mut busy_messages = Vec::new();
    thread::scope(|s| {
        for t in 0..THREADS {
            let (pool, stop, reads, errors) = (&pool, &stop, &reads, &errors);
            s.spawn(move || {
                let mut i = 0;
                while !stop.load(Ordering::Relaxed) {
                    i += 1;
                    let r = pool.read(|c| {
                        Ok(c.prepare_cached(POINT_READ)?
                            .query_row([id_for(t, i)], |r| r.get::<_, String>(0))?)
                    });
                    match r {
                        Ok(_) => reads.fetch_add(1, Ordering::Relaxed),
                        Err(_) => errors.fetch_add(1, Ordering::Relaxed),
                    };
                }
            });
        }
        let writer = s.spawn(|| {
            let mut messages = Vec::new();
            let mut i = 0i64;
            while !stop.load(Ordering::Relaxed) {
                i += 1;
                let r = pool.write(|tx| {
                    Ok(tx.execute(
                        "UPDATE t SET v = ?2 WHERE id = ?1",
                        rusqlite::params![i % ROWS, format!("w{i}")],
                    )?)
                });
                match r {
                    Ok(_) => writes.fetch_add(1, Ordering::Relaxed),
                    Err(e) => {
                        messages.push(e.to_string());
                        errors.fetch_add(1, Ordering::Relaxed)
                    }
                };
            }
            messages
        });
        thread::sleep(Duration::from_secs(secs));
        stop.store(true, Ordering::Relaxed);
        busy_messages = writer.join().unwrap();
    });
    let (r, w, e) = (
        reads.load(Ordering::Relaxed),
        writes.load(Ordering::Relaxed),
        errors.load(Ordering::Relaxed),
    );
    println!("\nmixed_load: {THREADS} readers + 1 writer for {secs} s through one pool");
    println!("  reads/s:  {:.0}", r as f64 / secs as f64);
    println!("  writes/s: {:.0}", w as f64 / secs as f64);
    println!("  errors (busy or otherwise): {e}");
    for m in busy_messages.iter().take(3) {
        println!("  error: {m}");
    }
    let stats = pool.stats();
    println!(
        "  pool: acquires {} timeouts {} wait p50 {:?} p99 {:?} max {:?}",
        stats.acquires, stats.acquire_timeouts, stats.wait_p50, stats.wait_p99, stats.wait_max
    );
}

fn main() {
    let dir = tempfile::tempdir().unwrap();
    let path = setup(dir.path());
    let mut c = Criterion::default().configure_from_args();
    bench_acquire(&mut c, &path);
    bench_point_reads(&mut c, &path);
    c.final_summary();
    // `cargo test --benches` runs benches in test mode; skip the timed load there.
    if !std::env::args().any(|a| a == "--test" || a == "--list") {
        mixed_load(&path);
    }
}
