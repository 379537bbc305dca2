//! Wrapped legacy hashes: Argon2id over a legacy hash's derived value, so a table of weak
//! hashes can be upgraded offline, without the passwords.
//!
//! Format (printable ASCII, self-describing):
//!
//! ```text
//! $magnetar-wrap$v=1,inner=<scheme>,dklen=<n>$<setting>$<Argon2id PHC string>
//! ```
//!
//! - `inner`: the legacy scheme's stable name (e.g. `hex_sha256`, `django_salted_md5`,
//!   `bcrypt`).
//! - `dklen`: length in bytes of the legacy derived value.
//! - `setting`: standard base64 (no padding) of the legacy hash cut just before its
//!   digest, i.e. its salt and cost parameters (`md5$salt$`, `$2b$12$<22-char salt>`,
//!   `pbkdf2:sha256:1000$salt$`...); empty for bare digests.
//! - the PHC string is `$argon2id$v=19$m=..,t=..,p=..[,keyid=..]$salt$hash`, computed
//!   under the policy (and pepper) in force when wrapping, with the raw legacy digest
//!   bytes as its password.
//!
//! To verify, the legacy derived value is recomputed from the password and the setting
//! (exactly as the legacy scheme would), then checked against the Argon2id hash. The
//! legacy digest itself is not stored. A wrapped hash always needs a rehash: the next
//! successful login replaces it with a plain Argon2id hash.

use super::b64;
use super::digest;
use super::formats::{check_shape, parse_legacy};
use super::legacy::{Legacy, Mode};
use super::phc::{Argon2Hash, parse_u32};
use super::policy::Policy;
use super::scheme::{LegacyDigest, Scheme};
use crate::error::{Error, Result};

/// The prefix of every wrapped hash.
pub(crate) const PREFIX: &str = "$magnetar-wrap$";

fn bad(msg: &str) -> Error {
    Error::InvalidHash(format!("wrapped hash: {msg}"))
}

/// A parsed wrapped hash.
#[derive(Debug)]
pub(crate) struct Wrapped {
    pub(crate) inner: Legacy,
    pub(crate) dklen: usize,
    pub(crate) argon2: Argon2Hash,
}

impl Wrapped {
    pub(crate) fn parse(s: &str, policy: &Policy) -> Result<Wrapped> {
        let rest = s
            .strip_prefix(PREFIX)
            .ok_or_else(|| bad("missing prefix"))?;
        let (header, rest) = rest.split_once('$').ok_or_else(|| bad("missing setting"))?;
        let (setting_b64, phc) = rest
            .split_once('$')
            .ok_or_else(|| bad("missing argon2 hash"))?;
        let mut h = header.split(',');
        let (v, inner, dklen) = (h.next(), h.next(), h.next());
        if v != Some("v=1") || h.next().is_some() {
            return Err(bad("header must be v=1,inner=<scheme>,dklen=<n>"));
        }
        let inner: Scheme = inner
            .and_then(|x| x.strip_prefix("inner="))
            .ok_or_else(|| bad("missing inner=<scheme>"))?
            .parse()
            .map_err(|_| bad("unknown inner scheme"))?;
        let dklen = dklen
            .and_then(|x| x.strip_prefix("dklen="))
            .ok_or_else(|| bad("missing dklen=<n>"))?;
        let dklen = parse_u32(dklen, "wrapped hash", "dklen")? as usize;
        if !(1..=256).contains(&dklen) {
            return Err(bad("dklen must be 1 to 256"));
        }
        let setting = b64::decode_std(setting_b64, "wrapped hash", "setting")?;
        let setting = String::from_utf8(setting).map_err(|_| bad("setting is not ASCII text"))?;
        let legacy = match LegacyDigest::ALL.into_iter().find(|d| d.scheme() == inner) {
            Some(d) => digest::parse_bare(&setting, d, Mode::Setting)?,
            None => {
                check_shape(&setting, policy).map_err(|_| bad("setting is malformed"))?;
                parse_legacy(&setting, Mode::Setting, policy)?
            }
        };
        if legacy.scheme != inner {
            return Err(bad("setting does not match the inner scheme"));
        }
        // dklen is the inner scheme's output length: a short one would make the wrapped
        // hash weaker than the hash it wraps, a long PBKDF2 one costlier than its limit.
        legacy
            .kdf
            .check_output(dklen, &policy.limits, "wrapped hash")?;
        let argon2 = Argon2Hash::parse(&format!("${phc}"), &policy.limits)?;
        Ok(Wrapped {
            inner: legacy,
            dklen,
            argon2,
        })
    }

    /// Recomputes the legacy derived value and checks it against the Argon2 hash.
    pub(crate) fn verify(&self, password: &[u8], policy: &Policy) -> Result<bool> {
        let derived = self.inner.derive(password, self.dklen, &policy.limits)?;
        self.argon2.verify(&derived, policy)
    }

    /// Wraps a parsed legacy hash (`stored` is its text).
    pub(crate) fn wrap(stored: &str, legacy: &Legacy, policy: &Policy) -> Result<String> {
        let setting = stored
            .get(..legacy.setting_len)
            .ok_or_else(|| Error::Internal("legacy setting offset out of range".into()))?;
        let argon2 = Argon2Hash::create(&legacy.digest, policy)?;
        let wrapped = format!(
            "{PREFIX}v=1,inner={},dklen={}${}{}",
            legacy.scheme.name(),
            legacy.digest.len(),
            b64::encode_std(setting.as_bytes()),
            argon2.encode()
        );
        // The setting grows by a third in base64: a legacy hash near the length limit
        // would wrap into one that verify refuses. Found by the fuzzer.
        if wrapped.len() > policy.limits.max_hash_len {
            return Err(Error::InvalidInput(format!(
                "the wrapped hash would be {} bytes, longer than limits.max_hash_len {}",
                wrapped.len(),
                policy.limits.max_hash_len
            )));
        }
        Ok(wrapped)
    }
}

#[cfg(test)]
mod tests {
    use super::super::{PasswordHasher, Policy};
    use crate::ErrorKind;

    #[test]
    fn wrapping_never_produces_an_unverifiable_hash() {
        let mut p = Policy::owasp();
        p.memory_kib = 64;
        p.iterations = 1;
        let h = PasswordHasher::new(p).unwrap();
        // A Werkzeug hash with a 900-character salt: valid, but too long once wrapped.
        let long = format!("pbkdf2:sha256:1000${}${}", "s".repeat(900), "0f".repeat(32));
        assert!(!h.verify("pw", &long).unwrap());
        let e = h.wrap_legacy(&long).unwrap_err();
        assert_eq!(e.kind(), ErrorKind::InvalidInput);
        assert!(e.to_string().contains("max_hash_len"), "{e}");
    }
}
