//! Where components keep their data: an SQLite [`Pool`] on one host, or a shared
//! PostgreSQL server ([`PgStore`]) for many application servers.
//!
//! A [`Store`] is chosen once, at open, and handed to a component
//! ([`SessionRegistry::open`](crate::session::SessionRegistry::open) today). Each
//! component talks to a small storage trait of its own, implemented for both backends,
//! with its schema and migrations beside each implementation; the rules (limits,
//! scoring, encryption, chains) stay above the trait, written once. A `Pool` converts
//! into a `Store`, so every API that took a pool still does.

pub mod postgres;
pub(crate) mod sql;

use crate::clock::SharedClock;
use crate::error::Result;
use crate::pool::Pool;
use sql::Db;

pub use postgres::{PgConfig, PgStore, SslMode};

/// A storage backend. Cheap to clone (both variants are shared handles).
#[derive(Debug, Clone)]
#[non_exhaustive]
pub enum Store {
    /// An SQLite database through Magnetar's pool (one host).
    Sqlite(Pool),
    /// A PostgreSQL server (many hosts).
    Postgres(PgStore),
}

impl Store {
    /// The SQLite backend on `pool`.
    pub fn sqlite(pool: Pool) -> Store {
        Store::Sqlite(pool)
    }

    /// Connects to PostgreSQL (see [`PgStore::open`]).
    pub fn postgres(url: &str, config: PgConfig) -> Result<Store> {
        PgStore::open(url, config).map(Store::Postgres)
    }

    /// `"sqlite"` or `"postgres"`.
    pub fn backend(&self) -> &'static str {
        match self {
            Store::Sqlite(_) => "sqlite",
            Store::Postgres(_) => "postgres",
        }
    }

    /// The backend's clock (the pool's, or the one in [`PgConfig`]).
    pub fn clock(&self) -> &SharedClock {
        match self {
            Store::Sqlite(pool) => pool.clock(),
            Store::Postgres(pg) => pg.clock(),
        }
    }
}

/// Portable SQL access (see [`sql`]), for components whose statements are the same on
/// both backends.
impl Store {
    /// Runs `f` on a consistent snapshot: an SQLite read transaction, or a read-only
    /// `REPEATABLE READ` PostgreSQL transaction.
    pub(crate) fn read<T>(&self, mut f: impl FnMut(&dyn Db) -> Result<T>) -> Result<T> {
        match self {
            Store::Sqlite(pool) => pool.read(|conn| f(conn)),
            Store::Postgres(pg) => pg.sql_transaction(None, &mut f),
        }
    }

    /// Runs `f` in a write transaction and commits. SQLite has one writer; on
    /// PostgreSQL writers holding the same `lock` name are serialized by an advisory
    /// lock, and a transaction that lost its connection is run again, so `f` must
    /// check for its own earlier effect.
    pub(crate) fn write<T>(
        &self,
        lock: &str,
        mut f: impl FnMut(&dyn Db) -> Result<T>,
    ) -> Result<T> {
        match self {
            Store::Sqlite(pool) => pool.write(|conn| f(conn)),
            Store::Postgres(pg) => pg.sql_transaction(Some(lock), &mut f),
        }
    }

    /// The database file, or the PostgreSQL server and schema (never a password).
    pub fn describe(&self) -> String {
        match self {
            Store::Sqlite(pool) => pool.path().display().to_string(),
            Store::Postgres(pg) => format!("{} schema {}", pg.target(), pg.schema()),
        }
    }
}

impl From<Pool> for Store {
    fn from(pool: Pool) -> Store {
        Store::Sqlite(pool)
    }
}

impl From<&Pool> for Store {
    fn from(pool: &Pool) -> Store {
        Store::Sqlite(pool.clone())
    }
}

impl From<&Store> for Store {
    fn from(store: &Store) -> Store {
        store.clone()
    }
}

impl From<PgStore> for Store {
    fn from(pg: PgStore) -> Store {
        Store::Postgres(pg)
    }
}
