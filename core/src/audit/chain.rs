//! The HMAC chain that makes deletion, reordering, insertion and editing detectable.
//!
//! For event `seq` with content digest `d`:
//!
//! ```text
//! d        = SHA-256("magnetar-audit-event-v1" ‖ event id ‖ timestamp ‖
//!                    for each field in FIELDS order: len ‖ presence ‖ plaintext)
//! chain[0] = HMAC(chain key, "genesis" ‖ log id)
//! chain[s] = HMAC(chain key, "link" ‖ chain[s-1] ‖ seq ‖ d)
//! ```
//!
//! The digest covers **plaintext** values, not ciphertexts: re-encryption under a new key
//! changes every ciphertext and nonce but leaves the chain, and so every head the host
//! recorded, valid. Ciphertext integrity is checked separately by AES-GCM (whose AAD also
//! binds the key id), so `verify()` decrypts every field anyway. The chain key comes
//! from the log secret and survives rotation.
//!
//! After a purge the chain restarts from an **anchor** (seq and chain value of the last
//! purged event), stored with `HMAC(chain key, "anchor" ‖ seq ‖ chain)` so that an
//! attacker without the key cannot move it.

use hmac::{Hmac, Mac};
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

use super::key::{LogSecret, new_hmac};

/// A chain value.
pub type ChainValue = [u8; 32];

/// Keyed chain operations.
#[derive(Clone)]
pub struct Chain {
    mac: Hmac<Sha256>,
}

impl std::fmt::Debug for Chain {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Chain([redacted])")
    }
}

impl Chain {
    /// The chain for the log secret.
    pub fn new(secret: &LogSecret) -> Self {
        Chain {
            mac: new_hmac(secret.chain_key().as_ref()),
        }
    }

    fn mac(&self, parts: &[&[u8]]) -> ChainValue {
        let mut m = self.mac.clone();
        for p in parts {
            m.update(p);
        }
        m.finalize().into_bytes().into()
    }

    /// The value before the first event of a log with this id.
    pub fn genesis(&self, log_id: &[u8]) -> ChainValue {
        self.mac(&[b"genesis", log_id])
    }

    /// The chain value of event `seq` with digest `digest`, following `prev`.
    pub fn link(&self, prev: &ChainValue, seq: u64, digest: &[u8; 32]) -> ChainValue {
        self.mac(&[b"link", prev, &seq.to_be_bytes(), digest])
    }

    /// The MAC protecting the end of the lookup table (see `super::store::lookup_end`).
    pub fn lookup_end_mac(&self, end: u64) -> [u8; 32] {
        self.mac(&[b"lookup-end", &end.to_be_bytes()])
    }

    /// The MAC protecting the seq from which fields are sealed for the log (see
    /// `super::codec::Keyring::legacy_before`).
    pub fn bound_from_mac(&self, seq: u64) -> [u8; 32] {
        self.mac(&[b"bound-from", &seq.to_be_bytes()])
    }

    /// The MAC protecting the end of the Merkle tree (see `super::tree::end`).
    pub fn tree_end_mac(&self, size: u64, root: &[u8; 32]) -> [u8; 32] {
        self.mac(&[b"tree-end", &size.to_be_bytes(), root])
    }

    /// The MAC protecting a purge anchor.
    pub fn anchor_mac(&self, seq: u64, chain: &ChainValue) -> [u8; 32] {
        self.mac(&[b"anchor", &seq.to_be_bytes(), chain])
    }
}

/// Constant-time equality of two MACs (a stored value may be any length).
pub fn mac_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && bool::from(a.ct_eq(b))
}

/// Incremental builder of an event's content digest.
pub struct EventDigest {
    hasher: Sha256,
}

impl EventDigest {
    /// Starts the digest of event `event_id` at `timestamp`.
    pub fn new(event_id: &[u8; 16], timestamp: i64) -> Self {
        let mut hasher = Sha256::new();
        hasher.update(b"magnetar-audit-event-v1");
        hasher.update(event_id);
        hasher.update(timestamp.to_be_bytes());
        EventDigest { hasher }
    }

    /// Adds the next field's stored plaintext (`presence ‖ value`, see `super::codec`).
    pub fn field(&mut self, plaintext: &[u8]) {
        self.hasher.update((plaintext.len() as u32).to_be_bytes());
        self.hasher.update(plaintext);
    }

    /// The digest.
    pub fn finish(self) -> [u8; 32] {
        self.hasher.finalize().into()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn links_depend_on_every_input() {
        let c = Chain::new(&LogSecret::generate().unwrap());
        let g = c.genesis(b"log");
        assert_ne!(g, c.genesis(b"other log"));
        let d = [1u8; 32];
        let l = c.link(&g, 1, &d);
        assert_ne!(l, c.link(&g, 2, &d));
        assert_ne!(l, c.link(&l, 1, &d));
        assert_ne!(l, c.link(&g, 1, &[2u8; 32]));
        let other = Chain::new(&LogSecret::generate().unwrap());
        assert_ne!(l, other.link(&g, 1, &d));
        assert!(mac_eq(&l, &c.link(&g, 1, &d)));
        assert!(!mac_eq(&l, &l[..31]));
    }

    #[test]
    fn digest_is_unambiguous() {
        let id = [7u8; 16];
        let mut a = EventDigest::new(&id, 1);
        a.field(b"\x01ab");
        a.field(b"\x01c");
        let mut b = EventDigest::new(&id, 1);
        b.field(b"\x01a");
        b.field(b"\x01bc");
        assert_ne!(a.finish(), b.finish());
    }
}
