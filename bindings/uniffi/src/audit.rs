//! The encrypted, tamper-evident audit log for Swift.
//!
//! Keys are opaque objects (their bytes never come back out). Event `details` travel as
//! JSON text: Swift encodes with `JSONSerialization`/`JSONEncoder`, core parses it (a
//! malformed document is `invalidInput`).
//!
//! Stored events, filters, heads, verify reports, re-encryption progress and rotation
//! reports are core's own types (`AuditEvent`, `Filter`, `Head`, `VerifyReport`, ...),
//! whose uniffi conversions are derived in core under the names Swift sees
//! (`AuditFilter`, `AuditHead`, `AuditVerifyReport`, ...).

use std::fmt;
use std::sync::Arc;

use magnetar_core::audit::{
    self as core_audit, AuditEvent, Filter, Head, ReencryptProgress, RotationReport, VerifyReport,
};
use magnetar_core::store::Store;
use zeroize::Zeroizing;

use crate::error::Result;
use crate::pool::Pool;
use crate::store::PostgresStore;

/// A 32-byte audit master key. Opaque: zeroized on drop, never printed, never returned.
#[derive(uniffi::Object)]
pub struct AuditKey {
    inner: core_audit::AuditKey,
}

impl fmt::Debug for AuditKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.inner.fmt(f)
    }
}

fn key(inner: core_audit::AuditKey) -> Arc<AuditKey> {
    Arc::new(AuditKey { inner })
}

#[uniffi::export]
impl AuditKey {
    /// A fresh random key (store it in the Keychain: without it the log is unreadable).
    #[uniffi::constructor]
    pub fn generate() -> Result<Arc<Self>> {
        Ok(key(core_audit::AuditKey::generate()?))
    }

    /// A key from exactly 32 random bytes (weak material is refused with `invalidKey`).
    #[uniffi::constructor]
    pub fn from_bytes(bytes: Vec<u8>) -> Result<Arc<Self>> {
        let bytes = Zeroizing::new(bytes);
        Ok(key(core_audit::AuditKey::from_bytes(&bytes)?))
    }

    /// A key from 64 hex characters or base64 of 32 bytes.
    #[uniffi::constructor]
    pub fn parse(text: String) -> Result<Arc<Self>> {
        let text = Zeroizing::new(text);
        Ok(key(core_audit::AuditKey::parse(&text)?))
    }

    /// The key held by environment variable `name` (hex or base64).
    #[uniffi::constructor]
    pub fn from_env(name: String) -> Result<Arc<Self>> {
        Ok(key(core_audit::AuditKey::from_env(&name)?))
    }
}

/// How `record` writes.
///
/// Not core's `WriteMode`: its batched case holds a `BatchConfig` with `usize` sizes,
/// which uniffi does not have, and Swift has always written `.batched(queueCapacity:
/// maxBatch:)`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, uniffi::Enum)]
pub enum AuditWriteMode {
    /// One transaction per event; `record` returns once it is committed.
    Synchronous,
    /// A background writer commits batches; `record` returns once the event is queued,
    /// `flush`/`close` once it is committed.
    Batched {
        /// Events that may wait before `record` blocks.
        queue_capacity: u64,
        /// Most events written in one transaction.
        max_batch: u64,
    },
}

/// Batched writes with core's default queue and batch sizes.
#[uniffi::export]
pub fn default_batched_write_mode() -> AuditWriteMode {
    let c = core_audit::BatchConfig::default();
    AuditWriteMode::Batched {
        queue_capacity: c.queue_capacity as u64,
        max_batch: c.max_batch as u64,
    }
}

fn core_config(mode: AuditWriteMode, previous_keys: Vec<Arc<AuditKey>>) -> core_audit::AuditConfig {
    core_audit::AuditConfig {
        mode: match mode {
            AuditWriteMode::Synchronous => core_audit::WriteMode::Synchronous,
            AuditWriteMode::Batched {
                queue_capacity,
                max_batch,
            } => core_audit::WriteMode::Batched(core_audit::BatchConfig {
                // Saturate on 32-bit targets; core validates the sizes.
                queue_capacity: usize::try_from(queue_capacity).unwrap_or(usize::MAX),
                max_batch: usize::try_from(max_batch).unwrap_or(usize::MAX),
            }),
        },
        previous_keys: previous_keys.iter().map(|k| k.inner.clone()).collect(),
        ..core_audit::AuditConfig::default()
    }
}

/// An event to record. Only `action` is required.
///
/// Not core's `NewEvent`: its details are a parsed JSON value, and a malformed document
/// from Swift must come back as `invalidInput` from core's parser. Lifting a record
/// cannot fail that way (uniffi reports a failed lift as an internal error), so the
/// details cross as text and are parsed here by core.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct NewAuditEvent {
    /// What happened, for example `user.login`.
    pub action: String,
    /// Who did it.
    #[uniffi(default)]
    pub user_id: Option<String>,
    /// The kind of resource acted on.
    #[uniffi(default)]
    pub resource_type: Option<String>,
    /// Which resource.
    #[uniffi(default)]
    pub resource_id: Option<String>,
    /// Outcome, for example `success`.
    #[uniffi(default)]
    pub status: Option<String>,
    /// Client IP.
    #[uniffi(default)]
    pub ip: Option<String>,
    /// Client User-Agent.
    #[uniffi(default)]
    pub user_agent: Option<String>,
    /// Details as a JSON document.
    #[uniffi(default)]
    pub details_json: Option<String>,
}

impl TryFrom<NewAuditEvent> for core_audit::NewEvent {
    type Error = magnetar_core::Error;
    fn try_from(e: NewAuditEvent) -> magnetar_core::Result<Self> {
        let details = match e.details_json {
            Some(text) => Some(core_audit::NewEvent::details_from_json(
                "details_json",
                &text,
            )?),
            None => None,
        };
        let mut event = core_audit::NewEvent::new(e.action);
        event.user_id = e.user_id;
        event.resource_type = e.resource_type;
        event.resource_id = e.resource_id;
        event.status = e.status;
        event.ip = e.ip;
        event.user_agent = e.user_agent;
        event.details = details;
        Ok(event)
    }
}

/// Core's default filter: every event, oldest first.
#[uniffi::export]
pub fn default_audit_filter() -> Filter {
    Filter::default()
}

/// An encrypted, tamper-evident audit log stored through a SQLite pool or a PostgreSQL
/// store. Thread-safe.
#[derive(Debug, uniffi::Object)]
pub struct AuditLog {
    // In an Arc so a session registry can record into the same log.
    inner: Arc<core_audit::AuditLog>,
}

impl AuditLog {
    /// The core log, as a session registry's audit sink.
    pub(crate) fn core(&self) -> Arc<core_audit::AuditLog> {
        Arc::clone(&self.inner)
    }

    fn open(
        store: impl Into<Store>,
        key: &AuditKey,
        mode: AuditWriteMode,
        previous_keys: Vec<Arc<AuditKey>>,
    ) -> Result<Arc<Self>> {
        let config = core_config(mode, previous_keys);
        let inner = core_audit::AuditLog::open(store, key.inner.clone(), config)?;
        Ok(Arc::new(AuditLog {
            inner: Arc::new(inner),
        }))
    }

    fn open_with_passphrase(
        store: impl Into<Store>,
        passphrase: String,
        mode: AuditWriteMode,
    ) -> Result<Arc<Self>> {
        let passphrase = Zeroizing::new(passphrase);
        let config = core_config(mode, Vec::new());
        let inner = core_audit::AuditLog::open_with_passphrase(store, &passphrase, config)?;
        Ok(Arc::new(AuditLog {
            inner: Arc::new(inner),
        }))
    }
}

#[uniffi::export]
impl AuditLog {
    /// Opens (creating on first use) the audit log in `pool`'s database with `key`.
    /// `previous_keys` are keys the log was rotated away from. Fails with `wrongKey`
    /// when `key` is not the log's key.
    #[uniffi::constructor]
    pub fn new(
        pool: Arc<Pool>,
        key: Arc<AuditKey>,
        mode: AuditWriteMode,
        previous_keys: Vec<Arc<AuditKey>>,
    ) -> Result<Arc<Self>> {
        Self::open(pool.core(), &key, mode, previous_keys)
    }

    /// `new` on a PostgreSQL store: one chain shared by every server writing to it
    /// (Swift's `AuditLog(store:key:mode:previousKeys:)`).
    #[uniffi::constructor]
    pub fn on_postgres(
        store: Arc<PostgresStore>,
        key: Arc<AuditKey>,
        mode: AuditWriteMode,
        previous_keys: Vec<Arc<AuditKey>>,
    ) -> Result<Arc<Self>> {
        Self::open(store.core().clone(), &key, mode, previous_keys)
    }

    /// Opens the log with a passphrase (PBKDF2-HMAC-SHA256, 600,000 iterations, with
    /// this database's random salt). Deliberately slow: use the async variant.
    #[uniffi::constructor]
    pub fn with_passphrase(
        pool: Arc<Pool>,
        passphrase: String,
        mode: AuditWriteMode,
    ) -> Result<Arc<Self>> {
        Self::open_with_passphrase(pool.core(), passphrase, mode)
    }

    /// `with_passphrase` on a PostgreSQL store (Swift's `AuditLog.withPassphrase(store:
    /// passphrase:mode:)`).
    #[uniffi::constructor]
    pub fn with_passphrase_on_postgres(
        store: Arc<PostgresStore>,
        passphrase: String,
        mode: AuditWriteMode,
    ) -> Result<Arc<Self>> {
        Self::open_with_passphrase(store.core().clone(), passphrase, mode)
    }

    /// The key a passphrase gives for this database, to rotate to it.
    pub fn passphrase_key(&self, passphrase: String) -> Result<Arc<AuditKey>> {
        let passphrase = Zeroizing::new(passphrase);
        Ok(key(self.inner.passphrase_key(&passphrase)?))
    }

    /// Records an event and returns its id.
    pub fn record(&self, event: NewAuditEvent) -> Result<String> {
        let event = core_audit::NewEvent::try_from(event)?;
        Ok(self.inner.record(&event)?)
    }

    /// Waits until every event recorded before this call is committed.
    pub fn flush(&self) -> Result<()> {
        Ok(self.inner.flush()?)
    }

    /// Commits everything queued and stops the background writer; reads keep working.
    pub fn close(&self) -> Result<()> {
        Ok(self.inner.close()?)
    }

    /// The current end of the chain (committed events).
    pub fn head(&self) -> Result<Head> {
        Ok(self.inner.head()?)
    }

    /// Number of events stored.
    pub fn count(&self) -> Result<u64> {
        Ok(self.inner.len()?)
    }

    /// The events matching `filter`, decrypted.
    pub fn query(&self, filter: Filter) -> Result<Vec<AuditEvent>> {
        Ok(self.inner.query(&filter)?)
    }

    /// Walks the whole chain and every field's authentication.
    pub fn verify(&self) -> Result<VerifyReport> {
        Ok(self.inner.verify()?)
    }

    /// Like `verify`, also detecting a log cut short since `head` was recorded.
    pub fn verify_against(&self, head: Head) -> Result<VerifyReport> {
        Ok(self.inner.verify_against(&head)?)
    }

    /// Writes the matching events, decrypted, as JSON lines to a new file at `path`,
    /// readable by its owner only (an existing file is never replaced); returns how many.
    pub fn export_jsonl(&self, path: String, filter: Filter) -> Result<u64> {
        Ok(self
            .inner
            .export_jsonl_to_path(std::path::Path::new(&path), &filter)?)
    }

    /// Like `export_jsonl`, but replaces the file at `path` if it exists (the export is
    /// renamed over it once complete, so `path` never holds a partial export).
    pub fn export_jsonl_replacing(&self, path: String, filter: Filter) -> Result<u64> {
        Ok(self
            .inner
            .export_jsonl_to_path_replacing(std::path::Path::new(&path), &filter)?)
    }

    /// Deletes events older than `cutoff_ms` (Unix ms), keeping the chain verifiable.
    pub fn purge_before(&self, cutoff_ms: i64) -> Result<u64> {
        Ok(self.inner.purge_before(cutoff_ms)?)
    }

    /// Makes `new` the key for new events; returns its key id.
    pub fn rotate_key(&self, new: Arc<AuditKey>) -> Result<u32> {
        Ok(self.inner.rotate_key(new.inner.clone())?)
    }

    /// Re-encrypts up to `batch_size` events under the current key.
    pub fn reencrypt(&self, batch_size: u32) -> Result<ReencryptProgress> {
        Ok(self.inner.reencrypt(batch_size as usize)?)
    }

    /// Forgets a previous key once nothing is encrypted under it.
    pub fn retire_key(&self, key_id: u32) -> Result<()> {
        Ok(self.inner.retire_key(key_id)?)
    }

    /// The key id new events are encrypted under.
    pub fn current_key_id(&self) -> u32 {
        self.inner.current_key_id()
    }

    /// Whether this log writes through the background writer.
    pub fn is_batched(&self) -> bool {
        self.inner.is_batched()
    }

    /// The ids of the keys this instance holds (the current one and the previous keys
    /// it was opened with), ascending.
    pub fn key_ids(&self) -> Vec<u32> {
        self.inner.key_ids()
    }
}

/// The whole key rotation of the audit log in `pool`'s database, resumable: opens it
/// with `old_key`, makes `new_key` current, re-encrypts every event (`batch_size` per
/// transaction) and, when `retire_old_key`, retires the old key. Calling it again after
/// an interruption finishes the earlier run. Long on a large log: use the async variant.
#[uniffi::export]
pub fn audit_rotate_and_reencrypt(
    pool: Arc<Pool>,
    old_key: Arc<AuditKey>,
    new_key: Arc<AuditKey>,
    batch_size: u32,
    retire_old_key: bool,
) -> Result<RotationReport> {
    rotate_and_reencrypt(pool.core(), &old_key, &new_key, batch_size, retire_old_key)
}

/// `audit_rotate_and_reencrypt` on a PostgreSQL store (Swift's
/// `AuditLog.rotateAndReencrypt(store:oldKey:newKey:batchSize:retireOldKey:)`).
#[uniffi::export]
pub fn audit_rotate_and_reencrypt_on_postgres(
    store: Arc<PostgresStore>,
    old_key: Arc<AuditKey>,
    new_key: Arc<AuditKey>,
    batch_size: u32,
    retire_old_key: bool,
) -> Result<RotationReport> {
    let store = store.core().clone();
    rotate_and_reencrypt(store, &old_key, &new_key, batch_size, retire_old_key)
}

fn rotate_and_reencrypt(
    store: impl Into<Store>,
    old_key: &AuditKey,
    new_key: &AuditKey,
    batch_size: u32,
    retire_old_key: bool,
) -> Result<RotationReport> {
    let options = core_audit::RotationOptions {
        batch_size: batch_size as usize,
        retire_old_key,
        ..core_audit::RotationOptions::default()
    };
    Ok(core_audit::AuditLog::rotate_and_reencrypt(
        store,
        old_key.inner.clone(),
        new_key.inner.clone(),
        core_audit::AuditConfig::default(),
        options,
        |_, _| {},
    )?)
}

/// Whether `pool`'s database already holds an audit log. Reads only: check it before
/// opening a log for inspection so that a wrong file never gets an empty log created.
#[uniffi::export]
pub fn audit_log_exists(pool: Arc<Pool>) -> Result<bool> {
    Ok(core_audit::AuditLog::exists(pool.core())?)
}

/// Whether a PostgreSQL store's schema already holds an audit log (reads only; Swift's
/// `AuditLog.exists(store:)`).
#[uniffi::export]
pub fn audit_log_exists_on_postgres(store: Arc<PostgresStore>) -> Result<bool> {
    Ok(core_audit::AuditLog::exists(store.core().clone())?)
}
