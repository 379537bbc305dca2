//! `PostgresStore`: a PostgreSQL server as the store of an `AuditLog` or a
//! `SessionRegistry`, for Swift servers that share one database (docs/postgres.md).
//!
//! Everything about the server — URL and `sslmode` parsing, TLS, the schema and its
//! migrations, retries, timeouts — is core's `PgStore`; this module only carries its
//! configuration across.

use std::sync::Arc;
use std::time::Duration;

use magnetar_core::store::{PgConfig, PgStore};

use crate::error::Result;

/// PostgreSQL store configuration. Start from `PostgresConfig()` in Swift (core's
/// defaults, see [`default_postgres_config`]) and adjust fields.
///
/// Not core's `PgConfig` itself: that one also holds the clock (`Arc<dyn Clock>`), which
/// uniffi cannot carry and Swift has no use for.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct PostgresConfig {
    /// Most connections this process keeps open.
    pub max_connections: u32,
    /// How long to wait for a connection, new or pooled, before `poolTimeout` (or
    /// `unavailable` when none could be made).
    pub connect_timeout: Duration,
    /// The schema holding Magnetar's tables: lowercase letters, digits and `_`.
    pub schema: String,
    /// `statement_timeout` of every connection.
    pub statement_timeout: Duration,
    /// `lock_timeout` of every connection.
    pub lock_timeout: Duration,
    /// Attempts of a transaction interrupted by a lost connection, a server restart, a
    /// serialization failure or a deadlock, the first included (at least 1).
    pub attempts: u32,
}

impl From<PgConfig> for PostgresConfig {
    fn from(c: PgConfig) -> Self {
        PostgresConfig {
            max_connections: c.max_connections,
            connect_timeout: c.connect_timeout,
            schema: c.schema,
            statement_timeout: c.statement_timeout,
            lock_timeout: c.lock_timeout,
            attempts: c.attempts,
        }
    }
}

impl From<PostgresConfig> for PgConfig {
    fn from(c: PostgresConfig) -> Self {
        PgConfig {
            max_connections: c.max_connections,
            connect_timeout: c.connect_timeout,
            schema: c.schema,
            statement_timeout: c.statement_timeout,
            lock_timeout: c.lock_timeout,
            attempts: c.attempts,
            // The system clock: Swift has no use for a manual one.
            ..PgConfig::default()
        }
    }
}

/// Core's default PostgreSQL configuration (10 connections, 5 s connect timeout, schema
/// `magnetar`, 30 s statement timeout, ...).
#[uniffi::export]
pub fn default_postgres_config() -> PostgresConfig {
    PgConfig::default().into()
}

/// A PostgreSQL server shared by many application servers: a connection pool, the
/// schema holding Magnetar's tables, and retries of work interrupted by a lost
/// connection or a restart. Thread-safe; open one per server and schema. Its
/// description never contains the password.
#[derive(Debug, uniffi::Object)]
pub struct PostgresStore {
    inner: PgStore,
}

#[uniffi::export]
impl PostgresStore {
    /// Connects to the server at `url`: `postgresql://user:password@host:port/db` (or a
    /// libpq `key=value` string) with libpq's `sslmode` (`disable`, `prefer` (default),
    /// `require`, `verify-ca`, `verify-full`; use `verify-full` in production) and
    /// `sslrootcert` (a CA file; the system's roots otherwise). Creates the schema's
    /// tables on first use. Fails with `unavailable` when the server cannot be reached.
    #[uniffi::constructor]
    pub fn new(url: String, config: PostgresConfig) -> Result<Arc<Self>> {
        let inner = PgStore::open(&url, config.into())?;
        Ok(Arc::new(PostgresStore { inner }))
    }

    /// The schema holding Magnetar's tables.
    pub fn schema(&self) -> String {
        self.inner.schema().to_owned()
    }

    /// Server, database, user and sslmode (never the password).
    pub fn target(&self) -> String {
        self.inner.target().to_owned()
    }
}

impl PostgresStore {
    /// The core store, for components that store through it.
    pub(crate) fn core(&self) -> &PgStore {
        &self.inner
    }
}
