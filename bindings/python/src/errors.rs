//! Python exceptions: `magnetar.MagnetarError` and one subclass per core error kind.
//!
//! Core errors are mapped exactly once, here, on [`ErrorKind`]; the message is core's
//! `to_string()`, which names what was wrong and never contains a secret. Every class
//! carries a `kind` attribute with the stable snake_case name of its core kind.

use magnetar_core::{Error, ErrorKind};
use pyo3::exceptions::PyException;
use pyo3::prelude::*;
use pyo3::types::PyType;

pyo3::create_exception!(
    magnetar,
    MagnetarError,
    PyException,
    "Base class of every error raised by Magnetar. `kind` names the stable error kind."
);
pyo3::create_exception!(
    magnetar,
    InvalidConfig,
    MagnetarError,
    "A configuration value is missing or out of range."
);
pyo3::create_exception!(
    magnetar,
    InvalidInput,
    MagnetarError,
    "An argument is malformed (bad SQL parameter, bad IP address, over-long password...)."
);
pyo3::create_exception!(
    magnetar,
    StorageError,
    MagnetarError,
    "The operating system refused a file operation (missing directory, permissions)."
);
pyo3::create_exception!(
    magnetar,
    DatabaseError,
    MagnetarError,
    "SQLite reported an error (syntax error, constraint violation, ...)."
);
pyo3::create_exception!(
    magnetar,
    DatabaseCorrupt,
    DatabaseError,
    "The database file is damaged (SQLITE_CORRUPT)."
);
pyo3::create_exception!(
    magnetar,
    NotADatabase,
    DatabaseError,
    "The file exists but is not an SQLite database (SQLITE_NOTADB)."
);
pyo3::create_exception!(
    magnetar,
    ReadOnlyDatabase,
    DatabaseError,
    "The database cannot be written: a write on a reader, or a read-only file."
);
pyo3::create_exception!(
    magnetar,
    SchemaTooNew,
    DatabaseError,
    "The database schema is newer than this version of Magnetar understands."
);
pyo3::create_exception!(
    magnetar,
    PoolError,
    MagnetarError,
    "Base class of connection-pool errors."
);
pyo3::create_exception!(
    magnetar,
    PoolTimeout,
    PoolError,
    "No connection became free within `acquire_timeout`."
);
pyo3::create_exception!(magnetar, PoolClosed, PoolError, "The pool was closed.");
pyo3::create_exception!(
    magnetar,
    InvalidKey,
    MagnetarError,
    "A key is missing, malformed or too weak."
);
pyo3::create_exception!(
    magnetar,
    WrongKey,
    MagnetarError,
    "The key does not match the one the data was written with."
);
pyo3::create_exception!(
    magnetar,
    TamperDetected,
    MagnetarError,
    "Stored data failed authentication or the audit chain is broken."
);
pyo3::create_exception!(
    magnetar,
    InvalidHash,
    MagnetarError,
    "A stored password hash is malformed, unsupported or has absurd parameters."
);
pyo3::create_exception!(
    magnetar,
    TransportError,
    MagnetarError,
    "The breach-check transport failed (network, HTTP status, malformed body)."
);
pyo3::create_exception!(
    magnetar,
    InvalidIndex,
    MagnetarError,
    "An offline breach index file is corrupt, truncated or of an unknown version."
);
pyo3::create_exception!(
    magnetar,
    SessionError,
    MagnetarError,
    "Base class of session errors."
);
pyo3::create_exception!(
    magnetar,
    SessionNotFound,
    SessionError,
    "No session has this token."
);
pyo3::create_exception!(
    magnetar,
    SessionExpired,
    SessionError,
    "The session passed its idle or absolute timeout."
);
pyo3::create_exception!(
    magnetar,
    SessionRevoked,
    SessionError,
    "The session was revoked."
);
pyo3::create_exception!(
    magnetar,
    SessionLimit,
    SessionError,
    "The per-user session limit is reached and the policy is to reject."
);
pyo3::create_exception!(
    magnetar,
    InternalError,
    MagnetarError,
    "A bug or an environment failure (no OS randomness, a panic caught at a boundary)."
);

/// The Python class for a core error kind.
fn class_of(py: Python<'_>, kind: ErrorKind) -> Bound<'_, PyType> {
    match kind {
        ErrorKind::InvalidConfig => py.get_type::<InvalidConfig>(),
        ErrorKind::InvalidInput => py.get_type::<InvalidInput>(),
        ErrorKind::Io => py.get_type::<StorageError>(),
        ErrorKind::Database => py.get_type::<DatabaseError>(),
        ErrorKind::Corrupt => py.get_type::<DatabaseCorrupt>(),
        ErrorKind::NotADatabase => py.get_type::<NotADatabase>(),
        ErrorKind::ReadOnly => py.get_type::<ReadOnlyDatabase>(),
        ErrorKind::PoolTimeout => py.get_type::<PoolTimeout>(),
        ErrorKind::PoolClosed => py.get_type::<PoolClosed>(),
        ErrorKind::SchemaTooNew => py.get_type::<SchemaTooNew>(),
        ErrorKind::InvalidKey => py.get_type::<InvalidKey>(),
        ErrorKind::WrongKey => py.get_type::<WrongKey>(),
        ErrorKind::Tampered => py.get_type::<TamperDetected>(),
        ErrorKind::InvalidHash => py.get_type::<InvalidHash>(),
        ErrorKind::Transport => py.get_type::<TransportError>(),
        ErrorKind::InvalidIndex => py.get_type::<InvalidIndex>(),
        ErrorKind::SessionNotFound => py.get_type::<SessionNotFound>(),
        ErrorKind::SessionExpired => py.get_type::<SessionExpired>(),
        ErrorKind::SessionRevoked => py.get_type::<SessionRevoked>(),
        ErrorKind::SessionLimit => py.get_type::<SessionLimit>(),
        ErrorKind::Internal => py.get_type::<InternalError>(),
        // `ErrorKind` is non-exhaustive: a kind added to core later still maps to the
        // base class (with its name in `kind`) until it gets its own subclass.
        _ => py.get_type::<MagnetarError>(),
    }
}

/// Converts a core error into the Python exception for its kind.
pub fn to_py(err: Error) -> PyErr {
    Python::attach(|py| {
        let kind = err.kind();
        let class = class_of(py, kind);
        let exc = PyErr::from_type(class, err.to_string());
        // The class attribute already says the kind; the instance attribute also covers
        // kinds that map to a shared class.
        let _ = exc.value(py).setattr("kind", kind.name());
        exc
    })
}

/// `?`-friendly conversion of core results.
pub trait IntoPyResult<T> {
    /// Maps a core error to its Python exception.
    fn py_err(self) -> PyResult<T>;
}

impl<T> IntoPyResult<T> for magnetar_core::Result<T> {
    fn py_err(self) -> PyResult<T> {
        self.map_err(to_py)
    }
}

/// An `InvalidInput` error raised by the binding itself (wrong Python types or usage).
pub fn invalid_input(message: impl Into<String>) -> PyErr {
    to_py(Error::InvalidInput(message.into()))
}

/// Adds every exception class to the module, each with its `kind` class attribute.
pub fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    let py = m.py();
    let classes: [(&str, Bound<'_, PyType>, &str); 23] = [
        ("MagnetarError", py.get_type::<MagnetarError>(), "error"),
        (
            "InvalidConfig",
            py.get_type::<InvalidConfig>(),
            "invalid_config",
        ),
        (
            "InvalidInput",
            py.get_type::<InvalidInput>(),
            "invalid_input",
        ),
        ("StorageError", py.get_type::<StorageError>(), "io"),
        ("DatabaseError", py.get_type::<DatabaseError>(), "database"),
        (
            "DatabaseCorrupt",
            py.get_type::<DatabaseCorrupt>(),
            "corrupt",
        ),
        (
            "NotADatabase",
            py.get_type::<NotADatabase>(),
            "not_a_database",
        ),
        (
            "ReadOnlyDatabase",
            py.get_type::<ReadOnlyDatabase>(),
            "read_only",
        ),
        (
            "SchemaTooNew",
            py.get_type::<SchemaTooNew>(),
            "schema_too_new",
        ),
        ("PoolError", py.get_type::<PoolError>(), "pool"),
        ("PoolTimeout", py.get_type::<PoolTimeout>(), "pool_timeout"),
        ("PoolClosed", py.get_type::<PoolClosed>(), "pool_closed"),
        ("InvalidKey", py.get_type::<InvalidKey>(), "invalid_key"),
        ("WrongKey", py.get_type::<WrongKey>(), "wrong_key"),
        (
            "TamperDetected",
            py.get_type::<TamperDetected>(),
            "tampered",
        ),
        ("InvalidHash", py.get_type::<InvalidHash>(), "invalid_hash"),
        (
            "TransportError",
            py.get_type::<TransportError>(),
            "transport",
        ),
        (
            "InvalidIndex",
            py.get_type::<InvalidIndex>(),
            "invalid_index",
        ),
        ("SessionError", py.get_type::<SessionError>(), "session"),
        (
            "SessionNotFound",
            py.get_type::<SessionNotFound>(),
            "session_not_found",
        ),
        (
            "SessionExpired",
            py.get_type::<SessionExpired>(),
            "session_expired",
        ),
        (
            "SessionRevoked",
            py.get_type::<SessionRevoked>(),
            "session_revoked",
        ),
        (
            "SessionLimit",
            py.get_type::<SessionLimit>(),
            "session_limit",
        ),
    ];
    for (name, class, kind) in classes {
        class.setattr("kind", kind)?;
        m.add(name, class)?;
    }
    let internal = py.get_type::<InternalError>();
    internal.setattr("kind", "internal")?;
    m.add("InternalError", internal)?;
    Ok(())
}
