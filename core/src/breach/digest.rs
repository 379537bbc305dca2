//! The password digests the corpus is keyed by: SHA-1 of the UTF-8 bytes, or NTLM
//! (MD4 of the UTF-16LE encoding). Both are secrets here: anyone holding one can run a
//! dictionary attack on it, so they live in zeroizing buffers and are never logged.

use md4::Md4;
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
    let mut out = Zeroizing::new([0u8; 16]);
    out.copy_from_slice(&Md4::digest(&*utf16));
    out
}

#[cfg(test)]
mod tests {
    use super::*;

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
        // NTLM of the empty password is MD4 of no bytes (RFC 1320's first vector).
        let empty = HashKind::Ntlm.digest("");
        assert_eq!(*upper_hex(&empty[..16]), "31D6CFE0D16AE931B73C59D7E0C089C0");
    }
}
