//! The PostgreSQL backend: one server shared by many application processes and hosts.
//!
//! [`PgStore`] holds an r2d2 pool of blocking `postgres` clients (TLS through rustls,
//! see [`tls`]), the schema name and the retry policy. Components (the session
//! registry today, the audit log next) keep their own tables and migrations and run
//! their SQL through [`PgStore::transaction`], which retries a transaction that failed
//! because the connection was lost, the server restarted or failed over, or the server
//! asked for a retry (serialization failure, deadlock). A component's closure must
//! therefore be safe to run again after a commit whose acknowledgement was lost: each
//! one checks for its own earlier effect (an insert looks for its id first).
//!
//! Every connection starts with `statement_timeout`, `lock_timeout` and
//! `idle_in_transaction_session_timeout` set (startup options), so a stuck server or a
//! forgotten lock cannot hang a request thread forever.

pub mod tls;

use std::collections::HashMap;
use std::fmt;
use std::ops::{Deref, DerefMut};
use std::str::FromStr;
use std::sync::Arc;
use std::time::{Duration, Instant};

use postgres::error::SqlState;
use postgres::types::Type;
use postgres::{GenericClient, Statement};
use r2d2_postgres::PostgresConnectionManager;
use tokio_postgres_rustls::MakeRustlsConnect;

use crate::clock::{SharedClock, system_clock};
use crate::error::{Error, ErrorKind, Result};

pub use tls::SslMode;

/// A pooled connection.
type Client = r2d2::PooledConnection<Manager>;

/// A connection and the statements prepared on it. Hot statements are parsed and
/// planned by the server once per connection instead of on every call (PgBouncer in
/// transaction mode needs 1.21 or newer with `max_prepared_statements` set).
pub(crate) struct Conn {
    client: postgres::Client,
    prepared: HashMap<String, Statement>,
    /// Statements prepared by SQL `PREPARE`, by their text: their names, for `EXECUTE`
    /// inside a simple query (the client's own statements have names it keeps private).
    /// `None` once this connection found them unreliable (see [`Conn::named`]).
    named: Option<HashMap<String, String>>,
}

impl Conn {
    /// `sql` prepared with parameter `types` on this connection: by the server the
    /// first time (one round trip), from the cache after that.
    pub(crate) fn prepared(&mut self, sql: &str, types: &[Type]) -> PgResult<Statement> {
        prepare_cached(&mut self.prepared, &mut self.client, sql, types)
    }

    /// The name of `sql` (with `$N` parameters, all `int8`) prepared by SQL `PREPARE` on
    /// this connection, for `EXECUTE name(...)` in a simple query: parsed and planned by
    /// the server once per connection, like [`Conn::prepared`]. A prepared statement is
    /// session state: a rolled-back transaction keeps it.
    ///
    /// `None` when this connection does not use them: behind a pooler in transaction
    /// mode (PgBouncer) consecutive transactions may run on different server sessions,
    /// so a name may already be taken (found here) or missing at `EXECUTE` (the caller
    /// then calls [`Conn::forget_named`]).
    pub(crate) fn named(&mut self, sql: &str, params: usize) -> PgResult<Option<String>> {
        let Some(named) = &mut self.named else {
            return Ok(None);
        };
        if let Some(name) = named.get(sql) {
            return Ok(Some(name.clone()));
        }
        let name = format!("magnetar_{}", named.len() + 1);
        let types = if params == 0 {
            String::new()
        } else {
            format!(" ({})", vec!["int8"; params].join(", "))
        };
        match self
            .client
            .batch_execute(&format!("PREPARE {name}{types} AS {sql}"))
        {
            Ok(()) => {
                named.insert(sql.to_string(), name.clone());
                Ok(Some(name))
            }
            Err(err) if err.code() == Some(&SqlState::DUPLICATE_PSTATEMENT) => {
                self.forget_named();
                Ok(None)
            }
            Err(err) => Err(err.into()),
        }
    }

    /// Stops using SQL-prepared statements on this connection (see [`Conn::named`]).
    pub(crate) fn forget_named(&mut self) {
        self.named = None;
    }
}

impl Deref for Conn {
    type Target = postgres::Client;
    fn deref(&self) -> &postgres::Client {
        &self.client
    }
}

impl DerefMut for Conn {
    fn deref_mut(&mut self) -> &mut postgres::Client {
        &mut self.client
    }
}

/// A transaction on a [`Conn`], with the connection's prepared statements.
pub(crate) struct Tx<'a> {
    tx: postgres::Transaction<'a>,
    prepared: &'a mut HashMap<String, Statement>,
}

impl Tx<'_> {
    /// As [`Conn::prepared`].
    pub(crate) fn prepared(&mut self, sql: &str, types: &[Type]) -> PgResult<Statement> {
        prepare_cached(self.prepared, &mut self.tx, sql, types)
    }
}

impl<'a> Deref for Tx<'a> {
    type Target = postgres::Transaction<'a>;
    fn deref(&self) -> &postgres::Transaction<'a> {
        &self.tx
    }
}

impl<'a> DerefMut for Tx<'a> {
    fn deref_mut(&mut self) -> &mut postgres::Transaction<'a> {
        &mut self.tx
    }
}

/// One cache serves a connection and its transactions: a statement prepared inside a
/// transaction is protocol-level and outlives it, even when the transaction rolls back.
fn prepare_cached(
    cache: &mut HashMap<String, Statement>,
    client: &mut impl GenericClient,
    sql: &str,
    types: &[Type],
) -> PgResult<Statement> {
    if let Some(statement) = cache.get(sql) {
        return Ok(statement.clone());
    }
    let statement = client.prepare_typed(sql, types)?;
    cache.insert(sql.to_string(), statement.clone());
    Ok(statement)
}

/// r2d2_postgres's manager, making [`Conn`]s.
struct Manager(PostgresConnectionManager<MakeRustlsConnect>);

impl r2d2::ManageConnection for Manager {
    type Connection = Conn;
    type Error = postgres::Error;

    fn connect(&self) -> std::result::Result<Conn, postgres::Error> {
        Ok(Conn {
            client: self.0.connect()?,
            prepared: HashMap::new(),
            named: Some(HashMap::new()),
        })
    }

    fn is_valid(&self, conn: &mut Conn) -> std::result::Result<(), postgres::Error> {
        self.0.is_valid(&mut conn.client)
    }

    fn has_broken(&self, conn: &mut Conn) -> bool {
        self.0.has_broken(&mut conn.client)
    }
}

/// Configuration of a [`PgStore`]. The connection itself (host, port, user, password,
/// database, `sslmode`, `sslrootcert`) comes from the URL.
#[derive(Debug, Clone)]
pub struct PgConfig {
    /// Most connections this process keeps open (default 10).
    pub max_connections: u32,
    /// How long to wait for a connection, new or pooled (default 5 s).
    pub connect_timeout: Duration,
    /// The schema holding Magnetar's tables (default `magnetar`): lowercase letters,
    /// digits and `_`, at most 63 bytes, not starting with a digit.
    pub schema: String,
    /// `statement_timeout` of every connection (default 30 s).
    pub statement_timeout: Duration,
    /// `lock_timeout` of every connection (default 10 s).
    pub lock_timeout: Duration,
    /// Attempts of a transaction that failed for a retryable reason (connection lost,
    /// server restarting, serialization failure, deadlock), the first included
    /// (default 5, at least 1).
    pub attempts: u32,
    /// Time source; `None` uses the system clock.
    pub clock: Option<SharedClock>,
}

impl Default for PgConfig {
    fn default() -> Self {
        PgConfig {
            max_connections: 10,
            connect_timeout: Duration::from_secs(5),
            schema: "magnetar".into(),
            statement_timeout: Duration::from_secs(30),
            lock_timeout: Duration::from_secs(10),
            attempts: 5,
            clock: None,
        }
    }
}

/// A failure inside a PostgreSQL transaction: a client error (which may be retried) or
/// one of Magnetar's errors (never retried).
#[derive(Debug)]
pub(crate) enum PgFail {
    Pg(postgres::Error),
    Core(Error),
    /// An error never retried, whatever its kind.
    Final(Error),
}

impl From<postgres::Error> for PgFail {
    fn from(e: postgres::Error) -> Self {
        PgFail::Pg(e)
    }
}

impl From<Error> for PgFail {
    fn from(e: Error) -> Self {
        PgFail::Core(e)
    }
}

pub(crate) type PgResult<T> = std::result::Result<T, PgFail>;

/// Whether a transaction that failed with this error may be run again.
fn retryable(err: &postgres::Error) -> bool {
    connection_lost(err)
        || err.code().is_some_and(|code| {
            *code == SqlState::CANNOT_CONNECT_NOW
                || *code == SqlState::T_R_SERIALIZATION_FAILURE
                || *code == SqlState::T_R_DEADLOCK_DETECTED
        })
}

/// Whether the connection itself is gone (closed, reset, or the server shutting it down
/// for a restart), as opposed to a statement failing on a live connection.
fn connection_lost(err: &postgres::Error) -> bool {
    if err.is_closed() {
        return true;
    }
    match err.code() {
        // No SQLSTATE: an I/O or protocol failure on the connection.
        None => err.as_db_error().is_none(),
        Some(code) => {
            code.code().starts_with("08")
                || *code == SqlState::ADMIN_SHUTDOWN
                || *code == SqlState::CRASH_SHUTDOWN
        }
    }
}

/// Magnetar's error for a client error. Never includes the URL (the client's messages
/// do not carry the password either).
fn pg_error(err: &postgres::Error, target: &str) -> Error {
    let code = err.code();
    if code == Some(&SqlState::QUERY_CANCELED) {
        return Error::Database {
            kind: ErrorKind::Database,
            code: None,
            message: format!("PostgreSQL {target}: statement timeout or cancel: {err}"),
        };
    }
    if retryable(err) && code.is_none_or(|c| !c.code().starts_with("40")) {
        return unavailable(target, &err.to_string());
    }
    let detail = describe(err);
    Error::Database {
        kind: ErrorKind::Database,
        code: None,
        message: format!("PostgreSQL {target}: {detail}"),
    }
}

/// A client error with its causes (the client's `Display` says only "db error" or
/// "error performing TLS handshake"). Never includes the password: the client does
/// not put it in any message.
fn describe(err: &postgres::Error) -> String {
    if let Some(db) = err.as_db_error() {
        return format!("{} ({})", db.message(), db.code().code());
    }
    let mut text = err.to_string();
    let mut source = std::error::Error::source(err);
    while let Some(cause) = source {
        text.push_str(": ");
        text.push_str(&cause.to_string());
        source = cause.source();
    }
    text
}

/// The error for a server that cannot be reached (refused, down, restarting, timed
/// out, TLS or authentication refused), with what the last attempt reported.
fn unavailable(target: &str, why: &str) -> Error {
    Error::Unavailable {
        target: format!("PostgreSQL at {target}"),
        cause: why.to_string(),
    }
}

struct Inner {
    pool: r2d2::Pool<Manager>,
    /// When the last connection attempt failed and what it reported (r2d2 keeps only
    /// a string): the cause an `Unavailable` names, if it failed during that wait.
    last_error: Arc<parking_lot::Mutex<Option<(Instant, String)>>>,
    schema: String,
    /// host:port/database user=... sslmode=... (never the password).
    target: String,
    config: PgConfig,
    clock: SharedClock,
}

/// A PostgreSQL store: a connection pool, a schema and a retry policy, shared by the
/// components opened on it. Cheap to clone. `Debug` never shows the password.
#[derive(Clone)]
pub struct PgStore {
    inner: Arc<Inner>,
}

impl fmt::Debug for PgStore {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PgStore")
            .field("target", &self.inner.target)
            .field("schema", &self.inner.schema)
            .field("max_connections", &self.inner.config.max_connections)
            .finish_non_exhaustive()
    }
}

fn check_schema_name(name: &str) -> Result<()> {
    let ok = !name.is_empty()
        && name.len() <= 63
        && !name.as_bytes()[0].is_ascii_digit()
        && name
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_')
        && !name.starts_with("pg_");
    if ok {
        Ok(())
    } else {
        Err(Error::InvalidConfig(format!(
            "schema must be 1 to 63 lowercase letters, digits or _, not starting with a digit or pg_, got {name:?}"
        )))
    }
}

fn millis(d: Duration) -> u128 {
    d.as_millis().max(1)
}

impl PgStore {
    /// Connects to the server at `url` (a `postgresql://` URL or a libpq key=value
    /// string, with libpq's `sslmode` and `sslrootcert`) and checks that it answers.
    ///
    /// Fails with `InvalidConfig` for a malformed URL or configuration and with
    /// `Unavailable` when no connection could be made within `connect_timeout`.
    pub fn open(url: &str, config: PgConfig) -> Result<PgStore> {
        check_schema_name(&config.schema)?;
        if config.max_connections == 0 || config.max_connections > 1000 {
            return Err(Error::InvalidConfig(
                "max_connections must be between 1 and 1000".into(),
            ));
        }
        if config.attempts == 0 {
            return Err(Error::InvalidConfig("attempts must be at least 1".into()));
        }
        if config.connect_timeout.is_zero() {
            return Err(Error::InvalidConfig(
                "connect_timeout must be positive".into(),
            ));
        }
        let parsed = tls::split_tls_params(url)?;
        // The parser's messages name the option, never the value.
        let mut pg = postgres::Config::from_str(&parsed.rest)
            .map_err(|e| Error::InvalidConfig(format!("invalid PostgreSQL URL: {e}")))?;
        pg.ssl_mode(match parsed.mode {
            SslMode::Disable => postgres::config::SslMode::Disable,
            SslMode::Prefer => postgres::config::SslMode::Prefer,
            _ => postgres::config::SslMode::Require,
        });
        if pg.get_connect_timeout().is_none() {
            pg.connect_timeout(config.connect_timeout);
        }
        if pg.get_application_name().is_none() {
            pg.application_name("magnetar");
        }
        // `search_path`: the audit log's portable statements name tables unqualified
        // (see `store::sql`); the schema name was checked to need no quoting.
        // `bytea_output=hex`: the few rows read by simple query (`store::sql::PgDb`) are
        // text, and bytes are decoded from hex whatever the server's default.
        pg.options(&format!(
            "-c statement_timeout={} -c lock_timeout={} -c idle_in_transaction_session_timeout={} -c bytea_output=hex -c search_path={}",
            millis(config.statement_timeout),
            millis(config.lock_timeout),
            millis(config.statement_timeout) * 2,
            config.schema
        ));
        let target = target_of(&pg, parsed.mode);
        let tls = MakeRustlsConnect::new(tls::client_config(
            parsed.mode,
            parsed.root_cert.as_deref(),
        )?);
        let last_error = Arc::new(parking_lot::Mutex::new(None));
        let pool = r2d2::Pool::builder()
            .max_size(config.max_connections)
            .min_idle(Some(0))
            .connection_timeout(config.connect_timeout)
            // No validity query on every checkout (a round trip per operation): a pooled
            // connection the server closed fails at its first statement and `run` moves
            // on to the next without spending an attempt.
            .test_on_check_out(false)
            .error_handler(Box::new(LastError(last_error.clone())))
            .build(Manager(PostgresConnectionManager::new(pg, tls)))
            .map_err(|e| unavailable(&target, &e.to_string()))?;
        let clock = config.clock.clone().unwrap_or_else(system_clock);
        let store = PgStore {
            inner: Arc::new(Inner {
                pool,
                last_error,
                schema: config.schema.clone(),
                target,
                config,
                clock,
            }),
        };
        // Fail at open, with a clear error, when the server cannot be reached.
        store.client()?;
        Ok(store)
    }

    /// The schema holding Magnetar's tables.
    pub fn schema(&self) -> &str {
        &self.inner.schema
    }

    /// The server, database, user and sslmode, for messages (never the password).
    pub fn target(&self) -> &str {
        &self.inner.target
    }

    /// The store's clock.
    pub fn clock(&self) -> &SharedClock {
        &self.inner.clock
    }

    /// Connections open and idle in the pool.
    pub fn connections(&self) -> (u32, u32) {
        let state = self.inner.pool.state();
        (state.connections, state.idle_connections)
    }

    /// `sql` with every `{schema}` replaced by the quoted schema name.
    pub(crate) fn sql(&self, sql: &str) -> String {
        sql.replace("{schema}", &format!("\"{}\"", self.inner.schema))
    }

    /// A pooled client: `PoolTimeout` when all `max_connections` stayed in use (the
    /// server is fine, this process is saturated), `Unavailable` when the pool had room
    /// but no connection could be made (refused, failed, or still not up when
    /// `connect_timeout` ran out).
    fn client(&self) -> Result<Client> {
        let asked = Instant::now();
        self.inner.pool.get().map_err(|_| {
            let max = self.inner.config.max_connections;
            // r2d2 counts connections being opened too, so a full count means busy.
            if self.inner.pool.state().connections >= max {
                return Error::PoolTimeout {
                    waited: asked.elapsed(),
                    what: format!(
                        "a connection to PostgreSQL at {} (all max_connections = {max} in use)",
                        self.inner.target
                    ),
                };
            }
            // Only a failure during this wait explains it: an older one may predate a
            // recovery.
            let why = match &*self.inner.last_error.lock() {
                Some((at, why)) if *at >= asked => why.clone(),
                _ => format!(
                    "no connection could be made within connect_timeout = {:?}",
                    self.inner.config.connect_timeout
                ),
            };
            unavailable(&self.inner.target, &why)
        })
    }

    /// Maps a client error to Magnetar's error.
    pub(crate) fn error(&self, err: &postgres::Error) -> Error {
        pg_error(err, &self.inner.target)
    }

    /// Runs `f` in a transaction and commits, retrying the whole transaction when it
    /// failed for a retryable reason (see the module docs: `f` must be idempotent).
    pub(crate) fn transaction<T>(
        &self,
        mut f: impl FnMut(&mut Tx<'_>) -> PgResult<T>,
    ) -> Result<T> {
        self.run(|conn| {
            let Conn {
                client, prepared, ..
            } = conn;
            let mut tx = Tx {
                tx: client.transaction()?,
                prepared,
            };
            let value = f(&mut tx)?;
            tx.tx.commit()?;
            Ok(value)
        })
    }

    /// Runs `f` on a pooled client (autocommit: for single statements), retrying it
    /// when it failed for a retryable reason (`f` must be idempotent).
    pub(crate) fn run<T>(&self, mut f: impl FnMut(&mut Conn) -> PgResult<T>) -> Result<T> {
        let attempts = self.inner.config.attempts;
        let mut attempt = 0;
        // Pooled connections a server restart or failover may have closed: each is found
        // out by its first statement, dropped by the pool (it reports itself broken) and
        // skipped, once per connection the pool can hold, without counting as an attempt.
        // So is a connection whose SQL-prepared statement went missing (see
        // `Conn::named`): it has stopped using them, and the transaction failed whole.
        let mut stale = self.inner.config.max_connections;
        loop {
            attempt += 1;
            let outcome = self
                .client()
                .map_err(PgFail::Core)
                .and_then(|mut client| f(&mut client));
            match outcome {
                Ok(value) => return Ok(value),
                Err(PgFail::Final(err)) => return Err(err),
                Err(PgFail::Core(err)) => {
                    // An unreachable server is retried like a lost connection (it may be
                    // restarting or failing over). A busy pool is not: the caller already
                    // waited `connect_timeout` for a connection.
                    if err.kind() != ErrorKind::Unavailable || attempt >= attempts {
                        return Err(err);
                    }
                }
                Err(PgFail::Pg(err))
                    if (connection_lost(&err)
                        || err.code() == Some(&SqlState::INVALID_SQL_STATEMENT_NAME))
                        && stale > 0 =>
                {
                    stale -= 1;
                    attempt -= 1;
                    log::debug!(
                        "PostgreSQL: skipping a stale pooled connection (closed by the server, or its prepared statement missing): {}",
                        self.error(&err)
                    );
                    continue;
                }
                Err(PgFail::Pg(err)) => {
                    if !retryable(&err) || attempt >= attempts {
                        return Err(self.error(&err));
                    }
                    log::warn!(
                        "PostgreSQL operation failed (attempt {attempt} of {attempts}), retrying: {}",
                        self.error(&err)
                    );
                }
            }
            std::thread::sleep(Duration::from_millis(25 << attempt.min(6)));
        }
    }

    /// Runs `f` on a transaction through the portable [`Db`](super::sql::Db), retried
    /// like [`PgStore::transaction`]. With a `lock` name: a read-write transaction that
    /// first takes a transaction-level advisory lock on the name (writers of one
    /// component's tables in this schema run one at a time, on every host). Without:
    /// a read-only `REPEATABLE READ` transaction (one snapshot for every statement).
    pub(crate) fn sql_transaction<T>(
        &self,
        lock: Option<&str>,
        f: &mut dyn FnMut(&dyn super::sql::Db) -> Result<T>,
    ) -> Result<T> {
        use super::sql::PgDb;
        // A write begins and takes its lock in one simple query, sent with its first
        // statement (see `PgDb`).
        let begin_locked = lock.map(|name| {
            format!(
                "BEGIN; SELECT pg_advisory_xact_lock({})",
                advisory_key(&format!("{}.{name}", self.inner.schema))
            )
        });
        self.run(|client| {
            let (outcome, failure) = match &begin_locked {
                Some(begin) => {
                    // The guard first: when the lock fails (lock_timeout), the
                    // transaction `BEGIN` opened is rolled back before the connection
                    // goes back to the pool.
                    let mut open = Open {
                        client,
                        done: false,
                    };
                    // `BEGIN` and the lock go out with the first statement.
                    let db = PgDb::write(&mut *open.client, self, begin);
                    let outcome = f(&db);
                    let failure = db.take_failure();
                    let begun = db.begun();
                    drop(db);
                    if !begun {
                        // No statement ran, so no transaction was opened.
                        open.done = true;
                    } else if outcome.is_ok() {
                        open.done = true;
                        open.client.batch_execute("COMMIT")?;
                    }
                    (outcome, failure)
                }
                None => {
                    let mut tx = client
                        .build_transaction()
                        .isolation_level(postgres::IsolationLevel::RepeatableRead)
                        .read_only(true)
                        .start()?;
                    let db = PgDb::read(&mut tx, self);
                    let outcome = f(&db);
                    let failure = db.take_failure();
                    drop(db);
                    if outcome.is_ok() {
                        tx.commit()?;
                    }
                    (outcome, failure)
                }
            };
            match (outcome, failure) {
                (Ok(value), _) => Ok(value),
                // A client error in a write: `run` retries a lost connection. A read is
                // not run again once it has started: its closure may already have
                // handed rows to the caller.
                (Err(_), Some(err)) if lock.is_some() => Err(PgFail::Pg(err)),
                (Err(err), Some(_)) => Err(PgFail::Final(err)),
                (Err(err), None) => Err(PgFail::Core(err)),
            }
        })
    }

    /// Creates or upgrades `component`'s tables to the newest of `migrations` (SQL with
    /// `{schema}` placeholders, oldest first), each version in its own transaction with
    /// the version row, under a transaction-level advisory lock so that processes
    /// opening at once do not race. When the component is already current this only
    /// reads the version table, so a role with DML rights only can open it. Fails with
    /// `SchemaTooNew` when the database was written by a newer Magnetar.
    pub fn migrate(&self, component: &str, migrations: &[&str]) -> Result<()> {
        let latest = migrations.len() as i64;
        let read_sql =
            self.sql("SELECT version FROM {schema}.magnetar_schema WHERE component = $1");
        let current = self.transaction(|tx| match tx.query_opt(&read_sql, &[&component]) {
            Ok(row) => Ok(Some(row.map_or(0, |r| r.get::<_, i32>(0) as i64))),
            Err(e)
                if e.code() == Some(&SqlState::UNDEFINED_TABLE)
                    || e.code() == Some(&SqlState::INVALID_SCHEMA_NAME) =>
            {
                Ok(None)
            }
            Err(e) => Err(e.into()),
        })?;
        let too_new = |found: i64| Error::SchemaTooNew {
            component: format!("{component} (PostgreSQL schema {})", self.inner.schema),
            found,
            supported: latest,
        };
        match current {
            Some(v) if v == latest => return Ok(()),
            Some(v) if v > latest => return Err(too_new(v)),
            _ => {}
        }
        let create = self.sql(
            "CREATE SCHEMA IF NOT EXISTS {schema};
             CREATE TABLE IF NOT EXISTS {schema}.magnetar_schema (
                 component TEXT PRIMARY KEY,
                 version   INTEGER NOT NULL
             );",
        );
        let lock_key = format!("magnetar.migrate.{}", self.inner.schema);
        self.transaction(|tx| {
            tx.execute(
                "SELECT pg_advisory_xact_lock(hashtextextended($1, 0))",
                &[&lock_key],
            )?;
            tx.batch_execute(&create)?;
            let found: i64 = tx
                .query_opt(&read_sql, &[&component])?
                .map_or(0, |r| r.get::<_, i32>(0) as i64);
            if found > latest {
                return Err(too_new(found).into());
            }
            for (index, step) in migrations.iter().enumerate().skip(found as usize) {
                tx.batch_execute(&self.sql(step))?;
                let version = index as i32 + 1;
                tx.execute(
                    &self.sql(
                        "INSERT INTO {schema}.magnetar_schema (component, version) VALUES ($1, $2)
                         ON CONFLICT (component) DO UPDATE SET version = EXCLUDED.version",
                    ),
                    &[&component, &version],
                )?;
            }
            Ok(())
        })
    }
}

/// A transaction begun on a client by a simple query: rolled back when dropped before
/// `done` (a failed closure, or a panic), so the connection goes back to the pool idle.
struct Open<'c> {
    client: &'c mut Conn,
    done: bool,
}

impl Drop for Open<'_> {
    fn drop(&mut self) {
        if !self.done && !self.client.is_closed() {
            // A failure here leaves a broken connection, which r2d2 discards.
            let _ = self.client.batch_execute("ROLLBACK");
        }
    }
}

/// A 64-bit advisory lock key for a name: the first 8 bytes of its SHA-256 (computed
/// here so that taking the lock is one simple statement, one round trip).
fn advisory_key(name: &str) -> i64 {
    use sha2::Digest;
    let digest = sha2::Sha256::digest(name.as_bytes());
    let mut first = [0u8; 8];
    first.copy_from_slice(&digest[..8]);
    i64::from_be_bytes(first)
}

fn target_of(pg: &postgres::Config, mode: SslMode) -> String {
    use postgres::config::Host;
    let host = match pg.get_hosts().first() {
        Some(Host::Tcp(h)) => h.clone(),
        Some(Host::Unix(p)) => p.display().to_string(),
        None => "localhost".into(),
    };
    let port = pg.get_ports().first().copied().unwrap_or(5432);
    format!(
        "{host}:{port}/{} user={} sslmode={}",
        pg.get_dbname().unwrap_or("(default)"),
        pg.get_user().unwrap_or("(default)"),
        mode.as_str()
    )
}

/// Keeps the last failed connection attempt's full cause for the store's error (r2d2
/// reports only its `Display`), instead of r2d2's default of logging each at error level.
#[derive(Debug)]
struct LastError(Arc<parking_lot::Mutex<Option<(Instant, String)>>>);

impl r2d2::HandleError<postgres::Error> for LastError {
    fn handle_error(&self, error: postgres::Error) {
        let text = describe(&error);
        log::debug!("PostgreSQL connection attempt failed: {text}");
        *self.0.lock() = Some((Instant::now(), text));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// MAGNETAR_TEST_PG_URL (scripts/with-postgres.sh), or `None` after saying that
    /// `test` is skipped. Not `magnetar_testkit::pg_url`: testkit would link a second
    /// copy of this crate into its unit tests, whose uniffi symbols clash.
    fn pg_url(test: &str) -> Option<String> {
        let url = std::env::var("MAGNETAR_TEST_PG_URL").ok();
        if url.is_none() {
            use std::io::Write;
            let _ = writeln!(
                std::io::stderr(),
                "SKIPPED {test}: MAGNETAR_TEST_PG_URL is unset"
            );
        }
        url
    }

    #[test]
    fn schema_names_are_checked() {
        for ok in ["magnetar", "app_1", "_x"] {
            check_schema_name(ok).unwrap();
        }
        for bad in [
            "",
            "1x",
            "Upper",
            "a-b",
            "a\"b",
            "pg_catalog",
            &"a".repeat(64),
        ] {
            assert!(check_schema_name(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn refused_connection_is_a_clear_error_without_the_password() {
        // Port 1 on loopback: nothing listens there.
        let config = PgConfig {
            connect_timeout: Duration::from_millis(300),
            ..PgConfig::default()
        };
        let err = PgStore::open(
            "postgresql://u:hunter2-secret@127.0.0.1:1/db?sslmode=disable",
            config,
        )
        .unwrap_err();
        assert_eq!(err.kind(), ErrorKind::Unavailable, "{err}");
        let text = format!("{err} {err:?}");
        assert!(text.contains("unavailable"), "{text}");
        assert!(text.contains("127.0.0.1:1/db"), "{text}");
        assert!(!text.contains("hunter2"), "{text}");
    }

    /// A reachable server whose every connection is busy is `PoolTimeout`, not
    /// `Unavailable`, and `run` does not retry it. Needs MAGNETAR_TEST_PG_URL
    /// (scripts/with-postgres.sh).
    #[test]
    fn busy_pool_is_a_pool_timeout_not_retried() {
        let Some(url) = pg_url("busy_pool_is_a_pool_timeout_not_retried") else {
            return;
        };
        let timeout = Duration::from_millis(300);
        let store = PgStore::open(
            &url,
            PgConfig {
                max_connections: 1,
                connect_timeout: timeout,
                ..PgConfig::default()
            },
        )
        .unwrap();
        let held = store.client().unwrap();
        let started = Instant::now();
        let err = store
            .run(|c| Ok(c.query_one("SELECT 1", &[])?))
            .unwrap_err();
        assert_eq!(err.kind(), ErrorKind::PoolTimeout, "{err}");
        assert!(
            err.to_string().contains("max_connections = 1 in use"),
            "{err}"
        );
        // One wait of `connect_timeout`, not one per attempt.
        assert!(started.elapsed() < timeout * 3, "{:?}", started.elapsed());
        drop(held);
        store.run(|c| Ok(c.query_one("SELECT 1", &[])?)).unwrap();
    }

    /// A write's first query goes out with its `BEGIN` as `EXECUTE` of a statement
    /// prepared by SQL `PREPARE`. Behind a pooler in transaction mode the next
    /// transaction may run on a server session that lacks that statement, or whose
    /// session already has the name: either way the write succeeds, and the connection
    /// stops using them. Needs MAGNETAR_TEST_PG_URL (scripts/with-postgres.sh).
    #[test]
    fn a_missing_or_taken_prepared_statement_is_not_an_error() {
        let Some(url) = pg_url("a_missing_or_taken_prepared_statement_is_not_an_error") else {
            return;
        };
        let open = || {
            let config = PgConfig {
                max_connections: 1,
                ..PgConfig::default()
            };
            PgStore::open(&url, config).unwrap()
        };
        let write = |store: &PgStore| {
            store.sql_transaction(Some("test"), &mut |db| {
                db.one("SELECT ?1 + 1", crate::store::sql::args![41_i64], |r| {
                    r.i64(0)
                })
            })
        };
        let uses_named = |store: &PgStore| store.run(|c| Ok(c.named.is_some())).unwrap();

        // The statement disappears from the session (another server session, as far as
        // the connection can tell): the transaction is run again without it.
        let store = open();
        assert_eq!(write(&store).unwrap(), 42);
        assert!(uses_named(&store));
        store
            .run(|c| Ok(c.batch_execute("DEALLOCATE ALL")?))
            .unwrap();
        assert_eq!(write(&store).unwrap(), 42);
        assert!(!uses_named(&store));
        assert_eq!(write(&store).unwrap(), 42);

        // The session already has a statement of that name.
        let store = open();
        store
            .run(|c| Ok(c.batch_execute("PREPARE magnetar_1 AS SELECT 0")?))
            .unwrap();
        assert_eq!(write(&store).unwrap(), 42);
        assert!(!uses_named(&store));
    }

    /// A write's first query comes back as a text row (it went out in a simple query
    /// with the `BEGIN`): integers, booleans, bytes and NULL read from it as from the
    /// binary rows of any other query. Needs MAGNETAR_TEST_PG_URL.
    #[test]
    fn a_writes_first_query_reads_as_any_other() {
        let Some(url) = pg_url("a_writes_first_query_reads_as_any_other") else {
            return;
        };
        let read = |db: &dyn crate::store::sql::Db| {
            db.one(
                "SELECT ?1 * 2, ?1 = 21, '\\x00ff'::bytea, NULL::int8",
                crate::store::sql::args![21_i64],
                |r| Ok((r.i64(0)?, r.bool(1)?, r.bytes(2)?, r.opt_i64(3)?)),
            )
        };
        let want = (42, true, vec![0, 255], None);
        let store = PgStore::open(&url, PgConfig::default()).unwrap();
        assert_eq!(
            store
                .sql_transaction(Some("test"), &mut |db| read(db))
                .unwrap(),
            want
        );
        assert_eq!(
            store.sql_transaction(None, &mut |db| read(db)).unwrap(),
            want
        );
    }
}
