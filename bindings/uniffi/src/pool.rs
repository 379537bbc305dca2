//! `Pool`: the SQLite connection pool (one writer, N readers, WAL) for Swift.
//!
//! Swift cannot pass a closure that borrows a connection across the FFI boundary, so
//! statements travel as SQL plus bound values and rows come back materialised. A write
//! transaction is either a list of statements run by core's `run_batch` inside one
//! `BEGIN IMMEDIATE` transaction (`write`), or a [`WriteTransaction`] object wrapping
//! core's handle, which the hand-written Swift `Pool.write { tx in ... }` begins, hands
//! to the closure and commits or rolls back.
//!
//! `Synchronous`, `PoolStats`, `MigrationOutcome`, `SqlValue` and `QueryResult` are
//! core's own types (their uniffi conversions are derived in core).

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use magnetar_core::pool::statement::{QueryResult, run_batch};
use magnetar_core::pool::{
    self as core_pool, MigrationOutcome, Migrations, Params, PoolStats, Synchronous, Value,
};

use crate::error::{MagnetarError, Result};
use crate::sql::{Statement, named};

/// Pool configuration. Start from `PoolConfig()` in Swift (core's defaults, see
/// [`default_pool_config`]) and adjust fields.
///
/// Not core's `PoolConfig` itself: that one also holds the clock (`Arc<dyn Clock>`) and
/// the connection `init` hook (a Rust closure), which uniffi cannot carry and Swift has
/// no use for, and sizes as `usize`, which uniffi does not have.
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
            synchronous: c.synchronous,
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
            synchronous: c.synchronous,
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
    pub fn read(&self, sql: String, params: Vec<Value>) -> Result<QueryResult> {
        Ok(self.inner.query(&sql, &Params::Positional(params))?)
    }

    /// Runs one statement with values bound in order on a reader and returns the first
    /// column of its first row (`nil` when there is no row): the cheap point read, with
    /// no column names or row arrays to carry back.
    pub fn read_value(&self, sql: String, params: Vec<Value>) -> Result<Option<Value>> {
        Ok(self.inner.query_value(&sql, &Params::Positional(params))?)
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
    pub fn read_named(&self, sql: String, params: HashMap<String, Value>) -> Result<QueryResult> {
        Ok(self.inner.query(&sql, &named(params))?)
    }

    /// Runs several statements on one reader inside one read transaction, so they all
    /// see the same snapshot.
    pub fn read_batch(&self, statements: Vec<Statement>) -> Result<Vec<QueryResult>> {
        let statements: Vec<_> = statements.into_iter().map(Into::into).collect();
        Ok(self.inner.read(|conn| run_batch(conn, &statements))?)
    }

    /// Runs one statement with values bound in order in its own write transaction.
    pub fn execute(&self, sql: String, params: Vec<Value>) -> Result<QueryResult> {
        Ok(self.inner.execute(&sql, &Params::Positional(params))?)
    }

    /// Like `execute`, binding values by name.
    pub fn execute_named(
        &self,
        sql: String,
        params: HashMap<String, Value>,
    ) -> Result<QueryResult> {
        Ok(self.inner.execute(&sql, &named(params))?)
    }

    /// Runs one statement once per parameter set in one write transaction (all or
    /// nothing); returns the total of rows affected.
    pub fn execute_many(&self, sql: String, param_sets: Vec<Vec<Value>>) -> Result<u64> {
        let sets: Vec<_> = param_sets.into_iter().map(Params::Positional).collect();
        Ok(self.inner.execute_many(&sql, &sets)?)
    }

    /// Runs `statements` in order in one `BEGIN IMMEDIATE` transaction: committed when
    /// all succeed, rolled back when one fails (the error names which).
    pub fn write(&self, statements: Vec<Statement>) -> Result<Vec<QueryResult>> {
        let statements: Vec<_> = statements.into_iter().map(Into::into).collect();
        Ok(self.inner.write(|tx| run_batch(tx, &statements))?)
    }

    /// Brings the host's schema (versioned in `PRAGMA user_version`) up to date: step
    /// *i* (from 1) brings it to version *i*. Refuses a newer schema (`schemaTooNew`).
    pub fn migrate(&self, steps: Vec<String>) -> Result<MigrationOutcome> {
        let steps: Vec<&str> = steps.iter().map(String::as_str).collect();
        Ok(self.inner.migrate(&Migrations::user_version(&steps))?)
    }

    /// A snapshot of the pool's gauges and counters.
    pub fn stats(&self) -> PoolStats {
        self.inner.stats()
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
    pub fn execute(&self, sql: String, params: Vec<Value>) -> Result<QueryResult> {
        Ok(self.inner.run(&sql, &Params::Positional(params))?)
    }

    /// Like `execute`, binding values by name.
    pub fn execute_named(
        &self,
        sql: String,
        params: HashMap<String, Value>,
    ) -> Result<QueryResult> {
        Ok(self.inner.run(&sql, &named(params))?)
    }

    /// Runs one statement once per parameter set; returns the total of rows affected.
    pub fn execute_many(&self, sql: String, param_sets: Vec<Vec<Value>>) -> Result<u64> {
        let sets: Vec<_> = param_sets.into_iter().map(Params::Positional).collect();
        Ok(self.inner.run_many(&sql, &sets)?)
    }

    /// Runs a query inside the transaction (it sees the transaction's own writes).
    pub fn query(&self, sql: String, params: Vec<Value>) -> Result<QueryResult> {
        self.execute(sql, params)
    }

    /// The first column of the first row of a query inside the transaction (`nil`
    /// when there is no row).
    pub fn query_value(&self, sql: String, params: Vec<Value>) -> Result<Option<Value>> {
        Ok(self.inner.run_value(&sql, &Params::Positional(params))?)
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
