//! `mgn_pool`: the SQLite connection pool (one writer, N readers, WAL) and statements.

use std::ffi::c_char;
use std::time::Duration;

use magnetar_core::pool::statement::{Statement, run_batch};
use magnetar_core::pool::{Migrations, Params, Pool, PoolConfig, Synchronous};
use magnetar_core::{Error, Result};

use crate::boundary;
use crate::handle::{self, OptOut, Out};
use crate::status::mgn_status;
use crate::strings::{alloc_string, bounded, limits, str_arg, str_array_arg};
use crate::value::{mgn_result, mgn_value, params_arg, values_arg};

/// A pool of SQLite connections to one database file: one writer, up to `max_readers`
/// readers, WAL. Created by `mgn_pool_open` or `mgn_pool_shared`, released with
/// `mgn_pool_free`.
///
/// Thread safety: every function taking a `const mgn_pool *` may be called from any number
/// of threads at once with the same pool; writes are serialized by the pool, reads run
/// concurrently.
#[allow(non_camel_case_types)]
pub struct mgn_pool {
    pub(crate) pool: Pool,
}

/// Pool settings. Fill with `mgn_pool_options_default` (core's defaults), then change the
/// fields you need. Durations are in milliseconds.
#[allow(non_camel_case_types)]
#[repr(C)]
#[derive(Debug, Clone, Copy)]
pub struct mgn_pool_options {
    /// Most reader connections open at once (default 5). Must be 1..=64.
    pub max_readers: u32,
    /// Reader connections kept open even when idle (default 0). At most `max_readers`.
    pub min_idle: u32,
    /// How long a call waits for a free connection before failing with
    /// `MGN_POOL_TIMEOUT` (default 5000). Must be greater than 0.
    pub acquire_timeout_ms: u64,
    /// SQLite's busy timeout, for waits on other processes (default 5000).
    pub busy_timeout_ms: u64,
    /// Idle readers older than this are closed (default 600000); 0 keeps them forever.
    pub idle_timeout_ms: u64,
    /// Connections older than this are replaced (default 3600000); 0 never recycles.
    pub max_lifetime_ms: u64,
    /// A connection idle for longer than this is health-checked before use (default 30000).
    pub health_check_after_ms: u64,
    /// Log a warning when a connection is held longer than this; 0 disables (default).
    pub leak_threshold_ms: u64,
    /// `PRAGMA synchronous=FULL` (survives power loss) instead of NORMAL (default false).
    pub synchronous_full: bool,
}

fn ms(d: Duration) -> u64 {
    u64::try_from(d.as_millis()).unwrap_or(u64::MAX)
}

fn opt_ms(d: Option<Duration>) -> u64 {
    d.map_or(0, ms)
}

fn from_opt_ms(v: u64) -> Option<Duration> {
    (v != 0).then(|| Duration::from_millis(v))
}

impl mgn_pool_options {
    fn from_config(c: &PoolConfig) -> mgn_pool_options {
        mgn_pool_options {
            max_readers: u32::try_from(c.max_readers).unwrap_or(u32::MAX),
            min_idle: u32::try_from(c.min_idle).unwrap_or(u32::MAX),
            acquire_timeout_ms: ms(c.acquire_timeout),
            busy_timeout_ms: ms(c.busy_timeout),
            idle_timeout_ms: opt_ms(c.idle_timeout),
            max_lifetime_ms: opt_ms(c.max_lifetime),
            health_check_after_ms: ms(c.health_check_after),
            leak_threshold_ms: opt_ms(c.leak_threshold),
            synchronous_full: c.synchronous == Synchronous::Full,
        }
    }

    /// Core's configuration with these settings; core validates it when the pool opens.
    fn to_config(self) -> PoolConfig {
        PoolConfig {
            max_readers: self.max_readers as usize,
            min_idle: self.min_idle as usize,
            acquire_timeout: Duration::from_millis(self.acquire_timeout_ms),
            busy_timeout: Duration::from_millis(self.busy_timeout_ms),
            idle_timeout: from_opt_ms(self.idle_timeout_ms),
            max_lifetime: from_opt_ms(self.max_lifetime_ms),
            health_check_after: Duration::from_millis(self.health_check_after_ms),
            leak_threshold: from_opt_ms(self.leak_threshold_ms),
            synchronous: if self.synchronous_full {
                Synchronous::Full
            } else {
                Synchronous::Normal
            },
            ..PoolConfig::default()
        }
    }
}

/// A snapshot of a pool's gauges and counters; wait times in microseconds.
#[allow(non_camel_case_types)]
#[repr(C)]
#[derive(Debug, Clone, Copy, Default)]
pub struct mgn_pool_stats {
    /// Connections open and idle (readers plus the writer when it is free).
    pub idle: u64,
    /// Connections handed out right now.
    pub in_use: u64,
    /// Callers waiting for a connection right now.
    pub waiting: u64,
    /// Reader connections open (idle or in use).
    pub readers_open: u64,
    /// The configured `max_readers`.
    pub max_readers: u64,
    /// Connections opened since the pool was created (including replacements).
    pub created: u64,
    /// Connections closed because they outlived `max_lifetime_ms` or `idle_timeout_ms`.
    pub recycled: u64,
    /// Connections closed because they failed (fatal error, failed health check).
    pub discarded: u64,
    /// Successful acquires since the pool was created.
    pub acquires: u64,
    /// Acquires that failed with `MGN_POOL_TIMEOUT`.
    pub acquire_timeouts: u64,
    /// Median wait for a connection over the recent acquires.
    pub wait_p50_us: u64,
    /// 95th-percentile wait for a connection over the recent acquires.
    pub wait_p95_us: u64,
    /// 99th-percentile wait for a connection over the recent acquires.
    pub wait_p99_us: u64,
    /// Longest wait among the recent acquires.
    pub wait_max_us: u64,
}

fn us(d: Duration) -> u64 {
    u64::try_from(d.as_micros()).unwrap_or(u64::MAX)
}

/// Writes core's default pool settings to `*out`.
///
/// Errors: `MGN_INVALID_ARGUMENT` if `out` is NULL. Thread-safe.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn mgn_pool_options_default(out: *mut mgn_pool_options) -> mgn_status {
    boundary::call("mgn_pool_options_default", || {
        let out = Out::new(out, "out")?;
        out.write(mgn_pool_options::from_config(&PoolConfig::default()));
        Ok(())
    })
}

/// Writes the settings `pool` runs with to `*out`: with `mgn_pool_shared` they are those
/// of whoever opened the file's pool first, which need not be the caller's.
///
/// Errors: `MGN_INVALID_ARGUMENT` (NULL argument). Thread-safe.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn mgn_pool_get_options(
    pool: *const mgn_pool,
    out: *mut mgn_pool_options,
) -> mgn_status {
    boundary::call("mgn_pool_get_options", || {
        // SAFETY: the host passes NULL or a live pool.
        let pool = unsafe { handle::borrow(pool, "pool") }?;
        let out = Out::new(out, "out")?;
        out.write(mgn_pool_options::from_config(pool.pool.config()));
        Ok(())
    })
}

/// Shared body of `mgn_pool_open` and `mgn_pool_shared`.
///
/// # Safety
/// As documented on those functions.
unsafe fn open_with(
    name: &str,
    path: *const c_char,
    options: *const mgn_pool_options,
    out: *mut *mut mgn_pool,
    open: fn(&str, PoolConfig) -> Result<Pool>,
) -> mgn_status {
    boundary::call(name, || {
        // SAFETY: the host passes NULL or a NUL-terminated string.
        let path = unsafe { str_arg(path, "path") }?;
        // SAFETY: the host passes NULL or a pointer to an `mgn_pool_options`.
        let config = match unsafe { options.as_ref() } {
            Some(options) => options.to_config(),
            None => PoolConfig::default(),
        };
        let out = Out::new(out, "out")?;
        let pool = open(path, config)?;
        out.write(handle::into_raw(mgn_pool { pool }));
        Ok(())
    })
}

/// Opens a new, independent pool on the database file `path` (NUL-terminated UTF-8),
/// creating the file if needed, and writes its handle to `*out`.
///
/// `options` may be NULL for the defaults. Prefer `mgn_pool_shared` unless you really want
/// a second writer on the same file. Release the pool with `mgn_pool_free`.
///
/// Errors: `MGN_INVALID_ARGUMENT` (NULL `path`/`out`, invalid UTF-8), `MGN_INVALID_CONFIG`
/// (an option out of range, named in the message), `MGN_IO` (missing directory),
/// `MGN_NOT_A_DATABASE`, `MGN_READ_ONLY`, `MGN_DATABASE`. Thread-safe.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn mgn_pool_open(
    path: *const c_char,
    options: *const mgn_pool_options,
    out: *mut *mut mgn_pool,
) -> mgn_status {
    // SAFETY: forwarded contract.
    unsafe { open_with("mgn_pool_open", path, options, out, |p, c| Pool::open(p, c)) }
}

/// Writes to `*out` a handle on the process-wide pool for the file `path`, opening it with
/// `options` (NULL for the defaults) if no pool is open on that file; otherwise `options`
/// is ignored. Files are identified by canonical path.
///
/// Each handle is released with `mgn_pool_free`; the pool itself closes when the last
/// handle (in C or any other component) is released, or on `mgn_pool_close`.
/// Errors: as `mgn_pool_open`. Thread-safe.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn mgn_pool_shared(
    path: *const c_char,
    options: *const mgn_pool_options,
    out: *mut *mut mgn_pool,
) -> mgn_status {
    // SAFETY: forwarded contract.
    unsafe {
        open_with("mgn_pool_shared", path, options, out, |p, c| {
            Pool::shared(p, c)
        })
    }
}

/// Runs one statement on `pool` and writes its result to `*out_result`.
///
/// # Safety
/// As documented on `mgn_pool_execute`.
#[allow(clippy::too_many_arguments)]
unsafe fn run_statement(
    name: &str,
    pool: *const mgn_pool,
    sql: *const c_char,
    params: *const mgn_value,
    names: *const *const c_char,
    n_params: usize,
    out_result: *mut *mut mgn_result,
    optional_out: bool,
    run: fn(&Pool, &str, &Params) -> Result<magnetar_core::pool::QueryResult>,
) -> mgn_status {
    boundary::call(name, || {
        // SAFETY: the host passes NULL or a live pool.
        let pool = unsafe { handle::borrow(pool, "pool") }?;
        // SAFETY: the host passes NULL or a NUL-terminated string.
        let sql = unsafe { str_arg(sql, "sql") }?;
        // SAFETY: `params`/`names` follow the documented contract.
        let params = unsafe { params_arg(params, names, n_params) }?;
        let out = OptOut::new(out_result);
        if !optional_out && !out.wanted() {
            return Err(handle::null("out_result"));
        }
        let result = run(&pool.pool, sql, &params)?;
        if out.wanted() {
            out.write(handle::into_raw(mgn_result::from_query(result)));
        }
        Ok(())
    })
}

/// Runs one SQL statement on the writer connection, inside a `BEGIN IMMEDIATE` transaction
/// (committed on success, rolled back on error), and writes its result to `*out_result`.
///
/// - `sql`: one statement, NUL-terminated UTF-8.
/// - `params`: `n_params` values bound to the statement's parameters (may be NULL when
///   `n_params` is 0). When `names` is NULL they bind by position (`?`, `?1`); otherwise
///   `names[i]` (NUL-terminated UTF-8, with or without its `:`/`@`/`$` prefix) names
///   `params[i]`. The library copies everything before returning.
/// - `out_result`: may be NULL to discard the result; otherwise receives a new
///   `mgn_result` to release with `mgn_result_free`.
///
/// Waits up to `acquire_timeout_ms` for the writer. Statements that SQLite refuses inside a
/// transaction (`VACUUM`, `BEGIN`/`COMMIT`, some PRAGMAs) fail with `MGN_DATABASE`.
/// Errors: `MGN_INVALID_ARGUMENT` (NULL
/// `pool`/`sql`, invalid UTF-8, unknown value kind, parameter count or name mismatch),
/// `MGN_DATABASE` (SQL error, constraint violation, more than one statement),
/// `MGN_POOL_TIMEOUT`, `MGN_POOL_CLOSED`, `MGN_READ_ONLY`, `MGN_CORRUPT`. Thread-safe.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn mgn_pool_execute(
    pool: *const mgn_pool,
    sql: *const c_char,
    params: *const mgn_value,
    names: *const *const c_char,
    n_params: usize,
    out_result: *mut *mut mgn_result,
) -> mgn_status {
    // SAFETY: forwarded contract.
    unsafe {
        run_statement(
            "mgn_pool_execute",
            pool,
            sql,
            params,
            names,
            n_params,
            out_result,
            true,
            Pool::execute,
        )
    }
}

/// Runs one read-only SQL statement on a reader connection (one statement is one
/// consistent snapshot) and writes its result to `*out_result` (required).
///
/// Parameters as in `mgn_pool_execute`. Runs concurrently with other reads and with the
/// writer. Errors: as `mgn_pool_execute`, and `MGN_READ_ONLY` for a statement that writes.
/// Thread-safe.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn mgn_pool_query(
    pool: *const mgn_pool,
    sql: *const c_char,
    params: *const mgn_value,
    names: *const *const c_char,
    n_params: usize,
    out_result: *mut *mut mgn_result,
) -> mgn_status {
    // SAFETY: forwarded contract.
    unsafe {
        run_statement(
            "mgn_pool_query",
            pool,
            sql,
            params,
            names,
            n_params,
            out_result,
            false,
            |pool, sql, params| pool.query(sql, params),
        )
    }
}

/// Runs one statement that returns no rows (INSERT, UPDATE, DELETE) once per parameter
/// set, all in one `BEGIN IMMEDIATE` transaction: either every set is applied or none.
///
/// `params` holds `n_sets` consecutive sets of `params_per_set` positional values
/// (`n_sets * params_per_set` values in all; NULL only when that is 0). Writes the total of
/// rows affected to `*out_rows_affected` (may be NULL).
/// Errors: as `mgn_pool_execute`; the message names the failing set. Thread-safe.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn mgn_pool_execute_many(
    pool: *const mgn_pool,
    sql: *const c_char,
    params: *const mgn_value,
    params_per_set: usize,
    n_sets: usize,
    out_rows_affected: *mut u64,
) -> mgn_status {
    boundary::call("mgn_pool_execute_many", || {
        // SAFETY: the host passes NULL or a live pool.
        let pool = unsafe { handle::borrow(pool, "pool") }?;
        // SAFETY: the host passes NULL or a NUL-terminated string.
        let sql = unsafe { str_arg(sql, "sql") }?;
        let total = params_per_set.checked_mul(n_sets).ok_or_else(|| {
            Error::InvalidInput(format!(
                "params_per_set ({params_per_set}) * n_sets ({n_sets}) overflows"
            ))
        })?;
        bounded(params_per_set, limits::MAX_PARAMS, "params_per_set")?;
        // n_sets sizes the list of sets even with no parameters.
        bounded(n_sets, limits::MAX_PARAM_SETS, "n_sets")?;
        // SAFETY: `params` holds `total` values per the contract.
        let values = unsafe { values_arg(params, total, limits::MAX_BATCH_VALUES, "params") }?;
        let sets: Vec<Params> = if params_per_set == 0 {
            vec![Params::None; n_sets]
        } else {
            values
                .chunks(params_per_set)
                .map(|set| Params::Positional(set.to_vec()))
                .collect()
        };
        let out = OptOut::new(out_rows_affected);
        let affected = pool.pool.execute_many(sql, &sets)?;
        out.write(affected);
        Ok(())
    })
}

/// Writes a snapshot of the pool's statistics to `*out`.
///
/// Errors: `MGN_INVALID_ARGUMENT` if `pool` or `out` is NULL. Thread-safe.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn mgn_pool_get_stats(
    pool: *const mgn_pool,
    out: *mut mgn_pool_stats,
) -> mgn_status {
    boundary::call("mgn_pool_get_stats", || {
        // SAFETY: the host passes NULL or a live pool.
        let pool = unsafe { handle::borrow(pool, "pool") }?;
        let out = Out::new(out, "out")?;
        let s = pool.pool.stats();
        out.write(mgn_pool_stats {
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
            wait_p50_us: us(s.wait_p50),
            wait_p95_us: us(s.wait_p95),
            wait_p99_us: us(s.wait_p99),
            wait_max_us: us(s.wait_max),
        });
        Ok(())
    })
}

/// Writes the absolute path of the pool's database file to `*out`, as a new string to
/// release with `mgn_string_free`.
///
/// Errors: `MGN_INVALID_ARGUMENT` if `pool` or `out` is NULL or the path is not UTF-8.
/// Thread-safe.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn mgn_pool_path(pool: *const mgn_pool, out: *mut *mut c_char) -> mgn_status {
    boundary::call("mgn_pool_path", || {
        // SAFETY: the host passes NULL or a live pool.
        let pool = unsafe { handle::borrow(pool, "pool") }?;
        let out = Out::new(out, "out")?;
        let path =
            pool.pool.path().to_str().ok_or_else(|| {
                Error::InvalidInput("the database path is not valid UTF-8".into())
            })?;
        out.write(alloc_string(path)?);
        Ok(())
    })
}

/// Closes the pool: later calls on it (from any handle, including other handles from
/// `mgn_pool_shared`) fail with `MGN_POOL_CLOSED`; idle connections close now, busy ones
/// as they come back, waiting up to `timeout_ms`. The handle must still be released with
/// `mgn_pool_free`. Closing twice is harmless.
///
/// Errors: `MGN_INVALID_ARGUMENT` (NULL `pool`), `MGN_POOL_TIMEOUT` when connections were
/// still in use after `timeout_ms` (the pool is closed anyway). Thread-safe.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn mgn_pool_close(pool: *const mgn_pool, timeout_ms: u64) -> mgn_status {
    boundary::call("mgn_pool_close", || {
        // SAFETY: the host passes NULL or a live pool.
        let pool = unsafe { handle::borrow(pool, "pool") }?;
        pool.pool.close(Duration::from_millis(timeout_ms))
    })
}

/// Releases a pool handle. NULL is a no-op.
///
/// The pool's connections close when its last handle is released (a shared pool may live
/// on in other handles). Call once per handle, after every other call using it returned.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn mgn_pool_free(pool: *mut mgn_pool) {
    // SAFETY: the host passes NULL or a live pool handle, once.
    boundary::call_void(|| unsafe { handle::free(pool) })
}

/// Whether `mgn_pool_close` was called on `pool`; writes it to `*out`.
///
/// Errors: `MGN_INVALID_ARGUMENT` (NULL argument). Thread-safe.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn mgn_pool_is_closed(pool: *const mgn_pool, out: *mut bool) -> mgn_status {
    boundary::call("mgn_pool_is_closed", || {
        // SAFETY: the host passes NULL or a live pool.
        let pool = unsafe { handle::borrow(pool, "pool") }?;
        let out = Out::new(out, "out")?;
        out.write(pool.pool.is_closed());
        Ok(())
    })
}

/// Brings the host's schema, versioned in `PRAGMA user_version`, up to date: `steps` holds
/// `n_steps` NUL-terminated SQL scripts, and step *i* (from 1) brings the schema to version
/// *i*, each in its own transaction. Writes the version found to `*out_from` and the
/// version reached to `*out_to` (either may be NULL). Running it again is a no-op.
///
/// Errors: `MGN_INVALID_ARGUMENT` (NULL argument, invalid UTF-8), `MGN_SCHEMA_TOO_NEW`
/// (the database is at a version above `n_steps`: written by a newer program),
/// `MGN_DATABASE` (a step failed; the message names it), pool errors. Thread-safe.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn mgn_pool_migrate(
    pool: *const mgn_pool,
    steps: *const *const c_char,
    n_steps: usize,
    out_from: *mut i64,
    out_to: *mut i64,
) -> mgn_status {
    boundary::call("mgn_pool_migrate", || {
        // SAFETY: the host passes NULL or a live pool.
        let pool = unsafe { handle::borrow(pool, "pool") }?;
        // SAFETY: `steps` holds `n_steps` strings per the contract.
        let steps =
            unsafe { str_array_arg(steps, n_steps, limits::MAX_CONFIG_ITEMS * 16, "steps") }?;
        let (out_from, out_to) = (OptOut::new(out_from), OptOut::new(out_to));
        let outcome = pool.pool.migrate(&Migrations::user_version(&steps))?;
        out_from.write(outcome.from);
        out_to.write(outcome.to);
        Ok(())
    })
}

/// One statement of a `mgn_pool_write` or `mgn_pool_read` batch: `sql` and its
/// parameters, as for `mgn_pool_execute`.
#[allow(non_camel_case_types)]
#[repr(C)]
#[derive(Debug, Clone, Copy)]
pub struct mgn_statement {
    /// One statement, NUL-terminated UTF-8.
    pub sql: *const c_char,
    /// `n_params` values (may be NULL when `n_params` is 0).
    pub params: *const mgn_value,
    /// NULL to bind by position, or `n_params` parameter names.
    pub names: *const *const c_char,
    /// How many values `params` holds.
    pub n_params: usize,
}

/// Copies the host's statements.
///
/// # Safety
/// `statements` is NULL (then `n` must be 0) or points to `n` statements whose fields
/// follow the `mgn_pool_execute` contract.
unsafe fn statements_arg(statements: *const mgn_statement, n: usize) -> Result<Vec<Statement>> {
    bounded(n, limits::MAX_PARAM_SETS, "n_statements")?;
    if n == 0 {
        return Ok(Vec::new());
    }
    if statements.is_null() {
        return Err(handle::null("statements"));
    }
    // SAFETY: `n` statements per the contract.
    let statements = unsafe { std::slice::from_raw_parts(statements, n) };
    statements
        .iter()
        .enumerate()
        .map(|(i, s)| {
            // SAFETY: the fields follow the documented contract.
            let sql = unsafe { str_arg(s.sql, &format!("statements[{i}].sql")) }?;
            // SAFETY: as above.
            let params = unsafe { params_arg(s.params, s.names, s.n_params) }?;
            Ok(Statement {
                sql: sql.to_owned(),
                params,
            })
        })
        .collect()
}

/// Runs a batch for `mgn_pool_write` / `mgn_pool_read` and hands out the results.
///
/// # Safety
/// As documented on `mgn_pool_write`.
unsafe fn run_statements(
    name: &str,
    pool: *const mgn_pool,
    statements: *const mgn_statement,
    n_statements: usize,
    out_results: *mut *mut mgn_result,
    run: fn(&Pool, &[Statement]) -> Result<Vec<magnetar_core::pool::QueryResult>>,
) -> mgn_status {
    boundary::call(name, || {
        // SAFETY: the host passes NULL or a live pool.
        let pool = unsafe { handle::borrow(pool, "pool") }?;
        // SAFETY: forwarded contract.
        let statements = unsafe { statements_arg(statements, n_statements) }?;
        let results = run(&pool.pool, &statements)?;
        if !out_results.is_null() {
            for (i, result) in results.into_iter().enumerate() {
                // SAFETY: `out_results` has room for `n_statements` pointers per the
                // contract, and there is one result per statement.
                unsafe {
                    out_results
                        .add(i)
                        .write(handle::into_raw(mgn_result::from_query(result)))
                };
            }
        }
        Ok(())
    })
}

/// Runs `n_statements` statements in order on the writer in one `BEGIN IMMEDIATE`
/// transaction: committed when all succeed, rolled back when one fails (the message names
/// which, from 0). When `out_results` is not NULL it must have room for `n_statements`
/// pointers and receives, on success only, one new `mgn_result` per statement (release
/// each with `mgn_result_free`).
///
/// Errors: as `mgn_pool_execute`. Thread-safe.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn mgn_pool_write(
    pool: *const mgn_pool,
    statements: *const mgn_statement,
    n_statements: usize,
    out_results: *mut *mut mgn_result,
) -> mgn_status {
    let write = |pool: &Pool, batch: &[Statement]| pool.write(|tx| run_batch(tx, batch));
    // SAFETY: forwarded contract.
    unsafe {
        run_statements(
            "mgn_pool_write",
            pool,
            statements,
            n_statements,
            out_results,
            write,
        )
    }
}

/// Runs `n_statements` read-only statements in order on one reader inside one read
/// transaction, so they all see the same snapshot. `out_results` as in `mgn_pool_write`.
///
/// Errors: as `mgn_pool_query`. Thread-safe.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn mgn_pool_read(
    pool: *const mgn_pool,
    statements: *const mgn_statement,
    n_statements: usize,
    out_results: *mut *mut mgn_result,
) -> mgn_status {
    let read = |pool: &Pool, batch: &[Statement]| pool.read(|conn| run_batch(conn, batch));
    // SAFETY: forwarded contract.
    unsafe {
        run_statements(
            "mgn_pool_read",
            pool,
            statements,
            n_statements,
            out_results,
            read,
        )
    }
}
