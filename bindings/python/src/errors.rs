//! Python exceptions: `magnetar.MagnetarError` and one subclass per core error kind.
//!
//! Core errors are mapped exactly once, here, on [`ErrorKind`]; the message is core's
//! `to_string()`, which names what was wrong and never contains a secret. Every class
//! carries a `kind` attribute with the stable snake_case name of its core kind.
//!
//! Where a built-in exception fits, a class also subclasses it (`InvalidInput` is a
//! `ValueError`, `PoolTimeout` a `TimeoutError`, `ServerUnavailable` a
//! `ConnectionError`, ...), so `except ValueError:` clauses
//! that host code wrote around its old hand-written modules keep working. pyo3's
//! `create_exception!` takes a single base, so the classes are built with `type()` at
//! import time from the table below.

use magnetar_core::{Error, ErrorKind};
use pyo3::exceptions::{
    PyConnectionError, PyException, PyLookupError, PyOSError, PyRuntimeError, PyTimeoutError,
    PyValueError,
};
use pyo3::prelude::*;
use pyo3::sync::PyOnceLock;
use pyo3::types::{PyDict, PyTuple, PyType};

/// The built-in exception a class also derives from.
#[derive(Clone, Copy)]
enum Builtin {
    Value,
    OS,
    Timeout,
    Lookup,
    Runtime,
    Connection,
}

impl Builtin {
    fn get(self, py: Python<'_>) -> Bound<'_, PyType> {
        match self {
            Builtin::Value => py.get_type::<PyValueError>(),
            Builtin::OS => py.get_type::<PyOSError>(),
            Builtin::Timeout => py.get_type::<PyTimeoutError>(),
            Builtin::Lookup => py.get_type::<PyLookupError>(),
            Builtin::Runtime => py.get_type::<PyRuntimeError>(),
            Builtin::Connection => py.get_type::<PyConnectionError>(),
        }
    }
}

/// One exception class: its name, its `kind` (a core kind name, or the name of a base
/// that groups several kinds), its Magnetar parent (earlier in [`CLASSES`]; `None` for
/// `MagnetarError` itself), the built-in it also derives from, and its docstring.
struct Spec {
    name: &'static str,
    kind: &'static str,
    parent: Option<&'static str>,
    builtin: Option<Builtin>,
    doc: &'static str,
}

const fn spec(
    name: &'static str,
    kind: &'static str,
    parent: &'static str,
    builtin: Option<Builtin>,
    doc: &'static str,
) -> Spec {
    Spec {
        name,
        kind,
        parent: Some(parent),
        builtin,
        doc,
    }
}

const BASE: &str = "MagnetarError";

/// Every class, parents before children.
const CLASSES: [Spec; 25] = [
    Spec {
        name: BASE,
        kind: "error",
        parent: None,
        builtin: None,
        doc: "Base class of every error raised by Magnetar. `kind` names the stable error kind.",
    },
    spec(
        "InvalidConfig",
        "invalid_config",
        BASE,
        Some(Builtin::Value),
        "A configuration value is missing or out of range (also a `ValueError`).",
    ),
    spec(
        "InvalidInput",
        "invalid_input",
        BASE,
        Some(Builtin::Value),
        "An argument is malformed (bad SQL parameter, bad IP address, over-long password...); \
         also a `ValueError`.",
    ),
    spec(
        "StorageError",
        "io",
        BASE,
        Some(Builtin::OS),
        "The operating system refused a file operation (missing directory, permissions); \
         also an `OSError`.",
    ),
    spec(
        "DatabaseError",
        "database",
        BASE,
        None,
        "SQLite reported an error (syntax error, constraint violation, ...).",
    ),
    spec(
        "DatabaseCorrupt",
        "corrupt",
        "DatabaseError",
        None,
        "The database file is damaged (SQLITE_CORRUPT).",
    ),
    spec(
        "NotADatabase",
        "not_a_database",
        "DatabaseError",
        None,
        "The file exists but is not an SQLite database (SQLITE_NOTADB).",
    ),
    spec(
        "ReadOnlyDatabase",
        "read_only",
        "DatabaseError",
        None,
        "The database cannot be written: a write on a reader, or a read-only file.",
    ),
    spec(
        "SchemaTooNew",
        "schema_too_new",
        "DatabaseError",
        None,
        "The database schema is newer than this version of Magnetar understands.",
    ),
    spec(
        "PoolError",
        "pool",
        BASE,
        None,
        "Base class of connection-pool errors.",
    ),
    spec(
        "PoolTimeout",
        "pool_timeout",
        "PoolError",
        Some(Builtin::Timeout),
        "No connection became free within `acquire_timeout` (also a `TimeoutError`).",
    ),
    spec(
        "PoolClosed",
        "pool_closed",
        "PoolError",
        None,
        "The pool was closed.",
    ),
    spec(
        "ServerUnavailable",
        "unavailable",
        BASE,
        Some(Builtin::Connection),
        "The database server cannot be reached: refused, down, restarting, TLS or \
         authentication failure; the message names the server (never the password) and the \
         cause. Also a `ConnectionError`. Unlike `PoolTimeout`, no connection could be made.",
    ),
    spec(
        "InvalidKey",
        "invalid_key",
        BASE,
        Some(Builtin::Value),
        "A key is missing, malformed or too weak (also a `ValueError`).",
    ),
    spec(
        "WrongKey",
        "wrong_key",
        BASE,
        None,
        "The key does not match the one the data was written with.",
    ),
    spec(
        "TamperDetected",
        "tampered",
        BASE,
        None,
        "Stored data failed authentication or the audit chain is broken.",
    ),
    spec(
        "InvalidHash",
        "invalid_hash",
        BASE,
        Some(Builtin::Value),
        "A stored password hash is malformed, unsupported or has absurd parameters (also a \
         `ValueError`, as passlib and Django raise for hashes they cannot identify).",
    ),
    spec(
        "TransportError",
        "transport",
        BASE,
        None,
        "The breach-check transport failed (network, HTTP status, malformed body).",
    ),
    spec(
        "InvalidIndex",
        "invalid_index",
        BASE,
        None,
        "An offline breach index file is corrupt, truncated or of an unknown version.",
    ),
    spec(
        "SessionError",
        "session",
        BASE,
        None,
        "Base class of session errors.",
    ),
    spec(
        "SessionNotFound",
        "session_not_found",
        "SessionError",
        Some(Builtin::Lookup),
        "No session has this token (also a `LookupError`).",
    ),
    spec(
        "SessionExpired",
        "session_expired",
        "SessionError",
        None,
        "The session passed its idle or absolute timeout.",
    ),
    spec(
        "SessionRevoked",
        "session_revoked",
        "SessionError",
        None,
        "The session was revoked.",
    ),
    spec(
        "SessionLimit",
        "session_limit",
        "SessionError",
        None,
        "The per-user session limit is reached and the policy is to reject.",
    ),
    spec(
        "InternalError",
        "internal",
        BASE,
        Some(Builtin::Runtime),
        "A bug or an environment failure (no OS randomness, a panic caught at a boundary); \
         also a `RuntimeError`.",
    ),
];

/// The classes, in [`CLASSES`] order, built once per interpreter.
static TYPES: PyOnceLock<Vec<Py<PyType>>> = PyOnceLock::new();

fn build(py: Python<'_>) -> PyResult<Vec<Py<PyType>>> {
    let type_ = py.get_type::<PyType>();
    let mut built: Vec<Py<PyType>> = Vec::with_capacity(CLASSES.len());
    for spec in &CLASSES {
        let mut bases = vec![match spec.parent {
            Some(parent) => {
                let at = CLASSES
                    .iter()
                    .position(|s| s.name == parent)
                    .expect("every parent is in CLASSES");
                built[at].bind(py).clone()
            }
            None => py.get_type::<PyException>(),
        }];
        bases.extend(spec.builtin.map(|b| b.get(py)));
        let attrs = PyDict::new(py);
        attrs.set_item("__module__", "magnetar")?;
        attrs.set_item("__doc__", spec.doc)?;
        attrs.set_item("kind", spec.kind)?;
        let class = type_
            .call1((spec.name, PyTuple::new(py, bases)?, attrs))?
            .cast_into::<PyType>()?;
        built.push(class.unbind());
    }
    Ok(built)
}

/// The Python class for a core error kind: the class whose `kind` is the kind's name.
fn class_of(py: Python<'_>, kind: ErrorKind) -> Bound<'_, PyType> {
    // `ErrorKind` is non-exhaustive: a kind added to core later still maps to the base
    // class (with its name in `kind`) until it gets its own subclass.
    let at = CLASSES
        .iter()
        .position(|s| s.kind == kind.name())
        .unwrap_or(0);
    match TYPES.get(py) {
        Some(types) => types[at].bind(py).clone(),
        // Only before `register` ran, when no Magnetar call can have been made.
        None => py.get_type::<PyException>(),
    }
}

/// Converts a core error into the Python exception for its kind.
pub fn to_py(err: Error) -> PyErr {
    Python::attach(|py| {
        let kind = err.kind();
        let class = class_of(py, kind);
        let exc = PyErr::from_type(class, err.to_string());
        // The class attribute already says the kind; the instance attribute also covers
        // kinds that map to the base class.
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

/// Builds every exception class and adds it to the module.
pub fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    let py = m.py();
    // A kind added to core without a class here would surface as the base class;
    // failing the import makes every test run say so.
    if let Some(kind) = ErrorKind::ALL
        .into_iter()
        .find(|kind| !CLASSES.iter().any(|s| s.kind == kind.name()))
    {
        return Err(PyRuntimeError::new_err(format!(
            "magnetar: error kind {:?} has no exception class",
            kind.name()
        )));
    }
    let types = TYPES.get_or_try_init(py, || build(py))?;
    for (spec, class) in CLASSES.iter().zip(types) {
        m.add(spec.name, class.bind(py))?;
    }
    Ok(())
}
