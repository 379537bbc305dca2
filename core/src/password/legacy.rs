//! A parsed legacy hash: the scheme, everything needed to recompute its derived value
//! from a password (the "setting": salt and costs), and the stored derived value.
//!
//! Keeping the setting apart from the digest is what makes [`super::wrap`] possible: a
//! wrapped hash stores the setting and an Argon2id hash of the digest.

use subtle::ConstantTimeEq;
use zeroize::Zeroizing;

use super::kdf::Kdf;
use super::policy::Limits;
use super::scheme::Scheme;
use crate::error::{Error, Result};

/// Whether a parser reads a complete stored hash or only its setting (the stored hash
/// cut just before the digest, as kept in a wrapped hash).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Mode {
    Full,
    Setting,
}

/// A parsed legacy hash.
#[derive(Debug, Clone)]
pub(crate) struct Legacy {
    pub(crate) scheme: Scheme,
    pub(crate) kdf: Kdf,
    /// The stored derived value (empty in [`Mode::Setting`]).
    pub(crate) digest: Zeroizing<Vec<u8>>,
    /// Byte offset where the digest starts in the stored string: `stored[..setting_len]`
    /// is the setting.
    pub(crate) setting_len: usize,
}

impl Legacy {
    /// Recomputes the derived value for `password`, `dklen` bytes long where the
    /// scheme's output length is variable, after refusing a password whose length would
    /// make it cost more than the policy allows.
    pub(crate) fn derive(
        &self,
        password: &[u8],
        dklen: usize,
        limits: &Limits,
    ) -> Result<Zeroizing<Vec<u8>>> {
        self.kdf.derive(password, dklen, limits, self.scheme)
    }

    /// Checks the stored digest's length (in [`Mode::Full`]; a setting has none) with
    /// [`Kdf::check_output`]: what a parser returns last.
    pub(crate) fn checked(self, mode: Mode, limits: &Limits) -> Result<Legacy> {
        if mode == Mode::Full {
            self.kdf
                .check_output(self.digest.len(), limits, self.scheme.name())?;
        }
        Ok(self)
    }

    /// Recomputes and compares with the stored digest in constant time.
    pub(crate) fn verify(&self, password: &[u8], limits: &Limits) -> Result<bool> {
        let derived = self.derive(password, self.digest.len(), limits)?;
        Ok(derived.as_slice().ct_eq(self.digest.as_slice()).into())
    }
}

/// Splits `s` at its last `$` into (everything before, the digest field, the digest's
/// offset). In [`Mode::Setting`] the digest field must be empty.
pub(crate) fn split_digest<'a>(
    s: &'a str,
    mode: Mode,
    what: &str,
) -> Result<(&'a str, &'a str, usize)> {
    let (head, digest) = s
        .rsplit_once('$')
        .ok_or_else(|| Error::InvalidHash(format!("{what}: missing digest field")))?;
    match mode {
        Mode::Full if digest.is_empty() => {
            Err(Error::InvalidHash(format!("{what}: empty digest field")))
        }
        Mode::Setting if !digest.is_empty() => Err(Error::InvalidHash(format!(
            "{what}: the setting of a wrapped hash must not contain a digest"
        ))),
        _ => Ok((head, digest, head.len() + 1)),
    }
}

/// Decodes the digest with `decode` in [`Mode::Full`]; nothing in [`Mode::Setting`].
pub(crate) fn digest_bytes(
    mode: Mode,
    decode: impl FnOnce() -> Result<Vec<u8>>,
) -> Result<Zeroizing<Vec<u8>>> {
    match mode {
        Mode::Full => decode().map(Zeroizing::new),
        Mode::Setting => Ok(Zeroizing::new(Vec::new())),
    }
}

/// Checks a decoded digest has the expected length (in [`Mode::Full`]).
pub(crate) fn check_len(
    mode: Mode,
    digest: &[u8],
    range: std::ops::RangeInclusive<usize>,
    what: &str,
) -> Result<()> {
    if mode == Mode::Full && !range.contains(&digest.len()) {
        return Err(Error::InvalidHash(format!(
            "{what}: digest is {} bytes; expected {} to {}",
            digest.len(),
            range.start(),
            range.end()
        )));
    }
    Ok(())
}
