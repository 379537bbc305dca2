//! PBKDF2 in its three stored dialects: passlib (`$pbkdf2-sha256$rounds$salt$checksum`,
//! adapted base64), Django (`pbkdf2_sha256$iterations$salt$base64`, the salt text is the
//! salt) and Werkzeug (`pbkdf2:sha256[:iterations]$salt$hex`).

use super::b64;
use super::kdf::{Hash, Kdf};
use super::legacy::{Legacy, Mode, check_len, digest_bytes, split_digest};
use super::phc::parse_u32;
use super::policy::Limits;
use super::scheme::Scheme;
use crate::error::{Error, Result};

/// Werkzeug's iteration count when a stored hash omits it (Werkzeug 3.1's default).
pub const WERKZEUG_DEFAULT_ITERATIONS: u32 = 1_000_000;

fn check_iterations(n: u32, limits: &Limits, what: &str) -> Result<u32> {
    if n == 0 {
        return Err(Error::InvalidHash(format!("{what}: zero iterations")));
    }
    if n > limits.max_pbkdf2_iterations {
        return Err(Error::InvalidHash(format!(
            "{what}: {n} iterations is above the ceiling {} (limits.max_pbkdf2_iterations)",
            limits.max_pbkdf2_iterations
        )));
    }
    Ok(n)
}

fn fields<'a, const N: usize>(head: &'a str, what: &str) -> Result<[&'a str; N]> {
    let v: Vec<&str> = head.split('$').collect();
    v.try_into().map_err(|v: Vec<&'a str>| {
        Error::InvalidHash(format!(
            "{what}: expected {} '$'-separated fields, found {}",
            N + 1,
            v.len() + 1
        ))
    })
}

/// passlib `$pbkdf2$`, `$pbkdf2-sha256$`, `$pbkdf2-sha512$`.
pub(crate) fn parse_passlib(s: &str, mode: Mode, limits: &Limits) -> Result<Legacy> {
    let (scheme, prf) = if s.starts_with("$pbkdf2-sha256$") {
        (Scheme::Pbkdf2Sha256, Hash::Sha256)
    } else if s.starts_with("$pbkdf2-sha512$") {
        (Scheme::Pbkdf2Sha512, Hash::Sha512)
    } else {
        (Scheme::Pbkdf2Sha1, Hash::Sha1)
    };
    let what = scheme.name();
    let (head, digest, setting_len) = split_digest(s, mode, what)?;
    let [empty, _ident, rounds, salt] = fields::<4>(head, what)?;
    debug_assert!(empty.is_empty());
    let iterations = check_iterations(parse_u32(rounds, what, "rounds")?, limits, what)?;
    let salt = b64::decode_ab64(salt, what, "salt")?;
    let digest = digest_bytes(mode, || b64::decode_ab64(digest, what, "checksum"))?;
    check_len(mode, &digest, prf.output_len()..=prf.output_len(), what)?;
    Ok(Legacy {
        scheme,
        kdf: Kdf::Pbkdf2 {
            prf,
            iterations,
            salt,
        },
        digest,
        setting_len,
    })
}

/// Django `pbkdf2_sha256$...` and `pbkdf2_sha1$...`.
pub(crate) fn parse_django(s: &str, mode: Mode, limits: &Limits) -> Result<Legacy> {
    let (scheme, prf) = if s.starts_with("pbkdf2_sha256$") {
        (Scheme::DjangoPbkdf2Sha256, Hash::Sha256)
    } else {
        (Scheme::DjangoPbkdf2Sha1, Hash::Sha1)
    };
    let what = scheme.name();
    let (head, digest, setting_len) = split_digest(s, mode, what)?;
    let [_alg, iterations, salt] = fields::<3>(head, what)?;
    let iterations = check_iterations(parse_u32(iterations, what, "iterations")?, limits, what)?;
    let digest = digest_bytes(mode, || b64::decode_std_padded(digest, what, "hash"))?;
    Legacy {
        scheme,
        kdf: Kdf::Pbkdf2 {
            prf,
            iterations,
            salt: salt.as_bytes().to_vec(),
        },
        digest,
        setting_len,
    }
    .checked(mode, limits)
}

/// Werkzeug `pbkdf2[:hash[:iterations]]$salt$hex`.
pub(crate) fn parse_werkzeug(s: &str, mode: Mode, limits: &Limits) -> Result<Legacy> {
    let what = Scheme::WerkzeugPbkdf2.name();
    let (head, digest, setting_len) = split_digest(s, mode, what)?;
    let [method, salt] = fields::<2>(head, what)?;
    let mut args = method.split(':');
    let _pbkdf2 = args.next();
    let prf = match args.next() {
        None | Some("sha256") => Hash::Sha256,
        Some("sha512") => Hash::Sha512,
        Some("sha1") => Hash::Sha1,
        Some("md5") => Hash::Md5,
        Some(other) => {
            return Err(Error::InvalidHash(format!(
                "{what}: unsupported hash {other:?} (expected md5, sha1, sha256 or sha512)"
            )));
        }
    };
    let iterations = match args.next() {
        None => WERKZEUG_DEFAULT_ITERATIONS,
        Some(n) => parse_u32(n, what, "iterations")?,
    };
    if args.next().is_some() {
        return Err(Error::InvalidHash(format!(
            "{what}: too many ':' arguments"
        )));
    }
    let iterations = check_iterations(iterations, limits, what)?;
    let digest = digest_bytes(mode, || b64::decode_hex(digest, what, "hash"))?;
    Legacy {
        scheme: Scheme::WerkzeugPbkdf2,
        kdf: Kdf::Pbkdf2 {
            prf,
            iterations,
            salt: salt.as_bytes().to_vec(),
        },
        digest,
        setting_len,
    }
    .checked(mode, limits)
}

#[cfg(test)]
mod tests {
    use super::*;
    use sha1::Sha1;
    use sha2::Sha256;

    // RFC 6070 (PBKDF2-HMAC-SHA1), the cheap ones.
    #[test]
    fn rfc6070() {
        for (pw, salt, c, len, hex) in [
            (
                &b"password"[..],
                &b"salt"[..],
                1,
                20,
                "0c60c80f961f0e71f3a9b524af6012062fe037a6",
            ),
            (
                b"password",
                b"salt",
                2,
                20,
                "ea6c014dc72d6f8ccd1ed92ace1d41f0d8de8957",
            ),
            (
                b"password",
                b"salt",
                4096,
                20,
                "4b007901b765489abead49d926f721d065a429c1",
            ),
            (
                b"passwordPASSWORDpassword",
                b"saltSALTsaltSALTsaltSALTsaltSALTsalt",
                4096,
                25,
                "3d2eec4fe41c849b80c8d83662c0e44a8b291a964cf2f07038",
            ),
            (
                b"pass\0word",
                b"sa\0lt",
                4096,
                16,
                "56fa6aa75548099dcc37d7f03425e0c3",
            ),
        ] {
            let mut out = vec![0u8; len];
            pbkdf2::pbkdf2_hmac::<Sha1>(pw, salt, c, &mut out);
            assert_eq!(hex::encode(out), hex);
        }
    }

    // Known PBKDF2-HMAC-SHA256 vectors (as in RFC 7914 section 11 and common test suites).
    #[test]
    fn sha256_known() {
        for (pw, salt, c, len, hex) in [
            (
                &b"password"[..],
                &b"salt"[..],
                1,
                32,
                "120fb6cffcf8b32c43e7225256c4f837a86548c92ccc35480805987cb70be17b",
            ),
            (
                b"password",
                b"salt",
                2,
                32,
                "ae4d0c95af6b46d32d0adff928f06dd02a303f8ef3c251dfd6e2d85a95474c43",
            ),
            (
                b"password",
                b"salt",
                4096,
                32,
                "c5e478d59288c841aa530db6845c4c8d962893a001ce4e11a4963873aa98134a",
            ),
            (
                b"passwd",
                b"salt",
                1,
                64,
                "55ac046e56e3089fec1691c22544b605f94185216dde0465e68b9d57c20dacbc49ca9cccf179b645991664b39d77ef317c71b845b1e30bd509112041d3a19783",
            ),
        ] {
            let mut out = vec![0u8; len];
            pbkdf2::pbkdf2_hmac::<Sha256>(pw, salt, c, &mut out);
            assert_eq!(hex::encode(out), hex);
        }
    }

    #[test]
    fn iteration_ceiling() {
        let l = Limits::default();
        let e = parse_django("pbkdf2_sha256$99999999$salt$AAAA", Mode::Full, &l).unwrap_err();
        assert!(e.to_string().contains("max_pbkdf2_iterations"), "{e}");
        let e = parse_werkzeug("pbkdf2:sha256:0$salt$00", Mode::Full, &l).unwrap_err();
        assert!(e.to_string().contains("zero"), "{e}");
        let e = parse_werkzeug("pbkdf2:md4:10$salt$00", Mode::Full, &l).unwrap_err();
        assert!(e.to_string().contains("md4"), "{e}");
    }
}
