//! The one place that builds HMACs: every keyed MAC in core (audit chain and blind
//! indexes, key wrapping checks, the breach cache key, session fingerprints, passlib's
//! bcrypt pre-hash) is HMAC-SHA256 made here.

use hmac::{Hmac, KeyInit, Mac};
use sha2::Sha256;
use zeroize::Zeroizing;

/// HMAC-SHA256, as core uses it everywhere.
pub(crate) type HmacSha256 = Hmac<Sha256>;

/// An HMAC-SHA256 instance keyed with `key`. Infallible: HMAC accepts keys of any
/// length (longer ones are hashed first, shorter ones padded).
pub(crate) fn hmac_sha256(key: &[u8]) -> HmacSha256 {
    match <HmacSha256 as KeyInit>::new_from_slice(key) {
        Ok(mac) => mac,
        Err(_) => unreachable!("HMAC accepts keys of any length"),
    }
}

/// HMAC-SHA256 of `msg` under `key`, zeroized on drop (for MACs that stand in for a
/// secret, such as a pre-hashed password).
pub(crate) fn hmac_sha256_of(key: &[u8], msg: &[u8]) -> Zeroizing<Vec<u8>> {
    let mut mac = hmac_sha256(key);
    mac.update(msg);
    Zeroizing::new(mac.finalize().into_bytes().to_vec())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rfc4231_case_2() {
        // RFC 4231 test case 2: key "Jefe", data "what do ya want for nothing?".
        let out = hmac_sha256_of(b"Jefe", b"what do ya want for nothing?");
        assert_eq!(
            hex::encode(&*out),
            "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"
        );
        let mut long_key = hmac_sha256(&[0xaa; 131]);
        long_key.update(b"Test Using Larger Than Block-Size Key - Hash Key First");
        assert_eq!(
            hex::encode(long_key.finalize().into_bytes()),
            "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54"
        );
    }
}
