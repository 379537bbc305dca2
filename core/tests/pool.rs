//! Integration tests for the SQLite connection pool.

use std::path::Path;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Barrier};
use std::thread;
use std::time::Duration;

use magnetar_core::clock::ManualClock;
use magnetar_core::pool::{Checkpoint, Migrations, Params, Pool, PoolConfig, Role, Value};
use magnetar_core::{Error, ErrorKind};
use magnetar_testkit::temp_db;

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

// --- WAL checkpoints -------------------------------------------------------------------

/// Bytes of one WAL frame with SQLite's default 4 KiB pages (24-byte frame header).
const WAL_FRAME: u64 = 4096 + 24;

fn wal_frames(path: &Path) -> u64 {
    let mut wal = path.as_os_str().to_owned();
    wal.push("-wal");
    std::fs::metadata(&wal).map_or(0, |m| m.len().saturating_sub(32) / WAL_FRAME)
}

fn wal_exists(path: &Path) -> bool {
    let mut wal = path.as_os_str().to_owned();
    wal.push("-wal");
    Path::new(&wal).exists()
}

/// Polls `done` every few milliseconds until it holds; fails after a generous deadline
/// (this is about eventually, not about speed).
fn eventually(what: &str, mut done: impl FnMut() -> bool) {
    let deadline = std::time::Instant::now() + Duration::from_secs(30);
    while !done() {
        assert!(
            std::time::Instant::now() < deadline,
            "timed out waiting until {what}"
        );
        thread::sleep(Duration::from_millis(2));
    }
}

fn insert_blob(pool: &Pool, bytes: usize) {
    pool.write(|tx| {
        tx.execute("INSERT INTO t (v) VALUES (?1)", ["x".repeat(bytes)])?;
        Ok(())
    })
    .unwrap();
}

fn pragma_i64(conn: &rusqlite::Connection, sql: &str) -> i64 {
    conn.query_row(sql, [], |r| r.get(0)).unwrap()
}

#[test]
fn background_checkpoints_copy_the_wal_into_the_database() {
    let (_dir, path) = temp_db();
    let pool = checkpointed_pool(&path, Checkpoint::Background { pages: 100 });
    create_table(&pool);
    let db_before = std::fs::metadata(&path).unwrap().len();
    // Stop at the commit that takes the WAL to the threshold: that one wakes the thread
    // and nothing is written while it checkpoints, so it copies the whole WAL.
    let mut rows = 0;
    while wal_frames(&path) < 100 {
        insert_blob(&pool, 3000);
        rows += 1;
    }
    eventually("the background thread checkpoints", || {
        pool.stats().checkpoints >= 1
    });
    // The rows are now in the database file itself, copied there by the thread: no
    // commit checkpointed.
    let db_after = std::fs::metadata(&path).unwrap().len();
    assert!(
        db_after >= db_before + rows * 3000,
        "{db_before} -> {db_after} bytes for {rows} rows"
    );
    assert_eq!(pool.stats().writer_checkpoints, 0);
    assert_eq!(count(&pool), rows as i64);
    // The next write transaction restarts the WAL from its beginning (the file is reused,
    // not truncated): a checkpoint now finds only that transaction's pages.
    insert_blob(&pool, 10);
    let raw = rusqlite::Connection::open(&path).unwrap();
    let (log, done): (i64, i64) = raw
        .query_row("PRAGMA wal_checkpoint(PASSIVE)", [], |r| {
            Ok((r.get(1)?, r.get(2)?))
        })
        .unwrap();
    assert!(log < 10, "{log} pages in the WAL after the restart");
    assert_eq!(log, done);
}

#[test]
fn sustained_writes_keep_the_wal_bounded() {
    let (_dir, path) = temp_db();
    let pool = checkpointed_pool(&path, Checkpoint::Background { pages: 16 });
    create_table(&pool);
    let commits = 3000;
    for _ in 0..commits {
        insert_blob(&pool, 100);
    }
    let stats = pool.stats();
    // Each commit appends at least one frame: without checkpoints that complete (and
    // restart the WAL), it would hold at least `commits` frames.
    let frames = wal_frames(&path);
    assert!(
        frames < commits / 2,
        "the WAL grew to {frames} frames over {commits} commits ({stats:?})"
    );
    assert!(
        stats.checkpoints + stats.writer_checkpoints >= 1,
        "{stats:?}"
    );
    assert_eq!(count(&pool), commits as i64);
}

#[test]
fn concurrent_writes_and_reads_with_background_checkpoints_stay_intact() {
    let (_dir, path) = temp_db();
    let pool = Pool::open(
        &path,
        PoolConfig {
            max_readers: 4,
            checkpoint: Checkpoint::Background { pages: 8 },
            ..Default::default()
        },
    )
    .unwrap();
    create_table(&pool);
    let writers: Vec<_> = (0..4)
        .map(|w| {
            let pool = pool.clone();
            thread::spawn(move || {
                for i in 0..300 {
                    pool.write(|tx| {
                        tx.execute(
                            "INSERT INTO t (id, v) VALUES (?1, ?2)",
                            rusqlite::params![w * 1000 + i, format!("{w}-{i}-{}", "y".repeat(200))],
                        )?;
                        Ok(())
                    })
                    .unwrap();
                }
            })
        })
        .collect();
    let readers: Vec<_> = (0..3)
        .map(|_| {
            let pool = pool.clone();
            thread::spawn(move || {
                let mut last = 0;
                while last < 1200 {
                    // Within one snapshot, the count and the rows agree.
                    let (n, rows): (i64, i64) = pool
                        .read(|c| {
                            let n = c.query_row("SELECT count(*) FROM t", [], |r| r.get(0))?;
                            let rows = c.query_row(
                                "SELECT count(*) FROM t WHERE v LIKE (id / 1000) || '-' || (id % 1000) || '-%'",
                                [],
                                |r| r.get(0),
                            )?;
                            Ok((n, rows))
                        })
                        .unwrap();
                    assert_eq!(n, rows);
                    assert!(n >= last, "a later snapshot saw fewer rows");
                    last = n;
                }
            })
        })
        .collect();
    for t in writers.into_iter().chain(readers) {
        t.join().unwrap();
    }
    eventually("the background thread checkpoints", || {
        pool.stats().checkpoints >= 1
    });
    assert_eq!(count(&pool), 1200);
    let check: String = pool
        .read(|c| Ok(c.query_row("PRAGMA integrity_check", [], |r| r.get(0))?))
        .unwrap();
    assert_eq!(check, "ok");
    pool.close(Duration::from_secs(5)).unwrap();
    let raw = rusqlite::Connection::open(&path).unwrap();
    assert_eq!(pragma_i64(&raw, "SELECT count(*) FROM t"), 1200);
    let check: String = raw
        .query_row("PRAGMA integrity_check", [], |r| r.get(0))
        .unwrap();
    assert_eq!(check, "ok");
}

#[test]
fn on_commit_checkpoints_inside_commits() {
    let (_dir, path) = temp_db();
    let pool = checkpointed_pool(&path, Checkpoint::OnCommit { pages: 50 });
    create_table(&pool);
    assert_eq!(
        pragma_i64(&pool.writer().unwrap(), "PRAGMA wal_autocheckpoint"),
        50
    );
    for _ in 0..200 {
        insert_blob(&pool, 3000);
    }
    // SQLite checkpointed inside the commits: the rows are in the database file as soon
    // as the last commit that crossed 50 pages returned, and the WAL was restarted.
    assert!(std::fs::metadata(&path).unwrap().len() >= 150 * 3000);
    assert!(wal_frames(&path) < 200);
    let stats = pool.stats();
    assert_eq!((stats.checkpoints, stats.writer_checkpoints), (0, 0));
    assert_eq!(count(&pool), 200);
}

#[test]
fn the_init_hook_overrides_wal_autocheckpoint_only_in_on_commit_mode() {
    let init: magnetar_core::pool::ConnectionInit = Arc::new(|conn, _| {
        conn.execute_batch("PRAGMA wal_autocheckpoint = 7")?;
        Ok(())
    });
    for (checkpoint, expected) in [
        // The pool's setting, then the host's.
        (Checkpoint::OnCommit { pages: 50 }, 7),
        // The pool's WAL hook replaced SQLite's automatic checkpoint after the init hook.
        (Checkpoint::Background { pages: 50 }, 0),
    ] {
        let (_dir, path) = temp_db();
        let pool = Pool::open(
            &path,
            PoolConfig {
                checkpoint,
                init: Some(init.clone()),
                ..Default::default()
            },
        )
        .unwrap();
        let w = pool.writer().unwrap();
        assert_eq!(
            pragma_i64(&w, "PRAGMA wal_autocheckpoint"),
            expected,
            "{checkpoint:?}"
        );
    }
    // Without an init hook, OnCommit sets the configured size.
    let (_dir, path) = temp_db();
    let pool = Pool::open(&path, PoolConfig::default()).unwrap();
    assert_eq!(
        pragma_i64(&pool.writer().unwrap(), "PRAGMA wal_autocheckpoint"),
        0,
        "Background is the default"
    );
}

#[test]
fn a_zero_checkpoint_size_is_refused() {
    for checkpoint in [
        Checkpoint::Background { pages: 0 },
        Checkpoint::OnCommit { pages: 0 },
    ] {
        let (_dir, path) = temp_db();
        let err = Pool::open(
            &path,
            PoolConfig {
                checkpoint,
                ..Default::default()
            },
        )
        .unwrap_err();
        assert_eq!(err.kind(), ErrorKind::InvalidConfig);
        assert!(err.to_string().contains("checkpoint"), "{err}");
        assert!(!path.exists());
    }
}

#[test]
fn close_and_drop_stop_the_checkpoint_thread() {
    // Portable part: once close returns, every connection is closed, the checkpoint
    // thread's included, so the last one to close removed the WAL.
    let (_dir, path) = temp_db();
    let pool = checkpointed_pool(&path, Checkpoint::Background { pages: 10 });
    create_table(&pool);
    for _ in 0..40 {
        insert_blob(&pool, 3000);
    }
    eventually("the background thread checkpoints", || {
        pool.stats().checkpoints >= 1
    });
    pool.close(Duration::from_secs(5)).unwrap();
    assert!(!wal_exists(&path), "a connection is still open after close");

    // A zero timeout still stops an idle checkpoint thread (it only bounds the wait for
    // a checkpoint in progress).
    let pool = Pool::open(&path, PoolConfig::default()).unwrap();
    insert_blob(&pool, 10);
    pool.close(Duration::ZERO).unwrap();
    assert!(!wal_exists(&path));

    // Counting threads needs a process where no other test runs.
    if cfg!(target_os = "linux") {
        let exe = std::env::current_exe().unwrap();
        let out = std::process::Command::new(exe)
            .args([
                "--exact",
                "checkpoint_threads_child",
                "--ignored",
                "--nocapture",
                "--test-threads=1",
            ])
            .output()
            .unwrap();
        let text = String::from_utf8_lossy(&out.stdout).to_string()
            + &String::from_utf8_lossy(&out.stderr);
        assert!(out.status.success() && text.contains("1 passed"), "{text}");
    }
}

/// A pool on `path` with default options but `checkpoint`.
fn checkpointed_pool(path: &std::path::Path, checkpoint: Checkpoint) -> Pool {
    Pool::open(
        path,
        PoolConfig {
            checkpoint,
            ..Default::default()
        },
    )
    .unwrap()
}

/// Threads of this process named like the checkpointer (Linux truncates names to 15
/// bytes).
fn checkpoint_threads() -> usize {
    std::fs::read_dir("/proc/self/task")
        .unwrap()
        .filter_map(|task| std::fs::read_to_string(task.ok()?.path().join("comm")).ok())
        .filter(|name| name.trim_end() == "magnetar-checkp")
        .count()
}

/// A thread leaves /proc shortly after `join` returns: poll briefly.
fn assert_checkpoint_threads(expected: usize) {
    eventually(&format!("{expected} checkpoint thread(s) exist"), || {
        checkpoint_threads() == expected
    });
}

#[test]
#[ignore = "run by close_and_drop_stop_the_checkpoint_thread in a process of its own"]
fn checkpoint_threads_child() {
    assert_checkpoint_threads(0);
    let (_dir, path) = temp_db();

    // OnCommit: no thread.
    let pool = checkpointed_pool(&path, Checkpoint::OnCommit { pages: 10 });
    create_table(&pool);
    for _ in 0..40 {
        insert_blob(&pool, 3000);
    }
    assert_eq!(checkpoint_threads(), 0);
    pool.close(Duration::from_secs(5)).unwrap();

    // Background: one thread per pool, joined by close (which returns promptly).
    let background = PoolConfig {
        checkpoint: Checkpoint::Background { pages: 10 },
        ..Default::default()
    };
    let pool = Pool::open(&path, background.clone()).unwrap();
    // The thread names itself once it runs.
    assert_checkpoint_threads(1);
    for _ in 0..40 {
        insert_blob(&pool, 3000);
    }
    let started = std::time::Instant::now();
    pool.close(Duration::from_secs(5)).unwrap();
    assert!(started.elapsed() < Duration::from_secs(5));
    assert_checkpoint_threads(0);
    drop(pool);

    // Dropping the last handle (no close) joins it too: the thread does not keep the
    // pool alive.
    let pool = Pool::open(&path, background.clone()).unwrap();
    let other = pool.clone();
    insert_blob(&other, 10);
    assert_checkpoint_threads(1);
    drop(pool);
    assert_eq!(checkpoint_threads(), 1, "a handle is still alive");
    drop(other);
    assert_checkpoint_threads(0);
    assert!(!wal_exists(&path));

    // The same through the process-wide registry.
    let shared = Pool::shared(&path, background).unwrap();
    assert_checkpoint_threads(1);
    drop(shared);
    assert_checkpoint_threads(0);
}

#[test]
fn query_is_a_one_statement_read() {
    let (_dir, path) = temp_db();
    let pool = Pool::open(&path, PoolConfig::default()).unwrap();
    create_table(&pool);
    pool.write(|tx| {
        tx.execute_batch("INSERT INTO t (v) VALUES ('a'), ('b')")?;
        Ok(())
    })
    .unwrap();
    let params = Params::Positional(vec![Value::Text("b".into())]);
    let r = pool
        .query("SELECT id, v FROM t WHERE v = ?1", &params)
        .unwrap();
    assert_eq!(r.columns, ["id", "v"]);
    assert_eq!(r.rows, [vec![Value::Integer(2), Value::Text("b".into())]]);
    // On a reader: writes are refused and change nothing; the reader goes back.
    let err = pool
        .query("INSERT INTO t (v) VALUES ('c')", &Params::default())
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::ReadOnly);
    assert_eq!(count(&pool), 2);
    assert_eq!(pool.stats().in_use, 0);
}
