//! Opening one pooled connection: path checks and the pragmas every connection gets.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Instant;

use rusqlite::config::DbConfig;
use rusqlite::{Connection, OpenFlags};

use super::checkpoint::Signal;
use super::config::{Checkpoint, PoolConfig, Role};
use crate::error::{Error, Result};

/// A connection as the pool keeps it: the handle plus the times that decide recycling.
pub(crate) struct Slot {
    pub(crate) conn: Connection,
    pub(crate) created: Instant,
    pub(crate) last_used: Instant,
}

/// Checks that `path` names a file a pool can serve, and returns it absolute.
///
/// In-memory databases are refused: `:memory:` gives every connection its own private
/// database, so readers would never see the writer's data, and WAL needs a real file.
pub(crate) fn check_path(path: &Path) -> Result<PathBuf> {
    let text = path.to_string_lossy();
    if text.is_empty() || text == ":memory:" || text.starts_with("file:") {
        return Err(Error::InvalidConfig(format!(
            "{text:?} is not supported: a pool needs a database file on disk, because an \
             in-memory database is private to one connection (readers would not see the \
             writer's data) and WAL mode needs a file; use a file in a temporary directory"
        )));
    }
    let absolute = std::path::absolute(path).map_err(|e| {
        Error::io(
            format!("cannot resolve database path {}", path.display()),
            e,
        )
    })?;
    let dir = absolute.parent().unwrap_or(Path::new("/"));
    if !dir.is_dir() {
        return Err(Error::io(
            format!(
                "cannot open database {}: directory {} does not exist",
                absolute.display(),
                dir.display()
            ),
            std::io::Error::from(std::io::ErrorKind::NotFound),
        ));
    }
    if absolute.is_dir() {
        return Err(Error::InvalidConfig(format!(
            "{} is a directory, not a database file",
            absolute.display()
        )));
    }
    Ok(absolute)
}

/// The path a process-wide registry keys pools on: symlinks and `..` resolved.
///
/// The file may not exist yet, so the directory is canonicalised and the name appended.
pub(crate) fn canonical_key(absolute: &Path) -> Result<PathBuf> {
    if let Ok(canonical) = absolute.canonicalize() {
        return Ok(canonical);
    }
    let dir = absolute.parent().unwrap_or(Path::new("/"));
    let dir = dir
        .canonicalize()
        .map_err(|e| Error::io(format!("cannot resolve directory {}", dir.display()), e))?;
    Ok(match absolute.file_name() {
        Some(name) => dir.join(name),
        None => dir,
    })
}

/// Opens one connection for `role` with every pragma applied, then the host's init hook.
///
/// With `checkpoints` (the pool's background checkpointer), the writer then gets the WAL
/// hook that wakes it. It is installed after the init hook so that it wins over a
/// `wal_autocheckpoint` set there (which would replace it: that pragma is itself a WAL
/// hook); in `OnCommit` mode the pragma is set before the init hook, so the host's wins.
pub(crate) fn open(
    path: &Path,
    role: Role,
    config: &PoolConfig,
    checkpoints: Option<&Arc<Signal>>,
) -> Result<Slot> {
    // NO_MUTEX: a pooled connection is used by one thread at a time (the pool hands it
    // out exclusively), so SQLite's per-connection mutex would be pure overhead.
    let mut flags = OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_NO_MUTEX;
    if role == Role::Writer {
        // Only the writer may create the file; readers open after it exists.
        flags |= OpenFlags::SQLITE_OPEN_CREATE;
    }
    let mut conn =
        Connection::open_with_flags(path, flags).map_err(|e| with_path(e.into(), path))?;
    configure(&conn, role, config).map_err(|e| with_path(e, path))?;
    if let Some(init) = &config.init {
        init(&conn, role)?;
    }
    if role == Role::Writer
        && let Some(signal) = checkpoints
    {
        signal.install(&mut conn).map_err(|e| with_path(e, path))?;
    }
    let now = config.clock.now();
    Ok(Slot {
        conn,
        created: now,
        last_used: now,
    })
}

fn configure(conn: &Connection, role: Role, config: &PoolConfig) -> Result<()> {
    // Waits for locks held by *other processes*; in-process writers are serialized by
    // the pool, so this only matters when several processes share the file.
    conn.busy_timeout(config.busy_timeout)?;
    if role == Role::Writer {
        // SQLite silently falls back to a read-only open when the file is not writable;
        // say so now rather than fail on the first write.
        if conn.is_readonly(rusqlite::MAIN_DB)? {
            return Err(Error::Database {
                kind: crate::ErrorKind::ReadOnly,
                code: Some(rusqlite::ffi::SQLITE_READONLY),
                message: "database file is read-only: the writer cannot open it for writing \
                          (check the permissions of the file and its directory)"
                    .into(),
            });
        }
        // WAL lets readers proceed while the writer commits. It is persistent in the file,
        // and it must be set before any reader opens: switching needs an exclusive lock.
        // This statement is also the first read of the file, so it is where "not a
        // database" and "read-only" surface, before anything is written.
        let mode: String = conn.query_row("PRAGMA journal_mode = WAL", [], |r| r.get(0))?;
        if !mode.eq_ignore_ascii_case("wal") {
            return Err(Error::InvalidConfig(format!(
                "the database could not be switched to WAL mode (journal_mode is {mode:?}); \
                 is it on a filesystem without shared-memory support?"
            )));
        }
        // SQLite's automatic checkpoint, inside the commit that takes the WAL past
        // `pages`. Before the init hook, so a host may still change it. (In Background
        // mode a WAL hook replaces it after the init hook; see `open`.)
        if let Checkpoint::OnCommit { pages } = config.checkpoint {
            conn.pragma_update(None, "wal_autocheckpoint", pages)?;
        }
    }
    // Defensive mode switches off the SQL features that exist to corrupt a file on
    // purpose (`PRAGMA writable_schema = ON`, `journal_mode = OFF`, setting
    // `schema_version`, writes to `sqlite_dbpage` and to shadow tables), so that no
    // statement run through the pool, Magnetar's or the host's, can rewrite the schema
    // behind SQLite's back. No ordinary application needs them.
    conn.set_db_config(DbConfig::SQLITE_DBCONFIG_DEFENSIVE, true)?;
    // With an untrusted schema, triggers, views, defaults, CHECK constraints and
    // expression indexes stored in the file may only call functions marked innocuous
    // (SQLite's built-in scalar functions are): a file edited to carry, say, a trigger
    // calling an application-defined function with side effects cannot make our
    // statements run it. A host whose own schema calls such functions of its own can
    // switch it back on in `PoolConfig::init` (see docs/security.md).
    conn.set_db_config(DbConfig::SQLITE_DBCONFIG_TRUSTED_SCHEMA, false)?;
    // Enforce declared foreign keys; SQLite leaves them off by default for compatibility.
    conn.pragma_update(None, "foreign_keys", "ON")?;
    // NORMAL is safe from corruption in WAL mode and skips an fsync per commit; FULL
    // makes commits survive power loss. See `Synchronous`.
    conn.pragma_update(None, "synchronous", config.synchronous.pragma_value())?;
    if role == Role::Reader {
        // Readers must never write: a write on a reader would bypass the single-writer
        // discipline and could meet SQLITE_BUSY.
        conn.pragma_update(None, "query_only", "ON")?;
    }
    // Statements are prepared repeatedly by the same code paths; keep more of them.
    conn.set_prepared_statement_cache_capacity(64);
    Ok(())
}

fn with_path(err: Error, path: &Path) -> Error {
    match err {
        Error::Database {
            kind,
            code,
            message,
        } => Error::Database {
            kind,
            code,
            message: format!("{} ({})", message, path.display()),
        },
        other => other,
    }
}

/// Runs the health check; `false` means the connection must be discarded.
pub(crate) fn is_healthy(conn: &Connection, sql: &str) -> bool {
    match conn.prepare_cached(sql) {
        Ok(mut stmt) => {
            let mut rows = match stmt.query([]) {
                Ok(rows) => rows,
                Err(_) => return false,
            };
            loop {
                match rows.next() {
                    Ok(Some(_)) => continue,
                    Ok(None) => return true,
                    Err(_) => return false,
                }
            }
        }
        Err(_) => false,
    }
}
