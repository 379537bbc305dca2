//! Parsers of the crypt(3) family: `$5$` SHA-256-crypt, `$6$` SHA-512-crypt and `$1$`
//! MD5-crypt. The derivations themselves are in [`super::kdf::crypt`].
//!
//! Digests are compared as the permuted bytes that the hash64 text encodes.

use zeroize::Zeroizing;

use super::b64;
use super::kdf::Kdf;
use super::legacy::{Legacy, Mode, split_digest};
use super::phc::parse_u32;
use super::policy::Limits;
use super::scheme::Scheme;
use crate::error::{Error, Result};

/// SHA-crypt's default when `rounds=` is absent.
const DEFAULT_ROUNDS: u32 = 5000;
/// The specification clamps rounds into this range rather than rejecting.
const ROUNDS_MIN: u32 = 1000;
const ROUNDS_MAX: u32 = 999_999_999;

fn check_salt(salt: &str, max: usize, what: &str) -> Result<()> {
    if salt.len() > max || salt.bytes().any(|b| !b.is_ascii_graphic() || b == b':') {
        return Err(Error::InvalidHash(format!(
            "{what}: salt must be at most {max} printable characters"
        )));
    }
    Ok(())
}

/// `$5$[rounds=N$]salt$digest` and `$6$...`.
pub(crate) fn parse_sha(s: &str, mode: Mode, limits: &Limits) -> Result<Legacy> {
    let sha512 = s.starts_with("$6$");
    let scheme = if sha512 {
        Scheme::Sha512Crypt
    } else {
        Scheme::Sha256Crypt
    };
    let what = scheme.name();
    let (head, digest, setting_len) = split_digest(s, mode, what)?;
    let f: Vec<&str> = head.split('$').collect();
    let (rounds, salt) = match f[..] {
        ["", _, salt] => (DEFAULT_ROUNDS, salt),
        ["", _, r, salt] => {
            let n = r
                .strip_prefix("rounds=")
                .ok_or_else(|| Error::InvalidHash(format!("{what}: expected rounds=N")))?;
            (
                parse_u32(n, what, "rounds")?.clamp(ROUNDS_MIN, ROUNDS_MAX),
                salt,
            )
        }
        _ => return Err(Error::InvalidHash(format!("{what}: malformed"))),
    };
    if rounds > limits.max_crypt_rounds {
        return Err(Error::InvalidHash(format!(
            "{what}: rounds {rounds} is above the ceiling {} (limits.max_crypt_rounds)",
            limits.max_crypt_rounds
        )));
    }
    check_salt(salt, 16, what)?;
    let n = if sha512 { 64 } else { 32 };
    let digest = match mode {
        Mode::Full => Zeroizing::new(b64::decode_hash64(digest, n, what)?),
        Mode::Setting => Zeroizing::new(Vec::new()),
    };
    Ok(Legacy {
        scheme,
        kdf: Kdf::ShaCrypt {
            sha512,
            rounds,
            salt: salt.as_bytes().to_vec(),
        },
        digest,
        setting_len,
    })
}

/// `$1$salt$digest`.
pub(crate) fn parse_md5(s: &str, mode: Mode) -> Result<Legacy> {
    let what = Scheme::Md5Crypt.name();
    let (head, digest, setting_len) = split_digest(s, mode, what)?;
    let f: Vec<&str> = head.split('$').collect();
    let ["", "1", salt] = f[..] else {
        return Err(Error::InvalidHash(format!(
            "{what}: expected $1$salt$digest"
        )));
    };
    check_salt(salt, 8, what)?;
    let digest = match mode {
        Mode::Full => Zeroizing::new(b64::decode_hash64(digest, 16, what)?),
        Mode::Setting => Zeroizing::new(Vec::new()),
    };
    Ok(Legacy {
        scheme: Scheme::Md5Crypt,
        kdf: Kdf::Md5Crypt {
            salt: salt.as_bytes().to_vec(),
        },
        digest,
        setting_len,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(h: &str, pw: &[u8]) {
        let l = Limits::default();
        let parsed = if h.starts_with("$1$") {
            parse_md5(h, Mode::Full).unwrap()
        } else {
            parse_sha(h, Mode::Full, &l).unwrap()
        };
        assert!(parsed.verify(pw, &l).unwrap(), "{h}");
        assert!(!parsed.verify(b"not it", &l).unwrap(), "{h}");
    }

    // Ulrich Drepper's specification vectors and the classic FreeBSD md5-crypt vector.
    #[test]
    fn published_vectors() {
        check(
            "$5$saltstring$5B8vYYiY.CVt1RlTTf8KbXBH3hsxY/GNooZaBBGWEc5",
            b"Hello world!",
        );
        check(
            "$5$rounds=10000$saltstringsaltst$3xv.VbSHBb41AL9AvLeujZkZRBAwqFMz2.opqey6IcA",
            b"Hello world!",
        );
        check(
            "$6$saltstring$svn8UoSVapNtMuq1ukKS4tPQd8iKwSMHWjl/O817G3uBnIFNjnQJuesI68u4OTLiBFdcbYEdFCoEOfaS35inz1",
            b"Hello world!",
        );
        check(
            "$6$rounds=1400$anotherlongsalts$POfYwTEok97VWcjxIiSOjiykti.o/pQs.wPvMxQ6Fm7I6IoYN3CmLs66x9t0oSwbtEW7o7UmJEiDwGqd8p4ur1",
            b"a very much longer text to encrypt.  This one even stretches over morethan one line.",
        );
        // rounds=10 is clamped to 1000 by the specification.
        check(
            "$5$rounds=10$roundstoolow$yfvwcWrQ8l/K0DAWyuPMDNHpIVlTQebY9l/gL972bIC",
            b"the minimum number is still observed",
        );
        check("$1$saltstri$YMyguxXMBpd2TEZ.vS/3q1", b"Hello world!");
    }

    #[test]
    fn rounds_ceiling_and_salt() {
        let l = Limits::default();
        let e = parse_sha("$6$rounds=999999999$salt$x", Mode::Full, &l).unwrap_err();
        assert!(e.to_string().contains("max_crypt_rounds"), "{e}");
        let e = parse_md5("$1$toolongsalt$YMyguxXMBpd2TEZ.vS/3q1", Mode::Full).unwrap_err();
        assert!(e.to_string().contains("salt"), "{e}");
        let e = parse_md5("$1$salt$YMyguxXMBpd2TEZ.vS/3q", Mode::Full).unwrap_err();
        assert!(e.to_string().contains("22"), "{e}");
    }
}
