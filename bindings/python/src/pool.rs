//! `magnetar.Pool`, its connection context managers and `magnetar.Cursor`.
//!
//! `with pool.read() as conn:` checks a reader out of the core pool and opens a read
//! transaction (one snapshot for the whole block); `with pool.write() as conn:` checks
//! out the writer and runs the block in a `BEGIN IMMEDIATE` transaction, committed on a
//! clean exit and rolled back on an exception. The checked-out connection lives inside
//! the Python object until `__exit__`, so every `conn.execute()` in the block runs on it.
//!
//! The GIL is released around everything that can wait: acquiring a connection, running
//! a statement, committing. Ending a read transaction keeps it (it never waits, and
//! handing the GIL to another thread and back costs more). Statement results are
//! materialised by core (with the GIL released) and converted to Python objects only as
//! they are fetched. `pool.query()` does a whole read in one call.

use std::path::PathBuf;
use std::sync::{Mutex, MutexGuard};

use magnetar_core::Error;
use magnetar_core::pool::{
    Migrations, Params, Pool, PoolConfig, PoolStats, PoolTransaction, QueryResult, Role,
    Synchronous, Value, statement,
};
use pyo3::prelude::*;
use pyo3::types::{PyDict, PyList, PyTuple};

use crate::aio::in_executor;
use crate::conversions::{
    duration_from_py, optional_duration_from_py, params_from_py, row_to_py, type_name,
};
use crate::errors::{IntoPyResult, invalid_input, to_py};

/// The pool options a Python caller may pass, by name; anything left out keeps core's
/// default.
const POOL_OPTIONS: &str = "max_readers, min_idle, acquire_timeout, idle_timeout, \
    max_lifetime, health_check_after, health_check_sql, leak_threshold, busy_timeout, \
    synchronous";

/// Builds a core `PoolConfig` from keyword arguments. Durations are seconds (int or
/// float) or `timedelta`; `None` disables `idle_timeout`, `max_lifetime` and
/// `leak_threshold`.
pub fn config_from_py(options: Option<&Bound<'_, PyDict>>) -> PyResult<PoolConfig> {
    let mut config = PoolConfig::default();
    let Some(options) = options else {
        return Ok(config);
    };
    for (key, value) in options.iter() {
        let key: String = key.extract()?;
        let bad_int = |_| {
            to_py(Error::InvalidConfig(format!(
                "{key} must be a non-negative int, got {}",
                type_name(&value)
            )))
        };
        match key.as_str() {
            "max_readers" => config.max_readers = value.extract().map_err(bad_int)?,
            "min_idle" => config.min_idle = value.extract().map_err(bad_int)?,
            "acquire_timeout" => config.acquire_timeout = duration_from_py(&key, &value)?,
            "idle_timeout" => config.idle_timeout = optional_duration_from_py(&key, &value)?,
            "max_lifetime" => config.max_lifetime = optional_duration_from_py(&key, &value)?,
            "health_check_after" => config.health_check_after = duration_from_py(&key, &value)?,
            "health_check_sql" => config.health_check_sql = value.extract()?,
            "leak_threshold" => config.leak_threshold = optional_duration_from_py(&key, &value)?,
            "busy_timeout" => config.busy_timeout = duration_from_py(&key, &value)?,
            "synchronous" => {
                let text: String = value.extract()?;
                config.synchronous = match text.to_ascii_lowercase().as_str() {
                    "normal" => Synchronous::Normal,
                    "full" => Synchronous::Full,
                    _ => {
                        return Err(to_py(Error::InvalidConfig(format!(
                            "synchronous must be \"normal\" or \"full\", got {text:?}"
                        ))));
                    }
                }
            }
            _ => {
                return Err(to_py(Error::InvalidConfig(format!(
                    "unknown pool option {key:?}; the options are {POOL_OPTIONS}"
                ))));
            }
        }
    }
    Ok(config)
}

/// A pool of SQLite connections to one database file: one writer, up to `max_readers`
/// readers, WAL mode. Safe to share between threads.
///
/// `Pool(path, **options)` opens an independent pool; prefer `magnetar.get_pool(path)`,
/// which returns the one pool of the process for that file.
#[pyclass(module = "magnetar", name = "Pool", frozen)]
pub struct PyPool {
    pub(crate) inner: Pool,
}

#[pymethods]
impl PyPool {
    #[new]
    #[pyo3(signature = (path, **options))]
    fn new(py: Python<'_>, path: PathBuf, options: Option<&Bound<'_, PyDict>>) -> PyResult<Self> {
        let config = config_from_py(options)?;
        let inner = py.detach(|| Pool::open(path, config)).py_err()?;
        Ok(PyPool { inner })
    }

    /// A context manager that checks out a reader connection inside a read transaction:
    /// every statement of the block sees the same snapshot. Writes are refused
    /// (`ReadOnlyDatabase`).
    fn read(&self) -> PyConnection {
        PyConnection::new(self.inner.clone(), Role::Reader)
    }

    /// A context manager that checks out the writer and runs the block in a
    /// `BEGIN IMMEDIATE` transaction: committed when the block ends normally, rolled
    /// back when it raises.
    fn write(&self) -> PyConnection {
        PyConnection::new(self.inner.clone(), Role::Writer)
    }

    /// Runs one read-only statement on a reader, in its own read transaction, and
    /// returns all its rows as a list of tuples: the one-call form of
    /// `with pool.read() as conn: conn.execute(sql, params).fetchall()`, which releases
    /// the GIL once instead of per step.
    #[pyo3(signature = (sql, params = None))]
    fn query<'py>(
        &self,
        py: Python<'py>,
        sql: String,
        params: Option<&Bound<'py, PyAny>>,
    ) -> PyResult<Bound<'py, PyList>> {
        let params = params_from_py(params)?;
        let result = py.detach(|| self.inner.query(&sql, &params)).py_err()?;
        let rows = PyList::empty(py);
        for row in &result.rows {
            rows.append(row_to_py(py, row)?)?;
        }
        Ok(rows)
    }

    /// `query` for asyncio: a coroutine that runs it on the loop's default executor.
    #[pyo3(signature = (*args, **kwargs), text_signature = "($self, sql, params=None)")]
    fn query_async<'py>(
        slf: &Bound<'py, Self>,
        args: &Bound<'py, PyTuple>,
        kwargs: Option<&Bound<'py, PyDict>>,
    ) -> PyResult<Bound<'py, PyAny>> {
        in_executor(slf.as_any(), "query", args, kwargs)
    }

    /// Runs one statement on the writer in its own `BEGIN IMMEDIATE` transaction and
    /// returns a `Cursor` over its result (`rowcount`, `lastrowid`, rows of `RETURNING`).
    #[pyo3(signature = (sql, params = None))]
    fn execute(
        &self,
        py: Python<'_>,
        sql: String,
        params: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<PyCursor> {
        let params = params_from_py(params)?;
        let result = py.detach(|| self.inner.execute(&sql, &params)).py_err()?;
        Ok(PyCursor::from_result(result))
    }

    /// Runs one statement once per parameter set in one write transaction (all or
    /// nothing); returns the total of rows affected.
    fn executemany(
        &self,
        py: Python<'_>,
        sql: String,
        seq_of_params: &Bound<'_, PyAny>,
    ) -> PyResult<u64> {
        let sets = param_sets_from_py(seq_of_params)?;
        py.detach(|| self.inner.execute_many(&sql, &sets)).py_err()
    }

    /// Brings the host's schema (versioned in `PRAGMA user_version`) up to date: step
    /// *i* (from 1) brings it to version *i*, each in its own transaction. Returns
    /// `(from_version, to_version)`; refuses a newer schema (`SchemaTooNew`).
    fn migrate(&self, py: Python<'_>, steps: Vec<String>) -> PyResult<(i64, i64)> {
        let steps: Vec<&str> = steps.iter().map(String::as_str).collect();
        let outcome = py
            .detach(|| self.inner.migrate(&Migrations::user_version(&steps)))
            .py_err()?;
        Ok((outcome.from, outcome.to))
    }

    /// The options this pool runs with, by the names `Pool(...)` takes; durations in
    /// seconds, `None` where disabled.
    #[getter]
    fn config<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyDict>> {
        let c = self.inner.config();
        let secs = |d: Option<std::time::Duration>| d.map(|d| d.as_secs_f64());
        let d = PyDict::new(py);
        d.set_item("max_readers", c.max_readers)?;
        d.set_item("min_idle", c.min_idle)?;
        d.set_item("acquire_timeout", c.acquire_timeout.as_secs_f64())?;
        d.set_item("idle_timeout", secs(c.idle_timeout))?;
        d.set_item("max_lifetime", secs(c.max_lifetime))?;
        d.set_item("health_check_after", c.health_check_after.as_secs_f64())?;
        d.set_item("health_check_sql", &c.health_check_sql)?;
        d.set_item("leak_threshold", secs(c.leak_threshold))?;
        d.set_item("busy_timeout", c.busy_timeout.as_secs_f64())?;
        d.set_item(
            "synchronous",
            match c.synchronous {
                Synchronous::Full => "full",
                _ => "normal",
            },
        )?;
        Ok(d)
    }

    /// A snapshot of the pool's gauges and counters; wait times are in seconds.
    fn stats<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyDict>> {
        stats_to_py(py, &self.inner.stats())
    }

    /// Closes the pool: later acquires fail with `PoolClosed`; waits up to `timeout`
    /// seconds for connections in use to come back (`PoolTimeout` if some did not).
    #[pyo3(signature = (timeout = None))]
    fn close(&self, py: Python<'_>, timeout: Option<&Bound<'_, PyAny>>) -> PyResult<()> {
        let timeout = match timeout {
            Some(t) => duration_from_py("timeout", t)?,
            None => self.inner.config().acquire_timeout,
        };
        py.detach(|| self.inner.close(timeout)).py_err()
    }

    /// The database file this pool serves (absolute path).
    #[getter]
    fn path(&self) -> String {
        self.inner.path().display().to_string()
    }

    /// Whether `close()` was called.
    #[getter]
    fn closed(&self) -> bool {
        self.inner.is_closed()
    }

    fn __enter__(slf: Py<Self>) -> Py<Self> {
        slf
    }

    #[pyo3(signature = (*_exc))]
    fn __exit__(&self, py: Python<'_>, _exc: &Bound<'_, PyTuple>) -> PyResult<bool> {
        self.close(py, None)?;
        Ok(false)
    }

    fn __repr__(&self) -> String {
        format!(
            "<magnetar.Pool path={:?} closed={}>",
            self.inner.path().display().to_string(),
            if self.inner.is_closed() {
                "True"
            } else {
                "False"
            }
        )
    }
}

/// The process-wide pool for the file at `path` (one pool per file, keyed by canonical
/// path). The options apply only when the pool is first opened.
#[pyfunction]
#[pyo3(signature = (path, **options))]
pub fn get_pool(
    py: Python<'_>,
    path: PathBuf,
    options: Option<&Bound<'_, PyDict>>,
) -> PyResult<PyPool> {
    let config = config_from_py(options)?;
    let inner = py.detach(|| Pool::shared(path, config)).py_err()?;
    Ok(PyPool { inner })
}

/// The parameter sets of an `executemany`: an iterable of sequences or mappings.
fn param_sets_from_py(seq_of_params: &Bound<'_, PyAny>) -> PyResult<Vec<Params>> {
    seq_of_params
        .try_iter()
        .map_err(|_| {
            invalid_input(format!(
                "executemany needs an iterable of parameter sets, got {}",
                type_name(seq_of_params)
            ))
        })?
        .map(|p| params_from_py(Some(&p?)))
        .collect()
}

fn stats_to_py<'py>(py: Python<'py>, s: &PoolStats) -> PyResult<Bound<'py, PyDict>> {
    let d = PyDict::new(py);
    d.set_item("idle", s.idle)?;
    d.set_item("in_use", s.in_use)?;
    d.set_item("waiting", s.waiting)?;
    d.set_item("readers_open", s.readers_open)?;
    d.set_item("max_readers", s.max_readers)?;
    d.set_item("created", s.created)?;
    d.set_item("recycled", s.recycled)?;
    d.set_item("discarded", s.discarded)?;
    d.set_item("acquires", s.acquires)?;
    d.set_item("acquire_timeouts", s.acquire_timeouts)?;
    d.set_item("wait_p50", s.wait_p50.as_secs_f64())?;
    d.set_item("wait_p95", s.wait_p95.as_secs_f64())?;
    d.set_item("wait_p99", s.wait_p99.as_secs_f64())?;
    d.set_item("wait_max", s.wait_max.as_secs_f64())?;
    Ok(d)
}

/// A connection checked out of a pool for the length of a `with` block, from
/// `pool.read()` or `pool.write()`. Its methods follow DB-API: `execute`, `executemany`.
#[pyclass(module = "magnetar", name = "Connection", frozen)]
pub struct PyConnection {
    pool: Pool,
    role: Role,
    /// Locked with the GIL released whenever it may be held for long (a statement, an
    /// acquire), so a thread holding it never waits for the GIL.
    state: Mutex<Checkout>,
}

/// Where a connection object is in its `with` block.
enum Checkout {
    /// Outside a `with` block.
    Idle,
    /// Inside a `with pool.read()` block, before the first statement: the reader is
    /// checked out by that statement, so a simple request releases the GIL once.
    Entered,
    /// Holding a pooled connection with an open transaction.
    Held(PoolTransaction),
}

fn not_open(role: Role) -> Error {
    let how = match role {
        Role::Reader => "with pool.read() as conn:",
        Role::Writer => "with pool.write() as conn:",
    };
    Error::InvalidInput(format!(
        "this connection is not checked out: use it inside `{how}`"
    ))
}

fn already_entered() -> Error {
    Error::InvalidInput(
        "this connection is already in a `with` block; blocks on one connection object \
         cannot nest"
            .into(),
    )
}

/// Checks out a connection for `role` with its transaction open (core decides what
/// kind: a snapshot for readers, `BEGIN IMMEDIATE` for the writer).
fn checkout(pool: &Pool, role: Role) -> magnetar_core::Result<PoolTransaction> {
    match role {
        Role::Reader => pool.begin_read(),
        Role::Writer => pool.begin_write(),
    }
}

impl PyConnection {
    fn new(pool: Pool, role: Role) -> Self {
        PyConnection {
            pool,
            role,
            state: Mutex::new(Checkout::Idle),
        }
    }

    fn lock(&self) -> MutexGuard<'_, Checkout> {
        // A poisoned lock only means a panic while it was held; the state inside is
        // still accurate, and core rolls back a returned connection's transaction.
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Runs `f` on the checked-out connection (checking out a reader on first use)
    /// with the GIL released.
    fn with_conn<T: Send>(
        &self,
        py: Python<'_>,
        f: impl FnOnce(&PoolTransaction) -> magnetar_core::Result<T> + Send,
    ) -> PyResult<T> {
        py.detach(|| {
            let mut state = self.lock();
            if matches!(*state, Checkout::Entered) {
                *state = Checkout::Held(checkout(&self.pool, self.role)?);
            }
            let Checkout::Held(conn) = &mut *state else {
                return Err(not_open(self.role));
            };
            let result = f(conn);
            if let Err(e) = &result {
                conn.note_error(e);
            }
            result
        })
        .py_err()
    }
}

#[pymethods]
impl PyConnection {
    fn __enter__(slf: Bound<'_, Self>) -> PyResult<Bound<'_, Self>> {
        let this = slf.get();
        match this.role {
            Role::Reader => {
                let mut state = this.lock();
                if !matches!(*state, Checkout::Idle) {
                    return Err(to_py(already_entered()));
                }
                *state = Checkout::Entered;
            }
            Role::Writer => slf
                .py()
                .detach(|| {
                    let mut state = this.lock();
                    if !matches!(*state, Checkout::Idle) {
                        return Err(already_entered());
                    }
                    *state = Checkout::Held(checkout(&this.pool, Role::Writer)?);
                    Ok(())
                })
                .py_err()?,
        }
        Ok(slf)
    }

    #[pyo3(signature = (exc_type = None, _exc = None, _tb = None))]
    fn __exit__(
        &self,
        py: Python<'_>,
        exc_type: Option<&Bound<'_, PyAny>>,
        _exc: Option<&Bound<'_, PyAny>>,
        _tb: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<bool> {
        let failed = exc_type.is_some_and(|t| !t.is_none());
        let held = match std::mem::replace(&mut *self.lock(), Checkout::Idle) {
            Checkout::Held(tx) => tx,
            _ => return Ok(false),
        };
        if held.role() == Role::Reader {
            // Ending a read transaction never waits (it drops a lock and hands the
            // connection back): a few microseconds, less than passing the GIL to
            // another thread and taking it back, which dominated 8-thread point reads.
            held.rollback().py_err()?;
        } else {
            // A commit writes (and may wait for the disk): let other threads run.
            py.detach(|| {
                if failed {
                    held.rollback()
                } else {
                    held.commit()
                }
            })
            .py_err()?;
        }
        Ok(false)
    }

    /// Runs one SQL statement with `params` (a sequence for `?`/`?1` placeholders, a
    /// mapping for `:name`) and returns a `Cursor` over its rows.
    #[pyo3(signature = (sql, params = None))]
    fn execute(
        &self,
        py: Python<'_>,
        sql: String,
        params: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<PyCursor> {
        let params = params_from_py(params)?;
        let result = self.with_conn(py, |conn| statement::run(conn, &sql, &params))?;
        Ok(PyCursor::from_result(result))
    }

    /// Runs one statement once per parameter set; the cursor's `rowcount` is the total
    /// of rows changed.
    fn executemany(
        &self,
        py: Python<'_>,
        sql: String,
        seq_of_params: &Bound<'_, PyAny>,
    ) -> PyResult<PyCursor> {
        let sets = param_sets_from_py(seq_of_params)?;
        let total = self.with_conn(py, |conn| statement::run_many(conn, &sql, &sets))?;
        Ok(PyCursor {
            columns: Vec::new(),
            rows: Vec::new(),
            next: 0,
            rowcount: i64::try_from(total).unwrap_or(i64::MAX),
            lastrowid: None,
            arraysize: 1,
        })
    }

    /// `execute` for asyncio: a coroutine that runs it on the loop's default executor.
    #[pyo3(signature = (*args, **kwargs), text_signature = "($self, sql, params=None)")]
    fn execute_async<'py>(
        slf: &Bound<'py, Self>,
        args: &Bound<'py, PyTuple>,
        kwargs: Option<&Bound<'py, PyDict>>,
    ) -> PyResult<Bound<'py, PyAny>> {
        in_executor(slf.as_any(), "execute", args, kwargs)
    }

    /// `executemany` for asyncio: a coroutine that runs it on the loop's default executor.
    #[pyo3(signature = (*args, **kwargs), text_signature = "($self, sql, seq_of_params)")]
    fn executemany_async<'py>(
        slf: &Bound<'py, Self>,
        args: &Bound<'py, PyTuple>,
        kwargs: Option<&Bound<'py, PyDict>>,
    ) -> PyResult<Bound<'py, PyAny>> {
        in_executor(slf.as_any(), "executemany", args, kwargs)
    }

    /// `async with pool.read()` / `async with pool.write()`: checks the connection out
    /// (and, for the writer, begins the transaction) on the loop's default executor.
    fn __aenter__<'py>(slf: &Bound<'py, Self>) -> PyResult<Bound<'py, PyAny>> {
        in_executor(slf.as_any(), "__enter__", &PyTuple::empty(slf.py()), None)
    }

    /// Commits (or, after an exception, rolls back) on the loop's default executor.
    fn __aexit__<'py>(
        slf: &Bound<'py, Self>,
        exc_type: Bound<'py, PyAny>,
        exc: Bound<'py, PyAny>,
        tb: Bound<'py, PyAny>,
    ) -> PyResult<Bound<'py, PyAny>> {
        let args = PyTuple::new(slf.py(), [exc_type, exc, tb])?;
        in_executor(slf.as_any(), "__exit__", &args, None)
    }

    /// The role of this connection: `"reader"` or `"writer"`.
    #[getter]
    fn role(&self) -> &'static str {
        self.role.name()
    }

    fn __repr__(&self) -> String {
        format!(
            "<magnetar.Connection {} of {:?}>",
            self.role.name(),
            self.pool.path().display().to_string()
        )
    }
}

/// The rows and outcome of one statement, DB-API style: `fetchone`, `fetchmany`,
/// `fetchall`, iteration, `rowcount`, `lastrowid`, `description`.
#[pyclass(module = "magnetar", name = "Cursor")]
pub struct PyCursor {
    columns: Vec<String>,
    rows: Vec<Vec<Value>>,
    next: usize,
    rowcount: i64,
    lastrowid: Option<i64>,
    /// Default size for `fetchmany()`.
    #[pyo3(get, set)]
    arraysize: usize,
}

impl PyCursor {
    fn from_result(result: QueryResult) -> Self {
        let is_query = !result.columns.is_empty();
        PyCursor {
            rowcount: if is_query {
                -1
            } else {
                i64::try_from(result.rows_affected).unwrap_or(i64::MAX)
            },
            lastrowid: (!is_query).then_some(result.last_insert_rowid),
            columns: result.columns,
            rows: result.rows,
            next: 0,
            arraysize: 1,
        }
    }

    fn take<'py>(&mut self, py: Python<'py>, n: usize) -> PyResult<Bound<'py, PyList>> {
        let end = self.next.saturating_add(n).min(self.rows.len());
        let list = PyList::empty(py);
        for row in &self.rows[self.next..end] {
            list.append(row_to_py(py, row)?)?;
        }
        self.next = end;
        Ok(list)
    }
}

#[pymethods]
impl PyCursor {
    /// The next row as a tuple, or `None` when there are no more.
    fn fetchone<'py>(&mut self, py: Python<'py>) -> PyResult<Option<Bound<'py, PyTuple>>> {
        let Some(row) = self.rows.get(self.next) else {
            return Ok(None);
        };
        self.next += 1;
        row_to_py(py, row).map(Some)
    }

    /// Up to `size` more rows (default `arraysize`) as a list of tuples.
    #[pyo3(signature = (size = None))]
    fn fetchmany<'py>(
        &mut self,
        py: Python<'py>,
        size: Option<usize>,
    ) -> PyResult<Bound<'py, PyList>> {
        let n = size.unwrap_or(self.arraysize);
        self.take(py, n)
    }

    /// All remaining rows as a list of tuples.
    fn fetchall<'py>(&mut self, py: Python<'py>) -> PyResult<Bound<'py, PyList>> {
        self.take(py, usize::MAX)
    }

    /// Rows changed by an INSERT, UPDATE or DELETE (total for `executemany`); -1 for
    /// queries.
    #[getter]
    fn rowcount(&self) -> i64 {
        self.rowcount
    }

    /// The rowid of the last successful INSERT on the connection, for statements that
    /// are not queries; `None` for queries.
    #[getter]
    fn lastrowid(&self) -> Option<i64> {
        self.lastrowid
    }

    /// One 7-tuple per result column (`name` first, the rest `None`), or `None` for a
    /// statement that returns no rows.
    #[getter]
    fn description<'py>(&self, py: Python<'py>) -> PyResult<Option<Bound<'py, PyTuple>>> {
        if self.columns.is_empty() {
            return Ok(None);
        }
        let items = self
            .columns
            .iter()
            .map(|name| {
                let none = py.None();
                PyTuple::new(
                    py,
                    [
                        name.into_pyobject(py)?.into_any().unbind(),
                        none.clone_ref(py),
                        none.clone_ref(py),
                        none.clone_ref(py),
                        none.clone_ref(py),
                        none.clone_ref(py),
                        none,
                    ],
                )
            })
            .collect::<PyResult<Vec<_>>>()?;
        PyTuple::new(py, items).map(Some)
    }

    /// Drops the remaining rows.
    fn close(&mut self) {
        self.rows = Vec::new();
        self.next = 0;
    }

    fn __iter__(slf: PyRef<'_, Self>) -> PyRef<'_, Self> {
        slf
    }

    fn __next__<'py>(&mut self, py: Python<'py>) -> PyResult<Option<Bound<'py, PyTuple>>> {
        self.fetchone(py)
    }
}
