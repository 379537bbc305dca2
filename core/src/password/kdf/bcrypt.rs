//! bcrypt as the legacy formats use it: the scheme's pre-hash, OpenBSD's 72-byte key
//! rule, and the 23 bytes of output a stored hash keeps.

use base64::Engine as _;
use zeroize::Zeroizing;

use super::{Hash, Prehash};
use crate::mac::hmac_sha256_of;

/// Bytes of bcrypt's output that the hash keeps.
pub(crate) const OUTPUT_LEN: usize = 23;

/// bcrypt's 23-byte output for `password` after the scheme's pre-hash.
pub(crate) fn derive(
    cost: u32,
    salt: &[u8; 16],
    prehash: &Prehash,
    password: &[u8],
) -> Zeroizing<Vec<u8>> {
    let b64 = |d: &[u8]| {
        Zeroizing::new(
            base64::engine::general_purpose::STANDARD
                .encode(d)
                .into_bytes(),
        )
    };
    let input: Zeroizing<Vec<u8>> = match prehash {
        Prehash::None => Zeroizing::new(password.to_vec()),
        Prehash::PasslibV1 => b64(&Hash::Sha256.digest(&[password])),
        Prehash::PasslibV2 { salt_text } => b64(&hmac_sha256_of(salt_text.as_bytes(), password)),
        Prehash::DjangoHexSha256 => {
            Zeroizing::new(hex::encode(Hash::Sha256.digest(&[password])).into_bytes())
        }
    };
    // The key is the NUL-terminated password, cut at 72 bytes (losing the NUL when the
    // password is 72 bytes or more): OpenBSD's behaviour.
    let mut key = Zeroizing::new([0u8; 72]);
    let n = input.len().min(72);
    key[..n].copy_from_slice(&input[..n]);
    let used = (n + 1).min(72);
    // `bcrypt::bcrypt` asserts cost < 32 and 1..=72 key bytes: parse() rejected any
    // cost above 31 and `used` is in 1..=72.
    let out = Zeroizing::new(::bcrypt::bcrypt(cost, *salt, &key[..used]));
    Zeroizing::new(out[..OUTPUT_LEN].to_vec())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn truncates_at_72_bytes() {
        let salt = [7u8; 16];
        let a = derive(4, &salt, &Prehash::None, &[b'x'; 72]);
        let b = derive(4, &salt, &Prehash::None, &[b'x'; 100]);
        let c = derive(4, &salt, &Prehash::None, &[b'x'; 71]);
        assert_eq!(a, b);
        assert_ne!(a, c);
    }
}
