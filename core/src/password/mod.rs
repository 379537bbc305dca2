//! Password hashing: Argon2id for new hashes, verification of legacy hashes, upgrade on
//! login, and offline wrapping of weak hashes.
//!
//! ```
//! use magnetar_core::password::{PasswordHasher, Policy};
//! let hasher = PasswordHasher::new(Policy::default())?;
//! let stored = hasher.hash("correct horse")?;
//! assert!(hasher.verify("correct horse", &stored)?);
//! // At login, with a hash from an older system:
//! let legacy = "$1$saltstri$YMyguxXMBpd2TEZ.vS/3q1"; // md5-crypt of "Hello world!"
//! let outcome = hasher.verify_and_update("Hello world!", legacy)?;
//! assert!(outcome.valid);
//! let upgraded = outcome.new_hash.expect("legacy hashes are replaced");
//! assert!(hasher.verify("Hello world!", &upgraded)?);
//! # Ok::<(), magnetar_core::Error>(())
//! ```
//!
//! # Formats
//!
//! [`Scheme`] lists every recognised format with its stable name. Everything
//! self-describing is accepted by default; bare hex digests (`hex_md5`, `hex_sha1`,
//! `hex_sha256`, `hex_sha512`) only when named in [`Policy::legacy_digests`] (a bare
//! 64-hex string could be anything). Wrapped hashes are described in [`wrap`].
//!
//! # Safety
//!
//! A stored hash is untrusted: its parameters are checked against [`Limits`] before any
//! work (PBKDF2's iterations counted per output block; a PBKDF2-style digest shorter
//! than its hash function's output is invalid), and every malformed, truncated, unknown or absurd input is an
//! [`crate::ErrorKind::InvalidHash`] error (never a panic or a hang). Digests are compared
//! in constant time; derived keys are zeroized.
//!
//! # Errors
//!
//! - `InvalidHash`: the stored hash is malformed, unsupported, or beyond a limit.
//! - `InvalidInput`: the password is longer than [`Policy::max_password_bytes`], or,
//!   against a crypt-family hash (whose every round hashes the password again), long
//!   enough to cost more than [`Limits::max_length_cost_factor`] times a 64-byte one.
//!   Checked before any work; the message gives the longest length accepted.
//! - `InvalidKey`: the hash was made under a pepper id the policy does not have.
//! - `InvalidConfig`: [`PasswordHasher::new`] with a policy that fails
//!   [`Policy::validate`].

mod b64;
mod bcrypt;
mod crypt;
mod digest;
mod formats;
mod identify;
mod kdf;
mod legacy;
mod pbkdf2;
mod phc;
mod policy;
mod scheme;
mod scrypt;
mod table;
pub mod wrap;

pub use digest::django_sha1_digest;
pub use pbkdf2::WERKZEUG_DEFAULT_ITERATIONS;
pub use policy::{Limits, Pepper, Policy};
pub use scheme::{LegacyDigest, Scheme};
pub use table::{HashTable, MAX_UNRECOGNISED_KEYS, TableUpgrade, upgrade_table};

use std::fmt;

use identify::Parsed;
use phc::Argon2Hash;

use crate::error::{Error, Result};

/// What [`PasswordHasher::identify`] found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Identified {
    /// The format of the stored hash.
    pub scheme: Scheme,
    /// For [`Scheme::Wrapped`], the legacy scheme inside; otherwise `None`.
    pub inner: Option<Scheme>,
}

impl Identified {
    /// A stable name: the scheme's name, or `wrapped_<inner>` for a wrapped hash
    /// (e.g. `wrapped_hex_sha256`).
    pub fn name(&self) -> String {
        match self.inner {
            Some(inner) => format!("wrapped_{}", inner.name()),
            None => self.scheme.name().to_owned(),
        }
    }
}

/// The result of [`PasswordHasher::verify_and_update`].
#[derive(Clone, PartialEq, Eq)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Record))]
pub struct VerifyOutcome {
    /// Whether the password matched.
    pub valid: bool,
    /// When valid and the stored hash is legacy, below the policy or under an old
    /// pepper: a fresh Argon2id hash to store in its place.
    pub new_hash: Option<String>,
}

// The fresh hash is what the host stores for this user: `Debug` (logs, panics) says only
// whether there is one.
impl fmt::Debug for VerifyOutcome {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("VerifyOutcome")
            .field("valid", &self.valid)
            .field(
                "new_hash",
                &self.new_hash.as_ref().map(|_| "<argon2id hash>"),
            )
            .finish()
    }
}

/// Hashes and verifies passwords under a [`Policy`]. Cheap to share: `Send + Sync`, no
/// interior state.
#[derive(Debug, Clone)]
pub struct PasswordHasher {
    policy: Policy,
}

impl PasswordHasher {
    /// A hasher for `policy`, which must pass [`Policy::validate`].
    pub fn new(policy: Policy) -> Result<PasswordHasher> {
        policy.validate()?;
        Ok(PasswordHasher { policy })
    }

    /// The policy in force.
    pub fn policy(&self) -> &Policy {
        &self.policy
    }

    fn check_password(&self, password: &[u8]) -> Result<()> {
        if password.len() > self.policy.max_password_bytes {
            return Err(Error::InvalidInput(format!(
                "the password is {} bytes, longer than the maximum {} (max_password_bytes)",
                password.len(),
                self.policy.max_password_bytes
            )));
        }
        Ok(())
    }

    /// A new Argon2id PHC string for `password`, with a fresh random salt (and the
    /// policy's pepper, its id recorded as `keyid`).
    pub fn hash(&self, password: impl AsRef<[u8]>) -> Result<String> {
        let password = password.as_ref();
        self.check_password(password)?;
        Ok(Argon2Hash::create(password, &self.policy)?.encode())
    }

    fn verify_parsed(&self, password: &[u8], parsed: &Parsed) -> Result<bool> {
        match parsed {
            Parsed::Argon2 { hash, .. } => hash.verify(password, &self.policy),
            Parsed::Legacy(l) => l.verify(password, &self.policy.limits),
            Parsed::Wrapped(w) => w.verify(password, &self.policy),
        }
    }

    fn parsed_needs_rehash(&self, parsed: &Parsed) -> bool {
        match parsed {
            Parsed::Argon2 { hash, django } => *django || hash.below_policy(&self.policy),
            Parsed::Legacy(_) | Parsed::Wrapped(_) => true,
        }
    }

    /// Whether `password` matches `stored` (any supported format). A wrong password is
    /// `Ok(false)`; a malformed stored hash is an error.
    pub fn verify(&self, password: impl AsRef<[u8]>, stored: &str) -> Result<bool> {
        let password = password.as_ref();
        self.check_password(password)?;
        let parsed = identify::parse(stored, &self.policy)?;
        self.verify_parsed(password, &parsed)
    }

    /// Verifies, and when the password is valid and the stored hash is legacy, weaker
    /// than the policy, wrapped, or under another pepper than the current one, also
    /// returns a new Argon2id hash to store (passlib's `verify_and_update`).
    pub fn verify_and_update(
        &self,
        password: impl AsRef<[u8]>,
        stored: &str,
    ) -> Result<VerifyOutcome> {
        let password = password.as_ref();
        self.check_password(password)?;
        let parsed = identify::parse(stored, &self.policy)?;
        if !self.verify_parsed(password, &parsed)? {
            return Ok(VerifyOutcome {
                valid: false,
                new_hash: None,
            });
        }
        let new_hash = if self.parsed_needs_rehash(&parsed) {
            Some(self.hash(password)?)
        } else {
            None
        };
        Ok(VerifyOutcome {
            valid: true,
            new_hash,
        })
    }

    /// Whether `stored` should be replaced at the next successful login: legacy formats,
    /// Argon2 other than Argon2id v19, costs below the policy, wrapped hashes, and hashes
    /// under another pepper than the current one. Hashes stronger than the policy are
    /// kept (replacing them would be a downgrade).
    pub fn needs_rehash(&self, stored: &str) -> Result<bool> {
        let parsed = identify::parse(stored, &self.policy)?;
        Ok(self.parsed_needs_rehash(&parsed))
    }

    /// The format of `stored`, after checking it parses and is within the limits.
    pub fn identify(&self, stored: &str) -> Result<Identified> {
        Ok(match identify::parse(stored, &self.policy)? {
            Parsed::Argon2 { django: true, .. } => Identified {
                scheme: Scheme::DjangoArgon2,
                inner: None,
            },
            Parsed::Argon2 { hash, .. } => Identified {
                scheme: hash.scheme(),
                inner: None,
            },
            Parsed::Legacy(l) => Identified {
                scheme: l.scheme,
                inner: None,
            },
            Parsed::Wrapped(w) => Identified {
                scheme: Scheme::Wrapped,
                inner: Some(w.inner.scheme),
            },
        })
    }

    /// Wraps a legacy hash into Argon2id without knowing the password (see [`wrap`] for
    /// the format). [`PasswordHasher::verify`] accepts the result for the same password;
    /// the next successful login replaces it with a plain Argon2id hash. Argon2 and
    /// already wrapped hashes are `InvalidInput`.
    pub fn wrap_legacy(&self, stored: &str) -> Result<String> {
        match identify::parse(stored, &self.policy)? {
            Parsed::Legacy(l) => wrap::Wrapped::wrap(stored, &l, &self.policy),
            Parsed::Argon2 { .. } => Err(Error::InvalidInput(
                "the hash is already Argon2; use needs_rehash to find weak ones".into(),
            )),
            Parsed::Wrapped(_) => Err(Error::InvalidInput("the hash is already wrapped".into())),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fast_policy() -> Policy {
        let mut p = Policy::owasp();
        p.memory_kib = 64;
        p.iterations = 1;
        p
    }

    #[test]
    fn verify_outcome_debug_hides_the_new_hash() {
        let outcome = VerifyOutcome {
            valid: true,
            new_hash: Some("$argon2id$v=19$m=64,t=1,p=1$c2FsdA$aGFzaA".into()),
        };
        let debug = format!("{outcome:?}");
        assert!(!debug.contains("argon2id$"), "{debug}");
        assert!(debug.contains("valid: true"), "{debug}");
    }

    #[test]
    fn hasher_is_send_and_sync() {
        fn assert_send_sync<T: Send + Sync>() {}
        assert_send_sync::<PasswordHasher>();
        assert_send_sync::<Pepper>();
    }

    #[test]
    fn hash_verify_round_trip() {
        let h = PasswordHasher::new(fast_policy()).unwrap();
        let s = h.hash("pw").unwrap();
        assert!(s.starts_with("$argon2id$v=19$m=64,t=1,p=1$"));
        assert!(h.verify("pw", &s).unwrap());
        assert!(!h.verify("pW", &s).unwrap());
        assert!(!h.needs_rehash(&s).unwrap());
        assert_ne!(h.hash("pw").unwrap(), s, "salts must be fresh");
    }

    #[test]
    fn over_long_password_is_invalid_input() {
        let h = PasswordHasher::new(fast_policy()).unwrap();
        let long = vec![b'a'; 4097];
        let e = h.hash(&long).unwrap_err();
        assert_eq!(e.kind(), crate::ErrorKind::InvalidInput);
        assert!(e.to_string().contains("4096"));
    }

    #[test]
    fn stronger_hashes_are_kept_weaker_replaced() {
        let strong = PasswordHasher::new(Policy {
            memory_kib: 128,
            iterations: 2,
            ..fast_policy()
        })
        .unwrap();
        let weak = PasswordHasher::new(fast_policy()).unwrap();
        let s = strong.hash("x").unwrap();
        assert!(!weak.needs_rehash(&s).unwrap());
        let w = weak.hash("x").unwrap();
        assert!(strong.needs_rehash(&w).unwrap());
        let out = strong.verify_and_update("x", &w).unwrap();
        assert!(out.valid);
        assert!(!strong.needs_rehash(&out.new_hash.unwrap()).unwrap());
    }

    #[test]
    fn pepper_rotation() {
        let k1 = Pepper::new("k1", &[1; 32]).unwrap();
        let k2 = Pepper::new("k2", &[2; 32]).unwrap();
        let h1 = PasswordHasher::new(fast_policy().with_pepper(k1.clone())).unwrap();
        let s1 = h1.hash("pw").unwrap();
        assert!(s1.contains(",keyid="));
        // Without the pepper the hash cannot be checked at all.
        let none = PasswordHasher::new(fast_policy()).unwrap();
        assert_eq!(
            none.verify("pw", &s1).unwrap_err().kind(),
            crate::ErrorKind::InvalidKey
        );
        // A different secret under the same id does not verify.
        let forged = Pepper::new("k1", &[9; 32]).unwrap();
        let hf = PasswordHasher::new(fast_policy().with_pepper(forged)).unwrap();
        assert!(!hf.verify("pw", &s1).unwrap());
        // Rotate: k2 current, k1 old.
        let mut p = fast_policy().with_pepper(k2);
        p.old_peppers.push(k1);
        let h2 = PasswordHasher::new(p).unwrap();
        assert!(h2.verify("pw", &s1).unwrap());
        assert!(h2.needs_rehash(&s1).unwrap());
        let out = h2.verify_and_update("pw", &s1).unwrap();
        let s2 = out.new_hash.unwrap();
        assert!(h2.verify("pw", &s2).unwrap());
        assert!(!h2.needs_rehash(&s2).unwrap());
        // An unpeppered hash under a peppered policy also needs a rehash.
        let plain = none.hash("pw").unwrap();
        assert!(h2.verify("pw", &plain).unwrap());
        assert!(h2.needs_rehash(&plain).unwrap());
    }

    #[test]
    fn wrap_and_upgrade() {
        let p = fast_policy().with_legacy_digests(&["sha256"]).unwrap();
        let h = PasswordHasher::new(p).unwrap();
        let legacy = "5e884898da28047151d0e56f8dc6292773603d0d6aabbdd62a11ef721d1542d8"; // sha256("password")
        let w = h.wrap_legacy(legacy).unwrap();
        assert!(w.starts_with("$magnetar-wrap$v=1,inner=hex_sha256,dklen=32$$argon2id$"));
        assert!(!w.contains(legacy));
        assert_eq!(h.identify(&w).unwrap().name(), "wrapped_hex_sha256");
        assert!(h.verify("password", &w).unwrap());
        assert!(!h.verify("Password", &w).unwrap());
        // Wrapped bare digests verify without the opt-in: the wrap is self-describing.
        let plain = PasswordHasher::new(fast_policy()).unwrap();
        assert!(plain.verify("password", &w).unwrap());
        let out = h.verify_and_update("password", &w).unwrap();
        assert!(out.valid);
        assert_eq!(
            h.identify(&out.new_hash.unwrap()).unwrap().scheme,
            Scheme::Argon2id
        );
        assert_eq!(
            h.wrap_legacy(&w).unwrap_err().kind(),
            crate::ErrorKind::InvalidInput
        );
    }

    #[test]
    fn bare_digest_needs_opt_in() {
        let h = PasswordHasher::new(fast_policy()).unwrap();
        let e = h
            .verify("password", "5f4dcc3b5aa765d61d8327deb882cf99")
            .unwrap_err();
        assert_eq!(e.kind(), crate::ErrorKind::InvalidHash);
        assert!(e.to_string().contains("\"md5\""), "{e}");
    }
}
