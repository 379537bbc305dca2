//! Password hashing for Swift: Argon2id for new hashes, verification of legacy hashes,
//! upgrade on login, offline wrapping of weak hashes.
//!
//! Passwords arrive as Swift strings; the copies this layer makes are zeroized when the
//! call returns. Peppers are opaque objects: their secret never comes back out.
//!
//! `VerifyOutcome`, `HashTable` and `TableUpgrade` are core's own types, their uniffi
//! conversions derived in core.

use std::fmt;
use std::sync::Arc;

use magnetar_core::password::{self as core_password, HashTable, TableUpgrade, VerifyOutcome};
use zeroize::Zeroizing;

use crate::error::Result;

/// Ceilings on the parameters of stored hashes (a stored hash is untrusted input).
///
/// Not core's `Limits`: its `max_hash_len` is a `usize`, which uniffi does not have; it
/// travels inside [`PasswordPolicy`], which cannot be core's either.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct PasswordLimits {
    /// Longest stored hash string accepted, in bytes.
    pub max_hash_len: u64,
    /// Largest Argon2 memory cost, KiB.
    pub max_argon2_memory_kib: u32,
    /// Largest Argon2 time cost.
    pub max_argon2_iterations: u32,
    /// Largest Argon2 parallelism.
    pub max_argon2_parallelism: u32,
    /// Largest bcrypt cost (log2 rounds).
    pub max_bcrypt_cost: u32,
    /// Largest PBKDF2 iteration count.
    pub max_pbkdf2_iterations: u32,
    /// Largest SHA-crypt `rounds=`.
    pub max_crypt_rounds: u32,
    /// Largest scrypt memory, bytes.
    pub max_scrypt_memory_bytes: u64,
}

/// The password policy without its peppers (those are passed to `PasswordHasher` as
/// opaque `Pepper` objects). Start from `PasswordPolicy()` in Swift (OWASP: m=19456 KiB,
/// t=2, p=1) or a preset.
///
/// Not core's `Policy`: that one holds the peppers (secrets, which stay in opaque
/// objects), legacy digests as core's enum (named here, core parses the names) and sizes
/// as `usize`, which uniffi does not have.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct PasswordPolicy {
    /// Argon2id memory cost in KiB.
    pub memory_kib: u32,
    /// Argon2id time cost.
    pub iterations: u32,
    /// Argon2id lanes.
    pub parallelism: u32,
    /// Salt length for new hashes, bytes.
    pub salt_len: u32,
    /// Hash output length for new hashes, bytes.
    pub output_len: u32,
    /// Longest password accepted, in bytes.
    pub max_password_bytes: u32,
    /// Bare hex digests accepted, by name (`md5`, `sha1`, `sha256`, `sha512`, also with
    /// a `hex_` prefix); none by default.
    pub legacy_digests: Vec<String>,
    /// Ceilings for stored hashes.
    pub limits: PasswordLimits,
}

impl From<&core_password::Policy> for PasswordPolicy {
    fn from(p: &core_password::Policy) -> Self {
        let l = &p.limits;
        PasswordPolicy {
            memory_kib: p.memory_kib,
            iterations: p.iterations,
            parallelism: p.parallelism,
            // Core bounds these far below u32::MAX; saturate rather than wrap regardless.
            salt_len: u32::try_from(p.salt_len).unwrap_or(u32::MAX),
            output_len: u32::try_from(p.output_len).unwrap_or(u32::MAX),
            max_password_bytes: u32::try_from(p.max_password_bytes).unwrap_or(u32::MAX),
            legacy_digests: p
                .legacy_digests
                .iter()
                .map(|d| d.name().to_string())
                .collect(),
            limits: PasswordLimits {
                max_hash_len: l.max_hash_len as u64,
                max_argon2_memory_kib: l.max_argon2_memory_kib,
                max_argon2_iterations: l.max_argon2_iterations,
                max_argon2_parallelism: l.max_argon2_parallelism,
                max_bcrypt_cost: l.max_bcrypt_cost,
                max_pbkdf2_iterations: l.max_pbkdf2_iterations,
                max_crypt_rounds: l.max_crypt_rounds,
                max_scrypt_memory_bytes: l.max_scrypt_memory_bytes,
            },
        }
    }
}

/// Core's policy from the record, the peppers and core's digest names.
fn core_policy(
    p: PasswordPolicy,
    pepper: Option<Arc<Pepper>>,
    old_peppers: Vec<Arc<Pepper>>,
) -> Result<core_password::Policy> {
    // `Policy` is non-exhaustive: start from a preset and set every field we carry.
    let mut policy = core_password::Policy::owasp().with_legacy_digests(&p.legacy_digests)?;
    policy.memory_kib = p.memory_kib;
    policy.iterations = p.iterations;
    policy.parallelism = p.parallelism;
    policy.salt_len = p.salt_len as usize;
    policy.output_len = p.output_len as usize;
    policy.max_password_bytes = p.max_password_bytes as usize;
    policy.pepper = pepper.map(|pp| pp.inner.clone());
    policy.old_peppers = old_peppers.iter().map(|pp| pp.inner.clone()).collect();
    let l = &mut policy.limits;
    l.max_hash_len = usize::try_from(p.limits.max_hash_len).unwrap_or(usize::MAX);
    l.max_argon2_memory_kib = p.limits.max_argon2_memory_kib;
    l.max_argon2_iterations = p.limits.max_argon2_iterations;
    l.max_argon2_parallelism = p.limits.max_argon2_parallelism;
    l.max_bcrypt_cost = p.limits.max_bcrypt_cost;
    l.max_pbkdf2_iterations = p.limits.max_pbkdf2_iterations;
    l.max_crypt_rounds = p.limits.max_crypt_rounds;
    l.max_scrypt_memory_bytes = p.limits.max_scrypt_memory_bytes;
    Ok(policy)
}

/// OWASP's Argon2id recommendation (m=19456 KiB, t=2, p=1): core's default policy.
#[uniffi::export]
pub fn default_password_policy() -> PasswordPolicy {
    PasswordPolicy::from(&core_password::Policy::owasp())
}

/// RFC 9106's second recommended option (m=64 MiB, t=3, p=4).
#[uniffi::export]
pub fn rfc9106_low_memory_password_policy() -> PasswordPolicy {
    PasswordPolicy::from(&core_password::Policy::rfc9106_low_memory())
}

/// RFC 9106's first recommended option (m=2 GiB, t=1, p=4).
#[uniffi::export]
pub fn rfc9106_high_memory_password_policy() -> PasswordPolicy {
    PasswordPolicy::from(&core_password::Policy::rfc9106_high_memory())
}

/// An application-wide secret mixed into Argon2, with an id written into each hash so
/// peppers can rotate. Opaque: the secret is zeroized on drop and never printed.
#[derive(uniffi::Object)]
pub struct Pepper {
    inner: core_password::Pepper,
}

impl fmt::Debug for Pepper {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.inner.fmt(f)
    }
}

#[uniffi::export]
impl Pepper {
    /// A pepper with `id` (1 to 8 characters of `A-Za-z0-9_-`) and a secret of at least
    /// 16 bytes.
    #[uniffi::constructor]
    pub fn new(id: String, secret: Vec<u8>) -> Result<Arc<Self>> {
        let secret = Zeroizing::new(secret);
        let inner = core_password::Pepper::new(&id, &secret)?;
        Ok(Arc::new(Pepper { inner }))
    }

    /// The pepper's id (not secret).
    pub fn id(&self) -> String {
        self.inner.id().to_string()
    }
}

/// What `identify` found.
///
/// Not core's `Identified`: that one holds core's scheme enum; Swift gets the stable names.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct HashIdentity {
    /// The format's stable name (for example `bcrypt`, `django_pbkdf2_sha256`, `wrapped`).
    pub scheme: String,
    /// For a wrapped hash, the legacy scheme inside.
    pub inner: Option<String>,
    /// The scheme name, or `wrapped_<inner>` for a wrapped hash.
    pub name: String,
}

/// Hashes and verifies passwords under a policy. Thread-safe.
#[derive(Debug, uniffi::Object)]
pub struct PasswordHasher {
    inner: core_password::PasswordHasher,
}

#[uniffi::export]
impl PasswordHasher {
    /// A hasher for `policy`, hashing new passwords under `pepper` and still accepting
    /// hashes made under `old_peppers`. The policy is validated (`invalidConfig`).
    #[uniffi::constructor]
    pub fn new(
        policy: PasswordPolicy,
        pepper: Option<Arc<Pepper>>,
        old_peppers: Vec<Arc<Pepper>>,
    ) -> Result<Arc<Self>> {
        let policy = core_policy(policy, pepper, old_peppers)?;
        let inner = core_password::PasswordHasher::new(policy)?;
        Ok(Arc::new(PasswordHasher { inner }))
    }

    /// The policy in force (without the peppers).
    pub fn policy(&self) -> PasswordPolicy {
        self.inner.policy().into()
    }

    /// A new Argon2id PHC string for `password`, with a fresh random salt. CPU-bound
    /// (tens of milliseconds): use the async variant on the main thread.
    pub fn hash(&self, password: String) -> Result<String> {
        let password = Zeroizing::new(password);
        Ok(self.inner.hash(password.as_bytes())?)
    }

    /// Whether `password` matches `stored` (any supported format). A wrong password is
    /// `false`; a malformed stored hash throws `invalidHash`.
    pub fn verify(&self, password: String, stored: String) -> Result<bool> {
        let password = Zeroizing::new(password);
        Ok(self.inner.verify(password.as_bytes(), &stored)?)
    }

    /// Verifies and, when the stored hash should be upgraded, also returns a new Argon2id
    /// hash to store (upgrade on login).
    pub fn verify_and_update(&self, password: String, stored: String) -> Result<VerifyOutcome> {
        let password = Zeroizing::new(password);
        Ok(self.inner.verify_and_update(password.as_bytes(), &stored)?)
    }

    /// Whether `stored` should be replaced at the next successful login.
    pub fn needs_rehash(&self, stored: String) -> Result<bool> {
        Ok(self.inner.needs_rehash(&stored)?)
    }

    /// The format of `stored`, after checking it parses and is within the limits.
    pub fn identify(&self, stored: String) -> Result<HashIdentity> {
        let id = self.inner.identify(&stored)?;
        Ok(HashIdentity {
            scheme: id.scheme.name().to_string(),
            inner: id.inner.map(|s| s.name().to_string()),
            name: id.name(),
        })
    }

    /// Wraps a legacy hash into Argon2id without the password (upgrade a whole table
    /// at once); `verify` accepts the result for the same password.
    pub fn wrap_legacy(&self, stored: String) -> Result<String> {
        Ok(self.inner.wrap_legacy(&stored)?)
    }
}

/// Told after each committed batch of `upgradeTable` (from the thread running it).
#[uniffi::export(foreign)]
pub trait TableUpgradeObserver: Send + Sync {
    /// The counts so far.
    fn progress(&self, state: TableUpgrade);
}

/// The hashes in `hash_column` of `table`, walked by `rowid` (core's default key).
#[uniffi::export]
pub fn hash_table(table: String, hash_column: String) -> HashTable {
    HashTable::new(table, hash_column)
}

#[uniffi::export]
impl PasswordHasher {
    /// Wraps every legacy hash in `target` into Argon2id (no passwords needed; each
    /// user's next login replaces the wrapped hash), `batch_size` rows per committed
    /// batch. Interrupted runs resume where they stopped. Minutes for large tables: use
    /// the async variant.
    pub fn upgrade_table(
        &self,
        pool: Arc<crate::pool::Pool>,
        target: HashTable,
        batch_size: u32,
        observer: Option<Arc<dyn TableUpgradeObserver>>,
    ) -> Result<TableUpgrade> {
        Ok(core_password::upgrade_table(
            &self.inner,
            pool.core(),
            &target,
            batch_size as usize,
            |state| {
                if let Some(observer) = &observer {
                    observer.progress(state.clone());
                }
            },
        )?)
    }
}
