//! Encrypted, tamper-evident audit log, stored through the [`crate::pool`].
//!
//! - **Confidentiality.** Every field except the timestamp and sequence number is
//!   encrypted with AES-256-GCM under a fresh random 96-bit nonce; the associated data
//!   binds each ciphertext to its log, event id, timestamp, field name and key id
//!   ([`cipher`]). A stolen database file exposes timestamps, sizes and which events
//!   share a user or action (the blind indexes), nothing else.
//! - **Search.** Equality on `user_id` and `action` uses 32-bit blind indexes
//!   (truncated HMAC-SHA256, one key per field); false positives are filtered after
//!   decryption.
//! - **Tamper evidence.** An HMAC chain over every event's plaintext content, sequence
//!   number, id and timestamp; [`AuditLog::verify`] walks it, and
//!   [`AuditLog::verify_against`] also detects a truncated tail given a [`Head`] the host
//!   recorded earlier.
//! - **Keys.** The host's master key ([`AuditKey`]: raw, hex, base64, environment, or a
//!   passphrase through PBKDF2) is checked at open against a stored key-check value
//!   (`WrongKey` otherwise). A random per-log secret, wrapped under every master key, keys
//!   the blind indexes and the chain, so rotation ([`AuditLog::rotate_key`],
//!   [`AuditLog::reencrypt`]) re-encrypts fields without touching indexes or the chain.
//! - **Writes.** [`WriteMode::Synchronous`]: `record` commits before returning.
//!   [`WriteMode::Batched`]: a background writer commits batches; `flush` waits for them.
//!
//! What "committed" survives depends on the pool's `synchronous` setting: with `Normal`
//! (default) a committed event survives a crash of the process but the last
//! transactions can be lost on power loss or an OS crash; with `Full` it survives power
//! loss too.

pub mod cipher;
pub mod event;
pub mod key;

pub(crate) mod blind_index;
pub(crate) mod chain;
mod checkpoints;
mod codec;
mod copy;
mod entropy;
mod export;
mod query;
mod retention;
mod rotate;
mod schema;
mod shared;
mod store;
mod tree;
mod verify;
mod wrap;
mod writer;

use std::collections::HashMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use parking_lot::RwLock;

pub use checkpoints::{open_checkpoint, verify_sealed_export, verify_sealed_export_file};
pub use copy::CopyReport;
pub use event::{
    AuditEvent, FIELDS, Filter, Head, MAX_FIELD_BYTES, NewEvent, Order, Problem, ProblemKind,
    ReencryptProgress, VerifyReport,
};
pub use export::{escape_json_controls, is_unsafe_to_print};
pub use key::AuditKey;
pub use rotate::{DEFAULT_RETIRE_ATTEMPTS, RotationOptions, RotationReport};
pub use schema::{EPOCH_BITS, LOOKUP_LAG, MAX_EVENTS_PER_KEY};
pub use tree::{LEAF_LEN, leaf_seq};
pub use writer::BatchConfig;

use blind_index::BlindIndex;
use chain::Chain;
use cipher::{FieldCipher, LOG_ID_LEN};
use codec::Keyring;
use key::{LogSecret, MasterSubkeys};
use schema::{get_meta, get_meta_u64, meta, set_meta};
use shared::Shared;
use wrap::{find_key, unwrap_secret, wrap_secret, wrong_key};
use writer::BatchWriter;

use crate::clock::SharedClock;
use crate::error::{Error, Result};
use crate::store::Store;
use crate::store::sql::{Db, Dialect, args};
use store::WRITE_LOCK;

/// How `record` writes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum WriteMode {
    /// One write transaction per event; `record` returns once it is committed.
    #[default]
    Synchronous,
    /// A background writer commits queued events in batches; `record` returns once the
    /// event is queued, `flush`/`close` once it is committed.
    Batched(BatchConfig),
}

/// Options for opening an audit log.
#[derive(Debug, Clone, Default)]
pub struct AuditConfig {
    /// Synchronous (default) or batched writes.
    pub mode: WriteMode,
    /// Keys this log was rotated away from, needed to read events not yet re-encrypted
    /// and to re-encrypt them. Each must be a key of this log (`WrongKey` otherwise).
    pub previous_keys: Vec<AuditKey>,
    /// Source of event timestamps (default: the pool's clock).
    pub clock: Option<SharedClock>,
}

/// An encrypted, tamper-evident audit log. `Send + Sync`: share it between threads by
/// reference or in an `Arc`.
pub struct AuditLog {
    shared: Arc<Shared>,
    writer: RwLock<Option<BatchWriter>>,
    batched: bool,
    closed: AtomicBool,
}

impl std::fmt::Debug for AuditLog {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AuditLog")
            .field("store", &self.shared.store.describe())
            .field("batched", &self.batched)
            .field("current_key_id", &self.current_key_id())
            .finish_non_exhaustive()
    }
}

/// The first seq whose fields are sealed for this log (see [`codec::Keyring`]), set the
/// first time a version that binds them opens the log: just past its last event (1 for
/// a new log). `Tampered` when the stored value fails its MAC.
///
/// Rows written before stay readable below it. If the value is removed, the next open
/// sets it again past the current end: that only widens where such old, unbound rows
/// are accepted, and only logs written before this version have any.
fn bound_from(tx: &dyn Db, chain: &Chain) -> Result<u64> {
    if let Some(raw) = get_meta(tx, meta::BOUND_FROM)? {
        return raw
            .split_at_checked(8)
            .and_then(|(seq, mac)| {
                let seq = u64::from_be_bytes(seq.try_into().ok()?);
                chain::mac_eq(mac, &chain.bound_from_mac(seq)).then_some(seq)
            })
            .ok_or_else(|| {
                Error::Tampered("the audit log's bound-from marker failed authentication".into())
            });
    }
    let last = tx.one("SELECT coalesce(max(seq), 0) FROM audit_events", &[], |r| {
        r.i64(0)
    })?;
    let anchored = store::anchor(tx, chain)?.map_or(0, |a| a.seq);
    let from = (last.max(0) as u64).max(anchored) + 1;
    set_meta(
        tx,
        meta::BOUND_FROM,
        &[from.to_be_bytes().as_slice(), &chain.bound_from_mac(from)].concat(),
    )?;
    Ok(from)
}

/// Creates or upgrades the audit tables in `store`.
fn migrate(store: &Store) -> Result<()> {
    match store {
        Store::Sqlite(pool) => pool.migrate(&schema::migrations()).map(drop),
        Store::Postgres(pg) => pg.migrate("audit", schema::PG_MIGRATIONS),
    }
}

struct Opened {
    secret: LogSecret,
    log_id: Vec<u8>,
    keyring: Keyring,
}

impl AuditLog {
    /// Opens (creating on first use) the audit log in `store` (an SQLite [`Pool`](crate::pool::Pool)
    /// or a [`PgStore`](crate::store::PgStore): one log per database file, or per
    /// PostgreSQL schema) with master key `key`.
    ///
    /// Fails with `WrongKey` when the log exists and `key` is not its current key (or a
    /// previous key does not belong to it), `SchemaTooNew` when the file was written by a
    /// newer Magnetar, `Tampered` when the stored key material fails authentication.
    pub fn open(store: impl Into<Store>, key: AuditKey, config: AuditConfig) -> Result<AuditLog> {
        let store = store.into();
        if let WriteMode::Batched(b) = &config.mode {
            b.validate()?;
        }
        let migrations = schema::migrations();
        migrate(&store)?;
        let objects = migrations.objects()?;
        let clock = config
            .clock
            .clone()
            .unwrap_or_else(|| store.clock().clone());
        let now = clock.unix_millis();
        let sub = key.subkeys();
        let previous: Vec<MasterSubkeys> =
            config.previous_keys.iter().map(AuditKey::subkeys).collect();
        let opened = store.write(WRITE_LOCK, |tx| {
            // Before anything is read or written through them.
            if let Some(conn) = tx.sqlite() {
                objects.check(conn)?;
            }
            let log_id = match get_meta(tx, meta::LOG_ID)? {
                Some(id) => id,
                None => {
                    let id = crate::random::bytes::<16>()?.to_vec();
                    set_meta(tx, meta::LOG_ID, &id)?;
                    id
                }
            };
            let any_key = tx.one("SELECT EXISTS (SELECT 1 FROM audit_keys)", &[], |r| r.bool(0))?;
            let (secret, current_id) = if !any_key {
                let secret = LogSecret::generate()?;
                let wrapped = wrap_secret(&secret, &sub, &log_id, 1)?;
                let n = tx.exec(
                    "INSERT INTO audit_keys (key_id, check_value, wrapped_secret, created_ms) VALUES (1, ?1, ?2, ?3)",
                    args![sub.check_value.as_slice(), &wrapped, now],
                )?;
                schema::expect_changes(n, 1, "storing the first audit key")?;
                set_meta(tx, meta::CURRENT_KEY_ID, &1u64.to_be_bytes())?;
                (secret, 1u32)
            } else {
                let (id, wrapped) = find_key(tx, &sub)?.ok_or_else(wrong_key)?;
                let current = get_meta_u64(tx, meta::CURRENT_KEY_ID)?.unwrap_or(0);
                if u64::from(id) != current {
                    return Err(Error::WrongKey(format!(
                        "this audit key is key id {id}, which was rotated away from; open with the current key (id {current}) and pass this one in AuditConfig::previous_keys"
                    )));
                }
                (unwrap_secret(&wrapped, &sub, &log_id, id)?, id)
            };
            // Logs written before the lookup table's end was authenticated, or whose
            // end was removed or edited: rebuild the table from the events (once).
            let chain = Chain::new(&secret);
            if store::lookup_end(tx, &chain)?.is_none() {
                let last = tx.one("SELECT coalesce(max(seq), 0) FROM audit_events", &[], |r| r.i64(0))?;
                store::copy_to_lookup(tx, &chain, 0, last.max(0) as u64)?;
            }
            let log: [u8; LOG_ID_LEN] = log_id.as_slice().try_into().map_err(|_| {
                Error::Tampered("the audit log id has the wrong length".into())
            })?;
            let legacy_before = bound_from(tx, &chain)?;
            let current = Arc::new(FieldCipher::for_log(&sub.encryption, current_id, log));
            let mut by_id = HashMap::from([(current_id, current.clone())]);
            for p in &previous {
                let (id, wrapped) = find_key(tx, p)?.ok_or_else(|| {
                    Error::WrongKey("a key in AuditConfig::previous_keys does not belong to this log".into())
                })?;
                let theirs = unwrap_secret(&wrapped, p, &log_id, id)?;
                if theirs.as_bytes() != secret.as_bytes() {
                    return Err(Error::Tampered(format!(
                        "key id {id} wraps a different log secret than the current key"
                    )));
                }
                by_id.insert(id, Arc::new(FieldCipher::for_log(&p.encryption, id, log)));
            }
            Ok(Opened {
                secret,
                log_id,
                keyring: Keyring {
                    current,
                    by_id,
                    legacy_before,
                },
            })
        })?;
        let shared = Arc::new(Shared {
            store,
            clock,
            users: BlindIndex::new(&opened.secret, "user_id"),
            actions: BlindIndex::new(&opened.secret, "action"),
            chain: Chain::new(&opened.secret),
            leaf_salt: key::new_hmac(opened.secret.leaf_salt_key().as_ref()),
            tree_lock: Default::default(),
            keyring: RwLock::new(opened.keyring),
            secret: opened.secret,
            log_id: opened.log_id,
            key_lock: RwLock::new(()),
            lookup_hint: Default::default(),
            objects,
            // No version is negative: the first statement checks again.
            schema_seen: std::sync::atomic::AtomicI64::new(-1),
        });
        let (writer, batched) = match config.mode {
            WriteMode::Synchronous => (None, false),
            WriteMode::Batched(b) => (Some(BatchWriter::start(shared.clone(), b)?), true),
        };
        Ok(AuditLog {
            shared,
            writer: RwLock::new(writer),
            batched,
            closed: AtomicBool::new(false),
        })
    }

    /// Whether `store` already holds an audit log (created by a first
    /// [`AuditLog::open`]). Reads only: tools that inspect a log (verify, export) call this
    /// first so that pointing them at the wrong file never creates an empty log in it.
    pub fn exists(store: impl Into<Store>) -> Result<bool> {
        store.into().read(|conn| {
            let has_table = match conn.dialect() {
                Dialect::Sqlite => conn.one(
                    "SELECT EXISTS (SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'audit_keys')",
                    &[],
                    |r| r.bool(0),
                )?,
                // The schema is the session's search path (see `PgStore::open`).
                Dialect::Postgres => conn.one(
                    "SELECT to_regclass('audit_keys') IS NOT NULL",
                    &[],
                    |r| r.bool(0),
                )?,
            };
            if !has_table {
                return Ok(false);
            }
            conn.one("SELECT EXISTS (SELECT 1 FROM audit_keys)", &[], |r| r.bool(0))
        })
    }

    /// Opens the log with a passphrase: the key is PBKDF2-HMAC-SHA256 (600,000
    /// iterations) of the passphrase with this database's random salt, created on first
    /// open. Takes a noticeable fraction of a second by design.
    pub fn open_with_passphrase(
        store: impl Into<Store>,
        passphrase: &str,
        config: AuditConfig,
    ) -> Result<AuditLog> {
        let store = store.into();
        let key = Self::key_for_passphrase(&store, passphrase)?;
        Self::open(store, key, config)
    }

    /// The key a passphrase gives for the log in `pool` (its stored salt, created on
    /// first use), without opening the log: for `previous_keys`, or to try a passphrase
    /// both ways.
    pub fn key_for_passphrase(store: impl Into<Store>, passphrase: &str) -> Result<AuditKey> {
        let store = store.into();
        migrate(&store)?;
        let salt = store.write(WRITE_LOCK, |tx| match get_meta(tx, meta::KDF_SALT)? {
            Some(s) => Ok(s),
            None => {
                let s = crate::random::bytes::<{ key::SALT_LEN }>()?.to_vec();
                set_meta(tx, meta::KDF_SALT, &s)?;
                Ok(s)
            }
        })?;
        AuditKey::from_passphrase(passphrase, &salt)
    }

    /// The key a passphrase gives for this database (its salt), for
    /// [`AuditLog::rotate_key`] to a passphrase or for `previous_keys`.
    pub fn passphrase_key(&self, passphrase: &str) -> Result<AuditKey> {
        Self::key_for_passphrase(&self.shared.store, passphrase)
    }

    /// The key id new events are encrypted under.
    pub fn current_key_id(&self) -> u32 {
        self.shared.keyring.read().current.key_id()
    }

    /// Whether this log writes through the background writer.
    pub fn is_batched(&self) -> bool {
        self.batched
    }

    fn check_open(&self) -> Result<()> {
        if self.closed.load(Ordering::Acquire) {
            return Err(Error::InvalidInput("the audit log is closed".into()));
        }
        Ok(())
    }

    /// Records an event and returns its id (a UUID string).
    ///
    /// Synchronous mode: the event is committed when this returns. Batched mode: it is
    /// queued (blocking while the queue is full) and committed by a later
    /// [`AuditLog::flush`] or [`AuditLog::close`] (or sooner, by the writer).
    pub fn record(&self, event: &NewEvent) -> Result<String> {
        self.check_open()?;
        if self.batched {
            let guard = self.writer.read();
            let Some(w) = guard.as_ref() else {
                return Err(Error::InvalidInput("the audit log is closed".into()));
            };
            let _sealing = self.shared.key_lock.read();
            let mut slot = w.slot();
            codec::prepare_into(&self.shared, event, &mut slot)?;
            let id = slot.id_string();
            w.send(slot)?;
            Ok(id)
        } else {
            let _sealing = self.shared.key_lock.read();
            let prepared = codec::prepare(&self.shared, event)?;
            store::write(&self.shared, std::slice::from_ref(&prepared))?;
            Ok(prepared.id_string())
        }
    }

    /// Waits until every event recorded before this call is committed. A no-op in
    /// synchronous mode. Reports the failure if a batch could not be written (it is kept
    /// and retried).
    pub fn flush(&self) -> Result<()> {
        self.check_open()?;
        match self.writer.read().as_ref() {
            Some(w) => w.flush(),
            None => Ok(()),
        }
    }

    /// Commits everything queued and stops the background writer. Later `record` calls
    /// fail; reads keep working. Closing twice is a no-op.
    pub fn close(&self) -> Result<()> {
        self.closed.store(true, Ordering::Release);
        let writer = self.writer.write().take();
        match writer {
            Some(w) => w.close(),
            None => Ok(()),
        }
    }

    /// The current end of the chain (committed events only: `flush` first in batched
    /// mode). Store it outside the database to detect truncation later.
    pub fn head(&self) -> Result<Head> {
        let shared = &self.shared;
        let tail = shared.store.read(|conn| store::tail(conn, shared))?;
        Ok(Head {
            seq: tail.seq,
            chain_hex: hex::encode(tail.chain),
        })
    }

    /// Number of events stored (committed).
    pub fn len(&self) -> Result<u64> {
        self.shared.store.read(|conn| {
            let n = conn.one("SELECT count(*) FROM audit_events", &[], |r| r.i64(0))?;
            Ok(n.max(0) as u64)
        })
    }

    /// Whether no event is stored.
    pub fn is_empty(&self) -> Result<bool> {
        Ok(self.len()? == 0)
    }
}

impl Drop for AuditLog {
    fn drop(&mut self) {
        if let Err(e) = self.close() {
            log::error!("magnetar audit: closing the batched writer on drop failed: {e}");
        }
    }
}
