//! Recognises a stored hash by its prefix and parses it, checking every limit first.

use super::legacy::{Legacy, Mode};
use super::phc::Argon2Hash;
use super::policy::Policy;
use super::wrap::Wrapped;
use super::{bcrypt, crypt, digest, pbkdf2, scrypt};
use crate::error::{Error, Result};

/// A parsed stored hash of any supported format.
#[derive(Debug)]
pub(crate) enum Parsed {
    /// An Argon2 PHC string; `django` when it came with Django's `argon2` prefix.
    Argon2 {
        hash: Argon2Hash,
        django: bool,
    },
    Legacy(Legacy),
    Wrapped(Box<Wrapped>),
}

/// Shape checks common to every format: not empty, not huge, printable ASCII only
/// (which also makes every later byte-offset slice land on a character boundary).
pub(crate) fn check_shape(stored: &str, policy: &Policy) -> Result<()> {
    if stored.is_empty() {
        return Err(Error::InvalidHash("the stored hash is empty".into()));
    }
    if stored.len() > policy.limits.max_hash_len {
        return Err(Error::InvalidHash(format!(
            "the stored hash is {} bytes, longer than limits.max_hash_len {}",
            stored.len(),
            policy.limits.max_hash_len
        )));
    }
    if !stored.bytes().all(|b| b.is_ascii_graphic()) {
        return Err(Error::InvalidHash(
            "the stored hash contains whitespace, control or non-ASCII characters".into(),
        ));
    }
    Ok(())
}

/// Parses any supported stored hash.
pub(crate) fn parse(stored: &str, policy: &Policy) -> Result<Parsed> {
    check_shape(stored, policy)?;
    let limits = &policy.limits;
    if stored.starts_with("$argon2") {
        return Ok(Parsed::Argon2 {
            hash: Argon2Hash::parse(stored, limits)?,
            django: false,
        });
    }
    if let Some(phc) = stored.strip_prefix("argon2$") {
        return Ok(Parsed::Argon2 {
            hash: Argon2Hash::parse(&format!("${phc}"), limits)?,
            django: true,
        });
    }
    if stored.starts_with(super::wrap::PREFIX) {
        return Ok(Parsed::Wrapped(Box::new(Wrapped::parse(stored, policy)?)));
    }
    if let Some(d) = digest::bare_kind(stored) {
        if !policy.legacy_digests.contains(&d) {
            return Err(Error::InvalidHash(format!(
                "this looks like a bare hex {d} digest, which is not enabled; add \"{d}\" to the policy's legacy_digests to accept it"
            )));
        }
        return Ok(Parsed::Legacy(digest::parse_bare(stored, d, Mode::Full)?));
    }
    parse_legacy(stored, Mode::Full, policy).map(Parsed::Legacy)
}

/// Parses a self-describing legacy hash (or, in [`Mode::Setting`], its setting).
pub(crate) fn parse_legacy(s: &str, mode: Mode, policy: &Policy) -> Result<Legacy> {
    let limits = &policy.limits;
    let starts = |p: &[&str]| p.iter().any(|x| s.starts_with(x));
    if starts(&["$2a$", "$2b$", "$2y$", "$2x$"]) {
        bcrypt::parse_bcrypt(s, mode, limits)
    } else if s.starts_with("$bcrypt-sha256$") {
        bcrypt::parse_passlib(s, mode, limits)
    } else if starts(&["bcrypt_sha256$", "bcrypt$"]) {
        bcrypt::parse_django(s, mode, limits)
    } else if starts(&["$pbkdf2$", "$pbkdf2-sha256$", "$pbkdf2-sha512$"]) {
        pbkdf2::parse_passlib(s, mode, limits)
    } else if starts(&["pbkdf2_sha256$", "pbkdf2_sha1$"]) {
        pbkdf2::parse_django(s, mode, limits)
    } else if starts(&["pbkdf2:", "pbkdf2$"]) {
        pbkdf2::parse_werkzeug(s, mode, limits)
    } else if s.starts_with("$scrypt$") {
        scrypt::parse_passlib(s, mode, limits)
    } else if s.starts_with("scrypt:") {
        scrypt::parse_werkzeug(s, mode, limits)
    } else if s.starts_with("scrypt$") {
        scrypt::parse_dollar(s, mode, limits)
    } else if starts(&["$5$", "$6$"]) {
        crypt::parse_sha(s, mode, limits)
    } else if s.starts_with("$1$") {
        crypt::parse_md5(s, mode)
    } else if starts(&["md5$", "sha1$"]) {
        digest::parse_django(s, mode)
    } else {
        Err(Error::InvalidHash(
            "unrecognised hash format (no supported scheme prefix)".into(),
        ))
    }
}
