//! The password digests the corpus is keyed by: SHA-1 of the UTF-8 bytes, or NTLM
//! (MD4 of the UTF-16LE encoding). Both are secrets here: anyone holding one can run a
//! dictionary attack on it, so they live in zeroizing buffers and are never logged.

use sha1::{Digest, Sha1};
use zeroize::Zeroizing;

/// Which hash a corpus, index or range query uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum HashKind {
    /// SHA-1 of the UTF-8 password: 20 bytes, 40 hex digits (the default corpus).
    Sha1,
    /// NTLM: MD4 of the UTF-16LE password: 16 bytes, 32 hex digits.
    Ntlm,
}

impl HashKind {
    /// Digest length in bytes.
    pub fn digest_len(self) -> usize {
        match self {
            HashKind::Sha1 => 20,
            HashKind::Ntlm => 16,
        }
    }

    /// Digest length in hex digits.
    pub fn hex_len(self) -> usize {
        self.digest_len() * 2
    }

    /// The digest of `password`, zero-padded to 20 bytes for NTLM.
    pub(crate) fn digest(self, password: &str) -> Zeroizing<[u8; 20]> {
        let mut out = Zeroizing::new([0u8; 20]);
        match self {
            HashKind::Sha1 => out.copy_from_slice(&Sha1::digest(password.as_bytes())),
            HashKind::Ntlm => out[..16].copy_from_slice(&*ntlm(password)),
        }
        out
    }
}

/// Uppercase hex of the first `len` bytes of `digest`, in a zeroizing string.
pub(crate) fn upper_hex(digest: &[u8]) -> Zeroizing<String> {
    const HEX: &[u8; 16] = b"0123456789ABCDEF";
    let mut out = Zeroizing::new(String::with_capacity(digest.len() * 2));
    for &b in digest {
        out.push(char::from(HEX[usize::from(b >> 4)]));
        out.push(char::from(HEX[usize::from(b & 15)]));
    }
    out
}

/// NTLM hash: MD4 over the UTF-16LE encoding of the password.
fn ntlm(password: &str) -> Zeroizing<[u8; 16]> {
    let mut utf16 = Zeroizing::new(Vec::with_capacity(password.len() * 2));
    for unit in password.encode_utf16() {
        utf16.extend_from_slice(&unit.to_le_bytes());
    }
    md4(&utf16)
}

/// MD4 (RFC 1320). Implemented here because NTLM needs it and no MD4 crate is in the
/// dependency set; it is only used to form range queries, never for security.
fn md4(message: &[u8]) -> Zeroizing<[u8; 16]> {
    let mut state: [u32; 4] = [0x6745_2301, 0xefcd_ab89, 0x98ba_dcfe, 0x1032_5476];
    let bit_len = (message.len() as u64).wrapping_mul(8);
    let mut padded = Zeroizing::new(message.to_vec());
    padded.push(0x80);
    while padded.len() % 64 != 56 {
        padded.push(0);
    }
    padded.extend_from_slice(&bit_len.to_le_bytes());
    let f = |x: u32, y: u32, z: u32| (x & y) | (!x & z);
    let g = |x: u32, y: u32, z: u32| (x & y) | (x & z) | (y & z);
    let h = |x: u32, y: u32, z: u32| x ^ y ^ z;
    for block in padded.chunks_exact(64) {
        let mut x = [0u32; 16];
        for (word, bytes) in x.iter_mut().zip(block.chunks_exact(4)) {
            *word = u32::from_le_bytes([bytes[0], bytes[1], bytes[2], bytes[3]]);
        }
        let [mut a, mut b, mut c, mut d] = state;
        for &i in &[0usize, 4, 8, 12] {
            a = a.wrapping_add(f(b, c, d)).wrapping_add(x[i]).rotate_left(3);
            d = d
                .wrapping_add(f(a, b, c))
                .wrapping_add(x[i + 1])
                .rotate_left(7);
            c = c
                .wrapping_add(f(d, a, b))
                .wrapping_add(x[i + 2])
                .rotate_left(11);
            b = b
                .wrapping_add(f(c, d, a))
                .wrapping_add(x[i + 3])
                .rotate_left(19);
        }
        for &i in &[0usize, 1, 2, 3] {
            let k = 0x5a82_7999u32;
            a = a
                .wrapping_add(g(b, c, d))
                .wrapping_add(x[i])
                .wrapping_add(k)
                .rotate_left(3);
            d = d
                .wrapping_add(g(a, b, c))
                .wrapping_add(x[i + 4])
                .wrapping_add(k)
                .rotate_left(5);
            c = c
                .wrapping_add(g(d, a, b))
                .wrapping_add(x[i + 8])
                .wrapping_add(k)
                .rotate_left(9);
            b = b
                .wrapping_add(g(c, d, a))
                .wrapping_add(x[i + 12])
                .wrapping_add(k)
                .rotate_left(13);
        }
        for &i in &[0usize, 2, 1, 3] {
            let k = 0x6ed9_eba1u32;
            a = a
                .wrapping_add(h(b, c, d))
                .wrapping_add(x[i])
                .wrapping_add(k)
                .rotate_left(3);
            d = d
                .wrapping_add(h(a, b, c))
                .wrapping_add(x[i + 8])
                .wrapping_add(k)
                .rotate_left(9);
            c = c
                .wrapping_add(h(d, a, b))
                .wrapping_add(x[i + 4])
                .wrapping_add(k)
                .rotate_left(11);
            b = b
                .wrapping_add(h(c, d, a))
                .wrapping_add(x[i + 12])
                .wrapping_add(k)
                .rotate_left(15);
        }
        state[0] = state[0].wrapping_add(a);
        state[1] = state[1].wrapping_add(b);
        state[2] = state[2].wrapping_add(c);
        state[3] = state[3].wrapping_add(d);
        x.iter_mut().for_each(|w| *w = 0);
    }
    let mut out = Zeroizing::new([0u8; 16]);
    for (chunk, word) in out.chunks_exact_mut(4).zip(state) {
        chunk.copy_from_slice(&word.to_le_bytes());
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn md4_rfc1320_vectors() {
        for (input, hex) in [
            ("", "31D6CFE0D16AE931B73C59D7E0C089C0"),
            ("abc", "A448017AAF21D8525FC10AE87AA6729D"),
            ("message digest", "D9130A8164549FE818874806E1C7014B"),
            (
                "12345678901234567890123456789012345678901234567890123456789012345678901234567890",
                "E33B4DDC9C38F2199C3E7B164FCC0536",
            ),
        ] {
            assert_eq!(*upper_hex(&*md4(input.as_bytes())), hex, "{input}");
        }
    }

    #[test]
    fn known_password_digests() {
        let sha1 = HashKind::Sha1.digest("password");
        assert_eq!(
            *upper_hex(&*sha1),
            "5BAA61E4C9B93F3F0682250B6CF8331B7EE68FD8"
        );
        let ntlm = HashKind::Ntlm.digest("password");
        assert_eq!(*upper_hex(&ntlm[..16]), "8846F7EAEE8FB117AD06BDD830B7586C");
        assert_eq!(&ntlm[16..], &[0u8; 4]);
    }
}
