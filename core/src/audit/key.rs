//! Audit keys: where a master key comes from, and the subkeys derived from it.
//!
//! Two levels of keys (envelope encryption, see `docs/bench/audit.md` and [`super`]):
//!
//! - A **master key** ([`AuditKey`], 32 bytes) is what the host holds. HKDF-SHA256
//!   derives from it the field-encryption key, a wrapping key and a key-check value.
//!   Rotation replaces the master key.
//! - A **log secret** (32 random bytes per database) is stored wrapped under every
//!   master key of the log. HKDF-SHA256 derives from it the blind-index keys and the
//!   chain key, which therefore survive rotation: queries keep working across key ids and
//!   re-encryption never has to rewrite the chain (which would invalidate every head a
//!   host recorded).

use std::fmt;

use base64::Engine as _;
use hkdf::Hkdf;
use hmac::{Hmac, Mac};
use sha2::Sha256;
use zeroize::{Zeroize, ZeroizeOnDrop, Zeroizing};

use crate::error::{Error, Result};

/// Length of every key in the audit log, in bytes (AES-256, HMAC-SHA256).
pub const KEY_LEN: usize = 32;

/// PBKDF2-HMAC-SHA256 iterations for passphrase keys (OWASP 2023 recommendation).
pub const PBKDF2_ITERATIONS: u32 = 600_000;

/// Length of the random per-database salt for passphrase keys.
pub const SALT_LEN: usize = 16;

/// Minimum passphrase length in characters. NIST SP 800-63B asks for 8 for a login
/// password that an online attacker must guess through a rate limit; a passphrase that
/// protects a stolen database file faces an offline attacker, so we ask for more.
pub const MIN_PASSPHRASE_CHARS: usize = 12;

/// A random 32-byte key has at least this many distinct byte values except with
/// negligible probability (below 2^-100); fewer means a typed or patterned "key".
const MIN_DISTINCT_KEY_BYTES: usize = 8;

/// HKDF salt: a fixed domain-separation string (RFC 5869 allows a non-secret constant).
const HKDF_SALT: &[u8] = b"magnetar-audit-v1";

/// A 32-byte audit master key. Zeroized on drop; `Debug` prints `[redacted]`.
///
/// There is never a built-in default key: every constructor takes key material from the
/// host and rejects material that is obviously not a key.
#[derive(Clone, Zeroize, ZeroizeOnDrop)]
pub struct AuditKey {
    bytes: [u8; KEY_LEN],
}

impl fmt::Debug for AuditKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("AuditKey([redacted])")
    }
}

impl AuditKey {
    /// A fresh random key from the OS CSPRNG.
    pub fn generate() -> Result<Self> {
        let mut bytes = Zeroizing::new([0u8; KEY_LEN]);
        crate::random::fill(bytes.as_mut())?;
        Self::from_bytes(bytes.as_ref())
    }

    /// A fresh random key in its hex form (64 lowercase hex characters), for a host to
    /// store in its secret manager and give back to [`AuditKey::parse`]. Zeroized on drop.
    pub fn generate_hex() -> Result<Zeroizing<String>> {
        Ok(Self::generate()?.to_hex())
    }

    /// The raw 32 bytes (for a host that stores the key as bytes, e.g. from
    /// [`super::AuditLog::key_for_passphrase`]). Zeroized on drop; never log them.
    pub fn to_bytes(&self) -> Zeroizing<[u8; KEY_LEN]> {
        Zeroizing::new(self.bytes)
    }

    /// The key as 64 lowercase hex characters ([`AuditKey::from_hex`] reads it back).
    /// Zeroized on drop; never log it.
    pub fn to_hex(&self) -> Zeroizing<String> {
        Zeroizing::new(hex::encode(self.bytes))
    }

    /// A key from exactly 32 raw bytes. Fails with `InvalidKey` on another length or on
    /// bytes that are evidently not random (fewer than 8 distinct byte values, e.g. all
    /// zeros or a short repeated pattern).
    pub fn from_bytes(bytes: &[u8]) -> Result<Self> {
        if bytes.len() != KEY_LEN {
            return Err(Error::InvalidKey(format!(
                "an audit key is {KEY_LEN} bytes, got {}",
                bytes.len()
            )));
        }
        let mut seen = [false; 256];
        for &b in bytes {
            seen[usize::from(b)] = true;
        }
        let distinct = seen.iter().filter(|s| **s).count();
        if distinct < MIN_DISTINCT_KEY_BYTES {
            return Err(Error::InvalidKey(format!(
                "the audit key is too weak: only {distinct} distinct byte values (a random key has about 30); generate one with AuditKey::generate or `openssl rand -hex 32`"
            )));
        }
        let mut key = AuditKey {
            bytes: [0u8; KEY_LEN],
        };
        key.bytes.copy_from_slice(bytes);
        Ok(key)
    }

    /// A key from 64 hexadecimal characters (surrounding whitespace ignored).
    pub fn from_hex(text: &str) -> Result<Self> {
        let text = text.trim();
        if text.len() != 2 * KEY_LEN {
            return Err(Error::InvalidKey(format!(
                "a hex audit key is {} characters, got {}",
                2 * KEY_LEN,
                text.len()
            )));
        }
        let bytes =
            Zeroizing::new(hex::decode(text).map_err(|_| {
                Error::InvalidKey("the hex audit key has a non-hex character".into())
            })?);
        Self::from_bytes(&bytes)
    }

    /// A key from base64 (standard or URL-safe alphabet, with or without padding) of
    /// 32 bytes (surrounding whitespace ignored).
    pub fn from_base64(text: &str) -> Result<Self> {
        use base64::engine::general_purpose::{
            STANDARD, STANDARD_NO_PAD, URL_SAFE, URL_SAFE_NO_PAD,
        };
        let text = text.trim();
        let decoded = [STANDARD, STANDARD_NO_PAD, URL_SAFE, URL_SAFE_NO_PAD]
            .iter()
            .find_map(|engine| engine.decode(text).ok())
            .map(Zeroizing::new)
            .ok_or_else(|| Error::InvalidKey("the audit key is not valid base64".into()))?;
        Self::from_bytes(&decoded)
    }

    /// A key from a hex or base64 string: 64 characters are read as hex, anything else
    /// as base64.
    pub fn parse(text: &str) -> Result<Self> {
        let trimmed = text.trim();
        if trimmed.len() == 2 * KEY_LEN && trimmed.bytes().all(|b| b.is_ascii_hexdigit()) {
            Self::from_hex(trimmed)
        } else {
            Self::from_base64(trimmed)
        }
    }

    /// The key held by environment variable `name` (for example `"MAGNETAR_AUDIT_KEY"`),
    /// as 64 hex characters or base64 of 32 bytes. Fails with `InvalidKey` when the
    /// variable is unset, empty, not a key, or too weak; the message never contains the
    /// value.
    pub fn from_env(name: &str) -> Result<Self> {
        let value = match std::env::var(name) {
            Ok(v) => Zeroizing::new(v),
            Err(std::env::VarError::NotPresent) => {
                return Err(Error::InvalidKey(format!(
                    "environment variable {name} is not set; there is no default audit key (generate one with `openssl rand -hex 32`)"
                )));
            }
            Err(std::env::VarError::NotUnicode(_)) => {
                return Err(Error::InvalidKey(format!(
                    "environment variable {name} is not valid UTF-8"
                )));
            }
        };
        if value.trim().is_empty() {
            return Err(Error::InvalidKey(format!(
                "environment variable {name} is empty; there is no default audit key"
            )));
        }
        Self::parse(&value).map_err(|e| match e {
            Error::InvalidKey(why) => Error::InvalidKey(format!("{name}: {why}")),
            other => other,
        })
    }

    /// A key derived from a passphrase with PBKDF2-HMAC-SHA256 (600,000 iterations) and
    /// the database's salt. [`super::AuditLog::open_with_passphrase`] manages the salt;
    /// use this directly only to rotate to a passphrase key
    /// ([`super::AuditLog::passphrase_key`]). Fails with `InvalidKey` when the passphrase is
    /// too weak (fewer than 12 characters, or one character repeated) or the salt is
    /// shorter than 16 bytes.
    pub fn from_passphrase(passphrase: &str, salt: &[u8]) -> Result<Self> {
        Self::from_passphrase_with_iterations(passphrase, salt, PBKDF2_ITERATIONS)
    }

    /// [`AuditKey::from_passphrase`] with a chosen iteration count; for tests only, which
    /// cannot afford 600,000 iterations in a debug build.
    #[cfg(test)]
    pub(crate) fn from_passphrase_fast(passphrase: &str, salt: &[u8]) -> Result<Self> {
        Self::from_passphrase_with_iterations(passphrase, salt, 1_000)
    }

    fn from_passphrase_with_iterations(
        passphrase: &str,
        salt: &[u8],
        iterations: u32,
    ) -> Result<Self> {
        check_passphrase(passphrase)?;
        if salt.len() < SALT_LEN {
            return Err(Error::InvalidKey(format!(
                "the passphrase salt is {} bytes, at least {SALT_LEN} are needed",
                salt.len()
            )));
        }
        let mut out = Zeroizing::new([0u8; KEY_LEN]);
        pbkdf2::pbkdf2_hmac::<Sha256>(passphrase.as_bytes(), salt, iterations, out.as_mut());
        // Bypass the distinct-bytes check: PBKDF2 output is pseudorandom by construction.
        let mut key = AuditKey {
            bytes: [0u8; KEY_LEN],
        };
        key.bytes.copy_from_slice(out.as_ref());
        Ok(key)
    }

    /// HKDF-SHA256 expansion of this master key for `purpose`.
    fn derive(&self, purpose: &[u8]) -> Zeroizing<[u8; KEY_LEN]> {
        derive(&self.bytes, purpose)
    }

    /// The subkeys of this master key.
    pub(crate) fn subkeys(&self) -> MasterSubkeys {
        let check_key = self.derive(b"key-check");
        MasterSubkeys {
            encryption: self.derive(b"field-encryption"),
            wrapping: self.derive(b"log-secret-wrapping"),
            check_value: mac(check_key.as_ref(), &[b"magnetar audit key check value"]),
        }
    }
}

/// Checks the "too weak" rules for passphrases.
fn check_passphrase(passphrase: &str) -> Result<()> {
    let chars = passphrase.chars().count();
    if chars < MIN_PASSPHRASE_CHARS {
        return Err(Error::InvalidKey(format!(
            "the audit passphrase is too weak: {chars} characters, at least {MIN_PASSPHRASE_CHARS} are needed"
        )));
    }
    let mut it = passphrase.chars();
    let first = it.next();
    if it.all(|c| Some(c) == first) {
        return Err(Error::InvalidKey(
            "the audit passphrase is too weak: one character repeated".into(),
        ));
    }
    Ok(())
}

/// HKDF-SHA256(salt = fixed domain string, ikm, info = "magnetar audit " ‖ purpose).
fn derive(ikm: &[u8], purpose: &[u8]) -> Zeroizing<[u8; KEY_LEN]> {
    let hk = Hkdf::<Sha256>::new(Some(HKDF_SALT), ikm);
    let mut out = Zeroizing::new([0u8; KEY_LEN]);
    // Infallible: HKDF-SHA256 can expand up to 255 * 32 bytes and we ask for 32.
    let _ = hk.expand_multi_info(&[b"magnetar audit ", purpose], out.as_mut());
    out
}

/// HMAC-SHA256 over the concatenation of `parts`.
pub(crate) fn mac(key: &[u8], parts: &[&[u8]]) -> [u8; 32] {
    let mut m = new_hmac(key);
    for p in parts {
        m.update(p);
    }
    m.finalize().into_bytes().into()
}

/// An HMAC-SHA256 instance keyed with `key`.
pub(crate) fn new_hmac(key: &[u8]) -> Hmac<Sha256> {
    crate::mac::hmac_sha256(key)
}

/// Keys derived from one master key.
pub(crate) struct MasterSubkeys {
    /// AES-256-GCM key for event fields under this key id.
    pub encryption: Zeroizing<[u8; KEY_LEN]>,
    /// AES-256-GCM key that wraps the log secret for this key id.
    pub wrapping: Zeroizing<[u8; KEY_LEN]>,
    /// HMAC(check key, constant): identifies the key without revealing it.
    pub check_value: [u8; 32],
}

/// The per-database log secret, from which index and chain keys are derived.
#[derive(Clone, Zeroize, ZeroizeOnDrop)]
pub(crate) struct LogSecret {
    bytes: [u8; KEY_LEN],
}

impl fmt::Debug for LogSecret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("LogSecret([redacted])")
    }
}

impl LogSecret {
    /// A fresh random log secret.
    pub fn generate() -> Result<Self> {
        Ok(LogSecret {
            bytes: crate::random::bytes::<KEY_LEN>()?,
        })
    }

    /// From unwrapped bytes; `None` if the length is wrong.
    pub fn from_slice(bytes: &[u8]) -> Option<Self> {
        let bytes: [u8; KEY_LEN] = bytes.try_into().ok()?;
        Some(LogSecret { bytes })
    }

    /// The raw bytes, for wrapping.
    pub fn as_bytes(&self) -> &[u8; KEY_LEN] {
        &self.bytes
    }

    /// The blind-index key for `field` (one key per indexed field, CipherSweet style, so
    /// equal values in different fields do not produce equal index values).
    pub fn index_key(&self, field: &str) -> Zeroizing<[u8; KEY_LEN]> {
        let info = [b"blind-index ".as_slice(), field.as_bytes()].concat();
        derive(&self.bytes, &info)
    }

    /// The key of the per-event salts in the Merkle tree's leaves (see
    /// `super::tree::salt`).
    pub fn leaf_salt_key(&self) -> Zeroizing<[u8; KEY_LEN]> {
        derive(&self.bytes, b"leaf salt")
    }

    /// The chain key.
    pub fn chain_key(&self) -> Zeroizing<[u8; KEY_LEN]> {
        derive(&self.bytes, b"chain")
    }
}

#[cfg(test)]
mod tests {

    #[test]
    fn the_hex_form_round_trips_and_a_generated_key_parses() {
        let key = AuditKey::from_bytes(&sample()).unwrap();
        let hex = key.to_hex();
        assert_eq!(hex.len(), 64);
        assert!(
            hex.bytes()
                .all(|b| b.is_ascii_hexdigit() && !b.is_ascii_uppercase())
        );
        assert_eq!(AuditKey::from_hex(&hex).unwrap().bytes, key.bytes);
        let generated = AuditKey::generate_hex().unwrap();
        assert_eq!(AuditKey::parse(&generated).unwrap().to_hex(), generated);
        let err = AuditKey::from_hex(&format!("{}zz", &hex[..62])).unwrap_err();
        assert!(err.to_string().contains("non-hex"), "{err}");
    }
    use super::*;

    fn sample() -> [u8; 32] {
        let mut b = [0u8; 32];
        for (i, x) in b.iter_mut().enumerate() {
            *x = (i as u8).wrapping_mul(37).wrapping_add(11);
        }
        b
    }

    #[test]
    fn hex_base64_and_bytes_agree() {
        let raw = sample();
        let a = AuditKey::from_bytes(&raw).unwrap();
        let b = AuditKey::from_hex(&hex::encode(raw)).unwrap();
        let c =
            AuditKey::from_base64(&base64::engine::general_purpose::STANDARD.encode(raw)).unwrap();
        let d =
            AuditKey::from_base64(&base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(raw))
                .unwrap();
        let e = AuditKey::parse(&format!("  {}\n", hex::encode(raw))).unwrap();
        for k in [&b, &c, &d, &e] {
            assert_eq!(k.bytes, a.bytes);
        }
    }

    #[test]
    fn bad_lengths_and_weak_keys_are_rejected() {
        let err = AuditKey::from_bytes(&[7u8; 31]).unwrap_err();
        assert!(err.to_string().contains("32 bytes, got 31"), "{err}");
        let err = AuditKey::from_bytes(&[0u8; 32]).unwrap_err();
        assert!(err.to_string().contains("too weak"), "{err}");
        let pattern: Vec<u8> = (0..32).map(|i| (i % 4) as u8).collect();
        assert!(AuditKey::from_bytes(&pattern).is_err());
        assert!(AuditKey::from_hex(&"zz".repeat(32)).is_err());
        assert!(AuditKey::from_hex("abcd").is_err());
        assert!(AuditKey::from_base64("not base64!!").is_err());
        assert!(AuditKey::from_base64("AAAA").is_err());
    }

    #[test]
    fn env_errors_are_clear_and_never_echo_the_value() {
        let name = "MAGNETAR_AUDIT_KEY_TEST_UNSET_42";
        let err = AuditKey::from_env(name).unwrap_err();
        assert_eq!(err.kind(), crate::ErrorKind::InvalidKey);
        assert!(err.to_string().contains("not set"), "{err}");
        assert!(err.to_string().contains("no default"), "{err}");

        let name = "MAGNETAR_AUDIT_KEY_TEST_WEAK_42";
        // SAFETY: this variable name is used by this test only; no other thread reads it.
        unsafe { std::env::set_var(name, "hunter2hunter2") };
        let err = AuditKey::from_env(name).unwrap_err();
        assert!(!err.to_string().contains("hunter2"), "{err}");
        assert!(err.to_string().contains(name), "{err}");

        let name = "MAGNETAR_AUDIT_KEY_TEST_GOOD_42";
        // SAFETY: as above.
        unsafe { std::env::set_var(name, hex::encode(sample())) };
        assert_eq!(AuditKey::from_env(name).unwrap().bytes, sample());
    }

    #[test]
    fn debug_is_redacted() {
        let k = AuditKey::from_bytes(&sample()).unwrap();
        assert_eq!(format!("{k:?}"), "AuditKey([redacted])");
        let s = LogSecret::generate().unwrap();
        assert_eq!(format!("{s:?}"), "LogSecret([redacted])");
    }

    #[test]
    fn passphrase_rules() {
        let salt = [9u8; 16];
        assert!(AuditKey::from_passphrase_fast("short", &salt).is_err());
        assert!(AuditKey::from_passphrase_fast("aaaaaaaaaaaaaaaa", &salt).is_err());
        assert!(AuditKey::from_passphrase_fast("correct horse battery", &salt[..8]).is_err());
        let a = AuditKey::from_passphrase_fast("correct horse battery", &salt).unwrap();
        let b = AuditKey::from_passphrase_fast("correct horse battery", &salt).unwrap();
        let c = AuditKey::from_passphrase_fast("correct horse battery", &[8u8; 16]).unwrap();
        assert_eq!(a.bytes, b.bytes);
        assert_ne!(a.bytes, c.bytes);
    }

    #[test]
    fn pbkdf2_matches_rfc7914_vector() {
        // RFC 7914 section 11: PBKDF2-HMAC-SHA256, P="passwd", S="salt", c=1, dkLen=64
        // (first 32 bytes). Checks we call PBKDF2 with HMAC-SHA256 and the bytes given.
        let mut out = [0u8; 32];
        pbkdf2::pbkdf2_hmac::<Sha256>(b"passwd", b"salt", 1, &mut out);
        assert_eq!(
            hex::encode(out),
            "55ac046e56e3089fec1691c22544b605f94185216dde0465e68b9d57c20dacbc"
        );
    }

    #[test]
    fn subkeys_are_distinct_and_deterministic() {
        let k = AuditKey::from_bytes(&sample()).unwrap();
        let s1 = k.subkeys();
        let s2 = k.subkeys();
        assert_eq!(s1.check_value, s2.check_value);
        assert_ne!(s1.encryption.as_ref(), s1.wrapping.as_ref());
        let other = AuditKey::generate().unwrap().subkeys();
        assert_ne!(other.check_value, s1.check_value);
        let secret = LogSecret::generate().unwrap();
        assert_ne!(
            secret.index_key("user_id").as_ref(),
            secret.index_key("action").as_ref()
        );
        assert_ne!(
            secret.chain_key().as_ref(),
            secret.index_key("action").as_ref()
        );
    }
}
