//! Blind indexes: truncated HMAC-SHA256 of a field value, for equality search without
//! decrypting.
//!
//! Each indexed field has its own key (derived from the log secret), so the same string
//! in `user_id` and `action` gives unrelated index values.
//!
//! **Truncation: 32 bits.** The index reveals which rows share a value whatever its
//! length (that is what makes equality search possible); truncation decides two other
//! things:
//! - *False positives* cost a decryption each and are filtered out after decrypting. With
//!   `U` distinct values, a query meets on average `(U - 1) / 2^32` other values sharing
//!   its index: 0.0002 at a million distinct users, so a query by user decrypts only the
//!   rows it returns.
//! - *Leakage if the index key is ever exposed* (the key itself is never stored): an
//!   attacker hashing a dictionary can confirm a guess only up to `D / 2^32` other
//!   candidates for a dictionary of `D` values; for a dictionary of 10^10 e-mail
//!   addresses that is about two candidates per index value, so the index is not an
//!   exact oracle.
//!
//! CipherSweet's rule of thumb (2 <= coincidences <= sqrt(rows)) would choose about 19
//! bits for a million rows; that makes every user query decrypt and discard thousands of
//! rows per million events, which misses the 10 ms query target by orders of magnitude, and
//! buys nothing against an attacker without the index key. We keep 32 bits and state the
//! trade-off here and in `docs/bench/audit.md`.

use hmac::{Hmac, Mac};
use sha2::Sha256;

use super::key::{LogSecret, new_hmac};

/// Bits kept from the HMAC (see the module documentation); at most 32.
pub const INDEX_BITS: u32 = 32;

/// The blind index for one field.
#[derive(Clone)]
pub struct BlindIndex {
    mac: Hmac<Sha256>,
}

impl std::fmt::Debug for BlindIndex {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("BlindIndex([redacted])")
    }
}

impl BlindIndex {
    /// The index for `field`, keyed from the log secret.
    pub fn new(secret: &LogSecret, field: &str) -> Self {
        let key = secret.index_key(field);
        BlindIndex {
            mac: new_hmac(key.as_ref()),
        }
    }

    /// The index value of `value`: the first 32 bits of HMAC-SHA256, as a non-negative
    /// SQLite integer.
    pub fn compute(&self, value: &str) -> i64 {
        self.compute_bytes(value.as_bytes())
    }

    /// [`BlindIndex::compute`] of a value's bytes (`verify()` has decrypted plaintexts,
    /// not strings).
    pub fn compute_bytes(&self, value: &[u8]) -> i64 {
        let mut m = self.mac.clone();
        m.update(value);
        let out = m.finalize().into_bytes();
        i64::from(u32::from_be_bytes([out[0], out[1], out[2], out[3]]) >> (32 - INDEX_BITS))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn deterministic_per_key_and_field() {
        let s = LogSecret::generate().unwrap();
        let users = BlindIndex::new(&s, "user_id");
        let actions = BlindIndex::new(&s, "action");
        assert_eq!(users.compute("alice"), users.compute("alice"));
        assert_ne!(users.compute("alice"), users.compute("bob"));
        assert_ne!(users.compute("alice"), actions.compute("alice"));
        let other = BlindIndex::new(&LogSecret::generate().unwrap(), "user_id");
        assert_ne!(users.compute("alice"), other.compute("alice"));
        let v = users.compute("x");
        assert!((0..=i64::from(u32::MAX)).contains(&v));
    }
}
