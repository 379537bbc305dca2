//! What new hashes look like, which stored hashes are accepted, and the ceilings that
//! keep a hostile stored hash from burning CPU or memory.

use std::fmt;

use zeroize::Zeroizing;

use super::scheme::LegacyDigest;
use crate::error::{Error, Result};

/// A pepper: an application-wide secret mixed into Argon2 as its `secret` input, with an
/// id written into each hash (`keyid=` in the PHC string) so peppers can rotate.
///
/// The secret is zeroized on drop and never printed.
#[derive(Clone)]
pub struct Pepper {
    id: String,
    secret: Zeroizing<Vec<u8>>,
}

impl Pepper {
    /// Shortest accepted secret, in bytes.
    pub const MIN_SECRET_LEN: usize = 16;
    /// Longest accepted id, in bytes (Argon2's `keyid` holds at most 8 bytes).
    pub const MAX_ID_LEN: usize = 8;

    /// A pepper with `id` (1 to 8 characters of `A-Za-z0-9_-`) and a secret of at least
    /// 16 bytes.
    pub fn new(id: &str, secret: &[u8]) -> Result<Pepper> {
        if id.is_empty()
            || id.len() > Self::MAX_ID_LEN
            || !id
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
        {
            return Err(Error::InvalidKey(format!(
                "pepper id {id:?} must be 1 to {} characters of A-Z a-z 0-9 - _",
                Self::MAX_ID_LEN
            )));
        }
        if secret.len() < Self::MIN_SECRET_LEN {
            return Err(Error::InvalidKey(format!(
                "pepper {id:?} secret is {} bytes; at least {} are required",
                secret.len(),
                Self::MIN_SECRET_LEN
            )));
        }
        Ok(Pepper {
            id: id.to_owned(),
            secret: Zeroizing::new(secret.to_vec()),
        })
    }

    /// The pepper's id (not secret).
    pub fn id(&self) -> &str {
        &self.id
    }

    pub(crate) fn secret(&self) -> &[u8] {
        &self.secret
    }
}

impl fmt::Debug for Pepper {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Pepper")
            .field("id", &self.id)
            .field("secret", &"[redacted]")
            .finish()
    }
}

/// Ceilings on the parameters of stored hashes. A stored hash is untrusted input: one
/// asking for more than these is rejected with `InvalidHash` before any work is done.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Limits {
    /// Longest stored hash string accepted, in bytes (default 1024).
    pub max_hash_len: usize,
    /// Largest Argon2 memory cost, KiB (default 262144 = 256 MiB).
    pub max_argon2_memory_kib: u32,
    /// Largest Argon2 time cost (default 32).
    pub max_argon2_iterations: u32,
    /// Largest Argon2 parallelism (default 64).
    pub max_argon2_parallelism: u32,
    /// Largest bcrypt cost (log2 rounds), at most 31 (default 16).
    pub max_bcrypt_cost: u32,
    /// Largest PBKDF2 iteration count (default 5,000,000).
    pub max_pbkdf2_iterations: u32,
    /// Largest SHA-crypt `rounds=` (default 5,000,000).
    pub max_crypt_rounds: u32,
    /// Largest scrypt memory `128 * r * N * p` bytes (default 256 MiB).
    pub max_scrypt_memory_bytes: u64,
    /// For the schemes whose work grows with the password's length (sha256_crypt,
    /// sha512_crypt, md5_crypt: every round hashes the password again), how many times
    /// the cost of verifying a 64-byte password against the same stored hash one
    /// verification may cost; a longer password is `InvalidInput` before any work
    /// (default 2: about 140 to 210 bytes, depending on the scheme and its rounds). At
    /// least 1.
    pub max_length_cost_factor: u32,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_hash_len: 1024,
            max_argon2_memory_kib: 256 * 1024,
            max_argon2_iterations: 32,
            max_argon2_parallelism: 64,
            max_bcrypt_cost: 16,
            max_pbkdf2_iterations: 5_000_000,
            max_crypt_rounds: 5_000_000,
            max_scrypt_memory_bytes: 256 * 1024 * 1024,
            max_length_cost_factor: 2,
        }
    }
}

/// The password policy: Argon2id parameters for new hashes, pepper, password length, the
/// bare digests the host accepts, and ceilings for stored hashes.
///
/// Fields are public; build with [`Policy::default`] (OWASP) or a preset, adjust, and let
/// [`super::PasswordHasher::new`] call [`Policy::validate`].
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct Policy {
    /// Argon2id memory cost in KiB (default 19456, OWASP).
    pub memory_kib: u32,
    /// Argon2id time cost (default 2).
    pub iterations: u32,
    /// Argon2id lanes (default 1).
    pub parallelism: u32,
    /// Salt length for new hashes, bytes (default 16).
    pub salt_len: usize,
    /// Hash output length for new hashes, bytes (default 32).
    pub output_len: usize,
    /// The pepper for new hashes, if any.
    pub pepper: Option<Pepper>,
    /// Retired peppers still accepted for verification; hashes under them need a rehash.
    pub old_peppers: Vec<Pepper>,
    /// Longest password accepted, in bytes (default 4096); longer is `InvalidInput`.
    pub max_password_bytes: usize,
    /// Bare hex digests accepted (none by default).
    pub legacy_digests: Vec<LegacyDigest>,
    /// Ceilings for stored hashes.
    pub limits: Limits,
}

impl Default for Policy {
    fn default() -> Self {
        Policy::owasp()
    }
}

impl Policy {
    /// OWASP's Argon2id recommendation: m=19456 KiB, t=2, p=1 (the default).
    pub fn owasp() -> Policy {
        Policy {
            memory_kib: 19456,
            iterations: 2,
            parallelism: 1,
            salt_len: 16,
            output_len: 32,
            pepper: None,
            old_peppers: Vec::new(),
            max_password_bytes: 4096,
            legacy_digests: Vec::new(),
            limits: Limits::default(),
        }
    }

    /// RFC 9106's second recommended option (for memory-constrained hosts): m=64 MiB,
    /// t=3, p=4.
    pub fn rfc9106_low_memory() -> Policy {
        Policy {
            memory_kib: 64 * 1024,
            iterations: 3,
            parallelism: 4,
            ..Policy::owasp()
        }
    }

    /// RFC 9106's first recommended option: m=2 GiB, t=1, p=4. Raises the stored-hash
    /// memory ceiling to 2 GiB accordingly.
    pub fn rfc9106_high_memory() -> Policy {
        let mut p = Policy {
            memory_kib: 2 * 1024 * 1024,
            iterations: 1,
            parallelism: 4,
            ..Policy::owasp()
        };
        p.limits.max_argon2_memory_kib = 2 * 1024 * 1024;
        p
    }

    /// Sets the pepper for new hashes (builder style).
    pub fn with_pepper(mut self, pepper: Pepper) -> Policy {
        self.pepper = Some(pepper);
        self
    }

    /// Accepts the named bare digests (`md5`, `sha1`, `sha256`, `sha512`), builder
    /// style; an unknown name is `InvalidConfig`.
    pub fn with_legacy_digests<S: AsRef<str>>(mut self, names: &[S]) -> Result<Policy> {
        for n in names {
            let d: LegacyDigest = n.as_ref().parse()?;
            if !self.legacy_digests.contains(&d) {
                self.legacy_digests.push(d);
            }
        }
        Ok(self)
    }

    /// Checks every field; the error names the first one out of range.
    pub fn validate(&self) -> Result<()> {
        let l = &self.limits;
        let cfg = |m: String| Err(Error::InvalidConfig(m));
        if !(1..=31).contains(&l.max_bcrypt_cost) {
            return cfg(format!(
                "limits.max_bcrypt_cost {} must be 1 to 31",
                l.max_bcrypt_cost
            ));
        }
        if l.max_length_cost_factor == 0 {
            return cfg("limits.max_length_cost_factor must be at least 1".into());
        }
        if l.max_hash_len < 128 {
            return cfg(format!(
                "limits.max_hash_len {} must be at least 128",
                l.max_hash_len
            ));
        }
        if !(1..=0x00ff_ffff).contains(&self.parallelism) {
            return cfg(format!(
                "parallelism {} must be 1 to 16777215",
                self.parallelism
            ));
        }
        if self.parallelism > l.max_argon2_parallelism {
            return cfg(format!(
                "parallelism {} is above limits.max_argon2_parallelism {}",
                self.parallelism, l.max_argon2_parallelism
            ));
        }
        if self.memory_kib < 8 * self.parallelism {
            return cfg(format!(
                "memory_kib {} must be at least 8 * parallelism ({})",
                self.memory_kib,
                8 * self.parallelism
            ));
        }
        if self.memory_kib > l.max_argon2_memory_kib {
            return cfg(format!(
                "memory_kib {} is above limits.max_argon2_memory_kib {}",
                self.memory_kib, l.max_argon2_memory_kib
            ));
        }
        if self.iterations < 1 || self.iterations > l.max_argon2_iterations {
            return cfg(format!(
                "iterations {} must be 1 to limits.max_argon2_iterations {}",
                self.iterations, l.max_argon2_iterations
            ));
        }
        if !(16..=64).contains(&self.salt_len) {
            return cfg(format!("salt_len {} must be 16 to 64", self.salt_len));
        }
        if !(16..=64).contains(&self.output_len) {
            return cfg(format!("output_len {} must be 16 to 64", self.output_len));
        }
        if !(1..=1024 * 1024).contains(&self.max_password_bytes) {
            return cfg(format!(
                "max_password_bytes {} must be 1 to 1048576",
                self.max_password_bytes
            ));
        }
        let mut ids: Vec<&str> = self.old_peppers.iter().map(Pepper::id).collect();
        ids.extend(self.pepper.as_ref().map(Pepper::id));
        ids.sort_unstable();
        if let Some(w) = ids.windows(2).find(|w| w[0] == w[1]) {
            return cfg(format!("pepper id {:?} is used twice", w[0]));
        }
        Ok(())
    }

    /// The pepper with this id, current or old.
    pub(crate) fn pepper_by_id(&self, id: &str) -> Option<&Pepper> {
        self.pepper
            .iter()
            .chain(self.old_peppers.iter())
            .find(|p| p.id() == id)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn presets_validate() {
        Policy::owasp().validate().unwrap();
        Policy::rfc9106_low_memory().validate().unwrap();
        Policy::rfc9106_high_memory().validate().unwrap();
    }

    #[test]
    fn out_of_range_fields_are_named() {
        let mut p = Policy::owasp();
        p.memory_kib = 4;
        assert!(p.validate().unwrap_err().to_string().contains("memory_kib"));
        let mut p = Policy::owasp();
        p.limits.max_bcrypt_cost = 32;
        assert!(
            p.validate()
                .unwrap_err()
                .to_string()
                .contains("max_bcrypt_cost")
        );
        let mut p = Policy::owasp();
        p.memory_kib = 300 * 1024;
        assert!(
            p.validate()
                .unwrap_err()
                .to_string()
                .contains("max_argon2_memory_kib")
        );
    }

    #[test]
    fn duplicate_pepper_ids_are_rejected() {
        let a = Pepper::new("k1", &[1; 32]).unwrap();
        let p = Policy::owasp().with_pepper(a.clone());
        let mut p2 = p.clone();
        p2.old_peppers.push(a);
        assert!(p.validate().is_ok());
        assert!(p2.validate().unwrap_err().to_string().contains("k1"));
    }

    #[test]
    fn pepper_is_redacted_and_checked() {
        let p = Pepper::new("k1", b"0123456789abcdef-secret").unwrap();
        let dbg = format!("{p:?}");
        assert!(dbg.contains("[redacted]") && !dbg.contains("secret\""));
        assert!(!dbg.contains("0123456789"));
        assert!(Pepper::new("k1", b"short").is_err());
        assert!(Pepper::new("", &[0; 16]).is_err());
        assert!(Pepper::new("toolongid", &[0; 16]).is_err());
        assert!(Pepper::new("a b", &[0; 16]).is_err());
    }

    #[test]
    fn legacy_digest_builder() {
        let p = Policy::owasp()
            .with_legacy_digests(&["sha256", "MD5", "sha256"])
            .unwrap();
        assert_eq!(
            p.legacy_digests,
            vec![LegacyDigest::Sha256, LegacyDigest::Md5]
        );
        assert!(Policy::owasp().with_legacy_digests(&["crc32"]).is_err());
    }
}
