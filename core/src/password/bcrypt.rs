//! bcrypt and the schemes built on it: `$2a$`/`$2b$`/`$2y$`, passlib `$bcrypt-sha256$`,
//! Django `bcrypt$` and `bcrypt_sha256$`.
//!
//! bcrypt only reads the first 72 bytes of its input: longer passwords are truncated,
//! exactly as OpenBSD and pyca/bcrypt < 5 did when the stored hashes were written.

use zeroize::Zeroizing;

use super::b64;
use super::kdf::bcrypt::OUTPUT_LEN;
use super::kdf::{Kdf, Prehash};
use super::legacy::{Legacy, Mode};
use super::policy::Limits;
use super::scheme::Scheme;
use crate::error::{Error, Result};

/// Characters of the salt field; the digest (23 bytes) takes 31 more.
const SALT_CHARS: usize = 22;
const DIGEST_CHARS: usize = 31;

fn check_cost(cost: u32, limits: &Limits, what: &str) -> Result<()> {
    if !(4..=31).contains(&cost) {
        return Err(Error::InvalidHash(format!(
            "{what}: cost {cost} is outside bcrypt's 4 to 31"
        )));
    }
    if cost > limits.max_bcrypt_cost {
        return Err(Error::InvalidHash(format!(
            "{what}: cost {cost} is above the ceiling {} (limits.max_bcrypt_cost)",
            limits.max_bcrypt_cost
        )));
    }
    Ok(())
}

/// The cost: two digits in modular-crypt strings, one or two in passlib's `r=`.
fn parse_cost(s: &str, limits: &Limits, what: &str, two_digits: bool) -> Result<u32> {
    let len_ok = if two_digits {
        s.len() == 2
    } else {
        (1..=2).contains(&s.len())
    };
    if !len_ok || !s.bytes().all(|b| b.is_ascii_digit()) {
        return Err(Error::InvalidHash(format!(
            "{what}: cost must be {} digits",
            if two_digits { "two" } else { "one or two" }
        )));
    }
    let cost = s
        .parse::<u32>()
        .map_err(|_| Error::InvalidHash(format!("{what}: bad cost")))?;
    check_cost(cost, limits, what)?;
    Ok(cost)
}

/// Parses a modular-crypt bcrypt string `$2b$12$<22 salt><31 digest>` starting at byte
/// `offset` of the stored string (non-zero for Django's prefixes).
fn parse_mcf(
    s: &str,
    offset: usize,
    mode: Mode,
    limits: &Limits,
    scheme: Scheme,
    prehash: Prehash,
) -> Result<Legacy> {
    let what = scheme.name();
    let rest = &s[offset..];
    let mut f = rest.split('$');
    if f.next() != Some("") {
        return Err(Error::InvalidHash(format!("{what}: expected '$2b$'")));
    }
    match f.next() {
        Some("2a" | "2b" | "2y") => {}
        Some("2x") => {
            return Err(Error::InvalidHash(format!(
                "{what}: $2x$ (crypt_blowfish's sign-extension bug) is not supported"
            )));
        }
        _ => {
            return Err(Error::InvalidHash(format!(
                "{what}: unknown bcrypt variant"
            )));
        }
    }
    let cost = parse_cost(f.next().unwrap_or(""), limits, what, true)?;
    let tail = f
        .next()
        .ok_or_else(|| Error::InvalidHash(format!("{what}: missing salt")))?;
    if f.next().is_some() {
        return Err(Error::InvalidHash(format!("{what}: too many '$' fields")));
    }
    let want = match mode {
        Mode::Full => SALT_CHARS + DIGEST_CHARS,
        Mode::Setting => SALT_CHARS,
    };
    if tail.len() != want {
        return Err(Error::InvalidHash(format!(
            "{what}: salt and digest must be {want} characters, found {}",
            tail.len()
        )));
    }
    let salt = b64::decode_bcrypt::<16>(&tail[..SALT_CHARS], what, "salt")?;
    let digest = match mode {
        Mode::Full => {
            b64::decode_bcrypt::<OUTPUT_LEN>(&tail[SALT_CHARS..], what, "digest")?.to_vec()
        }
        Mode::Setting => Vec::new(),
    };
    Ok(Legacy {
        scheme,
        kdf: Kdf::Bcrypt {
            cost,
            salt,
            prehash,
        },
        digest: Zeroizing::new(digest),
        setting_len: s.len() - tail.len() + SALT_CHARS,
    })
}

/// `$2a$`, `$2b$`, `$2y$`.
pub(crate) fn parse_bcrypt(s: &str, mode: Mode, limits: &Limits) -> Result<Legacy> {
    parse_mcf(s, 0, mode, limits, Scheme::Bcrypt, Prehash::None)
}

/// Django `bcrypt$$2b$...` and `bcrypt_sha256$$2b$...`.
pub(crate) fn parse_django(s: &str, mode: Mode, limits: &Limits) -> Result<Legacy> {
    let (scheme, prehash, prefix) = if s.starts_with("bcrypt_sha256$") {
        (
            Scheme::DjangoBcryptSha256,
            Prehash::DjangoHexSha256,
            "bcrypt_sha256$",
        )
    } else {
        (Scheme::DjangoBcrypt, Prehash::None, "bcrypt$")
    };
    parse_mcf(s, prefix.len(), mode, limits, scheme, prehash)
}

/// passlib `$bcrypt-sha256$v=2,t=2b,r=12$<salt>$<digest>` and the v1
/// `$bcrypt-sha256$2a,12$<salt>$<digest>`.
pub(crate) fn parse_passlib(s: &str, mode: Mode, limits: &Limits) -> Result<Legacy> {
    let what = "bcrypt_sha256";
    let rest = s
        .strip_prefix("$bcrypt-sha256$")
        .ok_or_else(|| Error::InvalidHash(format!("{what}: expected '$bcrypt-sha256$'")))?;
    let mut f = rest.split('$');
    let params = f.next().unwrap_or("");
    let salt_text = f
        .next()
        .ok_or_else(|| Error::InvalidHash(format!("{what}: missing salt")))?;
    let digest_text = f
        .next()
        .ok_or_else(|| Error::InvalidHash(format!("{what}: missing digest")))?;
    if f.next().is_some() {
        return Err(Error::InvalidHash(format!("{what}: too many '$' fields")));
    }
    let (v2, ident, cost) = if let Some(p) = params.strip_prefix("v=2,") {
        let mut kv = p.split(',');
        let t = kv.next().and_then(|x| x.strip_prefix("t="));
        let r = kv.next().and_then(|x| x.strip_prefix("r="));
        match (t, r, kv.next()) {
            (Some(t), Some(r), None) => (true, t, r),
            _ => {
                return Err(Error::InvalidHash(format!(
                    "{what}: parameters must be v=2,t=<variant>,r=<cost>"
                )));
            }
        }
    } else {
        match params.split_once(',') {
            Some((t, r)) => (false, t, r),
            None => {
                return Err(Error::InvalidHash(format!(
                    "{what}: parameters must be v=2,t=..,r=.. or <variant>,<cost>"
                )));
            }
        }
    };
    if !matches!(ident, "2a" | "2b") {
        return Err(Error::InvalidHash(format!(
            "{what}: unsupported bcrypt variant {ident:?}"
        )));
    }
    let cost = parse_cost(cost, limits, what, false)?;
    if salt_text.len() != SALT_CHARS {
        return Err(Error::InvalidHash(format!(
            "{what}: salt must be {SALT_CHARS} characters"
        )));
    }
    let salt = b64::decode_bcrypt::<16>(salt_text, what, "salt")?;
    let digest = match mode {
        Mode::Full => b64::decode_bcrypt::<OUTPUT_LEN>(digest_text, what, "digest")?.to_vec(),
        Mode::Setting if digest_text.is_empty() => Vec::new(),
        Mode::Setting => {
            return Err(Error::InvalidHash(format!(
                "{what}: the setting of a wrapped hash must not contain a digest"
            )));
        }
    };
    let prehash = if v2 {
        Prehash::PasslibV2 {
            salt_text: salt_text.to_owned(),
        }
    } else {
        Prehash::PasslibV1
    };
    Ok(Legacy {
        scheme: Scheme::BcryptSha256,
        kdf: Kdf::Bcrypt {
            cost,
            salt,
            prehash,
        },
        digest: Zeroizing::new(digest),
        setting_len: s.len() - digest_text.len(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    // OpenBSD / pyca bcrypt test vectors.
    #[test]
    fn published_vectors() {
        let l = Limits::default();
        for (pw, h) in [
            (
                &b"Kk4DQuMMfZL9o"[..],
                "$2b$04$cVWp4XaNU8a4v1uMRum2SO026BWLIoQMD/TXg5uZV.0P.uO8m3YEm",
            ),
            (
                b"9IeRXmnGxMYbs",
                "$2b$04$pQ7gRO7e6wx/936oXhNjrOUNOHL1D0h1N2IDbJZYs.1ppzSof6SPy",
            ),
            (
                b"xVQVbwa1S0M8r",
                "$2b$04$SQe9knOzepOVKoYXo9xTteNYr6MBwVz4tpriJVe3PNgYufGIsgKcW",
            ),
            (
                b"",
                "$2a$06$DCq7YPn5Rq63x1Lad4cll.TV4S6ytwfsfvkgY8jIucDrjc8deX1s.",
            ),
            (
                b"a",
                "$2a$06$m0CrhHm10qJ3lXRY.5zDGO3rS2KdeeWLuGmsfGlMfOxih58VYVfxe",
            ),
            (
                b"abcdefghijklmnopqrstuvwxyz",
                "$2a$06$.rCVZVOThsIa97pEDOxvGuRRgzG64bvtJ0938xuqzv18d3ZpQhstC",
            ),
            (
                b"~!@#$%^&*()      ~!@#$%^&*()PNBFRD",
                "$2a$06$fPIsBO8qRqkjj273rfaOI.HtSV9jLDpTbZn782DC6/t7qT67P6FfO",
            ),
            (
                b"\xa3",
                "$2y$05$/OK.fbVrR/bpIqNJ5ianF.Sa7shbm4.OzKpvFnX1pQLmQW96oUlCq",
            ),
            (
                b"\xff\xa3345",
                "$2y$05$/OK.fbVrR/bpIqNJ5ianF.nRht2l/HRhr6zmCp9vYUvvsqynflf9e",
            ),
        ] {
            let parsed = parse_bcrypt(h, Mode::Full, &l).unwrap();
            assert!(parsed.verify(pw, &Limits::default()).unwrap(), "{h}");
            assert!(!parsed.verify(b"wrong", &Limits::default()).unwrap(), "{h}");
        }
    }

    #[test]
    fn absurd_and_malformed_costs_are_rejected() {
        let l = Limits::default();
        for (h, needle) in [
            (
                "$2b$32$cVWp4XaNU8a4v1uMRum2SO026BWLIoQMD/TXg5uZV.0P.uO8m3YEm",
                "4 to 31",
            ),
            (
                "$2b$20$cVWp4XaNU8a4v1uMRum2SO026BWLIoQMD/TXg5uZV.0P.uO8m3YEm",
                "max_bcrypt_cost",
            ),
            (
                "$2b$03$cVWp4XaNU8a4v1uMRum2SO026BWLIoQMD/TXg5uZV.0P.uO8m3YEm",
                "4 to 31",
            ),
            (
                "$2b$4$cVWp4XaNU8a4v1uMRum2SO026BWLIoQMD/TXg5uZV.0P.uO8m3YEm",
                "two digits",
            ),
            (
                "$2b$04$cVWp4XaNU8a4v1uMRum2SO026BWLIoQMD/TXg5uZV.0P.uO8m3YE",
                "characters",
            ),
            (
                "$2b$04$cVWp4XaNU8a4v1uMRum2SO026BWLIoQMD/TXg5uZV.0P.uO8m3YE!",
                "base64",
            ),
            (
                "$2x$04$cVWp4XaNU8a4v1uMRum2SO026BWLIoQMD/TXg5uZV.0P.uO8m3YEm",
                "2x",
            ),
        ] {
            let e = parse_bcrypt(h, Mode::Full, &l).unwrap_err();
            assert!(e.to_string().contains(needle), "{h}: {e}");
        }
    }
}
