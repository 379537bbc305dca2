//! A SQLite connection pool: one writer, up to `max_readers` readers, WAL.
//!
//! SQLite allows one writer at a time. Giving every thread its own connection (or a
//! per-request `sqlite3.connect()`) turns that rule into `database is locked` errors under
//! concurrent writes. This pool follows GRDB's `DatabasePool` instead: exactly one writer
//! connection, which the pool serializes (callers queue for it rather than spin on
//! `SQLITE_BUSY`), and a bounded set of `query_only` readers that run concurrently with
//! each other and with the writer thanks to WAL.
//!
//! - [`Pool::write`] runs a closure in a `BEGIN IMMEDIATE` transaction on the writer:
//!   committed on `Ok`, rolled back on `Err` or panic. IMMEDIATE takes the write lock up
//!   front, so a read-then-write transaction can never fail half-way with `SQLITE_BUSY`.
//! - [`Pool::read`] runs a closure on a reader inside a read transaction, so everything it
//!   reads comes from one consistent snapshot.
//! - [`Pool::reader`] and [`Pool::writer`] return guards for longer use; the connection goes
//!   back to the pool when the guard drops. [`Pool::begin_read`] and [`Pool::begin_write`]
//!   return the same with the transaction already open, for hosts that cannot pass a
//!   closure (a Python `with` block). [`Pool::write_transaction`] returns the writer's
//!   transaction as a `Send + Sync` [`WriteTransaction`] handle ended by an explicit
//!   commit or rollback (rolled back when dropped open), for hosts whose closures cannot
//!   cross the FFI (Swift's `pool.write { tx in ... }`).
//! - The thread holding the writer cannot check it out again: that would only wait for
//!   itself, so it is refused at once with `InvalidInput`.
//! - [`Pool::shared`] returns the process-wide pool for a file, so two components never
//!   open competing writers on the same database.
//! - Checkpoints (copying the WAL back into the database file, with two fsyncs) run on a
//!   thread of the pool by default ([`Checkpoint::Background`]) instead of inside the
//!   commit that crosses SQLite's `wal_autocheckpoint` size, so commits do not wait for
//!   them; [`Checkpoint::OnCommit`] keeps SQLite's behaviour. Durability is the same in
//!   both modes. [`Pool::close`] and dropping the last handle stop and join that thread.
//!
//! ```no_run
//! # fn main() -> magnetar_core::Result<()> {
//! use magnetar_core::pool::{Pool, PoolConfig};
//! let pool = Pool::shared("app.db", PoolConfig::default())?;
//! pool.write(|tx| {
//!     tx.execute("CREATE TABLE IF NOT EXISTS t (x INTEGER)", [])?;
//!     tx.execute("INSERT INTO t VALUES (?1)", [42])?;
//!     Ok(())
//! })?;
//! let n: i64 = pool.read(|conn| Ok(conn.query_row("SELECT count(*) FROM t", [], |r| r.get(0))?))?;
//! # Ok(()) }
//! ```

mod checkpoint;
mod config;
mod connection;
mod migrate;
mod side;
pub mod statement;
mod stats;
mod transaction;

use std::collections::HashMap;
use std::fmt;
use std::ops::Deref;
use std::panic::Location;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, LazyLock, Weak};
use std::thread::ThreadId;
use std::time::{Duration, Instant};

use parking_lot::Mutex;
use rusqlite::Connection;

pub use config::{Checkpoint, ConnectionInit, PoolConfig, Role, Synchronous};
pub use migrate::{MigrationOutcome, Migrations, SchemaObjects};
pub use statement::{Params, QueryResult, Value};
pub use stats::PoolStats;
pub use transaction::WriteTransaction;

use crate::clock::SharedClock;
use crate::error::{Error, Result};
use checkpoint::Checkpointer;
use connection::Slot;
use side::{Env, Side};

/// A pool of SQLite connections to one database file. Cheap to clone (an `Arc` inside);
/// `Send + Sync`.
#[derive(Clone)]
pub struct Pool {
    inner: Arc<Inner>,
}

struct Inner {
    path: PathBuf,
    config: PoolConfig,
    writer: Side,
    readers: Side,
    counters: stats::Counters,
    closed: AtomicBool,
    /// The thread that checked out the writer, while it is out. A second checkout from
    /// that thread could only wait for itself until `acquire_timeout`, so it is refused
    /// at once instead.
    writer_holder: Mutex<Option<ThreadId>>,
    /// The background checkpoint thread (`Checkpoint::Background` only). It holds no
    /// reference to `Inner`, so dropping the last `Pool` drops this, which joins it.
    checkpointer: Option<Checkpointer>,
}

impl Inner {
    fn env(&self) -> Env<'_> {
        Env {
            path: &self.path,
            config: &self.config,
            counters: &self.counters,
            closed: &self.closed,
            checkpoints: self.checkpointer.as_ref().map(Checkpointer::signal),
        }
    }
}

impl Drop for Inner {
    fn drop(&mut self) {
        // Before the fields drop (the connections close): see `Pool::close`.
        if let Some(checkpointer) = &self.checkpointer {
            checkpointer.stop();
        }
    }
}

impl fmt::Debug for Pool {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Pool")
            .field("path", &self.inner.path)
            .field("closed", &self.is_closed())
            .finish()
    }
}

/// Pools opened with [`Pool::shared`], by canonical path. Weak, so a pool nobody holds is
/// freed; closed pools are removed.
static SHARED: LazyLock<Mutex<HashMap<PathBuf, Weak<Inner>>>> =
    LazyLock::new(|| Mutex::new(HashMap::new()));

impl Pool {
    /// Opens a pool on `path`, creating the file if needed.
    ///
    /// The writer connection is opened immediately: that switches the file to WAL and is
    /// where a missing directory, a file that is not a database, or a read-only file is
    /// reported, each with its own error kind. Nothing in an existing file is modified.
    ///
    /// Prefer [`Pool::shared`] unless you really want a second, independent pool.
    pub fn open(path: impl AsRef<Path>, config: PoolConfig) -> Result<Pool> {
        config.validate()?;
        let path = connection::check_path(path.as_ref())?;
        let checkpointer = match config.checkpoint {
            Checkpoint::Background { pages } => Some(Checkpointer::start(&path, &config, pages)?),
            Checkpoint::OnCommit { .. } => None,
        };
        let inner = Arc::new(Inner {
            writer: Side::new(Role::Writer, 1),
            readers: Side::new(Role::Reader, config.max_readers),
            counters: stats::Counters::default(),
            closed: AtomicBool::new(false),
            writer_holder: Mutex::new(None),
            checkpointer,
            path,
            config,
        });
        inner.writer.prefill(&inner.env())?;
        for _ in 0..inner.config.min_idle {
            inner.readers.prefill(&inner.env())?;
        }
        Ok(Pool { inner })
    }

    /// The process-wide pool for the file at `path`, opened with `config` if none is open.
    ///
    /// Keyed by canonical path (symlinks and `..` resolved), so every component of a
    /// process shares one writer per file. When a pool is already open, `config` is
    /// ignored and the existing pool returned.
    pub fn shared(path: impl AsRef<Path>, config: PoolConfig) -> Result<Pool> {
        let absolute = connection::check_path(path.as_ref())?;
        let key = connection::canonical_key(&absolute)?;
        let mut registry = SHARED.lock();
        if let Some(inner) = registry.get(&key).and_then(Weak::upgrade)
            && !inner.closed.load(Ordering::Acquire)
        {
            return Ok(Pool { inner });
        }
        let pool = Pool::open(&key, config)?;
        registry.retain(|_, weak| weak.strong_count() > 0);
        registry.insert(key, Arc::downgrade(&pool.inner));
        Ok(pool)
    }

    /// The database file this pool serves (absolute).
    pub fn path(&self) -> &Path {
        &self.inner.path
    }

    /// The pool's configuration.
    pub fn config(&self) -> &PoolConfig {
        &self.inner.config
    }

    /// The pool's clock, for components that store timestamps through it.
    pub fn clock(&self) -> &SharedClock {
        &self.inner.config.clock
    }

    /// Whether [`Pool::close`] was called.
    pub fn is_closed(&self) -> bool {
        self.inner.closed.load(Ordering::Acquire)
    }

    /// Runs `f` in a `BEGIN IMMEDIATE` transaction on the writer connection.
    ///
    /// Commits when `f` returns `Ok`; rolls back when it returns `Err` or panics (the panic
    /// then continues). Waits up to `acquire_timeout` for the writer. Calling `write` from
    /// inside `write` on the same pool and thread is refused with `InvalidInput` (it could
    /// only wait for itself); use `SAVEPOINT` statements on the connection you have.
    #[track_caller]
    pub fn write<T>(&self, f: impl FnOnce(&Connection) -> Result<T>) -> Result<T> {
        let mut tx = self.begin_at(Role::Writer, Location::caller())?;
        match f(&tx) {
            Ok(value) => {
                tx.commit()?;
                Ok(value)
            }
            Err(e) => {
                tx.note_error(&e);
                // A failed rollback discards the connection; `e` is what the caller needs.
                let _ = tx.rollback();
                Err(e)
            }
        }
    }

    /// Runs `f` on a reader connection inside a read transaction (one snapshot).
    ///
    /// Runs concurrently with other reads and with the writer. Readers are `query_only`:
    /// a write statement fails with a `ReadOnly` error.
    #[track_caller]
    pub fn read<T>(&self, f: impl FnOnce(&Connection) -> Result<T>) -> Result<T> {
        let mut tx = self.begin_at(Role::Reader, Location::caller())?;
        let result = f(&tx);
        if let Err(e) = &result {
            tx.note_error(e);
        }
        // A read transaction has nothing to commit; ending it either way is as cheap.
        tx.rollback()?;
        result
    }

    /// Runs one statement on a reader and returns its rows: the one-call read every
    /// binding offers. A single statement is one snapshot by itself (SQLite's implicit
    /// read transaction), so no `BEGIN`/`ROLLBACK` is spent around it; use
    /// [`Pool::read`] when several statements must see the same snapshot. Write
    /// statements fail with a `ReadOnly` error.
    #[track_caller]
    pub fn query(&self, sql: &str, params: &Params) -> Result<QueryResult> {
        let mut conn = self.acquire_reader(Location::caller())?;
        statement::run(&conn, sql, params).inspect_err(|e| conn.note_error(e))
    }

    /// Runs one statement on a reader and returns the first column of its first row
    /// (`None` when there is no row): the cheapest point read for a binding, with no
    /// column names or row vectors built; see [`statement::run_value`].
    #[track_caller]
    pub fn query_value(&self, sql: &str, params: &Params) -> Result<Option<Value>> {
        let mut conn = self.acquire_reader(Location::caller())?;
        statement::run_value(&conn, sql, params).inspect_err(|e| conn.note_error(e))
    }

    /// Runs one statement on the writer in its own `BEGIN IMMEDIATE` transaction
    /// (committed on success, rolled back on error) and returns its result: the
    /// one-call write every binding offers, next to [`Pool::query`]. Statements SQLite
    /// refuses inside a transaction (`VACUUM`, `BEGIN`/`COMMIT`) fail with `Database`.
    #[track_caller]
    pub fn execute(&self, sql: &str, params: &Params) -> Result<QueryResult> {
        self.write(|tx| statement::run(tx, sql, params))
    }

    /// Runs one statement once per parameter set, all in one write transaction (all or
    /// nothing; the error names the failing set); returns the total of rows affected.
    #[track_caller]
    pub fn execute_many(&self, sql: &str, param_sets: &[Params]) -> Result<u64> {
        self.write(|tx| statement::run_many(tx, sql, param_sets))
    }

    /// Checks out a reader and opens a read transaction on it (one snapshot) until the
    /// guard is committed, rolled back or dropped. For hosts that cannot pass a closure
    /// (a Python `with` block); prefer [`Pool::read`] otherwise.
    #[track_caller]
    pub fn begin_read(&self) -> Result<PoolTransaction> {
        self.begin_at(Role::Reader, Location::caller())
    }

    /// Checks out the writer and opens a `BEGIN IMMEDIATE` transaction on it until the
    /// guard is committed or rolled back; dropping it rolls back. For hosts that cannot
    /// pass a closure; prefer [`Pool::write`] otherwise.
    #[track_caller]
    pub fn begin_write(&self) -> Result<PoolTransaction> {
        self.begin_at(Role::Writer, Location::caller())
    }

    fn begin_at(
        &self,
        role: Role,
        location: &'static Location<'static>,
    ) -> Result<PoolTransaction> {
        let (mut conn, begin) = match role {
            Role::Reader => (self.acquire_reader(location)?, "BEGIN DEFERRED"),
            Role::Writer => (self.acquire_writer(location)?, "BEGIN IMMEDIATE"),
        };
        // Through the statement cache: parsing BEGIN/COMMIT on every transaction costs
        // as much as a point query.
        if let Err(e) = exec_cached(&conn, begin) {
            conn.note_error(&e);
            return Err(e);
        }
        Ok(PoolTransaction { conn, open: true })
    }

    /// Checks out a reader connection until the guard drops.
    #[track_caller]
    pub fn reader(&self) -> Result<PooledConnection> {
        self.acquire_reader(Location::caller())
    }

    /// Checks out the writer connection until the guard drops. The connection is in
    /// autocommit mode; a transaction left open when the guard drops is rolled back.
    /// Use `BEGIN IMMEDIATE` for write transactions.
    #[track_caller]
    pub fn writer(&self) -> Result<PooledConnection> {
        self.acquire_writer(Location::caller())
    }

    fn acquire_reader(&self, location: &'static Location<'static>) -> Result<PooledConnection> {
        let acquired = self.inner.readers.acquire(&self.inner.env(), location)?;
        Ok(PooledConnection::new(self, Role::Reader, acquired))
    }

    fn acquire_writer(&self, location: &'static Location<'static>) -> Result<PooledConnection> {
        // A closed pool says so first, even to the thread still holding the writer.
        if self.is_closed() {
            return Err(side::closed_error(&self.inner.path));
        }
        let me = std::thread::current().id();
        if *self.inner.writer_holder.lock() == Some(me) {
            return Err(Error::InvalidInput(format!(
                "the writer of the pool for {} is already checked out by this thread \
                 (write inside write, at {location}); waiting would only wait for itself: \
                 use a savepoint on the open transaction",
                self.inner.path.display()
            )));
        }
        let acquired = self.inner.writer.acquire(&self.inner.env(), location)?;
        *self.inner.writer_holder.lock() = Some(me);
        Ok(PooledConnection::new(self, Role::Writer, acquired))
    }

    /// Brings the schema described by `migrations` up to date; see [`Migrations`].
    #[track_caller]
    pub fn migrate(&self, migrations: &Migrations) -> Result<MigrationOutcome> {
        self.write(|tx| migrations.apply(tx))
    }

    /// A snapshot of the pool's gauges, counters and wait percentiles.
    pub fn stats(&self) -> PoolStats {
        let env = self.inner.env();
        let mut stats = PoolStats {
            max_readers: self.inner.config.max_readers as u64,
            ..PoolStats::default()
        };
        let mut waits = Vec::new();
        self.inner.writer.snapshot(&env, &mut stats, &mut waits);
        self.inner.readers.snapshot(&env, &mut stats, &mut waits);
        self.inner.counters.fill(&mut stats);
        if let Some(checkpointer) = &self.inner.checkpointer {
            stats.checkpoints = checkpointer.completed();
            stats.writer_checkpoints = checkpointer.by_writer();
        }
        stats::fill_percentiles(&mut stats, waits);
        stats
    }

    /// Closes the pool: stops handing out connections (waiters and later callers get
    /// `PoolClosed`), closes idle connections, and waits up to `timeout` for the ones in
    /// use to come back (they are closed as they return).
    ///
    /// The background checkpoint thread, if any, is stopped and joined; its connection is
    /// closed first, so that the last connection to close can checkpoint and remove the
    /// WAL. A checkpoint in progress is waited for within `timeout` too; if it outlasts
    /// it, `close` reports `PoolTimeout` (the thread exits after that checkpoint and is
    /// joined when the last handle drops).
    ///
    /// Returns `PoolTimeout` naming how many were still in use when `timeout` ran out;
    /// the pool is closed either way. Closing twice is harmless.
    pub fn close(&self, timeout: Duration) -> Result<()> {
        let started = Instant::now();
        let deadline = started + timeout;
        self.inner.closed.store(true, Ordering::Release);
        // Its connection first, closed right here, before the pool's: two connections
        // closing at the same time each see the other, and neither checkpoints and
        // removes the WAL. A checkpoint in progress is waited for within `timeout`.
        let checkpointer_running = self
            .inner
            .checkpointer
            .as_ref()
            .is_some_and(|c| !c.stop_until(Some(deadline)));
        SHARED.lock().retain(|_, weak| {
            weak.upgrade()
                .is_some_and(|inner| !Arc::ptr_eq(&inner, &self.inner))
        });
        self.inner.writer.shut();
        self.inner.readers.shut();
        let still_out = self.inner.writer.drain(deadline) + self.inner.readers.drain(deadline);
        if let Some(checkpointer) = &self.inner.checkpointer
            && !checkpointer_running
        {
            // Stopped and idle: it exits as soon as it runs.
            checkpointer.join();
        }
        if still_out > 0 {
            return Err(Error::PoolTimeout {
                waited: started.elapsed(),
                what: format!(
                    "{still_out} connection(s) still in use to be returned while closing {} \
                     (they will be closed when returned)",
                    self.inner.path.display()
                ),
            });
        }
        if checkpointer_running {
            return Err(Error::PoolTimeout {
                waited: started.elapsed(),
                what: format!(
                    "the checkpoint thread of the pool for {} to finish its checkpoint \
                     (it stops after it, and is joined when the pool is dropped)",
                    self.inner.path.display()
                ),
            });
        }
        Ok(())
    }
}

/// A connection checked out of a [`Pool`]; returned to it on drop.
///
/// Dereferences to [`rusqlite::Connection`]. `Send`, so it can move to another thread.
pub struct PooledConnection {
    pool: Pool,
    role: Role,
    slot: Option<Slot>,
    checkout_id: u64,
    broken: bool,
}

impl PooledConnection {
    fn new(pool: &Pool, role: Role, acquired: side::Acquired) -> Self {
        PooledConnection {
            pool: pool.clone(),
            role,
            slot: Some(acquired.slot),
            checkout_id: acquired.checkout_id,
            broken: false,
        }
    }

    /// Whether this is the writer or a reader.
    pub fn role(&self) -> Role {
        self.role
    }

    /// Marks the connection as unusable: it is closed instead of returned. Call this after
    /// an error that leaves the connection in doubt. Errors that SQLite classifies as
    /// fatal (corruption, I/O errors) are detected automatically by `read`/`write`.
    pub fn discard(mut self) {
        self.broken = true;
    }

    /// Records an error from using this connection; fatal ones get it discarded on drop.
    pub fn note_error(&mut self, error: &Error) {
        self.broken |= error.is_fatal_for_connection();
    }
}

impl Deref for PooledConnection {
    type Target = Connection;
    fn deref(&self) -> &Connection {
        match &self.slot {
            Some(slot) => &slot.conn,
            // The slot is only taken in `drop`.
            None => unreachable!("a pooled connection is used after being returned"),
        }
    }
}

impl Drop for PooledConnection {
    fn drop(&mut self) {
        if let Some(slot) = self.slot.take() {
            let inner = &self.pool.inner;
            let side = match self.role {
                Role::Writer => {
                    *inner.writer_holder.lock() = None;
                    &inner.writer
                }
                Role::Reader => &inner.readers,
            };
            side.release(&inner.env(), slot, self.checkout_id, self.broken);
        }
    }
}

impl fmt::Debug for PooledConnection {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PooledConnection")
            .field("path", &self.pool.inner.path)
            .field("role", &self.role)
            .finish()
    }
}

fn exec_cached(conn: &Connection, sql: &str) -> Result<()> {
    conn.prepare_cached(sql)?.execute([])?;
    Ok(())
}

/// A transaction on a checked-out connection, from [`Pool::begin_read`] or
/// [`Pool::begin_write`]. Dereferences to the connection. Dropping it without
/// [`PoolTransaction::commit`] rolls back and returns the connection.
pub struct PoolTransaction {
    conn: PooledConnection,
    open: bool,
}

impl PoolTransaction {
    /// Commits (a read transaction just ends) and returns the connection to the pool.
    pub fn commit(mut self) -> Result<()> {
        self.finish("COMMIT")
    }

    /// Rolls back and returns the connection to the pool.
    pub fn rollback(mut self) -> Result<()> {
        self.finish("ROLLBACK")
    }

    /// Records an error from using this transaction's connection; fatal ones get the
    /// connection discarded rather than returned.
    pub fn note_error(&mut self, error: &Error) {
        self.conn.note_error(error);
    }

    /// Whether this is the writer's transaction or a read transaction.
    pub fn role(&self) -> Role {
        self.conn.role
    }

    fn finish(&mut self, sql: &str) -> Result<()> {
        self.open = false;
        let result = exec_cached(&self.conn, sql);
        if let Err(e) = &result {
            // The connection's release rolls back whatever a failed COMMIT left open.
            self.conn.note_error(e);
        }
        result
    }
}

impl Deref for PoolTransaction {
    type Target = Connection;
    fn deref(&self) -> &Connection {
        &self.conn
    }
}

impl Drop for PoolTransaction {
    fn drop(&mut self) {
        if self.open {
            // Best effort: if this fails, the connection's release rolls back or
            // discards it.
            let _ = exec_cached(&self.conn, "ROLLBACK");
        }
    }
}

impl fmt::Debug for PoolTransaction {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PoolTransaction")
            .field("connection", &self.conn)
            .field("open", &self.open)
            .finish()
    }
}
