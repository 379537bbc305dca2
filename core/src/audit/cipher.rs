//! AES-256-GCM encryption of single event fields, bound to their place by the AAD.
//!
//! A stored field is `nonce (12) ‖ ciphertext ‖ tag (16)`. The associated data is
//! `"magnetar-audit-field-v2" ‖ len ‖ log id ‖ len ‖ event id ‖ timestamp ‖ len ‖ field
//! name ‖ key id` with every variable part length-prefixed, so no two (log, event,
//! field, key) places share an AAD: a ciphertext copied to another row, another column,
//! another log encrypted under the same master key, or relabelled with another key id
//! fails authentication. The timestamp is bound as well, so a query that returns an
//! event also vouches for its time.
//!
//! Fields written before the log id was bound (`"magnetar-audit-field-v1"`, the same
//! without the log id) stay readable: the caller says which place a field was sealed
//! for (see `super::codec`).

use aes_gcm::aead::{AeadInPlace, KeyInit};
use aes_gcm::{Aes256Gcm, Nonce, Tag};

use crate::error::{Error, Result};

/// AES-GCM nonce length (96 bits, the only length GCM handles without extra hashing).
pub const NONCE_LEN: usize = 12;
/// AES-GCM tag length.
pub const TAG_LEN: usize = 16;
/// Bytes a stored field adds to its plaintext.
pub const OVERHEAD: usize = NONCE_LEN + TAG_LEN;

const AAD_DOMAIN_V1: &[u8] = b"magnetar-audit-field-v1";
const AAD_DOMAIN: &[u8] = b"magnetar-audit-field-v2";

/// Length of a log id.
pub const LOG_ID_LEN: usize = 16;

/// Where a field ciphertext belongs; everything here goes into the AAD.
#[derive(Debug, Clone, Copy)]
pub struct FieldPlace<'a> {
    /// The log's id; `None` for fields sealed before logs were bound (v1).
    pub log_id: Option<&'a [u8; LOG_ID_LEN]>,
    /// The event's 16-byte id.
    pub event_id: &'a [u8; 16],
    /// The event's timestamp (unix millis).
    pub timestamp: i64,
    /// The field's name (`"user_id"`, ...).
    pub field: &'a str,
    /// The key id the field is encrypted under.
    pub key_id: u32,
}

/// Room for the longest AAD: domain, log id, event id, timestamp, the longest field
/// name, key id.
const AAD_MAX: usize = 160;

/// An AAD built on the stack (one is built per field encryption and decryption, on the
/// hot path of `record` and `verify`).
pub struct Aad {
    buf: [u8; AAD_MAX],
    len: usize,
}

impl std::ops::Deref for Aad {
    type Target = [u8];
    fn deref(&self) -> &[u8] {
        &self.buf[..self.len]
    }
}

impl FieldPlace<'_> {
    /// The associated data for this place (length-prefixed, unambiguous). Field names
    /// longer than 64 bytes are cut there; ours are at most 13.
    pub fn aad(&self) -> Aad {
        let mut aad = Aad {
            buf: [0u8; AAD_MAX],
            len: 0,
        };
        let field = &self.field.as_bytes()[..self.field.len().min(64)];
        let (domain, log_len, log_id): (_, &[u8], &[u8]) = match self.log_id {
            Some(id) => (AAD_DOMAIN, &(LOG_ID_LEN as u32).to_be_bytes(), id),
            None => (AAD_DOMAIN_V1, &[], &[]),
        };
        let parts: [&[u8]; 9] = [
            domain,
            log_len,
            log_id,
            &(self.event_id.len() as u32).to_be_bytes(),
            self.event_id,
            &self.timestamp.to_be_bytes(),
            &(field.len() as u32).to_be_bytes(),
            field,
            &self.key_id.to_be_bytes(),
        ];
        for p in parts {
            aad.buf[aad.len..aad.len + p.len()].copy_from_slice(p);
            aad.len += p.len();
        }
        aad
    }
}

/// An AES-256-GCM instance for one key id. The key schedule is wiped on drop (the
/// `zeroize` feature of `aes-gcm`).
pub struct FieldCipher {
    aead: Aes256Gcm,
    key_id: u32,
    /// The log whose places this cipher seals for (`None`: v1 places, no log).
    log_id: Option<[u8; LOG_ID_LEN]>,
}

impl std::fmt::Debug for FieldCipher {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "FieldCipher {{ key_id: {}, key: [redacted] }}",
            self.key_id
        )
    }
}

impl FieldCipher {
    /// A cipher for `key_id` with the 32-byte `key`, for places not bound to a log
    /// (v1, and raw use).
    pub fn new(key: &[u8; 32], key_id: u32) -> Self {
        FieldCipher {
            aead: Aes256Gcm::new(key.into()),
            key_id,
            log_id: None,
        }
    }

    /// A cipher for `key_id` with the 32-byte `key` that seals fields for the log
    /// `log_id` (v2 places).
    pub fn for_log(key: &[u8; 32], key_id: u32, log_id: [u8; LOG_ID_LEN]) -> Self {
        FieldCipher {
            log_id: Some(log_id),
            ..Self::new(key, key_id)
        }
    }

    fn place<'a>(
        &'a self,
        bound: bool,
        event_id: &'a [u8; 16],
        timestamp: i64,
        field: &'a str,
    ) -> Aad {
        FieldPlace {
            log_id: self.log_id.as_ref().filter(|_| bound),
            event_id,
            timestamp,
            field,
            key_id: self.key_id,
        }
        .aad()
    }

    /// The key id this cipher encrypts under.
    pub fn key_id(&self) -> u32 {
        self.key_id
    }

    /// Encrypts `plaintext` for `event_id`/`timestamp`/`field` under a caller-supplied
    /// fresh random `nonce`, appending `nonce ‖ ciphertext ‖ tag` to `out`.
    pub fn encrypt_into(
        &self,
        event_id: &[u8; 16],
        timestamp: i64,
        field: &str,
        nonce: &[u8; NONCE_LEN],
        plaintext: &[u8],
        out: &mut Vec<u8>,
    ) -> Result<()> {
        let aad = self.place(true, event_id, timestamp, field);
        let start = out.len();
        out.extend_from_slice(nonce);
        out.extend_from_slice(plaintext);
        let tag = self
            .aead
            .encrypt_in_place_detached(
                Nonce::from_slice(nonce),
                &aad,
                &mut out[start + NONCE_LEN..],
            )
            .map_err(|_| {
                Error::InvalidInput(format!("audit field {field} is too long to encrypt"))
            })?;
        out.extend_from_slice(&tag);
        Ok(())
    }

    /// Decrypts a stored field sealed by this cipher's `encrypt_into`. `None` when it
    /// fails authentication (modified, truncated, or moved from another log, event,
    /// field or key id).
    pub fn decrypt(
        &self,
        event_id: &[u8; 16],
        timestamp: i64,
        field: &str,
        stored: &[u8],
    ) -> Option<Vec<u8>> {
        let mut out = Vec::new();
        self.decrypt_into(true, event_id, timestamp, field, stored, &mut out)
            .then_some(out)
    }

    /// [`FieldCipher::decrypt`] into `out` (cleared first), so a caller decrypting many
    /// fields reuses one buffer. `bound`: the field was sealed for this cipher's log
    /// (`false`: a v1 field, sealed before logs were bound). Returns `false` when the
    /// field fails authentication; `out` then holds no plaintext (it is cleared).
    pub fn decrypt_into(
        &self,
        bound: bool,
        event_id: &[u8; 16],
        timestamp: i64,
        field: &str,
        stored: &[u8],
        out: &mut Vec<u8>,
    ) -> bool {
        out.clear();
        if stored.len() < OVERHEAD {
            return false;
        }
        let (nonce, rest) = stored.split_at(NONCE_LEN);
        let (ct, tag) = rest.split_at(rest.len() - TAG_LEN);
        let aad = self.place(bound, event_id, timestamp, field);
        out.extend_from_slice(ct);
        let ok = self
            .aead
            .decrypt_in_place_detached(
                Nonce::from_slice(nonce),
                &aad,
                out.as_mut_slice(),
                Tag::from_slice(tag),
            )
            .is_ok();
        if !ok {
            out.clear();
        }
        ok
    }

    /// Raw AES-256-GCM with caller-chosen nonce and AAD, returning `ciphertext ‖ tag`;
    /// used to wrap the log secret and to check the AES-GCM layer against published
    /// vectors.
    pub fn seal_raw(
        &self,
        nonce: &[u8; NONCE_LEN],
        aad: &[u8],
        plaintext: &[u8],
    ) -> Result<Vec<u8>> {
        let mut buf = plaintext.to_vec();
        let tag = self
            .aead
            .encrypt_in_place_detached(Nonce::from_slice(nonce), aad, &mut buf)
            .map_err(|_| Error::InvalidInput("plaintext too long for AES-GCM".into()))?;
        buf.extend_from_slice(&tag);
        Ok(buf)
    }

    /// Inverse of [`FieldCipher::seal_raw`]; `None` on authentication failure.
    pub fn open_raw(&self, nonce: &[u8; NONCE_LEN], aad: &[u8], sealed: &[u8]) -> Option<Vec<u8>> {
        if sealed.len() < TAG_LEN {
            return None;
        }
        let (ct, tag) = sealed.split_at(sealed.len() - TAG_LEN);
        let mut buf = ct.to_vec();
        self.aead
            .decrypt_in_place_detached(
                Nonce::from_slice(nonce),
                aad,
                &mut buf,
                Tag::from_slice(tag),
            )
            .ok()?;
        Some(buf)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cipher(id: u32) -> FieldCipher {
        FieldCipher::new(&[0x42; 32], id)
    }

    #[test]
    fn round_trip_and_binding() {
        let c = cipher(1);
        let id = [1u8; 16];
        let mut out = Vec::new();
        c.encrypt_into(&id, 5, "user_id", &[3; 12], b"alice", &mut out)
            .unwrap();
        assert_eq!(out.len(), 5 + OVERHEAD);
        assert_eq!(c.decrypt(&id, 5, "user_id", &out).unwrap(), b"alice");
        // Another event, field, timestamp or key id: authentication fails.
        assert!(c.decrypt(&[2u8; 16], 5, "user_id", &out).is_none());
        assert!(c.decrypt(&id, 5, "action", &out).is_none());
        assert!(c.decrypt(&id, 6, "user_id", &out).is_none());
        assert!(cipher(2).decrypt(&id, 5, "user_id", &out).is_none());
        // Any flipped bit, or truncation.
        for i in 0..out.len() {
            let mut bad = out.clone();
            bad[i] ^= 0x01;
            assert!(
                c.decrypt(&id, 5, "user_id", &bad).is_none(),
                "bit flip at {i}"
            );
        }
        assert!(c.decrypt(&id, 5, "user_id", &out[..OVERHEAD - 1]).is_none());
    }

    #[test]
    fn fields_are_bound_to_their_log() {
        let key = [0x42; 32];
        let (a, b) = (
            FieldCipher::for_log(&key, 1, [1; 16]),
            FieldCipher::for_log(&key, 1, [2; 16]),
        );
        let id = [1u8; 16];
        let mut out = Vec::new();
        a.encrypt_into(&id, 5, "user_id", &[3; 12], b"alice", &mut out)
            .unwrap();
        assert_eq!(a.decrypt(&id, 5, "user_id", &out).unwrap(), b"alice");
        // Another log with the same key, or read as an unbound (v1) field: refused.
        assert!(b.decrypt(&id, 5, "user_id", &out).is_none());
        let mut plain = Vec::new();
        assert!(!a.decrypt_into(false, &id, 5, "user_id", &out, &mut plain));
        // A v1 field (sealed without a log) opens only as one.
        let mut v1 = Vec::new();
        cipher(1)
            .encrypt_into(&id, 5, "user_id", &[3; 12], b"alice", &mut v1)
            .unwrap();
        assert!(a.decrypt_into(false, &id, 5, "user_id", &v1, &mut plain));
        assert_eq!(plain, b"alice");
        assert!(a.decrypt(&id, 5, "user_id", &v1).is_none());
    }

    #[test]
    fn aad_is_unambiguous() {
        let id = [0u8; 16];
        let a = FieldPlace {
            log_id: None,
            event_id: &id,
            timestamp: 0,
            field: "ab",
            key_id: 1,
        }
        .aad();
        let b = FieldPlace {
            log_id: None,
            event_id: &id,
            timestamp: 0,
            field: "a",
            key_id: 1,
        }
        .aad();
        assert_ne!(&*a, &*b);
        assert_ne!(a[..a.len() - 4], *b);
    }

    #[test]
    fn debug_is_redacted() {
        assert_eq!(
            format!("{:?}", cipher(7)),
            "FieldCipher { key_id: 7, key: [redacted] }"
        );
    }
}
