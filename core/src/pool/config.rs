//! Pool configuration: the knobs, their defaults, and validation.
//!
//! Names follow HikariCP where they mean the same thing (`max_readers` is HikariCP's
//! `maximumPoolSize` for the read side; the write side is always exactly one connection,
//! because SQLite allows one writer at a time and a second writer connection only turns
//! lock contention into `SQLITE_BUSY`).

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use crate::clock::{SharedClock, system_clock};
use crate::error::{Error, Result};

/// Which side of the pool a connection serves.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Role {
    /// The single writer connection.
    Writer,
    /// A reader connection (`query_only=ON`).
    Reader,
}

impl Role {
    /// "writer" or "reader".
    pub fn name(self) -> &'static str {
        match self {
            Role::Writer => "writer",
            Role::Reader => "reader",
        }
    }
}

/// SQLite's `synchronous` setting, which decides what "committed" survives.
///
/// In WAL mode:
/// - [`Synchronous::Normal`] (default): a committed transaction survives a crash of the
///   process (the WAL is written before `COMMIT` returns), but the last transactions may
///   be lost on power loss or an OS crash (the WAL is only fsynced at checkpoints).
/// - [`Synchronous::Full`]: the WAL is fsynced at every commit, so a committed transaction
///   also survives power loss, at the cost of one fsync per write transaction.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Enum))]
pub enum Synchronous {
    /// `PRAGMA synchronous = NORMAL`: durable against process crashes.
    #[default]
    Normal,
    /// `PRAGMA synchronous = FULL`: durable against power loss too.
    Full,
}

impl Synchronous {
    pub(crate) fn pragma_value(self) -> &'static str {
        match self {
            Synchronous::Normal => "NORMAL",
            Synchronous::Full => "FULL",
        }
    }
}

/// When the WAL is copied back into the database file.
///
/// In WAL mode a commit appends the pages it changed to the `-wal` file; a *checkpoint*
/// copies them back into the database file (fsyncing the WAL first and the database file
/// after) so that the WAL can be reused from its start. SQLite's own behaviour runs the
/// checkpoint inside the COMMIT that takes the WAL past a size, so that one caller waits
/// for it; [`Checkpoint::Background`] (the default) moves it to a thread of the pool.
///
/// Durability is the same in both modes. With [`Synchronous::Normal`] the WAL is
/// fsynced only at checkpoints (whichever thread runs them), so the last commits before
/// a power loss may be lost in either mode, and a process crash loses nothing; with
/// [`Synchronous::Full`] the WAL is fsynced at every commit in either mode. A checkpoint
/// never makes data visible or invisible: readers see the same rows before and after.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Checkpoint {
    /// SQLite's own behaviour: the commit that takes the WAL past `pages` pages
    /// checkpoints it, inside that COMMIT (the caller waits, fsyncs included).
    ///
    /// The pool sets `PRAGMA wal_autocheckpoint = pages` on the writer *before* the
    /// host's [`PoolConfig::init`] hook, so the hook may still override it (0 disables
    /// automatic checkpoints; the WAL then grows until the host checkpoints).
    OnCommit {
        /// WAL size, in pages, that triggers a checkpoint (SQLite's default is 1000).
        pages: u32,
    },
    /// A background thread of the pool runs `PRAGMA wal_checkpoint(PASSIVE)` once the
    /// WAL reaches `pages` pages; commits never wait for it. (default, pages = 1000)
    ///
    /// The WAL restarts from its beginning only after a *complete* checkpoint, which a
    /// thread running beside a writer that never pauses cannot achieve. So that the WAL
    /// stays bounded under sustained writes, a commit that leaves it at `4 * pages` pages
    /// or more checkpoints the rest itself, like `OnCommit` would (but only the pages
    /// written since the thread's last pass); [`super::PoolStats::writer_checkpoints`]
    /// counts those. Expect the `-wal` file to reach about `4 * pages` pages (16 MiB
    /// with the defaults and 4 KiB pages) where `OnCommit` keeps it near `pages`.
    ///
    /// The pool installs a WAL hook on the writer *after* the host's
    /// [`PoolConfig::init`] hook, which replaces SQLite's automatic checkpoint: a
    /// `wal_autocheckpoint` set by the init hook has no effect in this mode, and setting
    /// `PRAGMA wal_autocheckpoint` (or another WAL hook) on the writer later would
    /// replace the pool's hook and stop the background checkpoints. The thread
    /// (`magnetar-checkpoint`) keeps its own connection to the file, which does not count
    /// in [`super::PoolStats`]' connections and does not run the init hook; a failed
    /// checkpoint is logged (`log::warn!`) and retried, never reported to a writer.
    /// [`super::PoolStats::checkpoints`] counts the checkpoints it ran.
    Background {
        /// WAL size, in pages, from which a commit wakes the checkpointer.
        pages: u32,
    },
}

impl Default for Checkpoint {
    fn default() -> Self {
        Checkpoint::Background { pages: 1000 }
    }
}

impl Checkpoint {
    /// The WAL size, in pages, that triggers a checkpoint.
    pub fn pages(self) -> u32 {
        match self {
            Checkpoint::OnCommit { pages } | Checkpoint::Background { pages } => pages,
        }
    }
}

/// A host-supplied hook run on every new connection, after Magnetar's pragmas.
///
/// Typical uses: registering SQL functions, setting `cache_size`, attaching databases.
/// Reader connections are `query_only`, so the hook must not write through them.
pub type ConnectionInit =
    Arc<dyn Fn(&rusqlite::Connection, Role) -> Result<()> + Send + Sync + 'static>;

/// Pool configuration. Build with [`PoolConfig::default`] and adjust fields.
#[derive(Clone)]
pub struct PoolConfig {
    /// Most reader connections open at once (default 5, as GRDB). Must be 1..=64.
    pub max_readers: usize,
    /// Reader connections kept open even when idle (default 0). At most `max_readers`.
    pub min_idle: usize,
    /// How long `read`/`write`/`reader()`/`writer()` wait for a free connection before
    /// failing with `PoolTimeout` (default 5 s).
    pub acquire_timeout: Duration,
    /// A reader idle for longer than this is closed (down to `min_idle`); `None` keeps
    /// idle readers forever (default 10 minutes).
    pub idle_timeout: Option<Duration>,
    /// A connection older than this is closed and replaced at its next checkout; `None`
    /// disables recycling (default 1 hour).
    pub max_lifetime: Option<Duration>,
    /// A connection idle for longer than this runs `health_check_sql` before being handed
    /// out; a failure discards it and opens a new one (default 30 s).
    pub health_check_after: Duration,
    /// The health check statement (default `SELECT 1`).
    pub health_check_sql: String,
    /// Warn (through the `log` crate) with the holder's source location when a connection
    /// is held longer than this; `None` disables leak detection (default).
    pub leak_threshold: Option<Duration>,
    /// SQLite's busy timeout on every connection (default 5 s). Only other processes can
    /// make it wait: inside one process the pool serializes writers itself.
    pub busy_timeout: Duration,
    /// `PRAGMA synchronous` (default `Normal`); see [`Synchronous`].
    pub synchronous: Synchronous,
    /// When the WAL is checkpointed (default `Background { pages: 1000 }`: by a thread of
    /// the pool, so no commit waits for it); see [`Checkpoint`] for both modes, the
    /// durability (unchanged) and how this interacts with the `init` hook.
    pub checkpoint: Checkpoint,
    /// Source of time for lifetimes, idle and health-check thresholds (default: the
    /// system clock). Waiting for a connection always uses real time.
    pub clock: SharedClock,
    /// Hook run on every new connection (default none).
    pub init: Option<ConnectionInit>,
}

impl Default for PoolConfig {
    fn default() -> Self {
        PoolConfig {
            max_readers: 5,
            min_idle: 0,
            acquire_timeout: Duration::from_secs(5),
            idle_timeout: Some(Duration::from_secs(600)),
            max_lifetime: Some(Duration::from_secs(3600)),
            health_check_after: Duration::from_secs(30),
            health_check_sql: "SELECT 1".to_string(),
            leak_threshold: None,
            busy_timeout: Duration::from_secs(5),
            synchronous: Synchronous::Normal,
            checkpoint: Checkpoint::default(),
            clock: system_clock(),
            init: None,
        }
    }
}

impl fmt::Debug for PoolConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PoolConfig")
            .field("max_readers", &self.max_readers)
            .field("min_idle", &self.min_idle)
            .field("acquire_timeout", &self.acquire_timeout)
            .field("idle_timeout", &self.idle_timeout)
            .field("max_lifetime", &self.max_lifetime)
            .field("health_check_after", &self.health_check_after)
            .field("health_check_sql", &self.health_check_sql)
            .field("leak_threshold", &self.leak_threshold)
            .field("busy_timeout", &self.busy_timeout)
            .field("synchronous", &self.synchronous)
            .field("checkpoint", &self.checkpoint)
            .field("init", &self.init.as_ref().map(|_| "<hook>"))
            .finish()
    }
}

/// Upper bound on readers: beyond this, readers only add memory and file handles.
const MAX_READERS_LIMIT: usize = 64;

impl PoolConfig {
    /// Checks every knob, naming the first one out of range.
    pub fn validate(&self) -> Result<()> {
        let bad = |msg: String| Err(Error::InvalidConfig(msg));
        if self.max_readers == 0 || self.max_readers > MAX_READERS_LIMIT {
            return bad(format!(
                "max_readers must be between 1 and {MAX_READERS_LIMIT}, got {}",
                self.max_readers
            ));
        }
        if self.min_idle > self.max_readers {
            return bad(format!(
                "min_idle ({}) cannot exceed max_readers ({})",
                self.min_idle, self.max_readers
            ));
        }
        if self.acquire_timeout.is_zero() {
            return bad("acquire_timeout must be greater than zero".into());
        }
        if self.acquire_timeout > Duration::from_secs(24 * 3600) {
            return bad(format!(
                "acquire_timeout of {:?} is absurd (at most 24 h)",
                self.acquire_timeout
            ));
        }
        if self.busy_timeout > Duration::from_secs(3600) {
            return bad(format!(
                "busy_timeout of {:?} is absurd (at most 1 h)",
                self.busy_timeout
            ));
        }
        for (name, value) in [
            ("idle_timeout", self.idle_timeout),
            ("max_lifetime", self.max_lifetime),
            ("leak_threshold", self.leak_threshold),
        ] {
            if value.is_some_and(|d| d.is_zero()) {
                return bad(format!(
                    "{name} must be greater than zero (or None to disable)"
                ));
            }
        }
        if self.health_check_sql.trim().is_empty() {
            return bad("health_check_sql must not be empty".into());
        }
        let pages = self.checkpoint.pages();
        // SQLite counts WAL pages in a C int.
        if pages == 0 || pages > i32::MAX as u32 {
            return bad(format!(
                "checkpoint pages must be between 1 and {}, got {pages} (in {:?})",
                i32::MAX,
                self.checkpoint
            ));
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_are_valid_and_documented_values() {
        let c = PoolConfig::default();
        c.validate().unwrap();
        assert_eq!(c.max_readers, 5);
        assert_eq!(c.max_lifetime, Some(Duration::from_secs(3600)));
        assert_eq!(c.checkpoint, Checkpoint::Background { pages: 1000 });
    }

    #[test]
    fn each_bad_knob_is_named() {
        let cases: Vec<(PoolConfig, &str)> = vec![
            (
                PoolConfig {
                    max_readers: 0,
                    ..Default::default()
                },
                "max_readers",
            ),
            (
                PoolConfig {
                    max_readers: 65,
                    ..Default::default()
                },
                "max_readers",
            ),
            (
                PoolConfig {
                    min_idle: 6,
                    ..Default::default()
                },
                "min_idle",
            ),
            (
                PoolConfig {
                    acquire_timeout: Duration::ZERO,
                    ..Default::default()
                },
                "acquire_timeout",
            ),
            (
                PoolConfig {
                    max_lifetime: Some(Duration::ZERO),
                    ..Default::default()
                },
                "max_lifetime",
            ),
            (
                PoolConfig {
                    idle_timeout: Some(Duration::ZERO),
                    ..Default::default()
                },
                "idle_timeout",
            ),
            (
                PoolConfig {
                    busy_timeout: Duration::from_secs(7200),
                    ..Default::default()
                },
                "busy_timeout",
            ),
            (
                PoolConfig {
                    health_check_sql: " ".into(),
                    ..Default::default()
                },
                "health_check_sql",
            ),
            (
                PoolConfig {
                    checkpoint: Checkpoint::Background { pages: 0 },
                    ..Default::default()
                },
                "checkpoint",
            ),
            (
                PoolConfig {
                    checkpoint: Checkpoint::OnCommit { pages: 0 },
                    ..Default::default()
                },
                "checkpoint",
            ),
            (
                PoolConfig {
                    checkpoint: Checkpoint::OnCommit { pages: u32::MAX },
                    ..Default::default()
                },
                "checkpoint",
            ),
        ];
        for (config, knob) in cases {
            let err = config.validate().unwrap_err();
            assert_eq!(err.kind(), crate::ErrorKind::InvalidConfig);
            assert!(err.to_string().contains(knob), "{err} should name {knob}");
        }
    }
}
