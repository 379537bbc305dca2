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

use crate::clock::SharedClock;
use crate::error::Result;
use crate::pool::Pool;

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

impl From<PgStore> for Store {
    fn from(pg: PgStore) -> Store {
        Store::Postgres(pg)
    }
}
