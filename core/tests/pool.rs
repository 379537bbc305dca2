//! Integration tests for the SQLite connection pool.

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Barrier};
use std::thread;
use std::time::Duration;

use magnetar_core::clock::ManualClock;
use magnetar_core::pool::{Migrations, Pool, PoolConfig, Role};
use magnetar_core::{Error, ErrorKind};

fn temp_db() -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("test.db");
    (dir, path)
}

fn create_table(pool: &Pool) {
    pool.write(|tx| {
        tx.execute_batch("CREATE TABLE IF NOT EXISTS t (id INTEGER PRIMARY KEY, v TEXT NOT NULL)")?;
        Ok(())
    })
    .unwrap();
}

fn count(pool: &Pool) -> i64 {
    pool.read(|c| Ok(c.query_row("SELECT count(*) FROM t", [], |r| r.get(0))?))
        .unwrap()
}

#[test]
fn sixteen_threads_mixing_reads_and_writes_never_see_busy() {
    let (_dir, path) = temp_db();
    let pool = Pool::open(
        &path,
        PoolConfig {
            max_readers: 4,
            ..Default::default()
        },
    )
    .unwrap();
    create_table(&pool);
    let writes = Arc::new(AtomicU64::new(0));
    let threads: Vec<_> = (0..16)
        .map(|t| {
            let pool = pool.clone();
            let writes = writes.clone();
            thread::spawn(move || {
                for i in 0..250 {
                    if (i + t) % 3 == 0 {
                        // read-then-write in one transaction: the pattern that fails with
                        // SQLITE_BUSY under DEFERRED transactions.
                        pool.write(|tx| {
                            let n: i64 =
                                tx.query_row("SELECT count(*) FROM t", [], |r| r.get(0))?;
                            tx.execute("INSERT INTO t (v) VALUES (?1)", [format!("{t}-{i}-{n}")])?;
                            Ok(())
                        })
                        .unwrap_or_else(|e| panic!("write failed: {e}"));
                        writes.fetch_add(1, Ordering::Relaxed);
                    } else {
                        pool.read(|c| {
                            let _: i64 = c.query_row("SELECT count(*) FROM t", [], |r| r.get(0))?;
                            Ok(())
                        })
                        .unwrap_or_else(|e| panic!("read failed: {e}"));
                    }
                }
            })
        })
        .collect();
    for t in threads {
        t.join().unwrap();
    }
    assert_eq!(count(&pool) as u64, writes.load(Ordering::Relaxed));
    let stats = pool.stats();
    assert_eq!(stats.acquire_timeouts, 0);
    assert_eq!(stats.in_use, 0);
    assert_eq!(stats.waiting, 0);
    assert!(stats.readers_open <= 4);
}

#[test]
fn readers_cannot_write() {
    let (_dir, path) = temp_db();
    let pool = Pool::open(&path, PoolConfig::default()).unwrap();
    create_table(&pool);
    let err = pool
        .read(|c| Ok(c.execute("INSERT INTO t (v) VALUES ('x')", [])?))
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::ReadOnly, "{err}");
    let guard = pool.reader().unwrap();
    assert_eq!(guard.role(), Role::Reader);
    assert!(guard.execute("DELETE FROM t", []).is_err());
    drop(guard);
    assert_eq!(count(&pool), 0);
}

#[test]
fn write_commits_on_ok_and_rolls_back_on_err_and_panic() {
    let (_dir, path) = temp_db();
    let pool = Pool::open(&path, PoolConfig::default()).unwrap();
    create_table(&pool);
    pool.write(|tx| Ok(tx.execute("INSERT INTO t (v) VALUES ('kept')", [])?))
        .unwrap();
    let err = pool
        .write(|tx| {
            tx.execute("INSERT INTO t (v) VALUES ('lost')", [])?;
            Err::<(), _>(Error::InvalidInput("caller changed its mind".into()))
        })
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::InvalidInput);
    let p = pool.clone();
    let panicked = thread::spawn(move || {
        p.write(|tx| {
            tx.execute("INSERT INTO t (v) VALUES ('also lost')", [])?;
            panic!("boom inside a write");
            #[allow(unreachable_code)]
            Ok(())
        })
    })
    .join();
    assert!(panicked.is_err());
    assert_eq!(count(&pool), 1);
    // The writer survived the panic and is usable.
    pool.write(|tx| Ok(tx.execute("INSERT INTO t (v) VALUES ('after')", [])?))
        .unwrap();
    assert_eq!(count(&pool), 2);
    assert_eq!(pool.stats().in_use, 0);
}

#[test]
fn a_read_sees_one_snapshot_while_the_writer_commits() {
    let (_dir, path) = temp_db();
    let pool = Pool::open(&path, PoolConfig::default()).unwrap();
    create_table(&pool);
    let (inside, committed) = (Arc::new(Barrier::new(2)), Arc::new(Barrier::new(2)));
    let writer = {
        let (pool, inside, committed) = (pool.clone(), inside.clone(), committed.clone());
        thread::spawn(move || {
            inside.wait();
            pool.write(|tx| Ok(tx.execute("INSERT INTO t (v) VALUES ('new')", [])?))
                .unwrap();
            committed.wait();
        })
    };
    let (before, after) = pool
        .read(|c| {
            let q = |c: &rusqlite::Connection| -> rusqlite::Result<i64> {
                c.query_row("SELECT count(*) FROM t", [], |r| r.get(0))
            };
            let before = q(c)?;
            inside.wait();
            committed.wait();
            Ok((before, q(c)?))
        })
        .unwrap();
    writer.join().unwrap();
    assert_eq!(
        (before, after),
        (0, 0),
        "a read transaction is one snapshot"
    );
    assert_eq!(count(&pool), 1);
}

#[test]
fn nested_write_is_refused_instead_of_deadlocking() {
    let (_dir, path) = temp_db();
    let pool = Pool::open(&path, PoolConfig::default()).unwrap();
    let err = pool.write(|_| pool.write(|_| Ok(()))).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::InvalidInput);
    assert!(err.to_string().contains("savepoint"), "{err}");
    // A read inside a write is fine (it sees the last committed state).
    pool.write(|_| pool.read(|_| Ok(()))).unwrap();
    // The same holds for the writer taken as a guard or a transaction: refused at once,
    // not after acquire_timeout; and released properly afterwards.
    let tx = pool.begin_write().unwrap();
    let started = std::time::Instant::now();
    assert_eq!(
        pool.begin_write().unwrap_err().kind(),
        ErrorKind::InvalidInput
    );
    assert_eq!(
        pool.write(|_| Ok(())).unwrap_err().kind(),
        ErrorKind::InvalidInput
    );
    assert!(started.elapsed() < Duration::from_secs(1));
    drop(tx);
    pool.write(|_| Ok(())).unwrap();
}

#[test]
fn transaction_guards_commit_roll_back_and_snapshot() {
    let (_dir, path) = temp_db();
    let pool = Pool::open(&path, PoolConfig::default()).unwrap();
    create_table(&pool);
    let tx = pool.begin_write().unwrap();
    assert_eq!(tx.role(), Role::Writer);
    tx.execute("INSERT INTO t (v) VALUES ('committed')", [])
        .unwrap();
    tx.commit().unwrap();
    let tx = pool.begin_write().unwrap();
    tx.execute("INSERT INTO t (v) VALUES ('rolled back')", [])
        .unwrap();
    tx.rollback().unwrap();
    let tx = pool.begin_write().unwrap();
    tx.execute("INSERT INTO t (v) VALUES ('dropped')", [])
        .unwrap();
    drop(tx);
    assert_eq!(count(&pool), 1);
    // A read transaction is one snapshot: a commit made meanwhile is not seen.
    let read = pool.begin_read().unwrap();
    let n = |c: &rusqlite::Connection| -> i64 {
        c.query_row("SELECT count(*) FROM t", [], |r| r.get(0))
            .unwrap()
    };
    assert_eq!(n(&read), 1);
    pool.write(|tx| Ok(tx.execute("INSERT INTO t (v) VALUES ('later')", [])?))
        .unwrap();
    assert_eq!(n(&read), 1);
    assert!(
        read.execute("DELETE FROM t", []).is_err(),
        "readers stay query_only"
    );
    read.commit().unwrap();
    assert_eq!(count(&pool), 2);
    assert_eq!(pool.stats().in_use, 0);
}

#[test]
fn connections_are_recycled_after_max_lifetime() {
    let (_dir, path) = temp_db();
    let clock = ManualClock::new();
    let config = PoolConfig {
        clock: clock.clone(),
        ..Default::default()
    };
    let pool = Pool::open(&path, config).unwrap();
    create_table(&pool);
    count(&pool);
    let before = pool.stats();
    assert_eq!(before.recycled, 0);
    clock.advance(Duration::from_secs(3600));
    count(&pool);
    create_table(&pool);
    let after = pool.stats();
    assert_eq!(
        after.recycled, 2,
        "the reader and the writer are both over 1 h old"
    );
    assert_eq!(
        after.created,
        before.created + 2,
        "each was replaced by a new one"
    );
}

#[test]
fn idle_readers_are_closed_down_to_min_idle() {
    let (_dir, path) = temp_db();
    let clock = ManualClock::new();
    let config = PoolConfig {
        clock: clock.clone(),
        min_idle: 1,
        max_readers: 3,
        idle_timeout: Some(Duration::from_secs(60)),
        max_lifetime: None,
        ..Default::default()
    };
    let pool = Pool::open(&path, config).unwrap();
    let guards: Vec<_> = (0..3).map(|_| pool.reader().unwrap()).collect();
    drop(guards);
    assert_eq!(pool.stats().readers_open, 3);
    clock.advance(Duration::from_secs(61));
    // Returning a connection prunes the long-idle ones (the one checked out is replaced
    // on checkout, being idle too long itself).
    drop(pool.reader().unwrap());
    let stats = pool.stats();
    assert_eq!(stats.readers_open, 1, "{stats:?}");
    assert!(stats.recycled >= 2, "{stats:?}");
}

#[test]
fn health_check_replaces_a_broken_connection() {
    let (_dir, path) = temp_db();
    let clock = ManualClock::new();
    // Every connection remembers the generation it was born in; bumping the generation
    // makes all existing connections fail `SELECT probe()`, as a broken handle would.
    let generation = Arc::new(AtomicU64::new(0));
    let g = generation.clone();
    let init: magnetar_core::pool::ConnectionInit = Arc::new(move |conn, _role| {
        let born = g.load(Ordering::SeqCst);
        let g = g.clone();
        conn.create_scalar_function(
            "probe",
            0,
            rusqlite::functions::FunctionFlags::SQLITE_UTF8,
            move |_| {
                if g.load(Ordering::SeqCst) > born {
                    Err(rusqlite::Error::UserFunctionError(
                        "connection went bad".into(),
                    ))
                } else {
                    Ok(1)
                }
            },
        )?;
        Ok(())
    });
    let config = PoolConfig {
        clock: clock.clone(),
        init: Some(init),
        health_check_sql: "SELECT probe()".into(),
        health_check_after: Duration::from_secs(30),
        ..Default::default()
    };
    let pool = Pool::open(&path, config).unwrap();
    count_probe(&pool);
    generation.fetch_add(1, Ordering::SeqCst);
    // Not idle long enough: no check, so the broken connection is handed out.
    assert!(
        pool.read(|c| Ok(c.query_row("SELECT probe()", [], |r| r.get::<_, i64>(0))?))
            .is_err()
    );
    clock.advance(Duration::from_secs(31));
    count_probe(&pool);
    assert_eq!(pool.stats().discarded, 1);
}

fn count_probe(pool: &Pool) {
    let v: i64 = pool
        .read(|c| Ok(c.query_row("SELECT probe()", [], |r| r.get(0))?))
        .unwrap();
    assert_eq!(v, 1);
}

#[test]
fn acquire_timeout_says_how_long_it_waited_and_who_holds_it() {
    let (_dir, path) = temp_db();
    let config = PoolConfig {
        max_readers: 1,
        acquire_timeout: Duration::from_millis(50),
        leak_threshold: Some(Duration::from_millis(10)),
        ..Default::default()
    };
    let pool = Pool::open(&path, config).unwrap();
    let held = pool.reader().unwrap();
    thread::sleep(Duration::from_millis(20));
    let err = pool.reader().unwrap_err();
    assert_eq!(err.kind(), ErrorKind::PoolTimeout);
    let msg = err.to_string();
    assert!(
        msg.contains("timed out after") && msg.contains("ms"),
        "{msg}"
    );
    assert!(msg.contains("reader connection"), "{msg}");
    assert!(
        msg.contains("tests/pool.rs"),
        "the holder's location is named: {msg}"
    );
    // Another thread holds the writer (this thread taking it twice is refused at once).
    let (taken, release) = (Arc::new(Barrier::new(2)), Arc::new(Barrier::new(2)));
    let holder = {
        let (pool, taken, release) = (pool.clone(), taken.clone(), release.clone());
        thread::spawn(move || {
            let writer = pool.writer().unwrap();
            taken.wait();
            release.wait();
            drop(writer);
        })
    };
    taken.wait();
    let err = pool.write(|_| Ok(())).unwrap_err();
    assert!(err.to_string().contains("the writer connection"), "{err}");
    release.wait();
    holder.join().unwrap();
    drop(held);
    assert_eq!(pool.stats().acquire_timeouts, 2);
    pool.read(|_| Ok(())).unwrap();
}

#[test]
fn close_waits_for_returns_and_then_refuses() {
    let (_dir, path) = temp_db();
    let pool = Pool::open(&path, PoolConfig::default()).unwrap();
    create_table(&pool);
    let guard = pool.reader().unwrap();
    let err = pool.close(Duration::from_millis(30)).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::PoolTimeout);
    assert!(
        err.to_string().contains("1 connection(s) still in use"),
        "{err}"
    );
    assert_eq!(
        pool.read(|_| Ok(())).unwrap_err().kind(),
        ErrorKind::PoolClosed
    );
    assert_eq!(
        pool.write(|_| Ok(())).unwrap_err().kind(),
        ErrorKind::PoolClosed
    );
    // The guard still works until returned, then is closed.
    let n: i64 = guard
        .query_row("SELECT count(*) FROM t", [], |r| r.get(0))
        .unwrap();
    assert_eq!(n, 0);
    let returner = thread::spawn(move || {
        thread::sleep(Duration::from_millis(30));
        drop(guard);
    });
    pool.close(Duration::from_secs(5)).unwrap();
    returner.join().unwrap();
    assert_eq!(pool.stats().in_use, 0);
    assert_eq!(pool.stats().idle, 0);
}

#[test]
fn close_wakes_waiters_with_closed() {
    let (_dir, path) = temp_db();
    let pool = Pool::open(
        &path,
        PoolConfig {
            acquire_timeout: Duration::from_secs(30),
            ..Default::default()
        },
    )
    .unwrap();
    let writer = pool.writer().unwrap();
    let waiter = {
        let pool = pool.clone();
        thread::spawn(move || pool.write(|_| Ok(())))
    };
    while pool.stats().waiting == 0 {
        thread::sleep(Duration::from_millis(1));
    }
    let closer = {
        let pool = pool.clone();
        thread::spawn(move || pool.close(Duration::from_secs(5)))
    };
    let err = waiter.join().unwrap().unwrap_err();
    assert_eq!(err.kind(), ErrorKind::PoolClosed);
    drop(writer);
    closer.join().unwrap().unwrap();
}

#[test]
fn stats_add_up() {
    let (_dir, path) = temp_db();
    let pool = Pool::open(
        &path,
        PoolConfig {
            max_readers: 3,
            ..Default::default()
        },
    )
    .unwrap();
    create_table(&pool);
    for _ in 0..10 {
        count(&pool);
    }
    let guards = [pool.reader().unwrap(), pool.reader().unwrap()];
    let stats = pool.stats();
    assert_eq!(stats.acquires, 13);
    assert_eq!(stats.in_use, 2);
    assert_eq!(stats.readers_open, 2);
    assert_eq!(stats.idle, 1, "the writer is idle");
    assert_eq!(stats.created, 3, "one writer and two readers");
    assert_eq!(stats.max_readers, 3);
    assert!(stats.wait_p50 <= stats.wait_p99 && stats.wait_p99 <= stats.wait_max);
    drop(guards);
    let stats = pool.stats();
    assert_eq!((stats.in_use, stats.idle), (0, 3));
    let json = serde_json::to_value(&stats).unwrap();
    assert_eq!(json["acquires"], 13);
}

#[test]
fn shared_returns_one_pool_per_canonical_path() {
    let (dir, path) = temp_db();
    let a = Pool::shared(&path, PoolConfig::default()).unwrap();
    std::fs::create_dir(dir.path().join("sub")).unwrap();
    let b = Pool::shared(dir.path().join("sub/../test.db"), PoolConfig::default()).unwrap();
    let link = dir.path().join("link.db");
    std::os::unix::fs::symlink(&path, &link).unwrap();
    let c = Pool::shared(&link, PoolConfig::default()).unwrap();
    create_table(&a);
    let _held = b.reader().unwrap();
    assert_eq!(a.stats().in_use, 1, "b is the same pool as a");
    assert_eq!(
        c.stats().in_use,
        1,
        "c (via a symlink) is the same pool as a"
    );
    drop(_held);
    a.close(Duration::from_secs(1)).unwrap();
    let d = Pool::shared(&path, PoolConfig::default()).unwrap();
    assert!(!d.is_closed(), "a closed pool is replaced by a new one");
    assert_eq!(count(&d), 0);
}

#[test]
fn a_missing_directory_is_an_io_error_naming_it() {
    let (dir, _) = temp_db();
    let path = dir.path().join("nope/sub/app.db");
    let err = Pool::open(&path, PoolConfig::default()).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Io);
    assert!(
        err.to_string().contains("nope/sub") && err.to_string().contains("does not exist"),
        "{err}"
    );
    assert!(!dir.path().join("nope").exists());
}

#[test]
fn a_file_that_is_not_a_database_is_refused_and_untouched() {
    let (_dir, path) = temp_db();
    let content = b"this is my thesis, not a database. ".repeat(200);
    std::fs::write(&path, &content).unwrap();
    let err = Pool::open(&path, PoolConfig::default()).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::NotADatabase, "{err}");
    assert!(
        err.to_string().contains("test.db"),
        "the message names the file: {err}"
    );
    assert_eq!(
        std::fs::read(&path).unwrap(),
        content,
        "nothing was overwritten"
    );
}

#[test]
fn in_memory_databases_are_refused_with_an_explanation() {
    for name in [":memory:", "", "file::memory:?cache=shared"] {
        let err = Pool::open(name, PoolConfig::default()).unwrap_err();
        assert_eq!(err.kind(), ErrorKind::InvalidConfig);
        assert!(err.to_string().contains("in-memory"), "{err}");
    }
}

#[test]
fn a_bad_config_is_refused_before_touching_the_file() {
    let (_dir, path) = temp_db();
    let err = Pool::open(
        &path,
        PoolConfig {
            max_readers: 0,
            ..Default::default()
        },
    )
    .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::InvalidConfig);
    assert!(err.to_string().contains("max_readers"));
    assert!(!path.exists());
}

#[test]
fn a_corrupt_database_errors_and_the_connection_is_discarded() {
    let (_dir, path) = temp_db();
    {
        let pool = Pool::open(&path, PoolConfig::default()).unwrap();
        create_table(&pool);
        pool.write(|tx| {
            for i in 0..2000 {
                tx.execute(
                    "INSERT INTO t (v) VALUES (?1)",
                    [format!("row {i} {}", "x".repeat(100))],
                )?;
            }
            Ok(())
        })
        .unwrap();
        pool.close(Duration::from_secs(1)).unwrap();
    }
    // Overwrite interior pages (not the header) with garbage.
    let mut bytes = std::fs::read(&path).unwrap();
    let page = 4096;
    for b in &mut bytes[page * 2..page * 6] {
        *b = 0xA5;
    }
    std::fs::write(&path, &bytes).unwrap();
    let pool = Pool::open(&path, PoolConfig::default()).unwrap();
    let err = pool
        .read(|c| Ok(c.query_row("SELECT sum(length(v)) FROM t", [], |r| r.get::<_, i64>(0))?))
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Corrupt, "{err}");
    assert_eq!(
        pool.stats().discarded,
        1,
        "the connection that saw corruption is not reused"
    );
}

#[test]
fn a_read_only_file_is_refused_as_read_only() {
    use std::os::unix::fs::{MetadataExt, PermissionsExt};
    let (dir, path) = temp_db();
    {
        let pool = Pool::open(&path, PoolConfig::default()).unwrap();
        create_table(&pool);
        pool.close(Duration::from_secs(1)).unwrap();
    }
    let before = std::fs::read(&path).unwrap();
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o444)).unwrap();
    std::fs::set_permissions(dir.path(), std::fs::Permissions::from_mode(0o755)).unwrap();
    let am_root = std::fs::metadata("/proc/self")
        .map(|m| m.uid() == 0)
        .unwrap_or(false);
    if am_root {
        // Root ignores file permissions: check as an unprivileged user in a child process.
        use std::os::unix::process::CommandExt;
        let exe = std::env::current_exe().unwrap();
        let out = std::process::Command::new(exe)
            .args(["--exact", "read_only_child", "--ignored", "--nocapture"])
            .env("MAGNETAR_RO_DB", &path)
            .uid(65534)
            .gid(65534)
            .output()
            .unwrap();
        let text = String::from_utf8_lossy(&out.stdout).to_string()
            + &String::from_utf8_lossy(&out.stderr);
        assert!(out.status.success() && text.contains("1 passed"), "{text}");
    } else {
        check_read_only(&path);
    }
    assert_eq!(std::fs::read(&path).unwrap(), before);
}

#[test]
#[ignore = "run by a_read_only_file_is_refused_as_read_only as an unprivileged user"]
fn read_only_child() {
    let path = std::env::var("MAGNETAR_RO_DB").expect("set by the parent test");
    check_read_only(Path::new(&path));
}

fn check_read_only(path: &Path) {
    let err = Pool::open(path, PoolConfig::default()).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::ReadOnly, "{err}");
    assert!(err.to_string().contains("read-only"), "{err}");
}

#[test]
fn guards_move_between_threads() {
    let (_dir, path) = temp_db();
    let pool = Pool::open(&path, PoolConfig::default()).unwrap();
    create_table(&pool);
    let writer = pool.writer().unwrap();
    thread::spawn(move || {
        writer
            .execute_batch("BEGIN IMMEDIATE; INSERT INTO t (v) VALUES ('moved'); COMMIT")
            .unwrap();
    })
    .join()
    .unwrap();
    assert_eq!(count(&pool), 1);
}

#[test]
fn a_transaction_left_open_on_a_guard_is_rolled_back() {
    let (_dir, path) = temp_db();
    let pool = Pool::open(&path, PoolConfig::default()).unwrap();
    create_table(&pool);
    let writer = pool.writer().unwrap();
    writer
        .execute_batch("BEGIN IMMEDIATE; INSERT INTO t (v) VALUES ('abandoned')")
        .unwrap();
    drop(writer);
    pool.write(|tx| Ok(tx.execute("INSERT INTO t (v) VALUES ('next')", [])?))
        .unwrap();
    assert_eq!(count(&pool), 1);
}

#[test]
fn migrations_run_once_per_component_and_refuse_newer_schemas() {
    let (_dir, path) = temp_db();
    let pool = Pool::open(&path, PoolConfig::default()).unwrap();
    let v1 = Migrations::new("widgets", &["CREATE TABLE w (id INTEGER PRIMARY KEY)"]);
    let out = pool.migrate(&v1).unwrap();
    assert_eq!((out.from, out.to), (0, 1));
    assert_eq!(pool.migrate(&v1).unwrap().from, 1, "idempotent");
    let v2 = Migrations::new(
        "widgets",
        &[
            "CREATE TABLE w (id INTEGER PRIMARY KEY)",
            "ALTER TABLE w ADD COLUMN name TEXT",
        ],
    );
    assert_eq!(
        pool.migrate(&v2).unwrap(),
        magnetar_core::pool::MigrationOutcome { from: 1, to: 2 }
    );
    // Another component in the same file has its own version.
    let other = Migrations::new("gadgets", &["CREATE TABLE g (id INTEGER PRIMARY KEY)"]);
    assert_eq!(pool.migrate(&other).unwrap().from, 0);
    // The host's schema uses user_version and does not collide.
    let host = Migrations::user_version(&["CREATE TABLE h (x)", "CREATE TABLE h2 (x)"]);
    assert_eq!(pool.migrate(&host).unwrap().to, 2);
    let uv: i64 = pool
        .read(|c| Ok(c.query_row("PRAGMA user_version", [], |r| r.get(0))?))
        .unwrap();
    assert_eq!(uv, 2);
    // An older build meeting a newer schema refuses to touch it.
    let err = pool.migrate(&v1).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::SchemaTooNew);
    assert!(
        err.to_string().contains("widgets") && err.to_string().contains("version 2"),
        "{err}"
    );
}

#[test]
fn a_failing_migration_step_leaves_the_file_unchanged() {
    let (_dir, path) = temp_db();
    let pool = Pool::open(&path, PoolConfig::default()).unwrap();
    let bad = Migrations::new("broken", &["CREATE TABLE a (x)", "CREATE TABLE oops (("]);
    let err = pool.migrate(&bad).unwrap_err();
    assert!(err.to_string().contains("broken step 2"), "{err}");
    let tables: i64 = pool
        .read(|c| {
            Ok(c.query_row(
                "SELECT count(*) FROM sqlite_master WHERE name = 'a'",
                [],
                |r| r.get(0),
            )?)
        })
        .unwrap();
    assert_eq!(tables, 0, "step 1 was rolled back with step 2");
}

#[test]
fn every_connection_gets_the_pragmas() {
    let (_dir, path) = temp_db();
    let pool = Pool::open(&path, PoolConfig::default()).unwrap();
    let pragma = |c: &rusqlite::Connection, name: &str| -> String {
        c.query_row(&format!("PRAGMA {name}"), [], |r| {
            r.get::<_, rusqlite::types::Value>(0)
        })
        .map(|v| format!("{v:?}"))
        .unwrap()
    };
    let w = pool.writer().unwrap();
    assert!(pragma(&w, "journal_mode").contains("wal"));
    assert!(pragma(&w, "foreign_keys").contains('1'));
    assert!(pragma(&w, "synchronous").contains('1'), "NORMAL is 1");
    assert!(pragma(&w, "query_only").contains('0'));
    let r = pool.reader().unwrap();
    assert!(pragma(&r, "foreign_keys").contains('1'));
    assert!(pragma(&r, "query_only").contains('1'));
    assert!(pragma(&r, "busy_timeout").contains("5000"));
}
