//! The self-describing legacy formats, by prefix, and the shape checks every stored hash
//! passes first. Below both `identify` (any stored hash) and `wrap` (the setting inside
//! a wrapped hash), so neither imports the other for them.

use super::legacy::{Legacy, Mode};
use super::policy::Policy;
use super::{bcrypt, crypt, digest, pbkdf2, scrypt};
use crate::error::{Error, Result};

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
