//! Recognises a stored hash by its prefix and parses it, checking every limit first.

use super::digest;
use super::formats::{check_shape, parse_legacy};
use super::legacy::{Legacy, Mode};
use super::phc::Argon2Hash;
use super::policy::Policy;
use super::wrap::Wrapped;
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
