//! The background checkpointer: WAL checkpoints off the committing writer.
//!
//! SQLite checkpoints automatically inside the COMMIT that takes the WAL past
//! `wal_autocheckpoint` pages, so that one caller waits for the copy and its two fsyncs.
//! In [`Checkpoint::Background`](super::Checkpoint::Background) mode the pool instead
//! installs a WAL hook on its writer, which replaces SQLite's automatic checkpoint (the
//! automatic checkpoint *is* SQLite's default WAL hook). After a commit that leaves the
//! WAL at `pages` pages or more, the hook wakes this module's thread, which runs
//! `PRAGMA wal_checkpoint(PASSIVE)` on a connection of its own. PASSIVE copies whatever
//! no reader still needs without waiting for readers or the writer, and checkpoints run
//! concurrently with commits, so no commit waits for it. While the WAL keeps growing,
//! the thread is woken again every `pages / 4` pages, not at every commit: each pass
//! costs two fsyncs and rewrites the hot pages again.
//!
//! Writes that never pause leave the thread no moment to catch up completely, and the WAL
//! only restarts from its beginning once it has been checkpointed completely. So at
//! `4 * pages` pages the committing writer checkpoints itself, like SQLite would, but
//! only the pages written since the thread's last pass (see [`Signal::after_commit`]).
//!
//! Measured with 40,000 synchronous audit records (about 1.3 WAL pages each, default
//! `pages`, 2-core VM): 23-24 µs per record against 28 µs with `OnCommit`, the 99.9th
//! percentile 0.3-0.4 ms against 3.5-4.8 ms. One record in ~3,000 ran a catch-up, where
//! `OnCommit` runs a full checkpoint every 1,000 pages (one record in ~770); the `-wal`
//! file stayed at 16 MiB (4 MiB with `OnCommit`).
//!
//! The thread shares only a [`Signal`] with the pool, never the pool itself: dropping the
//! last pool handle still drops the pool, which stops and joins the thread.

use std::ffi::c_int;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicI32, AtomicU64, Ordering};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use parking_lot::{Condvar, Mutex};
use rusqlite::hooks::Wal;
use rusqlite::wal::CheckpointMode;
use rusqlite::{Connection, OpenFlags};

use super::config::{PoolConfig, Synchronous};
use crate::error::{Error, Result};

/// The name of the checkpointer thread (Linux shows its first 15 bytes).
pub(crate) const THREAD_NAME: &str = "magnetar-checkpoint";

/// First retry delay after a failed checkpoint; doubled per failure up to the maximum.
const RETRY_FIRST: Duration = Duration::from_millis(100);
const RETRY_MAX: Duration = Duration::from_secs(30);

/// While the WAL keeps growing past the threshold, the thread is woken again each time
/// it has grown by another `threshold / REQUEST_STEP_DIVISOR` pages.
const REQUEST_STEP_DIVISOR: c_int = 4;

/// At `threshold * CATCH_UP_FACTOR` pages the committing writer checkpoints itself.
const CATCH_UP_FACTOR: c_int = 4;

/// What the writer's WAL hook, the checkpointer thread and the pool share.
pub(crate) struct Signal {
    /// WAL size, in pages, from which a commit wakes the thread.
    threshold: c_int,
    /// Growth of the WAL, in pages, between two wake-ups while it stays past `threshold`.
    step: c_int,
    /// WAL size, in pages, from which the committing writer checkpoints itself.
    catch_up: c_int,
    /// WAL size at which the next commit wakes the thread. Only the writer's hook uses
    /// it (one writer at a time), so relaxed loads and stores suffice.
    next_request: AtomicI32,
    /// WAL size after the previous commit (writer's hook only, like `next_request`).
    last_pages: AtomicI32,
    /// A checkpoint was requested and the thread has not started it yet. Set without the
    /// lock; the lock is only taken to wake the thread.
    requested: AtomicBool,
    stop: AtomicBool,
    state: Mutex<State>,
    /// Wakes the thread (a request, or stop).
    wake: Condvar,
    /// Signalled when the thread finishes a checkpoint. Not `wake`: a request's
    /// `notify_one` must reach the thread, not a closer waiting for it.
    idle: Condvar,
    /// Checkpoints the thread completed.
    completed: AtomicU64,
    /// Checkpoints the writer ran itself (at `catch_up`).
    by_writer: AtomicU64,
}

/// The thread's connection and what it is doing with it.
#[derive(Default)]
struct State {
    /// The thread's connection while it waits; the thread takes it out to checkpoint.
    /// Kept here so that closing the pool closes it at once, on the closing thread,
    /// without waiting for the checkpointer thread to be scheduled.
    conn: Option<Connection>,
    /// Between taking a request and putting the connection back.
    checkpointing: bool,
    /// `stop_until` stopped waiting for a checkpoint in progress: the thread closes the
    /// connection itself when it exits.
    abandoned: bool,
}

impl Signal {
    fn new(threshold: u32) -> Signal {
        // Validated to fit (1..=i32::MAX) by `PoolConfig::validate`.
        let threshold = c_int::try_from(threshold).unwrap_or(c_int::MAX).max(1);
        Signal {
            threshold,
            step: (threshold / REQUEST_STEP_DIVISOR).max(1),
            catch_up: threshold.saturating_mul(CATCH_UP_FACTOR),
            next_request: AtomicI32::new(threshold),
            last_pages: AtomicI32::new(0),
            requested: AtomicBool::new(false),
            stop: AtomicBool::new(false),
            state: Mutex::new(State::default()),
            wake: Condvar::new(),
            idle: Condvar::new(),
            completed: AtomicU64::new(0),
            by_writer: AtomicU64::new(0),
        }
    }

    /// Asks the thread for a checkpoint. Never waits for one: at most it takes the lock
    /// (held only briefly, never during a checkpoint) to wake the thread.
    fn request(&self) {
        if !self.requested.swap(true, Ordering::AcqRel) {
            // Taking the lock orders this wake-up after the thread's check-then-wait,
            // so it cannot be lost.
            let _state = self.state.lock();
            self.wake.notify_one();
        }
    }

    fn request_stop(&self) {
        self.stop.store(true, Ordering::Release);
        let _state = self.state.lock();
        self.wake.notify_all();
    }

    /// For the thread: blocks until a checkpoint is requested, then hands over the
    /// connection (if one is open) and marks the thread busy; `None` once the pool
    /// stops.
    fn next_request(&self) -> Option<Option<Connection>> {
        let mut state = self.state.lock();
        loop {
            if self.stop.load(Ordering::Acquire) {
                return None;
            }
            if self.requested.swap(false, Ordering::AcqRel) {
                state.checkpointing = true;
                return Some(state.conn.take());
            }
            self.wake.wait(&mut state);
        }
    }

    /// For the thread: puts the connection back after a checkpoint (`None` after an
    /// error) and marks the thread idle.
    fn done(&self, conn: Option<Connection>) {
        let mut state = self.state.lock();
        state.conn = conn;
        state.checkpointing = false;
        self.idle.notify_all();
    }

    /// For the thread: sleeps for `delay` unless the pool stops first; `false` when it
    /// stopped.
    fn pause(&self, delay: Duration) -> bool {
        let deadline = Instant::now() + delay;
        let mut state = self.state.lock();
        while !self.stop.load(Ordering::Acquire) {
            if self.wake.wait_until(&mut state, deadline).timed_out() {
                return !self.stop.load(Ordering::Acquire);
            }
        }
        false
    }

    /// Installs the WAL hook on the writer connection. This replaces SQLite's automatic
    /// checkpoint on that connection.
    pub(crate) fn install(self: &Arc<Self>, conn: &mut Connection) -> Result<()> {
        let signal = Arc::clone(self);
        conn.wal_hook(Some(move |wal: &mut Wal, pages: c_int| {
            signal.after_commit(wal, pages);
            // An error here would be reported to the committing caller although its
            // transaction is committed: never fail.
            Ok(())
        }))?;
        Ok(())
    }

    /// The WAL hook: runs on the writer's thread after every commit, with the WAL's size.
    ///
    /// A WAL can only start again from its beginning when a write transaction begins
    /// while every page of it has been checkpointed. The thread checkpoints concurrently
    /// with commits, so when writes never pause, it never quite catches up and the WAL
    /// would grow without bound. Hence the catch-up: once the WAL reaches `catch_up`, the
    /// writer (while no other write can happen) checkpoints the few pages written since
    /// the thread's last pass, and the next write transaction restarts the WAL.
    fn after_commit(&self, wal: &mut Wal, pages: c_int) {
        if wal.name() != rusqlite::MAIN_DB {
            // A WAL-mode database the host attached to the writer: the thread only
            // checkpoints the main file, so keep SQLite's own behaviour for this one
            // (what its default hook does, which ignores errors too).
            if pages >= self.threshold {
                let _ = wal.checkpoint();
            }
            return;
        }
        match self.action(pages) {
            Action::Nothing => {}
            Action::Wake => self.request(),
            Action::CatchUp => {
                // Busy while the thread is still checkpointing: it is not woken past
                // this size, so one of the next commits gets its turn.
                if wal.checkpoint_v2(CheckpointMode::PASSIVE).is_ok() {
                    self.by_writer.fetch_add(1, Ordering::Relaxed);
                }
            }
        }
    }

    /// What a commit that left the main WAL at `pages` pages should do.
    fn action(&self, pages: c_int) -> Action {
        // A WAL smaller than after the previous commit has restarted: wake-ups are due
        // from the threshold again. Comparing with the threshold alone misses restarts
        // when one commit writes more than `threshold` pages (a batched audit writer
        // commits thousands), and the thread would then never be woken again.
        let last = self.last_pages.swap(pages, Ordering::Relaxed);
        if pages < last || pages < self.threshold {
            self.next_request.store(self.threshold, Ordering::Relaxed);
        }
        if pages < self.threshold {
            Action::Nothing
        } else if pages >= self.catch_up {
            Action::CatchUp
        } else if pages >= self.next_request.load(Ordering::Relaxed) {
            self.next_request
                .store(pages.saturating_add(self.step), Ordering::Relaxed);
            Action::Wake
        } else {
            Action::Nothing
        }
    }
}

/// What the writer's hook does after a commit.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Action {
    Nothing,
    /// Wake the checkpointer thread.
    Wake,
    /// Checkpoint on the writer (the WAL reached `catch_up`).
    CatchUp,
}

/// The checkpointer thread of one pool.
pub(crate) struct Checkpointer {
    signal: Arc<Signal>,
    thread: Mutex<Option<JoinHandle<()>>>,
}

impl Checkpointer {
    /// Starts the thread; its connection is opened at the first request.
    pub(crate) fn start(path: &Path, config: &PoolConfig, pages: u32) -> Result<Checkpointer> {
        let signal = Arc::new(Signal::new(pages));
        let target = Target {
            path: path.to_path_buf(),
            busy_timeout: config.busy_timeout,
            synchronous: config.synchronous,
        };
        let thread = std::thread::Builder::new()
            .name(THREAD_NAME.into())
            .spawn({
                let signal = Arc::clone(&signal);
                move || run(&signal, &target)
            })
            .map_err(|e| {
                Error::io(
                    format!(
                        "cannot start the checkpoint thread of the pool for {}",
                        path.display()
                    ),
                    e,
                )
            })?;
        Ok(Checkpointer {
            signal,
            thread: Mutex::new(Some(thread)),
        })
    }

    pub(crate) fn signal(&self) -> &Arc<Signal> {
        &self.signal
    }

    /// Checkpoints completed so far.
    pub(crate) fn completed(&self) -> u64 {
        self.signal.completed.load(Ordering::Relaxed)
    }

    /// Catch-up checkpoints the writer ran itself.
    pub(crate) fn by_writer(&self) -> u64 {
        self.signal.by_writer.load(Ordering::Relaxed)
    }

    /// Tells the thread to stop and closes its connection, on the calling thread; waits
    /// for a checkpoint in progress until `deadline` (`None`: as long as it takes).
    /// `false` when one was still running at `deadline`: the thread closes its
    /// connection after it.
    ///
    /// An idle thread is not woken here (see [`Checkpointer::join`]): `Pool::close` then
    /// makes no system call for it before it has drained the pool's connections.
    pub(crate) fn stop_until(&self, deadline: Option<Instant>) -> bool {
        // Once set, the thread takes no further request.
        self.signal.stop.store(true, Ordering::Release);
        let conn = {
            let mut state = self.signal.state.lock();
            while state.checkpointing {
                match deadline {
                    None => self.signal.idle.wait(&mut state),
                    Some(deadline) => {
                        if self
                            .signal
                            .idle
                            .wait_until(&mut state, deadline)
                            .timed_out()
                            && state.checkpointing
                        {
                            state.abandoned = true;
                            return false;
                        }
                    }
                }
            }
            state.conn.take()
        };
        // Closing can take a moment; not under the lock the writer's hook takes.
        drop(conn);
        true
    }

    /// Wakes the thread to exit and waits for it. Call after `stop_until`.
    pub(crate) fn join(&self) {
        self.signal.request_stop();
        let handle = self.thread.lock().take();
        if let Some(handle) = handle
            && handle.thread().id() != std::thread::current().id()
            && handle.join().is_err()
        {
            log::warn!("magnetar pool: the checkpoint thread panicked");
        }
    }

    /// Stops the thread, closes its connection and joins it.
    pub(crate) fn stop(&self) {
        self.stop_until(None);
        self.join();
    }
}

impl Drop for Checkpointer {
    fn drop(&mut self) {
        self.stop();
    }
}

/// What the thread needs to open its connection.
struct Target {
    path: PathBuf,
    busy_timeout: Duration,
    synchronous: Synchronous,
}

impl Target {
    fn open(&self) -> Result<Connection> {
        // Not CREATE: the writer created the file. NO_MUTEX: one thread at a time uses
        // it (the checkpointer, or the pool closing it).
        let flags = OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_NO_MUTEX;
        let conn = Connection::open_with_flags(&self.path, flags)?;
        // Only other processes can hold the locks it needs (a PASSIVE checkpoint itself
        // never waits), e.g. while one of them recovers the WAL.
        conn.busy_timeout(self.busy_timeout)?;
        // The connection that runs a checkpoint decides its fsyncs; match the pool's
        // (NORMAL and FULL both sync the WAL, then the database file). SQLite's default
        // would be FULL, which checkpoints the same way, but say it.
        conn.pragma_update(None, "synchronous", self.synchronous.pragma_value())?;
        // It never writes rows. query_only does not stop a checkpoint (see the test
        // below): it refuses write transactions, and a checkpoint is not one.
        conn.pragma_update(None, "query_only", "ON")?;
        Ok(conn)
    }
}

/// The result row of `PRAGMA wal_checkpoint`.
struct Outcome {
    /// Another checkpoint was running, or a lock was held (`SQLITE_BUSY`).
    busy: bool,
    /// Pages in the WAL.
    log: i64,
    /// Pages of the WAL now copied into the database file.
    checkpointed: i64,
}

fn checkpoint(conn: &Connection) -> Result<Outcome> {
    Ok(conn.query_row("PRAGMA wal_checkpoint(PASSIVE)", [], |r| {
        Ok(Outcome {
            busy: r.get::<_, i64>(0)? != 0,
            log: r.get(1)?,
            checkpointed: r.get(2)?,
        })
    })?)
}

/// Opens the connection if needed and checkpoints; the connection is returned unless
/// it failed (a fresh one is opened next time).
fn pass(conn: Option<Connection>, target: &Target) -> (Option<Connection>, Result<Outcome>) {
    let conn = match conn {
        Some(conn) => conn,
        None => match target.open() {
            Ok(conn) => conn,
            Err(e) => return (None, Err(e)),
        },
    };
    match checkpoint(&conn) {
        Ok(outcome) => (Some(conn), Ok(outcome)),
        Err(e) => (None, Err(e)),
    }
}

/// Marks the thread idle when it returns, even by a panic in the middle of a pass, so
/// that `stop_until(None)` (on drop) cannot wait forever.
struct IdleOnExit<'a>(&'a Signal);

impl Drop for IdleOnExit<'_> {
    fn drop(&mut self) {
        self.0.state.lock().checkpointing = false;
        self.0.idle.notify_all();
    }
}

fn run(signal: &Signal, target: &Target) {
    let _idle_on_exit = IdleOnExit(signal);
    let mut failures: u32 = 0;
    while let Some(conn) = signal.next_request() {
        let (conn, result) = pass(conn, target);
        // Back in the shared state (or closed, after an error) before anyone is told.
        signal.done(conn);
        match result {
            Ok(outcome) => {
                signal.completed.fetch_add(1, Ordering::Relaxed);
                if failures > 0 {
                    log::info!(
                        "magnetar pool {}: background checkpoints work again after {failures} \
                         failure(s)",
                        target.path.display()
                    );
                    failures = 0;
                }
                log::debug!(
                    "magnetar pool {}: checkpointed {} of {} WAL pages{}",
                    target.path.display(),
                    outcome.checkpointed,
                    outcome.log,
                    if outcome.busy { " (busy)" } else { "" }
                );
            }
            Err(e) => {
                // Retry from a fresh connection, after a delay that grows with
                // consecutive failures; the WAL is still past the threshold, so retry
                // even if no commit asks again.
                failures = failures.saturating_add(1);
                let delay = RETRY_FIRST
                    .saturating_mul(1 << (failures - 1).min(16))
                    .min(RETRY_MAX);
                log::warn!(
                    "magnetar pool {}: background checkpoint failed ({failures} in a row), \
                     retrying in {delay:?}: {e}",
                    target.path.display()
                );
                if !signal.pause(delay) {
                    break;
                }
                signal.requested.store(true, Ordering::Release);
            }
        }
    }
    // The connection is left to `stop_until`, which closes it on the closing thread
    // before the pool's connections (closing both at once, neither would remove the
    // WAL), unless it stopped waiting for this thread's checkpoint.
    let conn = {
        let mut state = signal.state.lock();
        if state.abandoned {
            state.conn.take()
        } else {
            None
        }
    };
    drop(conn);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_query_only_connection_may_checkpoint() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("ckpt.db");
        let writer = Connection::open(&path).unwrap();
        writer
            .execute_batch(
                "PRAGMA journal_mode = WAL; PRAGMA wal_autocheckpoint = 0;
                 CREATE TABLE t (x); INSERT INTO t VALUES (1), (2), (3);",
            )
            .unwrap();
        let target = Target {
            path: path.clone(),
            busy_timeout: Duration::from_secs(1),
            synchronous: Synchronous::Normal,
        };
        let conn = target.open().unwrap();
        let only: i64 = conn
            .query_row("PRAGMA query_only", [], |r| r.get(0))
            .unwrap();
        assert_eq!(only, 1);
        let outcome = checkpoint(&conn).unwrap();
        assert!(!outcome.busy);
        assert!(outcome.log > 0);
        assert_eq!(outcome.checkpointed, outcome.log);
        // ... and still cannot write.
        assert!(conn.execute("INSERT INTO t VALUES (4)", []).is_err());
    }

    #[test]
    fn an_idle_thread_stops_whatever_the_deadline() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("idle.db");
        let checkpointer = Checkpointer::start(&path, &PoolConfig::default(), 10).unwrap();
        // Past its deadline, but no checkpoint is in progress: nothing to wait for.
        assert!(checkpointer.stop_until(Some(Instant::now())));
        checkpointer.join();
        assert!(checkpointer.thread.lock().is_none(), "joined");
        assert!(
            checkpointer.stop_until(Some(Instant::now())),
            "twice is harmless"
        );
        checkpointer.join();
    }

    #[test]
    fn wake_ups_follow_the_wal_size() {
        use Action::*;
        // threshold 100, step 25, catch-up at 400.
        let signal = Signal::new(100);
        let seen: Vec<Action> = [10, 99, 100, 110, 125, 150, 399, 400, 20, 130, 160]
            .into_iter()
            .map(|pages| signal.action(pages))
            .collect();
        assert_eq!(
            seen,
            [
                Nothing, Nothing, Wake, Nothing, Wake, Wake, Wake, CatchUp, Nothing, Wake, Wake
            ]
        );
        // Commits larger than the threshold: the WAL restarts straight past it, and every
        // restart must still wake the thread at the first commit.
        let big = Signal::new(100);
        let seen: Vec<Action> = [130, 260, 390, 520, 130, 260, 390, 520, 130]
            .into_iter()
            .map(|pages| big.action(pages))
            .collect();
        assert_eq!(
            seen,
            [Wake, Wake, Wake, CatchUp, Wake, Wake, Wake, CatchUp, Wake]
        );
    }

    #[test]
    fn requests_coalesce_and_stop_wakes_the_thread() {
        let signal = Signal::new(1);
        signal.request();
        signal.request();
        assert!(matches!(signal.next_request(), Some(None)));
        signal.done(None);
        signal.request_stop();
        assert!(signal.next_request().is_none());
        assert!(!signal.pause(Duration::from_secs(60)));
    }
}
