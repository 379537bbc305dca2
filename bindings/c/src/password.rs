//! `mgn_hasher`: Argon2id hashing, verification of legacy hashes, upgrade on login and
//! wrapping of legacy hashes.

use std::ffi::{CString, c_char};
use std::ptr;

use magnetar_core::Result;
use magnetar_core::password::{HashTable, PasswordHasher, Pepper, Policy, upgrade_table};

use crate::boundary;
use crate::handle::{self, Out};
use crate::pool::mgn_pool;
use crate::status::mgn_status;
use crate::strings::{
    alloc_string, bounded, bytes_arg, limits, owned_cstring, str_arg, str_array_arg,
};

/// Hashes and verifies passwords under one policy. Created by `mgn_hasher_new`, released
/// with `mgn_hasher_free`.
///
/// Thread safety: immutable; any number of threads may use one hasher at once.
#[allow(non_camel_case_types)]
pub struct mgn_hasher {
    hasher: PasswordHasher,
    /// The policy's pepper ids and digest names, NUL-terminated, which
    /// `mgn_hasher_get_policy` lends to the host for the hasher's lifetime.
    pepper_id: Option<CString>,
    old_pepper_ids: LentStrings,
    legacy_digests: LentStrings,
}

/// Strings lent to the host as a `const char *const *` array: the strings and the array
/// of pointers to them, both owned here and never changed after construction.
struct LentStrings {
    _strings: Vec<CString>,
    pointers: Vec<*const c_char>,
}

impl LentStrings {
    fn new<'a>(items: impl Iterator<Item = &'a str>) -> LentStrings {
        let strings: Vec<CString> = items.map(owned_cstring).collect();
        let pointers = strings.iter().map(|s| s.as_ptr()).collect();
        LentStrings {
            _strings: strings,
            pointers,
        }
    }

    /// The array for the host (NULL when empty) and its length.
    fn lend(&self) -> (*const *const c_char, usize) {
        if self.pointers.is_empty() {
            (ptr::null(), 0)
        } else {
            (self.pointers.as_ptr(), self.pointers.len())
        }
    }
}

impl mgn_hasher {
    fn new(hasher: PasswordHasher) -> mgn_hasher {
        let p = hasher.policy();
        mgn_hasher {
            pepper_id: p.pepper.as_ref().map(|pp| owned_cstring(pp.id())),
            old_pepper_ids: LentStrings::new(p.old_peppers.iter().map(Pepper::id)),
            legacy_digests: LentStrings::new(p.legacy_digests.iter().map(|d| d.name())),
            hasher,
        }
    }
}

/// A pepper: an application-wide secret mixed into Argon2id, with an id recorded in each
/// hash so peppers can rotate.
#[allow(non_camel_case_types)]
#[repr(C)]
#[derive(Debug, Clone, Copy)]
pub struct mgn_pepper {
    /// 1 to 8 characters of `A-Z a-z 0-9 - _` (NUL-terminated).
    pub id: *const c_char,
    /// The secret, at least 16 bytes. Copied by `mgn_hasher_new`; wipe yours afterwards.
    pub secret: *const u8,
    /// Length of `secret` in bytes.
    pub secret_len: usize,
}

/// Password policy: Argon2id parameters for new hashes, peppers, and the bare hex digests
/// accepted as stored hashes. Fill with `mgn_password_policy_default` (OWASP: m=19456 KiB,
/// t=2, p=1), then change what you need. Ceilings on stored-hash costs are core's
/// defaults.
#[allow(non_camel_case_types)]
#[repr(C)]
#[derive(Debug, Clone, Copy)]
pub struct mgn_password_policy {
    /// Argon2id memory cost in KiB (default 19456).
    pub memory_kib: u32,
    /// Argon2id time cost (default 2).
    pub iterations: u32,
    /// Argon2id lanes (default 1).
    pub parallelism: u32,
    /// Salt length for new hashes, 16 to 64 bytes (default 16).
    pub salt_len: u32,
    /// Hash length for new hashes, 16 to 64 bytes (default 32).
    pub output_len: u32,
    /// Longest password accepted, in bytes (default 4096); longer is
    /// `MGN_INVALID_ARGUMENT`.
    pub max_password_bytes: usize,
    /// The pepper for new hashes, or NULL for none (default NULL).
    pub pepper: *const mgn_pepper,
    /// Retired peppers still accepted for verification (hashes under them need a rehash);
    /// `n_old_peppers` entries, NULL when 0 (default NULL, 0).
    pub old_peppers: *const mgn_pepper,
    /// Number of entries at `old_peppers`.
    pub n_old_peppers: usize,
    /// Names of the bare hex digests to accept as stored hashes ("md5", "sha1", "sha256",
    /// "sha512"); `n_legacy_digests` entries, NULL when 0 (default: none, since a bare
    /// 64-hex string could be anything).
    pub legacy_digests: *const *const c_char,
    /// Number of entries at `legacy_digests`.
    pub n_legacy_digests: usize,
}

/// Writes core's default password policy (OWASP Argon2id, no pepper, no bare digests) to
/// `*out`.
///
/// Errors: `MGN_INVALID_ARGUMENT` if `out` is NULL. Thread-safe.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn mgn_password_policy_default(out: *mut mgn_password_policy) -> mgn_status {
    boundary::call("mgn_password_policy_default", || {
        let out = Out::new(out, "out")?;
        let p = Policy::default();
        out.write(mgn_password_policy {
            memory_kib: p.memory_kib,
            iterations: p.iterations,
            parallelism: p.parallelism,
            salt_len: len_u32(p.salt_len),
            output_len: len_u32(p.output_len),
            max_password_bytes: p.max_password_bytes,
            pepper: ptr::null(),
            old_peppers: ptr::null(),
            n_old_peppers: 0,
            legacy_digests: ptr::null(),
            n_legacy_digests: 0,
        });
        Ok(())
    })
}

/// Reads a host pepper; `what` names it in errors.
///
/// # Safety
/// `p.id` is NULL or NUL-terminated; `p.secret` points to `p.secret_len` bytes.
unsafe fn pepper_arg(p: &mgn_pepper, what: &str) -> Result<Pepper> {
    // SAFETY: forwarded contract.
    let id = unsafe { str_arg(p.id, &format!("{what}.id")) }?;
    // SAFETY: forwarded contract.
    let secret = unsafe {
        bytes_arg(
            p.secret,
            p.secret_len,
            limits::MAX_SECRET_BYTES,
            &format!("{what}.secret"),
        )
    }?;
    Pepper::new(id, secret)
}

/// Core's policy from the host's.
///
/// # Safety
/// The pointers in `p` follow the documented contract of `mgn_password_policy`.
unsafe fn policy_arg(p: &mgn_password_policy) -> Result<Policy> {
    // SAFETY: forwarded contract.
    let digests = unsafe {
        str_array_arg(
            p.legacy_digests,
            p.n_legacy_digests,
            limits::MAX_CONFIG_ITEMS,
            "legacy_digests",
        )
    }?;
    let mut policy = Policy::default().with_legacy_digests(&digests)?;
    policy.memory_kib = p.memory_kib;
    policy.iterations = p.iterations;
    policy.parallelism = p.parallelism;
    policy.salt_len = p.salt_len as usize;
    policy.output_len = p.output_len as usize;
    policy.max_password_bytes = p.max_password_bytes;
    // SAFETY: `pepper` is NULL or points to an `mgn_pepper`.
    if let Some(pepper) = unsafe { p.pepper.as_ref() } {
        // SAFETY: forwarded contract.
        policy.pepper = Some(unsafe { pepper_arg(pepper, "pepper") }?);
    }
    bounded(p.n_old_peppers, limits::MAX_CONFIG_ITEMS, "n_old_peppers")?;
    if p.n_old_peppers > 0 {
        if p.old_peppers.is_null() {
            return Err(magnetar_core::Error::InvalidInput(format!(
                "old_peppers is NULL but n_old_peppers is {}",
                p.n_old_peppers
            )));
        }
        // SAFETY: `n_old_peppers` entries per the contract.
        let old = unsafe { std::slice::from_raw_parts(p.old_peppers, p.n_old_peppers) };
        for (i, pepper) in old.iter().enumerate() {
            // SAFETY: forwarded contract.
            policy
                .old_peppers
                .push(unsafe { pepper_arg(pepper, &format!("old_peppers[{i}]")) }?);
        }
    }
    Ok(policy)
}

/// Creates a hasher for `policy` (NULL for the default) and writes it to `*out`; release it
/// with `mgn_hasher_free`. Everything `policy` points to is copied.
///
/// Errors: `MGN_INVALID_ARGUMENT` (NULL `out`, invalid UTF-8, NULL arrays with a count),
/// `MGN_INVALID_CONFIG` (a parameter out of range or an unknown digest name, named in the
/// message), `MGN_INVALID_KEY` (a malformed pepper id or a secret under 16 bytes).
/// Thread-safe.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn mgn_hasher_new(
    policy: *const mgn_password_policy,
    out: *mut *mut mgn_hasher,
) -> mgn_status {
    boundary::call("mgn_hasher_new", || {
        let out = Out::new(out, "out")?;
        // SAFETY: `policy` is NULL or points to an `mgn_password_policy`.
        let policy = match unsafe { policy.as_ref() } {
            // SAFETY: its pointers follow the documented contract.
            Some(p) => unsafe { policy_arg(p) }?,
            None => Policy::default(),
        };
        let hasher = PasswordHasher::new(policy)?;
        out.write(handle::into_raw(mgn_hasher::new(hasher)));
        Ok(())
    })
}

/// The policy a hasher runs with, as `mgn_hasher_get_policy` reports it. The strings and
/// arrays point into the hasher: do not free them; they stay valid until
/// `mgn_hasher_free`. Pepper secrets are never handed back, only their ids.
#[allow(non_camel_case_types)]
#[repr(C)]
#[derive(Debug, Clone, Copy)]
pub struct mgn_password_policy_info {
    /// Argon2id memory cost in KiB.
    pub memory_kib: u32,
    /// Argon2id time cost.
    pub iterations: u32,
    /// Argon2id lanes.
    pub parallelism: u32,
    /// Salt length of new hashes, in bytes.
    pub salt_len: u32,
    /// Hash length of new hashes, in bytes.
    pub output_len: u32,
    /// Longest password accepted, in bytes.
    pub max_password_bytes: usize,
    /// Id of the pepper of new hashes, or NULL for none.
    pub pepper_id: *const c_char,
    /// Ids of the retired peppers still accepted for verification; `n_old_peppers`
    /// entries, NULL when 0.
    pub old_pepper_ids: *const *const c_char,
    /// Number of entries at `old_pepper_ids`.
    pub n_old_peppers: usize,
    /// Names of the bare hex digests accepted as stored hashes ("md5", "sha1", ...);
    /// `n_legacy_digests` entries, NULL when 0.
    pub legacy_digests: *const *const c_char,
    /// Number of entries at `legacy_digests`.
    pub n_legacy_digests: usize,
}

/// Writes the policy `hasher` runs with to `*out` (see `mgn_password_policy_info` for
/// how long its strings live).
///
/// Errors: `MGN_INVALID_ARGUMENT` (NULL argument). Thread-safe.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn mgn_hasher_get_policy(
    hasher: *const mgn_hasher,
    out: *mut mgn_password_policy_info,
) -> mgn_status {
    boundary::call("mgn_hasher_get_policy", || {
        // SAFETY: the host passes NULL or a live hasher.
        let h = unsafe { handle::borrow(hasher, "hasher") }?;
        let out = Out::new(out, "out")?;
        let p = h.hasher.policy();
        let (old_pepper_ids, n_old_peppers) = h.old_pepper_ids.lend();
        let (legacy_digests, n_legacy_digests) = h.legacy_digests.lend();
        out.write(mgn_password_policy_info {
            memory_kib: p.memory_kib,
            iterations: p.iterations,
            parallelism: p.parallelism,
            salt_len: len_u32(p.salt_len),
            output_len: len_u32(p.output_len),
            max_password_bytes: p.max_password_bytes,
            pepper_id: h.pepper_id.as_ref().map_or(ptr::null(), |id| id.as_ptr()),
            old_pepper_ids,
            n_old_peppers,
            legacy_digests,
            n_legacy_digests,
        });
        Ok(())
    })
}

/// A byte length as the C structs carry it (core bounds them far below `u32::MAX`).
fn len_u32(n: usize) -> u32 {
    u32::try_from(n).unwrap_or(u32::MAX)
}

/// Borrows the hasher and the password of a call.
///
/// # Safety
/// `hasher` is NULL or live; `password` is NULL or NUL-terminated.
unsafe fn hasher_and_password<'a>(
    hasher: *const mgn_hasher,
    password: *const c_char,
) -> Result<(&'a PasswordHasher, &'a str)> {
    // SAFETY: forwarded contract.
    let h = unsafe { handle::borrow(hasher, "hasher") }?;
    // SAFETY: forwarded contract.
    let password = unsafe { str_arg(password, "password") }?;
    Ok((&h.hasher, password))
}

/// Hashes `password` (NUL-terminated UTF-8) into a new Argon2id PHC string with a fresh
/// salt, written to `*out_hash`; free it with `mgn_string_free`.
///
/// Errors: `MGN_INVALID_ARGUMENT` (NULL argument, invalid UTF-8, password longer than
/// `max_password_bytes`), `MGN_INTERNAL` (no OS randomness). Thread-safe; CPU- and
/// memory-intensive by design (about `memory_kib` KiB for the duration of the call).
#[unsafe(no_mangle)]
pub unsafe extern "C" fn mgn_hasher_hash(
    hasher: *const mgn_hasher,
    password: *const c_char,
    out_hash: *mut *mut c_char,
) -> mgn_status {
    boundary::call("mgn_hasher_hash", || {
        // SAFETY: forwarded contract.
        let (h, password) = unsafe { hasher_and_password(hasher, password) }?;
        let out = Out::new(out_hash, "out_hash")?;
        out.write(alloc_string(h.hash(password)?)?);
        Ok(())
    })
}

/// Checks `password` against `stored` (any supported format: Argon2, bcrypt, PBKDF2,
/// scrypt, crypt, Django, Werkzeug, digests, wrapped) and writes the answer to `*out_valid`.
/// A wrong password is `MGN_OK` with `false`. Comparison is constant-time.
///
/// Errors: `MGN_INVALID_ARGUMENT` (NULL argument, invalid UTF-8, over-long password),
/// `MGN_INVALID_HASH` (malformed, unsupported or absurd-cost stored hash),
/// `MGN_INVALID_KEY` (the hash uses a pepper id the policy does not have). Thread-safe.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn mgn_hasher_verify(
    hasher: *const mgn_hasher,
    password: *const c_char,
    stored: *const c_char,
    out_valid: *mut bool,
) -> mgn_status {
    boundary::call("mgn_hasher_verify", || {
        // SAFETY: forwarded contract.
        let (h, password) = unsafe { hasher_and_password(hasher, password) }?;
        // SAFETY: NULL or NUL-terminated.
        let stored = unsafe { str_arg(stored, "stored") }?;
        let out = Out::new(out_valid, "out_valid")?;
        out.write(h.verify(password, stored)?);
        Ok(())
    })
}

/// Verifies like `mgn_hasher_verify`, and when the password is valid but `stored` is
/// legacy, below the policy, wrapped or under an old pepper, also makes a fresh Argon2id
/// hash to store in its place (upgrade on login).
///
/// Writes the answer to `*out_valid` and the new hash to `*out_new_hash`: a string to free
/// with `mgn_string_free`, or NULL when there is nothing to replace (or the password is
/// wrong). Errors: as `mgn_hasher_verify` (NULL `out_new_hash` is `MGN_INVALID_ARGUMENT`).
/// Thread-safe.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn mgn_hasher_verify_and_update(
    hasher: *const mgn_hasher,
    password: *const c_char,
    stored: *const c_char,
    out_valid: *mut bool,
    out_new_hash: *mut *mut c_char,
) -> mgn_status {
    boundary::call("mgn_hasher_verify_and_update", || {
        // SAFETY: forwarded contract.
        let (h, password) = unsafe { hasher_and_password(hasher, password) }?;
        // SAFETY: NULL or NUL-terminated.
        let stored = unsafe { str_arg(stored, "stored") }?;
        let out_valid = Out::new(out_valid, "out_valid")?;
        let out_new_hash = Out::new(out_new_hash, "out_new_hash")?;
        let outcome = h.verify_and_update(password, stored)?;
        let new_hash = match outcome.new_hash {
            Some(hash) => alloc_string(hash)?,
            None => ptr::null_mut(),
        };
        out_valid.write(outcome.valid);
        out_new_hash.write(new_hash);
        Ok(())
    })
}

/// Writes to `*out` whether `stored` should be replaced at the next successful login
/// (legacy format, weaker than the policy, wrapped, or under an old pepper). Hashes
/// stronger than the policy are kept.
///
/// Errors: `MGN_INVALID_ARGUMENT` (NULL argument, invalid UTF-8), `MGN_INVALID_HASH`,
/// `MGN_INVALID_KEY`. Thread-safe.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn mgn_hasher_needs_rehash(
    hasher: *const mgn_hasher,
    stored: *const c_char,
    out: *mut bool,
) -> mgn_status {
    boundary::call("mgn_hasher_needs_rehash", || {
        // SAFETY: NULL or live.
        let h = unsafe { handle::borrow(hasher, "hasher") }?;
        // SAFETY: NULL or NUL-terminated.
        let stored = unsafe { str_arg(stored, "stored") }?;
        let out = Out::new(out, "out")?;
        out.write(h.hasher.needs_rehash(stored)?);
        Ok(())
    })
}

/// Writes the stable name of the format of `stored` to `*out_name` (for example
/// "argon2id", "bcrypt", "django_pbkdf2_sha256", "wrapped_hex_sha256"), as a string to
/// free with `mgn_string_free`. The hash is fully parsed and checked against the limits.
///
/// Errors: `MGN_INVALID_ARGUMENT` (NULL argument, invalid UTF-8), `MGN_INVALID_HASH`.
/// Thread-safe.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn mgn_hasher_identify(
    hasher: *const mgn_hasher,
    stored: *const c_char,
    out_name: *mut *mut c_char,
) -> mgn_status {
    boundary::call("mgn_hasher_identify", || {
        // SAFETY: NULL or live.
        let h = unsafe { handle::borrow(hasher, "hasher") }?;
        // SAFETY: NULL or NUL-terminated.
        let stored = unsafe { str_arg(stored, "stored") }?;
        let out = Out::new(out_name, "out_name")?;
        out.write(alloc_string(h.hasher.identify(stored)?.name())?);
        Ok(())
    })
}

/// Wraps the legacy hash `stored` into Argon2id without knowing the password, so a whole
/// table can be upgraded at once, and writes the wrapped hash to `*out_hash` (free with
/// `mgn_string_free`). `mgn_hasher_verify` accepts it for the same password; the next
/// successful login replaces it with a plain Argon2id hash.
///
/// Errors: `MGN_INVALID_ARGUMENT` (NULL argument, invalid UTF-8, a hash that is already
/// Argon2 or wrapped), `MGN_INVALID_HASH`. Thread-safe; costs one Argon2id computation.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn mgn_hasher_wrap_legacy(
    hasher: *const mgn_hasher,
    stored: *const c_char,
    out_hash: *mut *mut c_char,
) -> mgn_status {
    boundary::call("mgn_hasher_wrap_legacy", || {
        // SAFETY: NULL or live.
        let h = unsafe { handle::borrow(hasher, "hasher") }?;
        // SAFETY: NULL or NUL-terminated.
        let stored = unsafe { str_arg(stored, "stored") }?;
        let out = Out::new(out_hash, "out_hash")?;
        out.write(alloc_string(h.hasher.wrap_legacy(stored)?)?);
        Ok(())
    })
}

/// Releases a hasher (wiping its peppers). NULL is a no-op. Call once, after every other
/// call using it returned.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn mgn_hasher_free(hasher: *mut mgn_hasher) {
    // SAFETY: NULL or a live hasher, freed once.
    boundary::call_void(|| unsafe { handle::free(hasher) })
}

/// What `mgn_hasher_upgrade_table` did, counted for this call: `total` rows in the table
/// when it started, of which `scanned` were looked at; `wrapped` legacy hashes wrapped
/// into Argon2id; `current` ones needing nothing (Argon2 or already wrapped);
/// `unrecognised` values that are not a hash Magnetar reads and `empty` NULL or empty
/// ones (both left alone); `changed_meanwhile` hashes a login replaced during the run.
#[allow(non_camel_case_types, missing_docs)]
#[repr(C)]
#[derive(Debug, Clone, Copy, Default)]
pub struct mgn_table_upgrade {
    pub total: u64,
    pub scanned: u64,
    pub wrapped: u64,
    pub current: u64,
    pub unrecognised: u64,
    pub empty: u64,
    pub changed_meanwhile: u64,
}

/// Wraps every legacy hash in column `hash_column` of `table` (in `pool`'s database) into
/// Argon2id under `hasher`'s policy, without passwords, `batch_size` rows per transaction;
/// rows are walked by `key_column` (NULL for `rowid`; otherwise a NOT NULL column with a
/// unique index of its own). Resumable: running again skips rows already done. Writes the
/// counts to `*out` (may be NULL).
///
/// Errors: `MGN_INVALID_ARGUMENT` (NULL argument, invalid UTF-8, `batch_size` 0, a table or
/// column that does not exist, an unsuitable key column), pool and database errors.
/// Thread-safe; CPU-bound (Argon2 on all cores) and long on a large table.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn mgn_hasher_upgrade_table(
    hasher: *const mgn_hasher,
    pool: *const mgn_pool,
    table: *const c_char,
    hash_column: *const c_char,
    key_column: *const c_char,
    batch_size: usize,
    out: *mut mgn_table_upgrade,
) -> mgn_status {
    boundary::call("mgn_hasher_upgrade_table", || {
        // SAFETY: NULL or live.
        let h = unsafe { handle::borrow(hasher, "hasher") }?;
        // SAFETY: NULL or live.
        let pool = unsafe { handle::borrow(pool, "pool") }?;
        // SAFETY: NULL or NUL-terminated.
        let table = unsafe { str_arg(table, "table") }?;
        // SAFETY: NULL or NUL-terminated.
        let hash_column = unsafe { str_arg(hash_column, "hash_column") }?;
        let mut target = HashTable::new(table, hash_column);
        if !key_column.is_null() {
            // SAFETY: NUL-terminated.
            target.key_column = unsafe { str_arg(key_column, "key_column") }?.to_owned();
        }
        let out = handle::OptOut::new(out);
        let r = upgrade_table(&h.hasher, &pool.pool, &target, batch_size, |_| {})?;
        out.write(mgn_table_upgrade {
            total: r.total,
            scanned: r.scanned,
            wrapped: r.wrapped,
            current: r.current,
            unrecognised: r.unrecognised,
            empty: r.empty,
            changed_meanwhile: r.changed_meanwhile,
        });
        Ok(())
    })
}
