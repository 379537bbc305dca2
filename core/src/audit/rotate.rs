//! Key rotation: a new master key for new events, and a resumable job that re-encrypts
//! old events under it.
//!
//! Rotation changes only field ciphertexts and key ids. Blind indexes and the chain are
//! keyed by the log secret, which every master key wraps, so they stay valid: queries
//! work across key ids and heads recorded before rotation still verify.
//!
//! Re-encryption progress is the per-row key id itself plus a cursor (the last seq
//! processed, in `audit_meta`), both updated in the same transaction as the rows: a
//! crash or restart resumes exactly where the last committed batch ended.

use std::sync::Arc;

use super::cipher::{FieldCipher, LOG_ID_LEN};
use super::codec::{RawRow, open_row, reencrypt_fields};
use super::event::ReencryptProgress;
use super::key::AuditKey;
use super::schema::{EVENT_COLUMNS, expect_changes, get_meta_u64, meta, set_meta};
use super::store::WRITE_LOCK;
use super::store::check_key_usable;
use super::wrap::{find_key, wrap_secret};
use super::{AuditConfig, AuditLog};
use crate::error::{Error, ErrorKind, Result};
use crate::store::Store;
use crate::store::sql::args;

impl AuditLog {
    /// Makes `new` the current key: new events are encrypted under it from now on; old
    /// events stay readable with the old key (still in this instance's keyring). Returns
    /// the new key id. Later opens need `new` as the key and the old one in
    /// `AuditConfig::previous_keys` until [`AuditLog::reencrypt`] is done.
    ///
    /// Other processes with the log open keep writing under the old key until they
    /// reopen; `reencrypt` picks those events up too.
    pub fn rotate_key(&self, new: AuditKey) -> Result<u32> {
        let shared = &self.shared;
        let sub = new.subkeys();
        let now = shared.clock.unix_millis();
        let id = shared.store.write(WRITE_LOCK, |tx| {
            if let Some((id, _)) = find_key(tx, &sub)? {
                return Err(Error::InvalidKey(format!(
                    "this key is already key id {id} of the audit log; rotate to a new key"
                )));
            }
            let max = tx.one(
                "SELECT coalesce(max(key_id), 0) FROM audit_keys",
                &[],
                |r| r.i64(0),
            )?;
            let id = u32::try_from(max)
                .ok()
                .and_then(|max| max.checked_add(1))
                .ok_or_else(|| Error::InvalidInput("no key id left".into()))?;
            let wrapped = wrap_secret(&shared.secret, &sub, &shared.log_id, id)?;
            // `first_seq`: the key's nonce budget counts from here (see `check_key_usable`).
            let n = tx.exec(
                "INSERT INTO audit_keys (key_id, check_value, wrapped_secret, created_ms, first_seq)
                 VALUES (?1, ?2, ?3, ?4, (SELECT coalesce(max(seq), 0) FROM audit_events))",
                args![id, sub.check_value.as_slice(), &wrapped, now],
            )?;
            expect_changes(n, 1, "storing the new audit key")?;
            set_meta(tx, meta::CURRENT_KEY_ID, &u64::from(id).to_be_bytes())?;
            set_meta(tx, meta::REENCRYPT_CURSOR, &0u64.to_be_bytes())?;
            Ok(id)
        })?;
        let log: [u8; LOG_ID_LEN] = shared
            .log_id
            .as_slice()
            .try_into()
            .map_err(|_| Error::Internal("the audit log id has the wrong length".into()))?;
        let cipher = Arc::new(FieldCipher::for_log(&sub.encryption, id, log));
        let mut ring = shared.keyring.write();
        ring.by_id.insert(id, cipher.clone());
        ring.current = cipher;
        log::info!("audit log: rotated to key id {id}; older events wait for reencrypt");
        Ok(id)
    }

    /// Re-encrypts up to `batch_size` events that are under an older key, in one
    /// transaction, and reports progress. Call until `done`; safe to interrupt and resume
    /// (also from another process or after a crash). Needs the older keys in the
    /// keyring (`InvalidKey` otherwise); a row that fails authentication stops the job
    /// with `Tampered` rather than being re-encrypted (which would launder it).
    pub fn reencrypt(&self, batch_size: usize) -> Result<ReencryptProgress> {
        if batch_size == 0 {
            return Err(Error::InvalidInput(
                "reencrypt batch_size must be at least 1".into(),
            ));
        }
        let shared = &self.shared;
        shared.store.write(WRITE_LOCK, |tx| {
            let ring = shared.keyring.read().clone();
            let current = ring.current.key_id();
            let cursor = get_meta_u64(tx, meta::REENCRYPT_CURSOR)?.unwrap_or(0);
            let rows: Vec<RawRow> = tx.all(
                &format!(
                    "SELECT {EVENT_COLUMNS} FROM audit_events e WHERE e.seq > ?1 AND e.key_id != ?2 ORDER BY e.seq LIMIT ?3"
                ),
                args![cursor as i64, current, batch_size as i64],
                RawRow::from_row,
            )?;
            // Re-encrypted events spend the current key's nonce budget too.
            let tail = tx.one("SELECT coalesce(max(seq), 0) FROM audit_events", &[], |r| r.i64(0))?;
            check_key_usable(tx, current, tail.max(0) as u64 + rows.len() as u64)?;
            let mut last = cursor;
            for raw in &rows {
                let opened = open_row(&ring, raw).map_err(|e| e.into_error(raw))?;
                let fields = reencrypt_fields(&ring.current, &opened, raw.ts)?;
                let n = tx.exec(
                    "UPDATE audit_events SET key_id = ?1, fields = ?2 WHERE seq = ?3",
                    args![current, &fields, raw.seq as i64],
                )?;
                expect_changes(n, 1, &format!("re-encrypting audit event seq {}", raw.seq))?;
                last = raw.seq;
            }
            let n = tx.exec(
                "UPDATE audit_keys SET reencrypted = reencrypted + ?1 WHERE key_id = ?2",
                args![rows.len() as i64, current],
            )?;
            expect_changes(n, 1, "counting re-encrypted events")?;
            set_meta(tx, meta::REENCRYPT_CURSOR, &last.to_be_bytes())?;
            let remaining = tx.one(
                "SELECT count(*) FROM audit_events WHERE seq > ?1 AND key_id != ?2",
                args![last as i64, current],
                |r| r.i64(0),
            )?;
            log::info!(
                "audit log: re-encrypted {} event(s) under key id {current}, {remaining} remaining",
                rows.len()
            );
            Ok(ReencryptProgress {
                reencrypted: rows.len() as u64,
                remaining: remaining.max(0) as u64,
                done: remaining == 0,
            })
        })
    }

    /// The ids of the keys this instance holds: the current one and the previous keys
    /// it was opened with, ascending. After an interrupted rotation, the previous ids
    /// are what [`AuditLog::retire_key`] needs once [`AuditLog::reencrypt`] is done.
    pub fn key_ids(&self) -> Vec<u32> {
        let mut ids: Vec<u32> = self.shared.keyring.read().by_id.keys().copied().collect();
        ids.sort_unstable();
        ids
    }

    /// Retires an old key once no event is encrypted under it: the key can no longer
    /// open the log or be passed as a previous key, and no event is ever committed
    /// under it again (a process still writing under it gets `WrongKey`). The key stays
    /// recorded as retired, its wrapped copy of the log secret erased. Refuses the
    /// current key and keys still in use (`InvalidInput`).
    ///
    /// Events this instance has sealed under the key and not yet committed are written
    /// first (recording waits meanwhile): if there are any, the key is still in use and
    /// `reencrypt` has to run again.
    pub fn retire_key(&self, key_id: u32) -> Result<()> {
        let shared = &self.shared;
        if key_id == self.current_key_id() {
            return Err(Error::InvalidInput(format!(
                "key id {key_id} is the current key"
            )));
        }
        let _no_sealing = shared.key_lock.write();
        self.flush()?;
        let now = shared.clock.unix_millis();
        shared.store.write(WRITE_LOCK, |tx| {
            let in_use = tx.one(
                "SELECT count(*) FROM audit_events WHERE key_id = ?1",
                args![key_id],
                |r| r.i64(0),
            )?;
            if in_use > 0 {
                return Err(Error::InvalidInput(format!(
                    "{in_use} events are still encrypted under key id {key_id}; finish reencrypt() first"
                )));
            }
            let n = tx.exec(
                "UPDATE audit_keys SET retired_ms = ?1, wrapped_secret = ?2 WHERE key_id = ?3 AND retired_ms IS NULL",
                args![now, b"".as_slice(), key_id],
            )?;
            if n == 0 {
                return Err(Error::InvalidInput(format!(
                    "the audit log has no key id {key_id} in use (unknown, or already retired)"
                )));
            }
            expect_changes(n, 1, "retiring the audit key")
        })?;
        shared.keyring.write().by_id.remove(&key_id);
        Ok(())
    }
}

/// How many times [`AuditLog::rotate_and_reencrypt`] re-encrypts and tries to retire the
/// old key while events keep arriving under it, unless the options say otherwise.
pub const DEFAULT_RETIRE_ATTEMPTS: u32 = 5;

/// Options of [`AuditLog::rotate_and_reencrypt`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RotationOptions {
    /// Events re-encrypted per transaction (at least 1).
    pub batch_size: usize,
    /// Retire the old key once every event is re-encrypted (default). With `false` the
    /// old key stays registered and can still be passed as a previous key.
    pub retire_old_key: bool,
    /// Re-encrypt-and-retire rounds while an application keeps writing under the old
    /// key (at least 1).
    pub retire_attempts: u32,
}

impl Default for RotationOptions {
    fn default() -> Self {
        RotationOptions {
            batch_size: 1000,
            retire_old_key: true,
            retire_attempts: DEFAULT_RETIRE_ATTEMPTS,
        }
    }
}

/// What [`AuditLog::rotate_and_reencrypt`] did.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[cfg_attr(
    feature = "uniffi",
    derive(uniffi::Record),
    uniffi(name = "AuditRotationReport")
)]
pub struct RotationReport {
    /// The key id rotated away from.
    pub old_key_id: u32,
    /// The key id now current.
    pub new_key_id: u32,
    /// Events re-encrypted by this run.
    pub reencrypted: u64,
    /// Whether the old key was retired (it no longer opens the log).
    pub old_key_retired: bool,
    /// Whether this run finished a rotation an earlier run had begun (and was
    /// interrupted, e.g. by a crash) instead of starting one.
    pub resumed: bool,
}

impl AuditLog {
    /// The whole key-rotation workflow, resumable: opens the log in `pool` with `old`,
    /// makes `new` the current key, re-encrypts every event under it in batches and
    /// (unless `options.retire_old_key` is false) retires the old key.
    ///
    /// When `old` no longer opens the log because an earlier run already rotated to
    /// `new` (and was interrupted), the log is opened with `new` and `old` as a previous
    /// key and the earlier run is finished (`resumed` in the report). Any other error
    /// opening the log is returned unchanged; nothing is modified.
    ///
    /// An application still writing under the old key keeps `retire_key` refusing; the
    /// re-encrypt-and-retire round is tried `options.retire_attempts` times, then the
    /// call fails with `InvalidInput` saying so (the rotation itself is kept: run again
    /// once that application reopened with the new key).
    ///
    /// `progress(done, total)` is called after every batch. The log is closed (its
    /// writes flushed) before returning.
    pub fn rotate_and_reencrypt(
        store: impl Into<Store>,
        old: AuditKey,
        new: AuditKey,
        config: AuditConfig,
        options: RotationOptions,
        mut progress: impl FnMut(u64, u64),
    ) -> Result<RotationReport> {
        if options.batch_size == 0 {
            return Err(Error::InvalidInput(
                "the re-encryption batch size must be at least 1".into(),
            ));
        }
        if options.retire_attempts == 0 {
            return Err(Error::InvalidInput(
                "retire_attempts must be at least 1".into(),
            ));
        }
        let store = store.into();
        let (log, old_id, new_id, resumed) =
            match AuditLog::open(&store, old.clone(), config.clone()) {
                Ok(log) => {
                    let old_id = log.current_key_id();
                    let new_id = log.rotate_key(new)?;
                    (log, old_id, new_id, false)
                }
                // The old key was already rotated away from: an interrupted run. Finish it
                // with the new key as the current one and the old one as a previous key.
                Err(e) if e.kind() == ErrorKind::WrongKey => {
                    let mut resumed_config = config;
                    resumed_config.previous_keys.push(old);
                    let log = AuditLog::open(&store, new, resumed_config).map_err(|_| e)?;
                    let new_id = log.current_key_id();
                    let Some(old_id) = log.key_ids().into_iter().find(|id| *id != new_id) else {
                        return Err(Error::InvalidInput(
                            "the old and the new key are the same key; nothing to rotate".into(),
                        ));
                    };
                    (log, old_id, new_id, true)
                }
                Err(e) => return Err(e),
            };

        let mut reencrypted = 0u64;
        let mut attempt = 1;
        loop {
            loop {
                let step = log.reencrypt(options.batch_size)?;
                reencrypted += step.reencrypted;
                progress(reencrypted, reencrypted + step.remaining);
                if step.done {
                    break;
                }
            }
            if !options.retire_old_key {
                break;
            }
            // An application that still has the log open with the old key may have
            // recorded more under it since: retire_key refuses then (it never retires a
            // key in use, and once it has, such an application's writes fail instead of
            // being committed under it). Re-encrypt what arrived and try again.
            match log.retire_key(old_id) {
                Ok(()) => break,
                Err(e)
                    if e.kind() == ErrorKind::InvalidInput && attempt < options.retire_attempts =>
                {
                    attempt += 1;
                }
                Err(Error::InvalidInput(why)) => {
                    return Err(Error::InvalidInput(format!(
                        "key id {new_id} is current and every event was re-encrypted, but events keep arriving under key id {old_id} ({why}): an application still writes with the old key. Reopen it with the new key, then run the rotation again to retire the old one"
                    )));
                }
                Err(e) => return Err(e),
            }
        }
        log.close()?;
        Ok(RotationReport {
            old_key_id: old_id,
            new_key_id: new_id,
            reencrypted,
            old_key_retired: options.retire_old_key,
            resumed,
        })
    }
}
