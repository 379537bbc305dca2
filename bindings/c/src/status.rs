//! `mgn_status`: the stable result codes of the C API, and the one mapping from core's
//! [`ErrorKind`] to them.
//!
//! Codes are grouped in ranges by component so a host can test a range
//! (`status / 100 == 2` is "a storage problem") and are never renumbered: new kinds get
//! new codes.

use std::ffi::c_char;

use magnetar_core::ErrorKind;

/// The result of every fallible `mgn_` function. `MGN_OK` (0) is success; anything else is
/// an error whose details are in `mgn_last_error_message()`.
///
/// Ranges: 1xx arguments and configuration, 2xx storage (files, SQLite, pool), 3xx keys
/// and the audit log, 4xx password hashes, 5xx breach check, 6xx sessions, 9xx internal.
/// Values are stable across releases; new codes may be added, so handle unknown values.
#[allow(non_camel_case_types)]
#[repr(u32)]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum mgn_status {
    /// Success.
    MGN_OK = 0,
    /// An argument is NULL where it must not be, not valid UTF-8, or otherwise malformed
    /// (bad SQL parameter, over-long password, unknown value type...).
    MGN_INVALID_ARGUMENT = 100,
    /// A configuration value is missing or out of range.
    MGN_INVALID_CONFIG = 101,
    /// The operating system refused a file operation.
    MGN_IO = 200,
    /// SQLite reported an error (syntax error, constraint violation...).
    MGN_DATABASE = 201,
    /// The database file is damaged (`SQLITE_CORRUPT`).
    MGN_CORRUPT = 202,
    /// The file is not an SQLite database.
    MGN_NOT_A_DATABASE = 203,
    /// The database cannot be written (read-only file, or a write on a query).
    MGN_READ_ONLY = 204,
    /// No connection became free within the pool's acquire timeout.
    MGN_POOL_TIMEOUT = 205,
    /// The pool was closed.
    MGN_POOL_CLOSED = 206,
    /// The database schema is newer than this version of Magnetar understands.
    MGN_SCHEMA_TOO_NEW = 207,
    /// The database server cannot be reached (refused, down, restarting, TLS or
    /// authentication failure); the message names the server and the cause. Unlike
    /// `MGN_POOL_TIMEOUT` (every connection busy), retrying soon rarely helps.
    MGN_UNAVAILABLE = 208,
    /// A key or passphrase is missing, malformed or too weak.
    MGN_INVALID_KEY = 300,
    /// The key does not match the one the data was written with.
    MGN_WRONG_KEY = 301,
    /// Stored data failed authentication or the audit chain is broken.
    MGN_TAMPERED = 302,
    /// A stored password hash is malformed, unsupported or has absurd parameters.
    MGN_INVALID_HASH = 400,
    /// The breach-check transport failed (network, HTTP status, malformed body).
    MGN_TRANSPORT = 500,
    /// An offline breach index is corrupt, truncated or of an unknown version.
    MGN_INVALID_INDEX = 501,
    /// No session has this token.
    MGN_SESSION_NOT_FOUND = 600,
    /// The session passed its idle or absolute timeout.
    MGN_SESSION_EXPIRED = 601,
    /// The session was revoked.
    MGN_SESSION_REVOKED = 602,
    /// The per-user session limit is reached and the policy is to reject.
    MGN_SESSION_LIMIT = 603,
    /// A bug or an environment failure (for example no OS randomness).
    MGN_INTERNAL = 900,
    /// A panic was caught at the C boundary: a bug in Magnetar. The library stays usable.
    MGN_PANIC = 901,
}

use mgn_status::*;

impl mgn_status {
    /// Every status, for lookups by number.
    pub(crate) const ALL: [mgn_status; 24] = [
        MGN_OK,
        MGN_INVALID_ARGUMENT,
        MGN_INVALID_CONFIG,
        MGN_IO,
        MGN_DATABASE,
        MGN_CORRUPT,
        MGN_NOT_A_DATABASE,
        MGN_READ_ONLY,
        MGN_POOL_TIMEOUT,
        MGN_POOL_CLOSED,
        MGN_SCHEMA_TOO_NEW,
        MGN_UNAVAILABLE,
        MGN_INVALID_KEY,
        MGN_WRONG_KEY,
        MGN_TAMPERED,
        MGN_INVALID_HASH,
        MGN_TRANSPORT,
        MGN_INVALID_INDEX,
        MGN_SESSION_NOT_FOUND,
        MGN_SESSION_EXPIRED,
        MGN_SESSION_REVOKED,
        MGN_SESSION_LIMIT,
        MGN_INTERNAL,
        MGN_PANIC,
    ];

    /// The status for a core error kind: the one place core errors become C codes.
    pub(crate) fn from_kind(kind: ErrorKind) -> mgn_status {
        match kind {
            ErrorKind::InvalidInput => MGN_INVALID_ARGUMENT,
            ErrorKind::InvalidConfig => MGN_INVALID_CONFIG,
            ErrorKind::Io => MGN_IO,
            ErrorKind::Database => MGN_DATABASE,
            ErrorKind::Corrupt => MGN_CORRUPT,
            ErrorKind::NotADatabase => MGN_NOT_A_DATABASE,
            ErrorKind::ReadOnly => MGN_READ_ONLY,
            ErrorKind::PoolTimeout => MGN_POOL_TIMEOUT,
            ErrorKind::PoolClosed => MGN_POOL_CLOSED,
            ErrorKind::SchemaTooNew => MGN_SCHEMA_TOO_NEW,
            ErrorKind::InvalidKey => MGN_INVALID_KEY,
            ErrorKind::WrongKey => MGN_WRONG_KEY,
            ErrorKind::Tampered => MGN_TAMPERED,
            ErrorKind::InvalidHash => MGN_INVALID_HASH,
            ErrorKind::Transport => MGN_TRANSPORT,
            ErrorKind::InvalidIndex => MGN_INVALID_INDEX,
            ErrorKind::SessionNotFound => MGN_SESSION_NOT_FOUND,
            ErrorKind::SessionExpired => MGN_SESSION_EXPIRED,
            ErrorKind::SessionRevoked => MGN_SESSION_REVOKED,
            ErrorKind::SessionLimit => MGN_SESSION_LIMIT,
            ErrorKind::Internal => MGN_INTERNAL,
            ErrorKind::Unavailable => MGN_UNAVAILABLE,
            // `ErrorKind` is non-exhaustive: a kind added to core before it gets its own
            // code here is still an error, never success.
            _ => MGN_INTERNAL,
        }
    }

    /// The stable name of the status, as a static NUL-terminated string.
    fn name(self) -> &'static str {
        match self {
            MGN_OK => "MGN_OK\0",
            MGN_INVALID_ARGUMENT => "MGN_INVALID_ARGUMENT\0",
            MGN_INVALID_CONFIG => "MGN_INVALID_CONFIG\0",
            MGN_IO => "MGN_IO\0",
            MGN_DATABASE => "MGN_DATABASE\0",
            MGN_CORRUPT => "MGN_CORRUPT\0",
            MGN_NOT_A_DATABASE => "MGN_NOT_A_DATABASE\0",
            MGN_READ_ONLY => "MGN_READ_ONLY\0",
            MGN_POOL_TIMEOUT => "MGN_POOL_TIMEOUT\0",
            MGN_POOL_CLOSED => "MGN_POOL_CLOSED\0",
            MGN_SCHEMA_TOO_NEW => "MGN_SCHEMA_TOO_NEW\0",
            MGN_UNAVAILABLE => "MGN_UNAVAILABLE\0",
            MGN_INVALID_KEY => "MGN_INVALID_KEY\0",
            MGN_WRONG_KEY => "MGN_WRONG_KEY\0",
            MGN_TAMPERED => "MGN_TAMPERED\0",
            MGN_INVALID_HASH => "MGN_INVALID_HASH\0",
            MGN_TRANSPORT => "MGN_TRANSPORT\0",
            MGN_INVALID_INDEX => "MGN_INVALID_INDEX\0",
            MGN_SESSION_NOT_FOUND => "MGN_SESSION_NOT_FOUND\0",
            MGN_SESSION_EXPIRED => "MGN_SESSION_EXPIRED\0",
            MGN_SESSION_REVOKED => "MGN_SESSION_REVOKED\0",
            MGN_SESSION_LIMIT => "MGN_SESSION_LIMIT\0",
            MGN_INTERNAL => "MGN_INTERNAL\0",
            MGN_PANIC => "MGN_PANIC\0",
        }
    }
}

/// The name of a status code (for example "MGN_POOL_TIMEOUT"), for logs.
///
/// Takes the code as an integer so any value is safe to pass; unknown codes give
/// "MGN_UNKNOWN". The string is static: never free it. Thread-safe; does not touch the
/// thread's last error message.
#[unsafe(no_mangle)]
pub extern "C" fn mgn_status_name(status: u32) -> *const c_char {
    name_with_nul(status).as_ptr().cast()
}

fn name_with_nul(code: u32) -> &'static str {
    mgn_status::ALL
        .iter()
        .find(|s| **s as u32 == code)
        .map_or("MGN_UNKNOWN\0", |s| s.name())
}

/// The name of a status code for messages (for example "MGN_TRANSPORT").
pub(crate) fn name_of(code: u32) -> &'static str {
    name_with_nul(code).trim_end_matches('\0')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_status_has_its_own_name() {
        let mut names: Vec<&str> = mgn_status::ALL.iter().map(|s| s.name()).collect();
        names.sort_unstable();
        names.dedup();
        assert_eq!(names.len(), 24);
        for s in mgn_status::ALL {
            let name = s.name();
            assert!(name.ends_with('\0') && name.starts_with("MGN_"));
            assert!(format!("{s:?}\0") == name, "{s:?} vs {name}");
        }
    }

    #[test]
    fn kinds_map_into_their_range() {
        assert_eq!(
            mgn_status::from_kind(ErrorKind::PoolTimeout) as u32 / 100,
            2
        );
        assert_eq!(
            mgn_status::from_kind(ErrorKind::Unavailable) as u32 / 100,
            2
        );
        assert_eq!(mgn_status::from_kind(ErrorKind::WrongKey) as u32 / 100, 3);
        assert_eq!(
            mgn_status::from_kind(ErrorKind::SessionLimit) as u32 / 100,
            6
        );
        assert_eq!(mgn_status::from_kind(ErrorKind::Internal), MGN_INTERNAL);
    }

    /// A kind core adds must get its own code: only `Internal` may map to MGN_INTERNAL,
    /// and no two kinds may share a code.
    #[test]
    fn every_core_kind_has_its_own_code() {
        let mut seen = std::collections::HashMap::new();
        for kind in ErrorKind::ALL {
            let status = mgn_status::from_kind(kind);
            assert_ne!(status, MGN_OK, "{kind:?}");
            if kind != ErrorKind::Internal {
                assert_ne!(
                    status, MGN_INTERNAL,
                    "{kind:?} has no status code of its own"
                );
            }
            if let Some(other) = seen.insert(status as u32, kind) {
                panic!("{kind:?} and {other:?} share {}", name_of(status as u32));
            }
        }
    }
}
