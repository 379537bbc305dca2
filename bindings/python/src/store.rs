//! `magnetar.PostgresStore`: a PostgreSQL server as the store of a `SessionRegistry` or
//! an `AuditLog`, wherever a `Pool` is accepted.

use magnetar_core::pool::Pool;
use magnetar_core::store::{PgConfig, PgStore, Store};
use pyo3::exceptions::PyTypeError;
use pyo3::prelude::*;

use crate::conversions::{duration_from_py, type_name};
use crate::errors::IntoPyResult;
use crate::pool::PyPool;

/// A PostgreSQL server shared by many application servers: a connection pool, the
/// schema holding Magnetar's tables, and retries of work interrupted by a lost
/// connection or a server restart.
///
/// `url` is a `postgresql://user:password@host:port/database` URL (or a libpq
/// `key=value` string) with libpq's `sslmode` (`disable`, `prefer` (default),
/// `require`, `verify-ca`, `verify-full`; use `verify-full` in production) and
/// `sslrootcert` (a CA file; the system's roots otherwise). `connect_timeout` and
/// `statement_timeout` are seconds. The tables are created on first use in `schema`
/// (default `"magnetar"`); an application role with DML rights only works once they
/// exist. Raises `ServerUnavailable` (a `ConnectionError`) when the server cannot be
/// reached, `PoolTimeout` when all `max_connections` stay busy for `connect_timeout`;
/// no message or `repr` ever contains the password. Safe to share between threads.
#[pyclass(module = "magnetar", name = "PostgresStore", frozen)]
pub struct PyPostgresStore {
    pub(crate) inner: PgStore,
}

#[pymethods]
impl PyPostgresStore {
    #[new]
    #[pyo3(signature = (
        url, *, max_connections = 10, connect_timeout = None, schema = "magnetar",
        statement_timeout = None,
    ))]
    fn new(
        py: Python<'_>,
        url: String,
        max_connections: u32,
        connect_timeout: Option<&Bound<'_, PyAny>>,
        schema: &str,
        statement_timeout: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<Self> {
        let mut config = PgConfig {
            max_connections,
            schema: schema.to_owned(),
            ..PgConfig::default()
        };
        if let Some(d) = connect_timeout.filter(|d| !d.is_none()) {
            config.connect_timeout = duration_from_py("connect_timeout", d)?;
        }
        if let Some(d) = statement_timeout.filter(|d| !d.is_none()) {
            config.statement_timeout = duration_from_py("statement_timeout", d)?;
        }
        let inner = py.detach(|| PgStore::open(&url, config)).py_err()?;
        Ok(PyPostgresStore { inner })
    }

    /// The schema holding Magnetar's tables.
    #[getter]
    fn schema(&self) -> String {
        self.inner.schema().to_owned()
    }

    /// Server, database, user and sslmode (never the password).
    #[getter]
    fn target(&self) -> String {
        self.inner.target().to_owned()
    }

    fn __repr__(&self) -> String {
        format!(
            "PostgresStore({:?}, schema={:?})",
            self.inner.target(),
            self.inner.schema()
        )
    }
}

/// The store behind a `Pool` or a `PostgresStore` argument.
pub(crate) fn store_from_py(obj: &Bound<'_, PyAny>) -> PyResult<Store> {
    if let Ok(pool) = obj.cast::<PyPool>() {
        let pool: Pool = pool.get().inner.clone();
        return Ok(Store::sqlite(pool));
    }
    if let Ok(pg) = obj.cast::<PyPostgresStore>() {
        return Ok(Store::Postgres(pg.get().inner.clone()));
    }
    Err(PyTypeError::new_err(format!(
        "expected a magnetar.Pool or a magnetar.PostgresStore, got {}",
        type_name(obj)
    )))
}
