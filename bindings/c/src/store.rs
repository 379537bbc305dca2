//! PostgreSQL as a store (`mgn_pg_store`): one server shared by many application
//! servers, for the session registry (`mgn_sessions_open_store`).

use std::ffi::c_char;
use std::time::Duration;

use magnetar_core::store::{PgConfig, PgStore};

use crate::boundary;
use crate::handle::{self, Out};
use crate::status::mgn_status;
use crate::strings::str_arg;

/// A connection pool to a PostgreSQL server, the schema holding Magnetar's tables and
/// the retry policy. Created by `mgn_pg_store_open`, released with `mgn_pg_store_free`.
///
/// Thread safety: any number of threads may use one store at once.
#[allow(non_camel_case_types)]
pub struct mgn_pg_store {
    pub(crate) store: PgStore,
}

/// PostgreSQL store settings. Fill with `mgn_pg_options_default`. Durations in ms.
#[allow(non_camel_case_types)]
#[repr(C)]
#[derive(Debug, Clone, Copy)]
pub struct mgn_pg_options {
    /// Most connections this process keeps open (default 10, at most 1000).
    pub max_connections: u32,
    /// How long to wait for a connection, new or pooled (default 5000).
    pub connect_timeout_ms: u64,
    /// `statement_timeout` of every connection (default 30000).
    pub statement_timeout_ms: u64,
    /// Attempts of an operation interrupted by a lost connection or a server restart,
    /// the first included (default 5, at least 1).
    pub attempts: u32,
    /// The schema holding Magnetar's tables (NUL-terminated; NULL for "magnetar").
    /// Lowercase letters, digits and `_`. Only read during `mgn_pg_store_open`.
    pub schema: *const c_char,
}

fn ms(d: Duration) -> u64 {
    u64::try_from(d.as_millis()).unwrap_or(u64::MAX)
}

/// Writes the default PostgreSQL store settings to `*out` (`schema` NULL: "magnetar").
///
/// Errors: `MGN_INVALID_ARGUMENT` if `out` is NULL. Thread-safe.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn mgn_pg_options_default(out: *mut mgn_pg_options) -> mgn_status {
    boundary::call("mgn_pg_options_default", || {
        let out = Out::new(out, "out")?;
        let c = PgConfig::default();
        out.write(mgn_pg_options {
            max_connections: c.max_connections,
            connect_timeout_ms: ms(c.connect_timeout),
            statement_timeout_ms: ms(c.statement_timeout),
            attempts: c.attempts,
            schema: std::ptr::null(),
        });
        Ok(())
    })
}

/// Connects to the PostgreSQL server at `url` (NUL-terminated: a
/// `postgresql://user:password@host:port/database` URL or a libpq `key=value` string)
/// and writes the store to `*out`. `options` may be NULL for the defaults.
///
/// TLS follows libpq's `sslmode` in the URL: `disable`, `prefer` (the default),
/// `require` (encrypted, server not verified), `verify-ca` (chain verified),
/// `verify-full` (chain and host name verified: use this in production); roots from
/// `sslrootcert=/path/ca.pem`, otherwise the system's. Tables are created on first use
/// by a component (see `mgn_sessions_open_store`); a role with DML rights only works
/// once they exist. No message ever contains the password.
///
/// Errors: `MGN_INVALID_ARGUMENT` (NULL `url`/`out`, invalid UTF-8),
/// `MGN_INVALID_CONFIG` (malformed URL, unknown sslmode, bad schema name, unreadable
/// CA file, an option out of range), `MGN_UNAVAILABLE` (server unreachable, refused,
/// TLS or authentication failure within `connect_timeout_ms`; the message says which).
/// Thread-safe.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn mgn_pg_store_open(
    url: *const c_char,
    options: *const mgn_pg_options,
    out: *mut *mut mgn_pg_store,
) -> mgn_status {
    boundary::call("mgn_pg_store_open", || {
        // SAFETY: the host passes NULL or a NUL-terminated string.
        let url = unsafe { str_arg(url, "url") }?;
        let out = Out::new(out, "out")?;
        let mut config = PgConfig::default();
        // SAFETY: NULL or a pointer to an `mgn_pg_options`.
        if let Some(o) = unsafe { options.as_ref() } {
            config.max_connections = o.max_connections;
            config.connect_timeout = Duration::from_millis(o.connect_timeout_ms);
            config.statement_timeout = Duration::from_millis(o.statement_timeout_ms);
            config.attempts = o.attempts;
            if !o.schema.is_null() {
                // SAFETY: a NUL-terminated string per the contract.
                config.schema = unsafe { str_arg(o.schema, "schema") }?.to_owned();
            }
        }
        let store = PgStore::open(url, config)?;
        out.write(handle::into_raw(mgn_pg_store { store }));
        Ok(())
    })
}

/// Releases a store handle. NULL is a no-op. Components opened on it keep their own
/// reference; the connections close when the last of them is released.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn mgn_pg_store_free(store: *mut mgn_pg_store) {
    // SAFETY: the host passes NULL or a live store handle, once.
    boundary::call_void(|| unsafe { handle::free(store) })
}
