//! The text encodings found inside stored hashes.
//!
//! Each format picked its own base64 dialect; decoding is lenient about the unused low
//! bits of the last character (the decoded bytes are what gets compared) and strict about
//! everything else.

use base64::Engine as _;
use base64::alphabet;
use base64::engine::{DecodePaddingMode, GeneralPurpose, GeneralPurposeConfig};

use crate::error::{Error, Result};

const LENIENT_NO_PAD: GeneralPurposeConfig = GeneralPurposeConfig::new()
    .with_encode_padding(false)
    .with_decode_allow_trailing_bits(true)
    .with_decode_padding_mode(DecodePaddingMode::RequireNone);

/// Standard alphabet without padding: PHC strings (Argon2, passlib scrypt).
const STD_NO_PAD: GeneralPurpose = GeneralPurpose::new(&alphabet::STANDARD, LENIENT_NO_PAD);

/// Standard alphabet, padding optional: Django's `base64.b64encode` output.
const STD_ANY_PAD: GeneralPurpose = GeneralPurpose::new(
    &alphabet::STANDARD,
    GeneralPurposeConfig::new()
        .with_decode_allow_trailing_bits(true)
        .with_decode_padding_mode(DecodePaddingMode::Indifferent),
);

/// bcrypt's alphabet (`./A-Za-z0-9`), no padding.
const BCRYPT: GeneralPurpose = GeneralPurpose::new(&alphabet::BCRYPT, LENIENT_NO_PAD);

/// The crypt(3) "hash64" alphabet, least significant bits first.
const HASH64: &[u8; 64] = b"./0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";

fn bad(what: &str, field: &str) -> Error {
    Error::InvalidHash(format!("{what}: {field} is not valid base64"))
}

/// Encodes with the standard alphabet and no padding (PHC).
pub(crate) fn encode_std(bytes: &[u8]) -> String {
    STD_NO_PAD.encode(bytes)
}

/// Decodes the standard alphabet without padding (PHC).
pub(crate) fn decode_std(s: &str, what: &str, field: &str) -> Result<Vec<u8>> {
    STD_NO_PAD.decode(s).map_err(|_| bad(what, field))
}

/// Decodes the standard alphabet with or without padding (Django).
pub(crate) fn decode_std_padded(s: &str, what: &str, field: &str) -> Result<Vec<u8>> {
    STD_ANY_PAD.decode(s).map_err(|_| bad(what, field))
}

/// Decodes passlib's "adapted base64": standard alphabet with `.` for `+`, no padding.
pub(crate) fn decode_ab64(s: &str, what: &str, field: &str) -> Result<Vec<u8>> {
    if s.contains('+') {
        return Err(bad(what, field));
    }
    STD_NO_PAD
        .decode(s.replace('.', "+"))
        .map_err(|_| bad(what, field))
}

/// Decodes bcrypt's alphabet into exactly `N` bytes.
pub(crate) fn decode_bcrypt<const N: usize>(s: &str, what: &str, field: &str) -> Result<[u8; N]> {
    let mut out = [0u8; N];
    // bcrypt fields have fixed lengths: 22 characters for 16 bytes, 31 for 23.
    if s.len() != (N * 4).div_ceil(3) {
        return Err(Error::InvalidHash(format!(
            "{what}: {field} must be {} characters, found {}",
            (N * 4).div_ceil(3),
            s.len()
        )));
    }
    let n = BCRYPT
        .decode_slice(s, &mut out)
        .map_err(|_| bad(what, field))?;
    if n != N {
        return Err(bad(what, field));
    }
    Ok(out)
}

/// Encodes with crypt(3)'s hash64: each 3-byte group `b0 b1 b2` is read as the 24-bit
/// little-endian integer `b0 | b1 << 8 | b2 << 16` and written 6 bits at a time, lowest
/// first. Callers permute the digest first, as each crypt scheme specifies.
#[cfg(test)]
pub(crate) fn encode_hash64(bytes: &[u8]) -> String {
    let mut out = String::with_capacity(bytes.len().div_ceil(3) * 4);
    for chunk in bytes.chunks(3) {
        let mut w = 0u32;
        for (i, b) in chunk.iter().enumerate() {
            w |= u32::from(*b) << (8 * i);
        }
        for _ in 0..=chunk.len() {
            out.push(char::from(HASH64[(w & 0x3f) as usize]));
            w >>= 6;
        }
    }
    out
}

/// Decodes crypt(3)'s hash64 (see [`encode_hash64`]) into exactly `n` bytes.
pub(crate) fn decode_hash64(s: &str, n: usize, what: &str) -> Result<Vec<u8>> {
    let expected_chars = n / 3 * 4 + if n.is_multiple_of(3) { 0 } else { n % 3 + 1 };
    if s.len() != expected_chars {
        return Err(Error::InvalidHash(format!(
            "{what}: checksum must be {expected_chars} characters, found {}",
            s.len()
        )));
    }
    let mut out = Vec::with_capacity(n);
    for chunk in s.as_bytes().chunks(4) {
        let mut w = 0u32;
        for (i, c) in chunk.iter().enumerate() {
            let v = HASH64
                .iter()
                .position(|a| a == c)
                .ok_or_else(|| bad(what, "checksum"))?;
            w |= (v as u32) << (6 * i);
        }
        for i in 0..chunk.len() - 1 {
            out.push((w >> (8 * i)) as u8);
        }
    }
    Ok(out)
}

/// Decodes hexadecimal, either case.
pub(crate) fn decode_hex(s: &str, what: &str, field: &str) -> Result<Vec<u8>> {
    hex::decode(s).map_err(|_| Error::InvalidHash(format!("{what}: {field} is not valid hex")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hash64_round_trips_every_length() {
        for n in 0..20 {
            let bytes: Vec<u8> = (0..n as u8).map(|b| b.wrapping_mul(37)).collect();
            let s = encode_hash64(&bytes);
            assert_eq!(decode_hash64(&s, n, "t").unwrap(), bytes);
        }
    }

    #[test]
    fn ab64_rejects_plus_and_maps_dot() {
        assert!(decode_ab64("a+bc", "t", "salt").is_err());
        assert_eq!(decode_ab64("..", "t", "salt").unwrap(), vec![0xfb]);
    }

    #[test]
    fn bcrypt_fields_have_fixed_lengths() {
        assert!(decode_bcrypt::<16>("abc", "t", "salt").is_err());
        assert!(decode_bcrypt::<16>("......................", "t", "salt").is_ok());
        assert!(decode_bcrypt::<16>("....................!.", "t", "salt").is_err());
    }
}
