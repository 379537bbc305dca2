//! `Pool`: the SQLite connection pool (one writer, N readers, WAL) for Swift.
//!
//! Swift cannot pass a closure that borrows a connection across the FFI boundary, so
//! statements travel as SQL plus bound values and rows come back materialised. A write
//! transaction is either a list of statements run by core's `run_batch` inside one
//! `BEGIN IMMEDIATE` transaction (`write`), or a [`WriteTransaction`] object wrapping
//! core's handle, which the hand-written Swift `Pool.write { tx in ... }` begins, hands
//! to the closure and commits or rolls back.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use magnetar_core::pool::statement::run_batch;
use magnetar_core::pool::{self as core_pool, Migrations};

use crate::error::{MagnetarError, Result};
use crate::sql::{QueryResult, SqlValue, Statement, named, positional};

/// SQLite's `synchronous` setting: what a committed transaction survives.
#[derive(Debug, Clone, Copy, PartialEq, Eq, uniffi::Enum)]
pub enum Synchronous {
    /// Durable against process crashes (the default).
    Normal,
    /// Durable against power loss too, at one fsync per write transaction.
    Full,
}

/// Pool configuration. Start from `PoolConfig()` in Swift (core's defaults, see
/// [`default_pool_config`]) and adjust fields.
#[derive(Debug, Clone, PartialEq, uniffi::Record)]
pub struct PoolConfig {
    /// Most reader connections open at once (1...64).
    pub max_readers: u32,
    /// Reader connections kept open even when idle (at most `max_readers`).
    pub min_idle: u32,
    /// How long a call waits for a free connection before failing with `poolTimeout`.
    pub acquire_timeout: Duration,
    /// A reader idle for longer than this is closed; `nil` keeps idle readers forever.
    pub idle_timeout: Option<Duration>,
    /// A connection older than this is replaced at its next checkout; `nil` disables.
    pub max_lifetime: Option<Duration>,
    /// A connection idle for longer than this is health-checked before use.
    pub health_check_after: Duration,
    /// The health check statement.
    pub health_check_sql: String,
    /// Log a warning when a connection is held longer than this; `nil` disables.
    pub leak_threshold: Option<Duration>,
    /// SQLite's busy timeout (only other processes can make it wait).
    pub busy_timeout: Duration,
    /// `PRAGMA synchronous`.
    pub synchronous: Synchronous,
}

impl From<&core_pool::PoolConfig> for PoolConfig {
    fn from(c: &core_pool::PoolConfig) -> Self {
        PoolConfig {
            // Core caps max_readers at 64 and min_idle at max_readers, so these fit; a
            // larger value saturates rather than wraps.
            max_readers: u32::try_from(c.max_readers).unwrap_or(u32::MAX),
            min_idle: u32::try_from(c.min_idle).unwrap_or(u32::MAX),
            acquire_timeout: c.acquire_timeout,
            idle_timeout: c.idle_timeout,
            max_lifetime: c.max_lifetime,
            health_check_after: c.health_check_after,
            health_check_sql: c.health_check_sql.clone(),
            leak_threshold: c.leak_threshold,
            busy_timeout: c.busy_timeout,
            synchronous: match c.synchronous {
                core_pool::Synchronous::Normal => Synchronous::Normal,
                core_pool::Synchronous::Full => Synchronous::Full,
            },
        }
    }
}

impl From<PoolConfig> for core_pool::PoolConfig {
    fn from(c: PoolConfig) -> Self {
        core_pool::PoolConfig {
            max_readers: c.max_readers as usize,
            min_idle: c.min_idle as usize,
            acquire_timeout: c.acquire_timeout,
            idle_timeout: c.idle_timeout,
            max_lifetime: c.max_lifetime,
            health_check_after: c.health_check_after,
            health_check_sql: c.health_check_sql,
            leak_threshold: c.leak_threshold,
            busy_timeout: c.busy_timeout,
            synchronous: match c.synchronous {
                Synchronous::Normal => core_pool::Synchronous::Normal,
                Synchronous::Full => core_pool::Synchronous::Full,
            },
            // The clock and the connection hook stay core's defaults: Swift has no use
            // for a manual clock, and a hook would run Swift code inside every open.
            ..core_pool::PoolConfig::default()
        }
    }
}

/// Core's default pool configuration (5 readers, 5 s acquire timeout, ...).
#[uniffi::export]
pub fn default_pool_config() -> PoolConfig {
    PoolConfig::from(&core_pool::PoolConfig::default())
}

/// A snapshot of a pool's gauges, counters and wait percentiles.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct PoolStats {
    /// Connections open and idle.
    pub idle: u64,
    /// Connections handed out right now.
    pub in_use: u64,
    /// Callers waiting for a connection right now.
    pub waiting: u64,
    /// Reader connections open.
    pub readers_open: u64,
    /// The configured `max_readers`.
    pub max_readers: u64,
    /// Connections opened since the pool was created.
    pub created: u64,
    /// Connections closed for age or idleness.
    pub recycled: u64,
    /// Connections closed because they failed.
    pub discarded: u64,
    /// Successful acquires.
    pub acquires: u64,
    /// Acquires that timed out.
    pub acquire_timeouts: u64,
    /// Median wait for a connection (recent acquires).
    pub wait_p50: Duration,
    /// 95th-percentile wait.
    pub wait_p95: Duration,
    /// 99th-percentile wait.
    pub wait_p99: Duration,
    /// Longest recent wait.
    pub wait_max: Duration,
}

impl From<core_pool::PoolStats> for PoolStats {
    fn from(s: core_pool::PoolStats) -> Self {
        PoolStats {
            idle: s.idle,
            in_use: s.in_use,
            waiting: s.waiting,
            readers_open: s.readers_open,
            max_readers: s.max_readers,
            created: s.created,
            recycled: s.recycled,
            discarded: s.discarded,
            acquires: s.acquires,
            acquire_timeouts: s.acquire_timeouts,
            wait_p50: s.wait_p50,
            wait_p95: s.wait_p95,
            wait_p99: s.wait_p99,
            wait_max: s.wait_max,
        }
    }
}

/// What `Pool.migrate` did.
#[derive(Debug, Clone, Copy, PartialEq, Eq, uniffi::Record)]
pub struct MigrationOutcome {
    /// The schema version found before migrating (0 for a new schema).
    pub from_version: i64,
    /// The version after migrating.
    pub to_version: i64,
}

/// A pool of SQLite connections to one database file: one writer, up to `max_readers`
/// readers, WAL. Thread-safe; share one per file.
#[derive(Debug, uniffi::Object)]
pub struct Pool {
    inner: core_pool::Pool,
}

impl Pool {
    /// The core pool, for components that store through it.
    pub(crate) fn core(&self) -> &core_pool::Pool {
        &self.inner
    }
}

#[uniffi::export]
impl Pool {
    /// The process-wide pool for the file at `path` (created if needed), opened with
    /// `config` unless one is already open for that file.
    #[uniffi::constructor]
    pub fn new(path: String, config: PoolConfig) -> Result<Arc<Self>> {
        let inner = core_pool::Pool::shared(path, config.into())?;
        Ok(Arc::new(Pool { inner }))
    }

    /// An independent pool on `path` (a second writer on the same file: prefer `Pool(path:config:)`).
    #[uniffi::constructor]
    pub fn open(path: String, config: PoolConfig) -> Result<Arc<Self>> {
        let inner = core_pool::Pool::open(path, config.into())?;
        Ok(Arc::new(Pool { inner }))
    }

    /// Runs one statement with values bound in order on a reader (one snapshot). Write
    /// statements fail with `readOnly`.
    pub fn read(&self, sql: String, params: Vec<SqlValue>) -> Result<QueryResult> {
        let params = positional(params);
        Ok(self.inner.query(&sql, &params)?.into())
    }

    /// Runs one statement with values bound in order on a reader and returns the first
    /// column of its first row (`nil` when there is no row): the cheap point read, with
    /// no column names or row arrays to carry back.
    pub fn read_value(&self, sql: String, params: Vec<SqlValue>) -> Result<Option<SqlValue>> {
        let params = positional(params);
        Ok(self.inner.query_value(&sql, &params)?.map(Into::into))
    }

    /// Checks out the writer and opens a `BEGIN IMMEDIATE` transaction on it. Prefer
    /// `pool.write { tx in ... }`, which commits when the closure returns and rolls back
    /// when it throws. Other writers wait (up to `acquireTimeout`) until this one is
    /// committed or rolled back; released without either, it rolls back. From the
    /// thread that began it, a second write on this pool fails at once with
    /// `invalidInput`.
    pub fn begin_write_transaction(&self) -> Result<Arc<WriteTransaction>> {
        Ok(Arc::new(WriteTransaction {
            inner: self.inner.write_transaction()?,
        }))
    }

    /// Like `read`, binding values by name.
    pub fn read_named(
        &self,
        sql: String,
        params: HashMap<String, SqlValue>,
    ) -> Result<QueryResult> {
        let params = named(params);
        Ok(self.inner.query(&sql, &params)?.into())
    }

    /// Runs several statements on one reader inside one read transaction, so they all
    /// see the same snapshot.
    pub fn read_batch(&self, statements: Vec<Statement>) -> Result<Vec<QueryResult>> {
        let statements: Vec<_> = statements.into_iter().map(Into::into).collect();
        let results = self.inner.read(|conn| run_batch(conn, &statements))?;
        Ok(results.into_iter().map(Into::into).collect())
    }

    /// Runs one statement with values bound in order in its own write transaction.
    pub fn execute(&self, sql: String, params: Vec<SqlValue>) -> Result<QueryResult> {
        let params = positional(params);
        Ok(self.inner.execute(&sql, &params)?.into())
    }

    /// Like `execute`, binding values by name.
    pub fn execute_named(
        &self,
        sql: String,
        params: HashMap<String, SqlValue>,
    ) -> Result<QueryResult> {
        let params = named(params);
        Ok(self.inner.execute(&sql, &params)?.into())
    }

    /// Runs one statement once per parameter set in one write transaction (all or
    /// nothing); returns the total of rows affected.
    pub fn execute_many(&self, sql: String, param_sets: Vec<Vec<SqlValue>>) -> Result<u64> {
        let sets: Vec<_> = param_sets.into_iter().map(positional).collect();
        Ok(self.inner.execute_many(&sql, &sets)?)
    }

    /// Runs `statements` in order in one `BEGIN IMMEDIATE` transaction: committed when
    /// all succeed, rolled back when one fails (the error names which).
    pub fn write(&self, statements: Vec<Statement>) -> Result<Vec<QueryResult>> {
        let statements: Vec<_> = statements.into_iter().map(Into::into).collect();
        let results = self.inner.write(|tx| run_batch(tx, &statements))?;
        Ok(results.into_iter().map(Into::into).collect())
    }

    /// Brings the host's schema (versioned in `PRAGMA user_version`) up to date: step
    /// *i* (from 1) brings it to version *i*. Refuses a newer schema (`schemaTooNew`).
    pub fn migrate(&self, steps: Vec<String>) -> Result<MigrationOutcome> {
        let steps: Vec<&str> = steps.iter().map(String::as_str).collect();
        let outcome = self.inner.migrate(&Migrations::user_version(&steps))?;
        Ok(MigrationOutcome {
            from_version: outcome.from,
            to_version: outcome.to,
        })
    }

    /// A snapshot of the pool's gauges and counters.
    pub fn stats(&self) -> PoolStats {
        self.inner.stats().into()
    }

    /// The pool's configuration.
    pub fn config(&self) -> PoolConfig {
        self.inner.config().into()
    }

    /// The database file (absolute path).
    pub fn path(&self) -> String {
        self.inner.path().to_string_lossy().into_owned()
    }

    /// Whether `close` was called.
    pub fn is_closed(&self) -> bool {
        self.inner.is_closed()
    }

    /// Closes the pool, waiting up to `timeout` for connections in use; later calls
    /// fail with `poolClosed`. Closing twice is harmless.
    pub fn close(&self, timeout: Duration) -> Result<()> {
        self.inner.close(timeout).map_err(MagnetarError::from)
    }
}

/// The pool writer's open `BEGIN IMMEDIATE` transaction (core's `WriteTransaction`).
///
/// Statements run inside it; `commit` or `rollback` ends it, once: any later call fails
/// with `invalidInput`. Released while still open, it rolls back and returns the writer.
/// A failing statement does not end it (SQLite undoes that statement only).
#[derive(Debug, uniffi::Object)]
pub struct WriteTransaction {
    inner: core_pool::WriteTransaction,
}

#[uniffi::export]
impl WriteTransaction {
    /// Runs one statement with values bound in order inside the transaction.
    pub fn execute(&self, sql: String, params: Vec<SqlValue>) -> Result<QueryResult> {
        Ok(self.inner.run(&sql, &positional(params))?.into())
    }

    /// Like `execute`, binding values by name.
    pub fn execute_named(
        &self,
        sql: String,
        params: HashMap<String, SqlValue>,
    ) -> Result<QueryResult> {
        Ok(self.inner.run(&sql, &named(params))?.into())
    }

    /// Runs one statement once per parameter set; returns the total of rows affected.
    pub fn execute_many(&self, sql: String, param_sets: Vec<Vec<SqlValue>>) -> Result<u64> {
        let sets: Vec<_> = param_sets.into_iter().map(positional).collect();
        Ok(self.inner.run_many(&sql, &sets)?)
    }

    /// Runs a query inside the transaction (it sees the transaction's own writes).
    pub fn query(&self, sql: String, params: Vec<SqlValue>) -> Result<QueryResult> {
        self.execute(sql, params)
    }

    /// The first column of the first row of a query inside the transaction (`nil`
    /// when there is no row).
    pub fn query_value(&self, sql: String, params: Vec<SqlValue>) -> Result<Option<SqlValue>> {
        Ok(self
            .inner
            .run_value(&sql, &positional(params))?
            .map(Into::into))
    }

    /// Commits and returns the writer to the pool.
    pub fn commit(&self) -> Result<()> {
        Ok(self.inner.commit()?)
    }

    /// Rolls back and returns the writer to the pool.
    pub fn rollback(&self) -> Result<()> {
        Ok(self.inner.rollback()?)
    }

    /// Whether neither `commit` nor `rollback` has ended it yet.
    pub fn is_open(&self) -> bool {
        self.inner.is_open()
    }
}
