//! The one error type of Magnetar's core.
//!
//! Every binding maps [`Error`] exactly once: C to an `mgn_status` code plus a
//! thread-local message, Swift to a `MagnetarError` enum, Python to a subclass of
//! `magnetar.MagnetarError`. [`ErrorKind`] is the stable part of that mapping: kinds
//! are never renumbered or renamed, only added.
//!
//! Messages name what was wrong and never contain a secret (key, password, pepper,
//! token or decrypted audit field).

use std::time::Duration;

/// Result alias used throughout core.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// The stable classification of an [`Error`]. Bindings map on this, never on messages.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ErrorKind {
    /// A configuration value is missing or out of range.
    InvalidConfig,
    /// An argument is malformed (bad IP, over-long password, bad SQL parameter...).
    InvalidInput,
    /// The operating system refused a file operation.
    Io,
    /// SQLite reported an error that is not one of the more specific kinds below.
    Database,
    /// SQLite reported `SQLITE_CORRUPT`: the file is damaged.
    Corrupt,
    /// The file exists but is not an SQLite database (`SQLITE_NOTADB`).
    NotADatabase,
    /// The database (or its directory) cannot be written.
    ReadOnly,
    /// No connection became free within `acquire_timeout`.
    PoolTimeout,
    /// The pool was closed.
    PoolClosed,
    /// The database schema is newer than this version of Magnetar understands.
    SchemaTooNew,
    /// A key is missing, malformed or too weak.
    InvalidKey,
    /// The key does not match the one the data was written with.
    WrongKey,
    /// Stored data failed authentication or the audit chain is broken.
    Tampered,
    /// A stored password hash is malformed, unsupported or has absurd parameters.
    InvalidHash,
    /// The breach-check transport failed (network, HTTP status, malformed body).
    Transport,
    /// An offline breach index file is corrupt, truncated or of an unknown version.
    InvalidIndex,
    /// No session has this token.
    SessionNotFound,
    /// The session passed its idle or absolute timeout.
    SessionExpired,
    /// The session was revoked.
    SessionRevoked,
    /// The per-user session limit is reached and the policy is to reject.
    SessionLimit,
    /// A bug or an environment failure (no OS randomness, a panic caught at a boundary).
    Internal,
    /// The database server cannot be reached: refused, down, restarting, or the TLS
    /// handshake or authentication failed. Distinct from [`PoolTimeout`](Self::PoolTimeout)
    /// (the server is fine, every connection is busy): this one calls for an operator.
    Unavailable,
}

impl ErrorKind {
    /// Every kind, in declaration order. Each binding's tests walk this list so a kind
    /// added here can never silently become the binding's "internal" case.
    pub const ALL: [ErrorKind; 22] = [
        ErrorKind::InvalidConfig,
        ErrorKind::InvalidInput,
        ErrorKind::Io,
        ErrorKind::Database,
        ErrorKind::Corrupt,
        ErrorKind::NotADatabase,
        ErrorKind::ReadOnly,
        ErrorKind::PoolTimeout,
        ErrorKind::PoolClosed,
        ErrorKind::SchemaTooNew,
        ErrorKind::InvalidKey,
        ErrorKind::WrongKey,
        ErrorKind::Tampered,
        ErrorKind::InvalidHash,
        ErrorKind::Transport,
        ErrorKind::InvalidIndex,
        ErrorKind::SessionNotFound,
        ErrorKind::SessionExpired,
        ErrorKind::SessionRevoked,
        ErrorKind::SessionLimit,
        ErrorKind::Internal,
        ErrorKind::Unavailable,
    ];

    /// The kind with this [`name`](Self::name), if there is one.
    pub fn from_name(name: &str) -> Option<ErrorKind> {
        Self::ALL.into_iter().find(|kind| kind.name() == name)
    }

    /// A stable snake_case name for the kind, used in JSON output and by bindings.
    pub fn name(self) -> &'static str {
        match self {
            ErrorKind::InvalidConfig => "invalid_config",
            ErrorKind::InvalidInput => "invalid_input",
            ErrorKind::Io => "io",
            ErrorKind::Database => "database",
            ErrorKind::Corrupt => "corrupt",
            ErrorKind::NotADatabase => "not_a_database",
            ErrorKind::ReadOnly => "read_only",
            ErrorKind::PoolTimeout => "pool_timeout",
            ErrorKind::PoolClosed => "pool_closed",
            ErrorKind::SchemaTooNew => "schema_too_new",
            ErrorKind::InvalidKey => "invalid_key",
            ErrorKind::WrongKey => "wrong_key",
            ErrorKind::Tampered => "tampered",
            ErrorKind::InvalidHash => "invalid_hash",
            ErrorKind::Transport => "transport",
            ErrorKind::InvalidIndex => "invalid_index",
            ErrorKind::SessionNotFound => "session_not_found",
            ErrorKind::SessionExpired => "session_expired",
            ErrorKind::SessionRevoked => "session_revoked",
            ErrorKind::SessionLimit => "session_limit",
            ErrorKind::Internal => "internal",
            ErrorKind::Unavailable => "unavailable",
        }
    }
}

/// Everything that can go wrong in Magnetar's core.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// See [`ErrorKind::InvalidConfig`].
    #[error("invalid configuration: {0}")]
    InvalidConfig(String),
    /// See [`ErrorKind::InvalidInput`].
    #[error("invalid input: {0}")]
    InvalidInput(String),
    /// See [`ErrorKind::Io`].
    #[error("{context}: {source}")]
    Io {
        /// What was being done, naming the path.
        context: String,
        /// The OS error.
        #[source]
        source: std::io::Error,
    },
    /// See [`ErrorKind::Database`], [`ErrorKind::Corrupt`], [`ErrorKind::NotADatabase`],
    /// [`ErrorKind::ReadOnly`]: the kind is derived from SQLite's extended code.
    #[error("{message}")]
    Database {
        /// The classification (one of the database kinds).
        kind: ErrorKind,
        /// SQLite's extended result code, when SQLite produced one.
        code: Option<i32>,
        /// SQLite's message, with context.
        message: String,
    },
    /// See [`ErrorKind::PoolTimeout`].
    #[error("timed out after {waited:?} waiting for {what}")]
    PoolTimeout {
        /// How long the caller waited.
        waited: Duration,
        /// What was awaited, e.g. "a reader connection (acquire_timeout = 5s)".
        what: String,
    },
    /// See [`ErrorKind::PoolClosed`].
    #[error("the pool for {0} is closed")]
    PoolClosed(String),
    /// See [`ErrorKind::SchemaTooNew`].
    #[error(
        "schema of {component} is version {found}, newer than the {supported} this build supports; refusing to touch it"
    )]
    SchemaTooNew {
        /// Which schema (`user_version` or a core component name).
        component: String,
        /// The version found in the file.
        found: i64,
        /// The newest version this build knows.
        supported: i64,
    },
    /// See [`ErrorKind::InvalidKey`].
    #[error("invalid key: {0}")]
    InvalidKey(String),
    /// See [`ErrorKind::WrongKey`].
    #[error("wrong key: {0}")]
    WrongKey(String),
    /// See [`ErrorKind::Tampered`].
    #[error("tamper detected: {0}")]
    Tampered(String),
    /// See [`ErrorKind::InvalidHash`].
    #[error("invalid hash: {0}")]
    InvalidHash(String),
    /// See [`ErrorKind::Transport`].
    #[error("transport error: {0}")]
    Transport(String),
    /// See [`ErrorKind::InvalidIndex`].
    #[error("invalid breach index: {0}")]
    InvalidIndex(String),
    /// See [`ErrorKind::SessionNotFound`].
    #[error("no session has this token")]
    SessionNotFound,
    /// See [`ErrorKind::SessionExpired`].
    #[error("session expired: {0}")]
    SessionExpired(String),
    /// See [`ErrorKind::SessionRevoked`].
    #[error("session revoked: {0}")]
    SessionRevoked(String),
    /// See [`ErrorKind::SessionLimit`].
    #[error("session limit reached: {0}")]
    SessionLimit(String),
    /// See [`ErrorKind::Internal`].
    #[error("internal error: {0}")]
    Internal(String),
    /// See [`ErrorKind::Unavailable`].
    #[error("server unavailable: cannot reach {target}: {cause}")]
    Unavailable {
        /// The server, e.g. "PostgreSQL at host:5432/app user=app sslmode=verify-full"
        /// (never a password).
        target: String,
        /// What the last attempt reported (refused, timed out, TLS, authentication).
        cause: String,
    },
}

impl Error {
    /// The stable kind of this error.
    pub fn kind(&self) -> ErrorKind {
        match self {
            Error::InvalidConfig(_) => ErrorKind::InvalidConfig,
            Error::InvalidInput(_) => ErrorKind::InvalidInput,
            Error::Io { .. } => ErrorKind::Io,
            Error::Database { kind, .. } => *kind,
            Error::PoolTimeout { .. } => ErrorKind::PoolTimeout,
            Error::PoolClosed(_) => ErrorKind::PoolClosed,
            Error::SchemaTooNew { .. } => ErrorKind::SchemaTooNew,
            Error::InvalidKey(_) => ErrorKind::InvalidKey,
            Error::WrongKey(_) => ErrorKind::WrongKey,
            Error::Tampered(_) => ErrorKind::Tampered,
            Error::InvalidHash(_) => ErrorKind::InvalidHash,
            Error::Transport(_) => ErrorKind::Transport,
            Error::InvalidIndex(_) => ErrorKind::InvalidIndex,
            Error::SessionNotFound => ErrorKind::SessionNotFound,
            Error::SessionExpired(_) => ErrorKind::SessionExpired,
            Error::SessionRevoked(_) => ErrorKind::SessionRevoked,
            Error::SessionLimit(_) => ErrorKind::SessionLimit,
            Error::Internal(_) => ErrorKind::Internal,
            Error::Unavailable { .. } => ErrorKind::Unavailable,
        }
    }

    /// An error of `kind` carrying `message`, for errors that arrive already classified
    /// (a host's transport, a binding's test walking [`ErrorKind::ALL`]).
    pub fn with_kind(kind: ErrorKind, message: impl Into<String>) -> Self {
        let message = message.into();
        match kind {
            ErrorKind::InvalidConfig => Error::InvalidConfig(message),
            ErrorKind::InvalidInput => Error::InvalidInput(message),
            ErrorKind::Io => Error::io(message, std::io::Error::other("reported by the caller")),
            ErrorKind::Database
            | ErrorKind::Corrupt
            | ErrorKind::NotADatabase
            | ErrorKind::ReadOnly => Error::Database {
                kind,
                code: None,
                message,
            },
            ErrorKind::PoolTimeout => Error::PoolTimeout {
                waited: Duration::ZERO,
                what: message,
            },
            ErrorKind::PoolClosed => Error::PoolClosed(message),
            ErrorKind::SchemaTooNew => Error::SchemaTooNew {
                component: message,
                found: 0,
                supported: 0,
            },
            ErrorKind::InvalidKey => Error::InvalidKey(message),
            ErrorKind::WrongKey => Error::WrongKey(message),
            ErrorKind::Tampered => Error::Tampered(message),
            ErrorKind::InvalidHash => Error::InvalidHash(message),
            ErrorKind::Transport => Error::Transport(message),
            ErrorKind::InvalidIndex => Error::InvalidIndex(message),
            ErrorKind::SessionNotFound => Error::SessionNotFound,
            ErrorKind::SessionExpired => Error::SessionExpired(message),
            ErrorKind::SessionRevoked => Error::SessionRevoked(message),
            ErrorKind::SessionLimit => Error::SessionLimit(message),
            ErrorKind::Internal => Error::Internal(message),
            ErrorKind::Unavailable => Error::Unavailable {
                target: message,
                cause: "reported by the caller".into(),
            },
        }
    }

    /// An I/O error with context naming what was being done.
    pub fn io(context: impl Into<String>, source: std::io::Error) -> Self {
        Error::Io {
            context: context.into(),
            source,
        }
    }

    /// Whether a connection that produced this error must be discarded rather than
    /// returned to a pool (the file is damaged or the I/O layer failed).
    pub fn is_fatal_for_connection(&self) -> bool {
        match self {
            Error::Database {
                code: Some(code),
                kind,
                ..
            } => {
                matches!(kind, ErrorKind::Corrupt | ErrorKind::NotADatabase)
                    || (code & 0xff) == rusqlite::ffi::SQLITE_IOERR
                    || (code & 0xff) == rusqlite::ffi::SQLITE_CANTOPEN
            }
            _ => false,
        }
    }
}

impl From<rusqlite::Error> for Error {
    fn from(err: rusqlite::Error) -> Self {
        let code = match &err {
            rusqlite::Error::SqliteFailure(e, _) => Some(e.extended_code),
            _ => None,
        };
        let kind = match code.map(|c| c & 0xff) {
            Some(rusqlite::ffi::SQLITE_CORRUPT) => ErrorKind::Corrupt,
            Some(rusqlite::ffi::SQLITE_NOTADB) => ErrorKind::NotADatabase,
            Some(rusqlite::ffi::SQLITE_READONLY) => ErrorKind::ReadOnly,
            _ => ErrorKind::Database,
        };
        let message = match kind {
            ErrorKind::Corrupt => format!("database disk image is malformed: {err}"),
            ErrorKind::NotADatabase => format!("file is not an SQLite database: {err}"),
            ErrorKind::ReadOnly => format!("database is read-only: {err}"),
            _ => format!("database error: {err}"),
        };
        Error::Database {
            kind,
            code,
            message,
        }
    }
}

impl From<serde_json::Error> for Error {
    fn from(err: serde_json::Error) -> Self {
        Error::InvalidInput(format!("invalid JSON: {err}"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sqlite_codes_map_to_kinds() {
        let conn = rusqlite::Connection::open_in_memory().unwrap();
        let err: Error = conn.execute("SELEC 1", []).unwrap_err().into();
        assert_eq!(err.kind(), ErrorKind::Database);
        assert!(err.to_string().contains("syntax error"), "{err}");
        assert!(!err.is_fatal_for_connection());
    }

    /// The declaration position of each kind. The match has no wildcard, so adding a
    /// variant fails to compile here until it is given a position, and the test below
    /// then fails until [`ErrorKind::ALL`] lists it.
    fn position(kind: ErrorKind) -> usize {
        match kind {
            ErrorKind::InvalidConfig => 0,
            ErrorKind::InvalidInput => 1,
            ErrorKind::Io => 2,
            ErrorKind::Database => 3,
            ErrorKind::Corrupt => 4,
            ErrorKind::NotADatabase => 5,
            ErrorKind::ReadOnly => 6,
            ErrorKind::PoolTimeout => 7,
            ErrorKind::PoolClosed => 8,
            ErrorKind::SchemaTooNew => 9,
            ErrorKind::InvalidKey => 10,
            ErrorKind::WrongKey => 11,
            ErrorKind::Tampered => 12,
            ErrorKind::InvalidHash => 13,
            ErrorKind::Transport => 14,
            ErrorKind::InvalidIndex => 15,
            ErrorKind::SessionNotFound => 16,
            ErrorKind::SessionExpired => 17,
            ErrorKind::SessionRevoked => 18,
            ErrorKind::SessionLimit => 19,
            ErrorKind::Internal => 20,
            ErrorKind::Unavailable => 21,
        }
    }

    #[test]
    fn all_lists_every_kind_once_and_with_kind_round_trips() {
        for (index, kind) in ErrorKind::ALL.into_iter().enumerate() {
            assert_eq!(
                position(kind),
                index,
                "{kind:?} out of place in ErrorKind::ALL"
            );
            assert_eq!(ErrorKind::from_name(kind.name()), Some(kind));
            assert_eq!(Error::with_kind(kind, "m").kind(), kind);
        }
        assert_eq!(ErrorKind::from_name("nope"), None);
    }

    #[test]
    fn kind_names_are_stable_snake_case() {
        assert_eq!(ErrorKind::PoolTimeout.name(), "pool_timeout");
        assert_eq!(Error::SessionNotFound.kind().name(), "session_not_found");
    }
}
