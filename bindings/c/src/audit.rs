//! `mgn_audit`: the encrypted, tamper-evident audit log stored through a pool.

use std::ffi::{CString, c_char};
use std::ptr;
use std::sync::Arc;

use magnetar_core::audit::{
    AuditConfig, AuditEvent, AuditKey, AuditLog, BatchConfig, Filter, Head, NewEvent, Order,
    ProblemKind, RotationOptions, VerifyReport, WriteMode,
};
use magnetar_core::store::Store;
use magnetar_core::{Error, Result};
use zeroize::Zeroize;

use crate::boundary;
use crate::handle::{self, OptOut, Out};
use crate::pool::mgn_pool;
use crate::status::mgn_status;
use crate::store::mgn_pg_store;
use crate::strings::{alloc_string, bounded, bytes_arg, limits, owned_cstring, str_arg};

/// An open audit log. Created by `mgn_audit_open` or `mgn_audit_open_passphrase`,
/// released with `mgn_audit_free` (which commits queued events first).
///
/// Thread safety: any number of threads may record, query and verify at once.
#[allow(non_camel_case_types)]
pub struct mgn_audit {
    /// Shared with the session registries that record into this log.
    pub(crate) log: Arc<AuditLog>,
}

/// Audit log settings. Fill with `mgn_audit_options_default`.
#[allow(non_camel_case_types)]
#[repr(C)]
#[derive(Debug, Clone, Copy)]
pub struct mgn_audit_options {
    /// Write through a background writer in batches: `mgn_audit_record` returns once the
    /// event is queued, `mgn_audit_flush` once it is committed (default false: every
    /// record is committed before it returns).
    pub batched: bool,
    /// Batched mode: events that may wait before `mgn_audit_record` blocks (default 65536).
    pub queue_capacity: usize,
    /// Batched mode: most events written in one transaction (default 8192).
    pub max_batch: usize,
    /// Earlier master keys (`previous_keys_count` keys of 32 bytes, back to back; copied),
    /// or NULL: after `mgn_audit_rotate_key`, events not yet re-encrypted need the old key
    /// to be read, and `mgn_audit_reencrypt` needs it to finish (default NULL).
    pub previous_keys: *const u8,
    /// Number of 32-byte keys at `previous_keys` (default 0).
    pub previous_keys_count: usize,
}

/// Writes core's default audit settings to `*out`.
///
/// Errors: `MGN_INVALID_ARGUMENT` if `out` is NULL. Thread-safe.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn mgn_audit_options_default(out: *mut mgn_audit_options) -> mgn_status {
    boundary::call("mgn_audit_options_default", || {
        let out = Out::new(out, "out")?;
        let b = BatchConfig::default();
        out.write(mgn_audit_options {
            batched: AuditConfig::default().mode != WriteMode::Synchronous,
            queue_capacity: b.queue_capacity,
            max_batch: b.max_batch,
            previous_keys: ptr::null(),
            previous_keys_count: 0,
        });
        Ok(())
    })
}

/// Core's configuration from the host's options (NULL for the defaults).
///
/// # Safety
/// `options` is NULL or points to an `mgn_audit_options` whose `previous_keys` is NULL or
/// holds `previous_keys_count * 32` readable bytes.
unsafe fn config_arg(options: *const mgn_audit_options) -> Result<AuditConfig> {
    // SAFETY: forwarded contract.
    let Some(o) = (unsafe { options.as_ref() }) else {
        return Ok(AuditConfig::default());
    };
    let mut config = AuditConfig::default();
    if o.batched {
        config.mode = WriteMode::Batched(BatchConfig {
            queue_capacity: bounded(
                o.queue_capacity,
                limits::MAX_AUDIT_BATCH,
                "options.queue_capacity",
            )?,
            max_batch: bounded(o.max_batch, limits::MAX_AUDIT_BATCH, "options.max_batch")?,
        });
    }
    if o.previous_keys_count > 0 {
        let count = bounded(
            o.previous_keys_count,
            limits::MAX_CONFIG_ITEMS,
            "options.previous_keys_count",
        )?;
        // SAFETY: `count * 32` readable bytes per the contract (NULL is refused by
        // bytes_arg).
        let bytes = unsafe {
            bytes_arg(
                o.previous_keys,
                count * 32,
                count * 32,
                "options.previous_keys",
            )
        }?;
        config.previous_keys = bytes
            .chunks_exact(32)
            .map(AuditKey::from_bytes)
            .collect::<Result<_>>()?;
    }
    Ok(config)
}

/// A 32-byte audit key from the host (`len` must be 32; the bytes are copied).
///
/// # Safety
/// `key` is NULL or points to `len` readable bytes.
unsafe fn key_arg(key: *const u8, len: usize, what: &str) -> Result<AuditKey> {
    if key.is_null() {
        return Err(handle::null(what));
    }
    // SAFETY: `len` readable bytes per the caller's contract.
    AuditKey::from_bytes(unsafe { bytes_arg(key, len, limits::MAX_SECRET_BYTES, what) }?)
}

/// Runs `get` on the log of `audit` and writes what it returns to `*out`.
///
/// # Safety
/// `audit` is NULL or live; `out` is NULL or writable.
unsafe fn audit_get<T>(
    name: &str,
    audit: *const mgn_audit,
    out: *mut T,
    get: impl FnOnce(&AuditLog) -> T,
) -> mgn_status {
    boundary::call(name, || {
        // SAFETY: NULL or live.
        let audit = unsafe { handle::borrow(audit, "audit") }?;
        let out = Out::new(out, "out")?;
        out.write(get(&audit.log));
        Ok(())
    })
}

/// Opens (creating on first use) the audit log in `pool`'s database with a 32-byte master
/// key (`key_len` must be 32; the bytes are copied, wipe yours when done) and writes it to
/// `*out`. `options` may be NULL. There is no default key.
///
/// Errors: `MGN_INVALID_ARGUMENT` (NULL argument), `MGN_INVALID_KEY` (not 32 bytes, or
/// evidently not random), `MGN_WRONG_KEY` (the log was created with another key),
/// `MGN_TAMPERED` (stored key material fails authentication), `MGN_INVALID_CONFIG`,
/// `MGN_SCHEMA_TOO_NEW`, pool and database errors. Thread-safe.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn mgn_audit_open(
    pool: *const mgn_pool,
    key: *const u8,
    key_len: usize,
    options: *const mgn_audit_options,
    out: *mut *mut mgn_audit,
) -> mgn_status {
    boundary::call("mgn_audit_open", || {
        // SAFETY: NULL or live.
        let pool = unsafe { handle::borrow(pool, "pool") }?;
        // SAFETY: forwarded contract.
        unsafe { open_on(Store::sqlite(pool.pool.clone()), key, key_len, options, out) }
    })
}

/// `mgn_audit_open` on a PostgreSQL store: one log per schema, shared by every process
/// and host that opens it (appends from all of them extend one chain). The tables are
/// created in the store's schema on first use (a role with DML rights only works once
/// they exist). The store may be freed afterwards: the log keeps its own reference.
///
/// Errors: as `mgn_audit_open`, plus `MGN_POOL_TIMEOUT` (server unreachable after the
/// store's retries) and `MGN_DATABASE` (e.g. permission denied creating the tables).
/// Thread-safe.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn mgn_audit_open_store(
    store: *const mgn_pg_store,
    key: *const u8,
    key_len: usize,
    options: *const mgn_audit_options,
    out: *mut *mut mgn_audit,
) -> mgn_status {
    boundary::call("mgn_audit_open_store", || {
        // SAFETY: NULL or live.
        let store = unsafe { handle::borrow(store, "store") }?;
        // SAFETY: forwarded contract.
        unsafe {
            open_on(
                Store::Postgres(store.store.clone()),
                key,
                key_len,
                options,
                out,
            )
        }
    })
}

/// The body of both key constructors.
///
/// # Safety
/// `key` is NULL or points to `key_len` readable bytes; `options` is NULL or valid;
/// `out` is NULL or writable.
unsafe fn open_on(
    store: Store,
    key: *const u8,
    key_len: usize,
    options: *const mgn_audit_options,
    out: *mut *mut mgn_audit,
) -> Result<()> {
    // SAFETY: `key_len` readable bytes per the contract.
    let key = unsafe { key_arg(key, key_len, "key") }?;
    let out = Out::new(out, "out")?;
    // SAFETY: forwarded contract.
    let config = unsafe { config_arg(options) }?;
    let log = AuditLog::open(store, key, config)?;
    out.write(handle::into_raw(mgn_audit { log: Arc::new(log) }));
    Ok(())
}

/// Opens (creating on first use) the audit log with a passphrase (NUL-terminated UTF-8):
/// the key is PBKDF2-HMAC-SHA256 with 600,000 iterations and this database's random salt,
/// so this takes a noticeable fraction of a second by design.
///
/// Errors: as `mgn_audit_open`; `MGN_INVALID_KEY` for a weak passphrase (under 12
/// characters, or one character repeated), `MGN_WRONG_KEY` for a wrong one. Thread-safe.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn mgn_audit_open_passphrase(
    pool: *const mgn_pool,
    passphrase: *const c_char,
    options: *const mgn_audit_options,
    out: *mut *mut mgn_audit,
) -> mgn_status {
    boundary::call("mgn_audit_open_passphrase", || {
        // SAFETY: NULL or live.
        let pool = unsafe { handle::borrow(pool, "pool") }?;
        // SAFETY: NULL or NUL-terminated.
        let passphrase = unsafe { str_arg(passphrase, "passphrase") }?;
        let out = Out::new(out, "out")?;
        // SAFETY: forwarded contract.
        let config = unsafe { config_arg(options) }?;
        let log = AuditLog::open_with_passphrase(&pool.pool, passphrase, config)?;
        out.write(handle::into_raw(mgn_audit { log: Arc::new(log) }));
        Ok(())
    })
}

/// An event to record. `action` is required; every other field may be NULL (absent). All
/// strings are NUL-terminated UTF-8 and copied; `details_json` must be valid JSON.
#[allow(non_camel_case_types)]
#[repr(C)]
#[derive(Debug, Clone, Copy)]
pub struct mgn_audit_event {
    /// What happened ("login", "password.change"...). Must not be empty.
    pub action: *const c_char,
    /// Who did it.
    pub user_id: *const c_char,
    /// The kind of thing acted on.
    pub resource_type: *const c_char,
    /// The thing acted on.
    pub resource_id: *const c_char,
    /// Outcome ("success", "denied"...).
    pub status: *const c_char,
    /// Client IP address, as given.
    pub ip: *const c_char,
    /// Client User-Agent.
    pub user_agent: *const c_char,
    /// Free-form details as a JSON document.
    pub details_json: *const c_char,
}

/// Reads an optional string field of an event.
///
/// # Safety
/// `ptr` is NULL or NUL-terminated.
unsafe fn opt_field(ptr: *const c_char, name: &str) -> Result<Option<String>> {
    if ptr.is_null() {
        return Ok(None);
    }
    // SAFETY: forwarded contract.
    Ok(Some(unsafe { str_arg(ptr, name) }?.to_owned()))
}

/// Records an event and writes its id (a UUID) to `*out_event_id` (may be NULL; free with
/// `mgn_string_free`). Every field is encrypted; the event joins the tamper-evident chain.
/// Synchronous mode: committed when this returns. Batched mode: queued (blocking while
/// the queue is full) and committed by the writer, `mgn_audit_flush` or `mgn_audit_free`.
///
/// Errors: `MGN_INVALID_ARGUMENT` (NULL `audit`/`event`/`action`, invalid UTF-8 or JSON,
/// empty action, a field over 64 KiB, a closed log), pool and database errors.
/// Thread-safe.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn mgn_audit_record(
    audit: *const mgn_audit,
    event: *const mgn_audit_event,
    out_event_id: *mut *mut c_char,
) -> mgn_status {
    boundary::call("mgn_audit_record", || {
        // SAFETY: NULL or live.
        let audit = unsafe { handle::borrow(audit, "audit") }?;
        // SAFETY: NULL or a pointer to an `mgn_audit_event`.
        let e = unsafe { event.as_ref() }.ok_or_else(|| handle::null("event"))?;
        // SAFETY: each field is NULL or NUL-terminated per the contract.
        let new = unsafe {
            NewEvent {
                action: str_arg(e.action, "event.action")?.to_owned(),
                user_id: opt_field(e.user_id, "event.user_id")?,
                resource_type: opt_field(e.resource_type, "event.resource_type")?,
                resource_id: opt_field(e.resource_id, "event.resource_id")?,
                status: opt_field(e.status, "event.status")?,
                ip: opt_field(e.ip, "event.ip")?,
                user_agent: opt_field(e.user_agent, "event.user_agent")?,
                details: match opt_field(e.details_json, "event.details_json")? {
                    Some(json) => Some(NewEvent::details_from_json("event.details_json", &json)?),
                    None => None,
                },
            }
        };
        let out = OptOut::new(out_event_id);
        let id = audit.log.record(&new)?;
        if out.wanted() {
            out.write(alloc_string(id)?);
        }
        Ok(())
    })
}

/// Waits until every event recorded before this call is committed (a no-op in
/// synchronous mode).
///
/// Errors: `MGN_INVALID_ARGUMENT` (NULL `audit`, a closed log), the database error that
/// kept a batch from being written (it is kept and retried). Thread-safe.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn mgn_audit_flush(audit: *const mgn_audit) -> mgn_status {
    boundary::call("mgn_audit_flush", || {
        // SAFETY: NULL or live.
        let audit = unsafe { handle::borrow(audit, "audit") }?;
        audit.log.flush()
    })
}

/// Commits everything queued and stops the background writer; later records fail with
/// `MGN_INVALID_ARGUMENT`, reads keep working. Closing twice is harmless. The handle must
/// still be released with `mgn_audit_free`.
///
/// Errors: `MGN_INVALID_ARGUMENT` (NULL `audit`), the database error of the last batch.
/// Thread-safe.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn mgn_audit_close(audit: *const mgn_audit) -> mgn_status {
    boundary::call("mgn_audit_close", || {
        // SAFETY: NULL or live.
        let audit = unsafe { handle::borrow(audit, "audit") }?;
        audit.log.close()
    })
}

/// Writes the number of committed events to `*out`.
///
/// Errors: `MGN_INVALID_ARGUMENT` (NULL argument), pool and database errors. Thread-safe.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn mgn_audit_count(audit: *const mgn_audit, out: *mut u64) -> mgn_status {
    boundary::call("mgn_audit_count", || {
        // SAFETY: NULL or live.
        let audit = unsafe { handle::borrow(audit, "audit") }?;
        let out = Out::new(out, "out")?;
        out.write(audit.log.len()?);
        Ok(())
    })
}

/// Which events `mgn_audit_query` returns; all conditions are ANDed. Zero-initialise it
/// (`mgn_audit_filter f = {0};`) for "every event, oldest first".
#[allow(non_camel_case_types)]
#[repr(C)]
#[derive(Debug, Clone, Copy)]
pub struct mgn_audit_filter {
    /// Exact user id, or NULL for any (searched through a blind index, no decryption).
    pub user_id: *const c_char,
    /// Exact action, or NULL for any.
    pub action: *const c_char,
    /// Only events at or after `since_ms` (Unix ms) when `has_since`.
    pub has_since: bool,
    /// See `has_since`.
    pub since_ms: i64,
    /// Only events before `until_ms` (Unix ms) when `has_until`.
    pub has_until: bool,
    /// See `has_until`.
    pub until_ms: i64,
    /// At most this many events; 0 for no limit.
    pub limit: u64,
    /// Matching events skipped before the first returned.
    pub offset: u64,
    /// Newest first instead of oldest first.
    pub descending: bool,
}

/// Core's filter from the host's (NULL for every event).
///
/// # Safety
/// `filter` is NULL or points to an `mgn_audit_filter` whose strings are NULL or
/// NUL-terminated.
unsafe fn filter_arg(filter: *const mgn_audit_filter) -> Result<Filter> {
    // SAFETY: forwarded contract.
    let Some(f) = (unsafe { filter.as_ref() }) else {
        return Ok(Filter::default());
    };
    Ok(Filter {
        // SAFETY: forwarded contract.
        user_id: unsafe { opt_field(f.user_id, "filter.user_id") }?,
        // SAFETY: forwarded contract.
        action: unsafe { opt_field(f.action, "filter.action") }?,
        since_ms: f.has_since.then_some(f.since_ms),
        until_ms: f.has_until.then_some(f.until_ms),
        limit: (f.limit > 0).then_some(f.limit),
        offset: f.offset,
        order: if f.descending {
            Order::Descending
        } else {
            Order::Ascending
        },
    })
}

/// A C string holding decrypted audit data, wiped when dropped.
struct WipedCString(CString);

impl WipedCString {
    fn new(s: &str) -> WipedCString {
        WipedCString(owned_cstring(s))
    }

    fn opt(s: &Option<String>) -> Option<WipedCString> {
        s.as_deref().map(WipedCString::new)
    }
}

impl Drop for WipedCString {
    fn drop(&mut self) {
        let mut bytes = std::mem::take(&mut self.0).into_bytes();
        bytes.zeroize();
    }
}

fn ptr_of(s: &Option<WipedCString>) -> *const c_char {
    s.as_ref().map_or(ptr::null(), |s| s.0.as_ptr())
}

/// One stored event, with the strings its view points into.
struct StoredEvent {
    event_id: WipedCString,
    action: WipedCString,
    user_id: Option<WipedCString>,
    resource_type: Option<WipedCString>,
    resource_id: Option<WipedCString>,
    status: Option<WipedCString>,
    ip: Option<WipedCString>,
    user_agent: Option<WipedCString>,
    details_json: Option<WipedCString>,
    seq: u64,
    timestamp_ms: i64,
    key_id: u32,
}

impl StoredEvent {
    fn new(e: AuditEvent) -> StoredEvent {
        let mut details = e.details_json();
        let stored = StoredEvent {
            event_id: WipedCString::new(&e.event_id),
            action: WipedCString::new(&e.action),
            user_id: WipedCString::opt(&e.user_id),
            resource_type: WipedCString::opt(&e.resource_type),
            resource_id: WipedCString::opt(&e.resource_id),
            status: WipedCString::opt(&e.status),
            ip: WipedCString::opt(&e.ip),
            user_agent: WipedCString::opt(&e.user_agent),
            details_json: WipedCString::opt(&details),
            seq: e.seq,
            timestamp_ms: e.timestamp_ms,
            key_id: e.key_id,
        };
        if let Some(d) = details.as_mut() {
            d.zeroize();
        }
        stored
    }
}

/// The events returned by `mgn_audit_query`, decrypted. Read them with
/// `mgn_audit_events_count` and `mgn_audit_events_get`; release with
/// `mgn_audit_events_free`, which wipes the decrypted text. Immutable: any number of
/// threads may read it at once.
#[allow(non_camel_case_types)]
pub struct mgn_audit_events {
    events: Vec<StoredEvent>,
}

/// One decrypted event, as a view into an `mgn_audit_events`: every string is owned by it
/// and valid until `mgn_audit_events_free`. Absent fields are NULL.
#[allow(non_camel_case_types)]
#[repr(C)]
#[derive(Debug, Clone, Copy)]
pub struct mgn_audit_record_view {
    /// Position in the log (1, 2, ...).
    pub seq: u64,
    /// The event id (a UUID).
    pub event_id: *const c_char,
    /// When it was recorded, Unix ms.
    pub timestamp_ms: i64,
    /// The key id its fields are encrypted under.
    pub key_id: u32,
    /// What happened.
    pub action: *const c_char,
    /// Who did it, or NULL.
    pub user_id: *const c_char,
    /// The kind of thing acted on, or NULL.
    pub resource_type: *const c_char,
    /// The thing acted on, or NULL.
    pub resource_id: *const c_char,
    /// Outcome, or NULL.
    pub status: *const c_char,
    /// Client IP, or NULL.
    pub ip: *const c_char,
    /// Client User-Agent, or NULL.
    pub user_agent: *const c_char,
    /// Details as compact JSON, or NULL.
    pub details_json: *const c_char,
}

/// Runs a query: the events matching `filter` (NULL for all), decrypted, written as a new
/// `mgn_audit_events` to `*out` (release with `mgn_audit_events_free`).
///
/// Tampered data is never returned: if a matching row fails authentication the call fails
/// with `MGN_TAMPERED` naming the event and field. Errors: also `MGN_INVALID_ARGUMENT`
/// (NULL `audit`/`out`, invalid UTF-8), `MGN_INVALID_KEY` (events under a key not
/// supplied), pool and database errors. Thread-safe.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn mgn_audit_query(
    audit: *const mgn_audit,
    filter: *const mgn_audit_filter,
    out: *mut *mut mgn_audit_events,
) -> mgn_status {
    boundary::call("mgn_audit_query", || {
        // SAFETY: NULL or live.
        let audit = unsafe { handle::borrow(audit, "audit") }?;
        // SAFETY: forwarded contract.
        let filter = unsafe { filter_arg(filter) }?;
        let out = Out::new(out, "out")?;
        let events = audit.log.query(&filter)?;
        let events = events.into_iter().map(StoredEvent::new).collect();
        out.write(handle::into_raw(mgn_audit_events { events }));
        Ok(())
    })
}

/// Progress of `mgn_audit_reencrypt`.
#[allow(non_camel_case_types)]
#[repr(C)]
#[derive(Debug, Clone, Copy, Default)]
pub struct mgn_audit_reencrypt_progress {
    /// Events re-encrypted by this call.
    pub reencrypted: u64,
    /// Events still under an older key.
    pub remaining: u64,
    /// Every event is under the current key: the old key can be retired.
    pub done: bool,
}

/// Makes a new 32-byte master key (`key_len` must be 32; copied) the current one: new
/// events are encrypted under it, older events stay readable through the old key this
/// handle holds. Writes the new key id to `*out_key_id` (may be NULL). Then call
/// `mgn_audit_reencrypt` until done and `mgn_audit_retire_key` with the old id. After a
/// restart, open with the new key and the old one in `options.previous_keys`.
///
/// Errors: `MGN_INVALID_ARGUMENT` (NULL argument), `MGN_INVALID_KEY` (not 32 bytes,
/// evidently not random, or already a key of this log), pool and database errors.
/// Thread-safe.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn mgn_audit_rotate_key(
    audit: *const mgn_audit,
    key: *const u8,
    key_len: usize,
    out_key_id: *mut u32,
) -> mgn_status {
    boundary::call("mgn_audit_rotate_key", || {
        // SAFETY: NULL or live.
        let audit = unsafe { handle::borrow(audit, "audit") }?;
        // SAFETY: `key_len` readable bytes per the contract.
        let key = unsafe { key_arg(key, key_len, "key") }?;
        let out_key_id = OptOut::new(out_key_id);
        out_key_id.write(audit.log.rotate_key(key)?);
        Ok(())
    })
}

/// Re-encrypts up to `batch_size` events still under an older key, in one transaction,
/// and writes the progress to `*out` (may be NULL). Call until `done`; safe to interrupt
/// and resume, also from another process or after a crash.
///
/// Errors: `MGN_INVALID_ARGUMENT` (NULL `audit`, `batch_size` 0), `MGN_INVALID_KEY` (an
/// older key is not held: pass it in `options.previous_keys`), `MGN_TAMPERED` (a row
/// fails authentication; it is not re-encrypted), pool and database errors. Thread-safe.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn mgn_audit_reencrypt(
    audit: *const mgn_audit,
    batch_size: usize,
    out: *mut mgn_audit_reencrypt_progress,
) -> mgn_status {
    boundary::call("mgn_audit_reencrypt", || {
        // SAFETY: NULL or live.
        let audit = unsafe { handle::borrow(audit, "audit") }?;
        let out = OptOut::new(out);
        let p = audit
            .log
            .reencrypt(bounded(batch_size, limits::MAX_AUDIT_BATCH, "batch_size")?)?;
        out.write(mgn_audit_reencrypt_progress {
            reencrypted: p.reencrypted,
            remaining: p.remaining,
            done: p.done,
        });
        Ok(())
    })
}

/// Removes an old key from the log once no event is encrypted under it: it no longer
/// opens the log.
///
/// Errors: `MGN_INVALID_ARGUMENT` (NULL `audit`, the current key, a key still in use, or
/// an unknown key id), pool and database errors. Thread-safe.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn mgn_audit_retire_key(audit: *const mgn_audit, key_id: u32) -> mgn_status {
    boundary::call("mgn_audit_retire_key", || {
        // SAFETY: NULL or live.
        let audit = unsafe { handle::borrow(audit, "audit") }?;
        audit.log.retire_key(key_id)
    })
}

/// Writes the id of the key new events are encrypted under to `*out`.
///
/// Errors: `MGN_INVALID_ARGUMENT` (NULL argument). Thread-safe.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn mgn_audit_current_key_id(
    audit: *const mgn_audit,
    out: *mut u32,
) -> mgn_status {
    // SAFETY: forwarded contract.
    unsafe {
        audit_get(
            "mgn_audit_current_key_id",
            audit,
            out,
            AuditLog::current_key_id,
        )
    }
}

/// Writes the events matching `filter` (NULL for every event) to the file at `path`
/// (NUL-terminated UTF-8; it must not exist: an export never replaces a file, it fails
/// with `MGN_IO` instead), one JSON object per line, decrypted, for auditors; writes how
/// many to `*out_count` (may be NULL). The file is created readable by its owner only
/// (0600), flushed and synced before this returns, and removed on error.
///
/// Errors: as `mgn_audit_query` (`MGN_TAMPERED` stops the export at the first row that
/// fails authentication; the file is then removed), and `MGN_IO` when the file exists or
/// cannot be written. Thread-safe.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn mgn_audit_export_jsonl(
    audit: *const mgn_audit,
    filter: *const mgn_audit_filter,
    path: *const c_char,
    out_count: *mut u64,
) -> mgn_status {
    // SAFETY: forwarded contract.
    unsafe {
        export_jsonl(
            "mgn_audit_export_jsonl",
            audit,
            filter,
            path,
            out_count,
            false,
        )
    }
}

/// As `mgn_audit_export_jsonl`, but replaces the file at `path` if it exists: the export
/// is written to a new owner-only file beside it and renamed over it once complete, so
/// `path` holds either the old file or the whole export.
///
/// Errors: as `mgn_audit_export_jsonl`, without the error for an existing file.
/// Thread-safe.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn mgn_audit_export_jsonl_replacing(
    audit: *const mgn_audit,
    filter: *const mgn_audit_filter,
    path: *const c_char,
    out_count: *mut u64,
) -> mgn_status {
    // SAFETY: forwarded contract.
    unsafe {
        export_jsonl(
            "mgn_audit_export_jsonl_replacing",
            audit,
            filter,
            path,
            out_count,
            true,
        )
    }
}

/// The body of both exports.
///
/// # Safety
/// As documented on `mgn_audit_export_jsonl`.
unsafe fn export_jsonl(
    name: &str,
    audit: *const mgn_audit,
    filter: *const mgn_audit_filter,
    path: *const c_char,
    out_count: *mut u64,
    replace: bool,
) -> mgn_status {
    boundary::call(name, || {
        // SAFETY: NULL or live.
        let audit = unsafe { handle::borrow(audit, "audit") }?;
        // SAFETY: forwarded contract.
        let filter = unsafe { filter_arg(filter) }?;
        // SAFETY: NULL or NUL-terminated.
        let path = std::path::Path::new(unsafe { str_arg(path, "path") }?);
        let out_count = OptOut::new(out_count);
        let n = if replace {
            audit.log.export_jsonl_to_path_replacing(path, &filter)?
        } else {
            audit.log.export_jsonl_to_path(path, &filter)?
        };
        out_count.write(n);
        Ok(())
    })
}

/// Deletes the events recorded before `cutoff_ms` (Unix ms), for retention, and writes
/// how many to `*out_deleted` (may be NULL). Deletion stops at the first event at or
/// after the cutoff in sequence order, and a signed anchor keeps the remaining chain
/// verifiable (`mgn_audit_verify` starts from it).
///
/// Errors: `MGN_INVALID_ARGUMENT` (NULL `audit`), `MGN_TAMPERED` (a stored chain value or
/// anchor fails authentication), pool and database errors. Thread-safe.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn mgn_audit_purge_before(
    audit: *const mgn_audit,
    cutoff_ms: i64,
    out_deleted: *mut u64,
) -> mgn_status {
    boundary::call("mgn_audit_purge_before", || {
        // SAFETY: NULL or live.
        let audit = unsafe { handle::borrow(audit, "audit") }?;
        let out_deleted = OptOut::new(out_deleted);
        out_deleted.write(audit.log.purge_before(cutoff_ms)?);
        Ok(())
    })
}

/// Writes the number of events in `events` to `*out`.
///
/// Errors: `MGN_INVALID_ARGUMENT` (NULL argument). Thread-safe.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn mgn_audit_events_count(
    events: *const mgn_audit_events,
    out: *mut usize,
) -> mgn_status {
    boundary::call("mgn_audit_events_count", || {
        // SAFETY: NULL or live.
        let events = unsafe { handle::borrow(events, "events") }?;
        let out = Out::new(out, "out")?;
        out.write(events.events.len());
        Ok(())
    })
}

/// Writes a view of event `index` of `events` to `*out` (strings owned by `events`).
///
/// Errors: `MGN_INVALID_ARGUMENT` (NULL argument, `index` out of range). Thread-safe.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn mgn_audit_events_get(
    events: *const mgn_audit_events,
    index: usize,
    out: *mut mgn_audit_record_view,
) -> mgn_status {
    boundary::call("mgn_audit_events_get", || {
        // SAFETY: NULL or live.
        let events = unsafe { handle::borrow(events, "events") }?;
        let out = Out::new(out, "out")?;
        let e = events.events.get(index).ok_or_else(|| {
            Error::InvalidInput(format!(
                "event index {index} is out of range ({} event(s))",
                events.events.len()
            ))
        })?;
        out.write(mgn_audit_record_view {
            seq: e.seq,
            event_id: e.event_id.0.as_ptr(),
            timestamp_ms: e.timestamp_ms,
            key_id: e.key_id,
            action: e.action.0.as_ptr(),
            user_id: ptr_of(&e.user_id),
            resource_type: ptr_of(&e.resource_type),
            resource_id: ptr_of(&e.resource_id),
            status: ptr_of(&e.status),
            ip: ptr_of(&e.ip),
            user_agent: ptr_of(&e.user_agent),
            details_json: ptr_of(&e.details_json),
        });
        Ok(())
    })
}

/// Releases query results, wiping the decrypted text. NULL is a no-op.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn mgn_audit_events_free(events: *mut mgn_audit_events) {
    // SAFETY: NULL or live results, freed once.
    boundary::call_void(|| unsafe { handle::free(events) })
}

/// What kind of problem verification found.
#[allow(non_camel_case_types)]
#[repr(u32)]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum mgn_audit_problem {
    /// No problem: the log verified.
    MGN_AUDIT_OK = 0,
    /// A field failed authentication: modified, or moved from another field or event.
    MGN_AUDIT_FIELD_TAMPERED = 1,
    /// Sequence numbers are missing: events were deleted.
    MGN_AUDIT_MISSING_EVENTS = 2,
    /// An event does not follow the chain: reordered, inserted, replaced or edited.
    MGN_AUDIT_CHAIN_BROKEN = 3,
    /// The log ends before the recorded head: its tail was truncated.
    MGN_AUDIT_TRUNCATED = 4,
    /// The event at the recorded head has another chain value: the log was rewritten.
    MGN_AUDIT_HEAD_MISMATCH = 5,
    /// The purge anchor fails its MAC.
    MGN_AUDIT_ANCHOR_TAMPERED = 6,
    /// A row is structurally invalid.
    MGN_AUDIT_MALFORMED_ROW = 7,
    /// The search data (blind indexes, lookup table) disagrees with the events.
    MGN_AUDIT_LOOKUP_MISMATCH = 8,
    /// The recorded head is older than the purge anchor: it can no longer be confirmed.
    MGN_AUDIT_HEAD_UNCONFIRMABLE = 9,
    /// The log disagrees with a signed checkpoint it issued: `problem_seq` is the first
    /// event rewritten after it (0 when the tree data itself was replaced).
    MGN_AUDIT_CHECKPOINT_MISMATCH = 10,
}

/// The result of `mgn_audit_verify`. Release its strings with `mgn_audit_report_clear`.
#[allow(non_camel_case_types)]
#[repr(C)]
#[derive(Debug)]
pub struct mgn_audit_report {
    /// No problem found.
    pub ok: bool,
    /// Events fully verified before the first problem, or in total.
    pub checked: u64,
    /// The first problem (`MGN_AUDIT_OK` when none).
    pub problem: mgn_audit_problem,
    /// Sequence number where it was found (0 for the anchor or the head, or no problem).
    pub problem_seq: u64,
    /// The event id there when one could be read, else NULL.
    pub problem_event_id: *mut c_char,
    /// A description naming the field or range concerned, or NULL when `ok`.
    pub problem_detail: *mut c_char,
}

pub(crate) fn report_out(r: VerifyReport) -> Result<mgn_audit_report> {
    let mut out = mgn_audit_report {
        ok: r.ok,
        checked: r.checked,
        problem: mgn_audit_problem::MGN_AUDIT_OK,
        problem_seq: 0,
        problem_event_id: ptr::null_mut(),
        problem_detail: ptr::null_mut(),
    };
    if let Some(p) = r.first_problem {
        out.problem = match p.kind {
            ProblemKind::FieldTampered => mgn_audit_problem::MGN_AUDIT_FIELD_TAMPERED,
            ProblemKind::MissingEvents => mgn_audit_problem::MGN_AUDIT_MISSING_EVENTS,
            ProblemKind::ChainBroken => mgn_audit_problem::MGN_AUDIT_CHAIN_BROKEN,
            ProblemKind::Truncated => mgn_audit_problem::MGN_AUDIT_TRUNCATED,
            ProblemKind::HeadMismatch => mgn_audit_problem::MGN_AUDIT_HEAD_MISMATCH,
            ProblemKind::AnchorTampered => mgn_audit_problem::MGN_AUDIT_ANCHOR_TAMPERED,
            ProblemKind::MalformedRow => mgn_audit_problem::MGN_AUDIT_MALFORMED_ROW,
            ProblemKind::LookupMismatch => mgn_audit_problem::MGN_AUDIT_LOOKUP_MISMATCH,
            ProblemKind::HeadUnconfirmable => mgn_audit_problem::MGN_AUDIT_HEAD_UNCONFIRMABLE,
            ProblemKind::CheckpointMismatch => mgn_audit_problem::MGN_AUDIT_CHECKPOINT_MISMATCH,
        };
        out.problem_seq = p.seq;
        out.problem_detail = alloc_string(p.detail)?;
        if let Some(id) = p.event_id {
            match alloc_string(id) {
                Ok(id) => out.problem_event_id = id,
                Err(e) => {
                    release_report(&mut out);
                    return Err(e);
                }
            }
        }
    }
    Ok(out)
}

fn release_report(r: &mut mgn_audit_report) {
    for s in [&mut r.problem_event_id, &mut r.problem_detail] {
        // SAFETY: NULL or made by `alloc_string`; reset after release.
        unsafe { crate::strings::mgn_string_free(*s) };
        *s = ptr::null_mut();
    }
}

/// Walks the whole chain in one snapshot: decrypts and authenticates every field of every
/// event, recomputes every chain value and checks sequence numbers have no gaps. Writes
/// the report to `*out` (release with `mgn_audit_report_clear`): tampering is reported
/// there (`ok` false), not as an error status.
///
/// Removing events from the end cannot be detected without a recorded head: use
/// `mgn_audit_head` and `mgn_audit_verify_against`. Errors (verification could not run):
/// `MGN_INVALID_ARGUMENT` (NULL argument), `MGN_INVALID_KEY` (events under a key not
/// supplied), pool and database errors. Thread-safe.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn mgn_audit_verify(
    audit: *const mgn_audit,
    out: *mut mgn_audit_report,
) -> mgn_status {
    boundary::call("mgn_audit_verify", || {
        // SAFETY: NULL or live.
        let audit = unsafe { handle::borrow(audit, "audit") }?;
        let out = Out::new(out, "out")?;
        out.write(report_out(audit.log.verify()?)?);
        Ok(())
    })
}

/// Writes the current end of the chain: its sequence number to `*out_seq` and its chain
/// value (64 hex characters) to `*out_chain_hex` (free with `mgn_string_free`). Store both
/// outside the database to detect a truncated tail later with `mgn_audit_verify_against`.
/// Committed events only: flush first in batched mode.
///
/// Errors: `MGN_INVALID_ARGUMENT` (NULL argument), pool and database errors. Thread-safe.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn mgn_audit_head(
    audit: *const mgn_audit,
    out_seq: *mut u64,
    out_chain_hex: *mut *mut c_char,
) -> mgn_status {
    boundary::call("mgn_audit_head", || {
        // SAFETY: NULL or live.
        let audit = unsafe { handle::borrow(audit, "audit") }?;
        let out_seq = Out::new(out_seq, "out_seq")?;
        let out_chain = Out::new(out_chain_hex, "out_chain_hex")?;
        let head = audit.log.head()?;
        out_chain.write(alloc_string(head.chain_hex)?);
        out_seq.write(head.seq);
        Ok(())
    })
}

/// `mgn_audit_verify`, and also checks the log still reaches the head (`seq`,
/// `chain_hex`) recorded earlier with `mgn_audit_head`: a truncated tail is reported as
/// `MGN_AUDIT_TRUNCATED`, a rewritten log as `MGN_AUDIT_HEAD_MISMATCH`.
///
/// Errors: as `mgn_audit_verify`, and `MGN_INVALID_ARGUMENT` when `chain_hex` is not 64
/// hex characters. Thread-safe.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn mgn_audit_verify_against(
    audit: *const mgn_audit,
    seq: u64,
    chain_hex: *const c_char,
    out: *mut mgn_audit_report,
) -> mgn_status {
    boundary::call("mgn_audit_verify_against", || {
        // SAFETY: NULL or live.
        let audit = unsafe { handle::borrow(audit, "audit") }?;
        // SAFETY: NULL or NUL-terminated.
        let chain_hex = unsafe { str_arg(chain_hex, "chain_hex") }?;
        let out = Out::new(out, "out")?;
        let head = Head {
            seq,
            chain_hex: chain_hex.to_owned(),
        };
        out.write(report_out(audit.log.verify_against(&head)?)?);
        Ok(())
    })
}

/// Releases the strings of a verification report and resets it. NULL, and clearing
/// twice, are no-ops. Only pass reports filled by this library.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn mgn_audit_report_clear(report: *mut mgn_audit_report) {
    boundary::call_void(|| {
        // SAFETY: NULL or a report filled by this library.
        if let Some(r) = unsafe { report.as_mut() } {
            release_report(r);
        }
    })
}

/// Releases an audit log handle, committing queued events first (batched mode; errors are
/// logged, call `mgn_audit_close` first to see them). NULL is a no-op. Call once, after
/// every other call using it returned. Session registries given this log keep it open
/// until they are freed.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn mgn_audit_free(audit: *mut mgn_audit) {
    // SAFETY: NULL or a live audit log, freed once.
    boundary::call_void(|| unsafe { handle::free(audit) })
}

/// Whether the database in `pool` holds an audit log (without opening it); writes it to
/// `*out`.
///
/// Errors: `MGN_INVALID_ARGUMENT` (NULL argument), pool and database errors. Thread-safe.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn mgn_audit_exists(pool: *const mgn_pool, out: *mut bool) -> mgn_status {
    boundary::call("mgn_audit_exists", || {
        // SAFETY: NULL or live.
        let pool = unsafe { handle::borrow(pool, "pool") }?;
        let out = Out::new(out, "out")?;
        out.write(AuditLog::exists(&pool.pool)?);
        Ok(())
    })
}

/// Whether `audit` writes through a background writer (`options.batched`); writes it to
/// `*out`.
///
/// Errors: `MGN_INVALID_ARGUMENT` (NULL argument). Thread-safe.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn mgn_audit_is_batched(
    audit: *const mgn_audit,
    out: *mut bool,
) -> mgn_status {
    // SAFETY: forwarded contract.
    unsafe { audit_get("mgn_audit_is_batched", audit, out, AuditLog::is_batched) }
}

/// Derives the 32-byte key a passphrase (NUL-terminated UTF-8) gives the audit log in
/// `pool`'s database (PBKDF2 with the database's salt, created on first use) and writes it
/// to `out_key` (32 bytes; wipe it when done): what `mgn_audit_rotate_key` takes to rotate
/// to a passphrase.
///
/// Errors: `MGN_INVALID_ARGUMENT` (NULL argument, invalid UTF-8), `MGN_INVALID_KEY` (a
/// weak passphrase), pool and database errors. Thread-safe; takes a noticeable fraction
/// of a second by design.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn mgn_audit_key_for_passphrase(
    pool: *const mgn_pool,
    passphrase: *const c_char,
    out_key: *mut u8,
) -> mgn_status {
    boundary::call("mgn_audit_key_for_passphrase", || {
        // SAFETY: NULL or live.
        let pool = unsafe { handle::borrow(pool, "pool") }?;
        // SAFETY: NULL or NUL-terminated.
        let passphrase = unsafe { str_arg(passphrase, "passphrase") }?;
        if out_key.is_null() {
            return Err(handle::null("out_key"));
        }
        let key = AuditLog::key_for_passphrase(&pool.pool, passphrase)?;
        let bytes = key.to_bytes();
        // SAFETY: `out_key` has room for 32 bytes per the contract.
        unsafe { ptr::copy_nonoverlapping(bytes.as_ptr(), out_key, bytes.len()) };
        Ok(())
    })
}

/// The ids of the keys `audit` holds (the current key and the previous keys it was opened
/// with), ascending: writes up to `capacity` of them to `out_ids` (may be NULL when
/// `capacity` is 0) and how many there are to `*out_count`. When `*out_count >
/// capacity`, call again with more room.
///
/// Errors: `MGN_INVALID_ARGUMENT` (NULL `audit` or `out_count`, NULL `out_ids` with a
/// non-zero `capacity`). Thread-safe.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn mgn_audit_key_ids(
    audit: *const mgn_audit,
    out_ids: *mut u32,
    capacity: usize,
    out_count: *mut usize,
) -> mgn_status {
    boundary::call("mgn_audit_key_ids", || {
        // SAFETY: NULL or live.
        let audit = unsafe { handle::borrow(audit, "audit") }?;
        let out_count = Out::new(out_count, "out_count")?;
        if out_ids.is_null() && capacity > 0 {
            return Err(handle::null("out_ids"));
        }
        let ids = audit.log.key_ids();
        for (i, id) in ids.iter().take(capacity).enumerate() {
            // SAFETY: `out_ids` has room for `capacity` ids per the contract.
            unsafe { out_ids.add(i).write(*id) };
        }
        out_count.write(ids.len());
        Ok(())
    })
}

/// What `mgn_audit_rotate_and_reencrypt` did.
#[allow(non_camel_case_types)]
#[repr(C)]
#[derive(Debug, Clone, Copy, Default)]
pub struct mgn_audit_rotation_report {
    /// The key id rotated away from.
    pub old_key_id: u32,
    /// The key id now current.
    pub new_key_id: u32,
    /// Events re-encrypted by this call.
    pub reencrypted: u64,
    /// Whether the old key was retired (it no longer opens the log).
    pub old_key_retired: bool,
    /// Whether this call finished a rotation an earlier, interrupted call had begun.
    pub resumed: bool,
}

/// The whole key rotation of the audit log in `pool`'s database, resumable: opens it with
/// `old_key`, makes `new_key` current, re-encrypts every event `batch_size` at a time and,
/// when `retire_old_key`, retires the old key (each key 32 bytes; `*_len` must be 32).
/// When an earlier call was interrupted after switching keys, calling again with the same
/// two keys finishes it. Writes what happened to `*out_report` (may be NULL). Do not hold
/// an `mgn_audit` open on the same log with the old key meanwhile.
///
/// Errors: `MGN_INVALID_ARGUMENT` (NULL argument, `batch_size` 0, or events keep arriving
/// under the old key from another program: reopen it with the new key and call again),
/// `MGN_INVALID_KEY`, `MGN_WRONG_KEY` (neither key opens the log), `MGN_TAMPERED`, pool
/// and database errors. Thread-safe; can take long on a large log.
#[unsafe(no_mangle)]
#[allow(clippy::too_many_arguments)]
pub unsafe extern "C" fn mgn_audit_rotate_and_reencrypt(
    pool: *const mgn_pool,
    old_key: *const u8,
    old_key_len: usize,
    new_key: *const u8,
    new_key_len: usize,
    batch_size: usize,
    retire_old_key: bool,
    out_report: *mut mgn_audit_rotation_report,
) -> mgn_status {
    boundary::call("mgn_audit_rotate_and_reencrypt", || {
        // SAFETY: NULL or live.
        let pool = unsafe { handle::borrow(pool, "pool") }?;
        // SAFETY: `*_len` readable bytes per the contract.
        let old = unsafe { key_arg(old_key, old_key_len, "old_key") }?;
        // SAFETY: as above.
        let new = unsafe { key_arg(new_key, new_key_len, "new_key") }?;
        let options = RotationOptions {
            batch_size: bounded(batch_size, limits::MAX_AUDIT_BATCH, "batch_size")?,
            retire_old_key,
            ..RotationOptions::default()
        };
        let out = OptOut::new(out_report);
        let r = AuditLog::rotate_and_reencrypt(
            &pool.pool,
            old,
            new,
            AuditConfig::default(),
            options,
            |_, _| {},
        )?;
        out.write(mgn_audit_rotation_report {
            old_key_id: r.old_key_id,
            new_key_id: r.new_key_id,
            reencrypted: r.reencrypted,
            old_key_retired: r.old_key_retired,
            resumed: r.resumed,
        });
        Ok(())
    })
}
