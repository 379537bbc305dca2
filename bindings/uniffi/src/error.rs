//! `MagnetarError`: the one error Swift sees, mapped once from `magnetar_core::Error`.
//!
//! One case per core [`ErrorKind`], each carrying core's message, so Swift code can
//! `catch MagnetarError.wrongKey` and still show a message that names what was wrong.
//! Kinds and messages come from core; nothing here decides anything.

use magnetar_core::{Error, ErrorKind};

/// Everything that can go wrong in Magnetar, one case per stable error kind.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error, uniffi::Error)]
pub enum MagnetarError {
    /// A configuration value is missing or out of range.
    #[error("{message}")]
    InvalidConfig {
        /// What was wrong.
        message: String,
    },
    /// An argument is malformed.
    #[error("{message}")]
    InvalidInput {
        /// What was wrong.
        message: String,
    },
    /// The operating system refused a file operation.
    #[error("{message}")]
    Io {
        /// What was being done, and the OS error.
        message: String,
    },
    /// SQLite reported an error not covered by a more specific case.
    #[error("{message}")]
    Database {
        /// SQLite's message, with context.
        message: String,
    },
    /// The database file is damaged.
    #[error("{message}")]
    Corrupt {
        /// SQLite's message, with context.
        message: String,
    },
    /// The file is not an SQLite database.
    #[error("{message}")]
    NotADatabase {
        /// SQLite's message, with context.
        message: String,
    },
    /// The database (or its directory) cannot be written.
    #[error("{message}")]
    ReadOnly {
        /// SQLite's message, with context.
        message: String,
    },
    /// No connection became free within the pool's acquire timeout.
    #[error("{message}")]
    PoolTimeout {
        /// How long was waited, and for what.
        message: String,
    },
    /// The pool was closed.
    #[error("{message}")]
    PoolClosed {
        /// Which pool.
        message: String,
    },
    /// The database schema is newer than this version of Magnetar understands.
    #[error("{message}")]
    SchemaTooNew {
        /// Which schema and which versions.
        message: String,
    },
    /// A key is missing, malformed or too weak.
    #[error("{message}")]
    InvalidKey {
        /// What was wrong (never the key).
        message: String,
    },
    /// The key does not match the one the data was written with.
    #[error("{message}")]
    WrongKey {
        /// What was checked.
        message: String,
    },
    /// Stored data failed authentication or the audit chain is broken.
    #[error("{message}")]
    Tampered {
        /// Where tampering was detected.
        message: String,
    },
    /// A stored password hash is malformed, unsupported or has absurd parameters.
    #[error("{message}")]
    InvalidHash {
        /// What was wrong with the hash.
        message: String,
    },
    /// The breach-check transport failed.
    #[error("{message}")]
    Transport {
        /// What failed.
        message: String,
    },
    /// An offline breach index file is corrupt, truncated or of an unknown version.
    #[error("{message}")]
    InvalidIndex {
        /// What was wrong with the file.
        message: String,
    },
    /// No session has this token.
    #[error("{message}")]
    SessionNotFound {
        /// Core's message.
        message: String,
    },
    /// The session passed its idle or absolute timeout.
    #[error("{message}")]
    SessionExpired {
        /// Which timeout.
        message: String,
    },
    /// The session was revoked.
    #[error("{message}")]
    SessionRevoked {
        /// Why.
        message: String,
    },
    /// The per-user session limit is reached and the policy is to reject.
    #[error("{message}")]
    SessionLimit {
        /// The limit.
        message: String,
    },
    /// A bug or an environment failure.
    #[error("{message}")]
    Internal {
        /// What happened.
        message: String,
    },
    /// The database server cannot be reached (refused, down, restarting, TLS or
    /// authentication failure). Unlike `PoolTimeout`, no connection could be made at all.
    #[error("{message}")]
    Unavailable {
        /// Which server (never the password) and what the last attempt reported.
        message: String,
    },
}

/// The error Swift sees, with a stable kind name and the message.
#[uniffi::export]
impl MagnetarError {
    /// The stable snake_case kind, for example "wrong_key" (the same names in every binding).
    pub fn kind(&self) -> String {
        self.error_kind().name().to_string()
    }

    /// The message: what was wrong, never a secret.
    pub fn message(&self) -> String {
        self.to_string()
    }
}

impl MagnetarError {
    /// The core kind this case stands for.
    pub fn error_kind(&self) -> ErrorKind {
        use MagnetarError as M;
        match self {
            M::InvalidConfig { .. } => ErrorKind::InvalidConfig,
            M::InvalidInput { .. } => ErrorKind::InvalidInput,
            M::Io { .. } => ErrorKind::Io,
            M::Database { .. } => ErrorKind::Database,
            M::Corrupt { .. } => ErrorKind::Corrupt,
            M::NotADatabase { .. } => ErrorKind::NotADatabase,
            M::ReadOnly { .. } => ErrorKind::ReadOnly,
            M::PoolTimeout { .. } => ErrorKind::PoolTimeout,
            M::PoolClosed { .. } => ErrorKind::PoolClosed,
            M::SchemaTooNew { .. } => ErrorKind::SchemaTooNew,
            M::InvalidKey { .. } => ErrorKind::InvalidKey,
            M::WrongKey { .. } => ErrorKind::WrongKey,
            M::Tampered { .. } => ErrorKind::Tampered,
            M::InvalidHash { .. } => ErrorKind::InvalidHash,
            M::Transport { .. } => ErrorKind::Transport,
            M::InvalidIndex { .. } => ErrorKind::InvalidIndex,
            M::SessionNotFound { .. } => ErrorKind::SessionNotFound,
            M::SessionExpired { .. } => ErrorKind::SessionExpired,
            M::SessionRevoked { .. } => ErrorKind::SessionRevoked,
            M::SessionLimit { .. } => ErrorKind::SessionLimit,
            M::Internal { .. } => ErrorKind::Internal,
            M::Unavailable { .. } => ErrorKind::Unavailable,
        }
    }
}

impl From<Error> for MagnetarError {
    fn from(err: Error) -> Self {
        use MagnetarError as M;
        let message = err.to_string();
        match err.kind() {
            ErrorKind::InvalidConfig => M::InvalidConfig { message },
            ErrorKind::InvalidInput => M::InvalidInput { message },
            ErrorKind::Io => M::Io { message },
            ErrorKind::Database => M::Database { message },
            ErrorKind::Corrupt => M::Corrupt { message },
            ErrorKind::NotADatabase => M::NotADatabase { message },
            ErrorKind::ReadOnly => M::ReadOnly { message },
            ErrorKind::PoolTimeout => M::PoolTimeout { message },
            ErrorKind::PoolClosed => M::PoolClosed { message },
            ErrorKind::SchemaTooNew => M::SchemaTooNew { message },
            ErrorKind::InvalidKey => M::InvalidKey { message },
            ErrorKind::WrongKey => M::WrongKey { message },
            ErrorKind::Tampered => M::Tampered { message },
            ErrorKind::InvalidHash => M::InvalidHash { message },
            ErrorKind::Transport => M::Transport { message },
            ErrorKind::InvalidIndex => M::InvalidIndex { message },
            ErrorKind::SessionNotFound => M::SessionNotFound { message },
            ErrorKind::SessionExpired => M::SessionExpired { message },
            ErrorKind::SessionRevoked => M::SessionRevoked { message },
            ErrorKind::SessionLimit => M::SessionLimit { message },
            ErrorKind::Internal => M::Internal { message },
            ErrorKind::Unavailable => M::Unavailable { message },
            // `ErrorKind` is non-exhaustive: a kind added to core after this layer was
            // written surfaces as `internal` (with core's message) until it gets a case.
            _ => M::Internal { message },
        }
    }
}

/// The stable names of every core error kind, in core's order
/// ([`ErrorKind::ALL`]), for example `["invalid_config", ..., "unavailable"]`.
///
/// Exists so that Swift's tests can walk every kind core has, including kinds added
/// after this layer was written: each name, passed to [`raise_error_of_kind`], must come
/// back as its own `MagnetarError` case, never as `internal`.
#[uniffi::export]
pub fn error_kind_names() -> Vec<String> {
    ErrorKind::ALL
        .into_iter()
        .map(|kind| kind.name().to_string())
        .collect()
}

/// Always fails: with the error of kind `name` carrying `message`, built by core
/// ([`Error::with_kind`]) and mapped to `MagnetarError` by the same conversion every
/// other call uses. An unknown `name` fails with `InvalidInput`.
///
/// For tests of the error mapping (Swift walks [`error_kind_names`] through it); it
/// does nothing else and touches no state.
#[uniffi::export]
pub fn raise_error_of_kind(name: String, message: String) -> Result<()> {
    let err = match ErrorKind::from_name(&name) {
        Some(kind) => Error::with_kind(kind, message),
        None => Error::InvalidInput(format!("no error kind is named {name:?}")),
    };
    Err(err.into())
}

/// Results of the uniffi layer.
pub type Result<T, E = MagnetarError> = std::result::Result<T, E>;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn raise_error_of_kind_walks_every_kind() {
        let names = error_kind_names();
        assert_eq!(names.len(), ErrorKind::ALL.len());
        for (name, kind) in names.iter().zip(ErrorKind::ALL) {
            let err = raise_error_of_kind(name.clone(), "marker".into()).unwrap_err();
            assert_eq!(err.error_kind(), kind, "{err:?}");
            assert_eq!(&err.kind(), name);
            assert_eq!(
                err.message(),
                Error::with_kind(kind, "marker").to_string(),
                "{name}"
            );
        }
        let unknown = raise_error_of_kind("nope".into(), "m".into()).unwrap_err();
        assert_eq!(unknown.error_kind(), ErrorKind::InvalidInput);
    }

    #[test]
    fn every_kind_round_trips_through_its_case() {
        let kinds = ErrorKind::ALL;
        for kind in kinds {
            let core = match kind {
                ErrorKind::Io => Error::io("opening x", std::io::Error::other("denied")),
                ErrorKind::Database
                | ErrorKind::Corrupt
                | ErrorKind::NotADatabase
                | ErrorKind::ReadOnly => Error::Database {
                    kind,
                    code: None,
                    message: format!("db says {}", kind.name()),
                },
                ErrorKind::PoolTimeout => Error::PoolTimeout {
                    waited: std::time::Duration::from_millis(5),
                    what: "a reader".into(),
                },
                ErrorKind::SchemaTooNew => Error::SchemaTooNew {
                    component: "audit".into(),
                    found: 9,
                    supported: 2,
                },
                ErrorKind::SessionNotFound => Error::SessionNotFound,
                ErrorKind::InvalidConfig => Error::InvalidConfig("c".into()),
                ErrorKind::InvalidInput => Error::InvalidInput("i".into()),
                ErrorKind::PoolClosed => Error::PoolClosed("p".into()),
                ErrorKind::InvalidKey => Error::InvalidKey("k".into()),
                ErrorKind::WrongKey => Error::WrongKey("w".into()),
                ErrorKind::Tampered => Error::Tampered("t".into()),
                ErrorKind::InvalidHash => Error::InvalidHash("h".into()),
                ErrorKind::Transport => Error::Transport("n".into()),
                ErrorKind::InvalidIndex => Error::InvalidIndex("x".into()),
                ErrorKind::SessionExpired => Error::SessionExpired("e".into()),
                ErrorKind::SessionRevoked => Error::SessionRevoked("r".into()),
                ErrorKind::SessionLimit => Error::SessionLimit("l".into()),
                ErrorKind::Unavailable => Error::Unavailable {
                    target: "PostgreSQL at db:5432/app user=app sslmode=verify-full".into(),
                    cause: "connection refused".into(),
                },
                _ => Error::Internal("bug".into()),
            };
            let expected_message = core.to_string();
            let mapped = MagnetarError::from(core);
            assert_eq!(mapped.error_kind(), kind, "{mapped:?}");
            assert_eq!(mapped.kind(), kind.name());
            assert_eq!(mapped.message(), expected_message);
        }
    }
}
