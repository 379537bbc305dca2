//! Stable names for every hash format Magnetar recognises.

use std::fmt;
use std::str::FromStr;

use crate::error::{Error, Result};

/// A stored-hash format. [`Scheme::name`] is stable: bindings, logs and the shared test
/// vectors use it, and names are never changed, only added.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Scheme {
    /// `$argon2id$...` PHC string (what [`super::PasswordHasher::hash`] writes).
    Argon2id,
    /// `$argon2i$...` PHC string.
    Argon2i,
    /// `$argon2d$...` PHC string.
    Argon2d,
    /// Django's `argon2$argon2id$...` (any Argon2 variant after the `argon2` prefix).
    DjangoArgon2,
    /// bcrypt `$2a$`, `$2b$`, `$2y$` (only the first 72 password bytes count).
    Bcrypt,
    /// passlib `$bcrypt-sha256$` (v2: HMAC-SHA256 keyed by the salt; v1: SHA-256).
    BcryptSha256,
    /// Django `bcrypt_sha256$$2b$...` (bcrypt of the hex SHA-256 of the password).
    DjangoBcryptSha256,
    /// Django `bcrypt$$2b$...` (plain bcrypt).
    DjangoBcrypt,
    /// passlib `$pbkdf2$` (PBKDF2-HMAC-SHA1).
    Pbkdf2Sha1,
    /// passlib `$pbkdf2-sha256$`.
    Pbkdf2Sha256,
    /// passlib `$pbkdf2-sha512$`.
    Pbkdf2Sha512,
    /// Django `pbkdf2_sha256$iterations$salt$base64`.
    DjangoPbkdf2Sha256,
    /// Django `pbkdf2_sha1$iterations$salt$base64`.
    DjangoPbkdf2Sha1,
    /// Werkzeug `pbkdf2:sha256[:iterations]$salt$hex` (also `sha1`, `sha512`).
    WerkzeugPbkdf2,
    /// passlib `$scrypt$ln=..,r=..,p=..$salt$checksum`.
    Scrypt,
    /// Django `scrypt$N$salt$r$p$base64`.
    DjangoScrypt,
    /// Werkzeug `scrypt:N:r:p$salt$hex`.
    WerkzeugScrypt,
    /// `$5$` SHA-256-crypt.
    Sha256Crypt,
    /// `$6$` SHA-512-crypt.
    Sha512Crypt,
    /// `$1$` MD5-crypt.
    Md5Crypt,
    /// Bare hex MD5 of the password (opt-in: [`LegacyDigest::Md5`]).
    HexMd5,
    /// Bare hex SHA-1 of the password (opt-in: [`LegacyDigest::Sha1`]).
    HexSha1,
    /// Bare hex SHA-256 of the password (opt-in: [`LegacyDigest::Sha256`]).
    HexSha256,
    /// Bare hex SHA-512 of the password (opt-in: [`LegacyDigest::Sha512`]).
    HexSha512,
    /// Django `md5$$hex` (unsalted MD5).
    DjangoUnsaltedMd5,
    /// Django `sha1$$hex` (unsalted SHA-1).
    DjangoUnsaltedSha1,
    /// Django `md5$salt$hex`: MD5 of salt then password.
    DjangoSaltedMd5,
    /// Django (< 5.1) `sha1$salt$hex`: SHA-1 of salt then password.
    DjangoSaltedSha1,
    /// [`super::PasswordHasher::wrap_legacy`] output: Argon2id over a legacy hash. The
    /// inner scheme is [`super::Identified::inner`].
    Wrapped,
}

const ALL: [Scheme; 29] = [
    Scheme::Argon2id,
    Scheme::Argon2i,
    Scheme::Argon2d,
    Scheme::DjangoArgon2,
    Scheme::Bcrypt,
    Scheme::BcryptSha256,
    Scheme::DjangoBcryptSha256,
    Scheme::DjangoBcrypt,
    Scheme::Pbkdf2Sha1,
    Scheme::Pbkdf2Sha256,
    Scheme::Pbkdf2Sha512,
    Scheme::DjangoPbkdf2Sha256,
    Scheme::DjangoPbkdf2Sha1,
    Scheme::WerkzeugPbkdf2,
    Scheme::Scrypt,
    Scheme::DjangoScrypt,
    Scheme::WerkzeugScrypt,
    Scheme::Sha256Crypt,
    Scheme::Sha512Crypt,
    Scheme::Md5Crypt,
    Scheme::HexMd5,
    Scheme::HexSha1,
    Scheme::HexSha256,
    Scheme::HexSha512,
    Scheme::DjangoUnsaltedMd5,
    Scheme::DjangoUnsaltedSha1,
    Scheme::DjangoSaltedMd5,
    Scheme::DjangoSaltedSha1,
    Scheme::Wrapped,
];

impl Scheme {
    /// Every scheme, in a fixed order.
    pub fn all() -> &'static [Scheme] {
        &ALL
    }

    /// The stable snake_case name.
    pub fn name(self) -> &'static str {
        match self {
            Scheme::Argon2id => "argon2id",
            Scheme::Argon2i => "argon2i",
            Scheme::Argon2d => "argon2d",
            Scheme::DjangoArgon2 => "django_argon2",
            Scheme::Bcrypt => "bcrypt",
            Scheme::BcryptSha256 => "bcrypt_sha256",
            Scheme::DjangoBcryptSha256 => "django_bcrypt_sha256",
            Scheme::DjangoBcrypt => "django_bcrypt",
            Scheme::Pbkdf2Sha1 => "pbkdf2_sha1",
            Scheme::Pbkdf2Sha256 => "pbkdf2_sha256",
            Scheme::Pbkdf2Sha512 => "pbkdf2_sha512",
            Scheme::DjangoPbkdf2Sha256 => "django_pbkdf2_sha256",
            Scheme::DjangoPbkdf2Sha1 => "django_pbkdf2_sha1",
            Scheme::WerkzeugPbkdf2 => "werkzeug_pbkdf2",
            Scheme::Scrypt => "scrypt",
            Scheme::DjangoScrypt => "django_scrypt",
            Scheme::WerkzeugScrypt => "werkzeug_scrypt",
            Scheme::Sha256Crypt => "sha256_crypt",
            Scheme::Sha512Crypt => "sha512_crypt",
            Scheme::Md5Crypt => "md5_crypt",
            Scheme::HexMd5 => "hex_md5",
            Scheme::HexSha1 => "hex_sha1",
            Scheme::HexSha256 => "hex_sha256",
            Scheme::HexSha512 => "hex_sha512",
            Scheme::DjangoUnsaltedMd5 => "django_unsalted_md5",
            Scheme::DjangoUnsaltedSha1 => "django_unsalted_sha1",
            Scheme::DjangoSaltedMd5 => "django_salted_md5",
            Scheme::DjangoSaltedSha1 => "django_salted_sha1",
            Scheme::Wrapped => "wrapped",
        }
    }

    /// True for everything except an Argon2id PHC string: a successful login should
    /// replace it.
    pub fn is_legacy(self) -> bool {
        self != Scheme::Argon2id
    }
}

impl fmt::Display for Scheme {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for Scheme {
    type Err = Error;

    fn from_str(s: &str) -> Result<Self> {
        ALL.iter()
            .copied()
            .find(|x| x.name() == s)
            .ok_or_else(|| Error::InvalidInput(format!("unknown password scheme name {s:?}")))
    }
}

/// A bare (unsalted, unprefixed) hex digest the host opts in to. Bare digests are
/// ambiguous (any 64 hex characters could be SHA-256, SHA3-256, a token...) and weak, so
/// none is accepted unless named in [`super::Policy::legacy_digests`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum LegacyDigest {
    /// 32 hex characters: MD5.
    Md5,
    /// 40 hex characters: SHA-1.
    Sha1,
    /// 64 hex characters: SHA-256.
    Sha256,
    /// 128 hex characters: SHA-512.
    Sha512,
}

impl LegacyDigest {
    /// Every bare digest, in a fixed order.
    pub const ALL: [LegacyDigest; 4] = [
        LegacyDigest::Md5,
        LegacyDigest::Sha1,
        LegacyDigest::Sha256,
        LegacyDigest::Sha512,
    ];

    /// The stable name (`md5`, `sha1`, `sha256`, `sha512`).
    pub fn name(self) -> &'static str {
        match self {
            LegacyDigest::Md5 => "md5",
            LegacyDigest::Sha1 => "sha1",
            LegacyDigest::Sha256 => "sha256",
            LegacyDigest::Sha512 => "sha512",
        }
    }

    /// The scheme a stored digest of this kind is identified as.
    pub fn scheme(self) -> Scheme {
        match self {
            LegacyDigest::Md5 => Scheme::HexMd5,
            LegacyDigest::Sha1 => Scheme::HexSha1,
            LegacyDigest::Sha256 => Scheme::HexSha256,
            LegacyDigest::Sha512 => Scheme::HexSha512,
        }
    }

    /// Length of the hex digest in characters.
    pub(crate) fn hex_len(self) -> usize {
        match self {
            LegacyDigest::Md5 => 32,
            LegacyDigest::Sha1 => 40,
            LegacyDigest::Sha256 => 64,
            LegacyDigest::Sha512 => 128,
        }
    }
}

impl fmt::Display for LegacyDigest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for LegacyDigest {
    type Err = Error;

    /// Accepts `md5`, `sha1`, `sha256`, `sha512`, in any case, optionally prefixed
    /// `hex_` (the scheme name).
    fn from_str(s: &str) -> Result<Self> {
        let lower = s.to_ascii_lowercase();
        let bare = lower.strip_prefix("hex_").unwrap_or(&lower);
        LegacyDigest::ALL
            .iter()
            .copied()
            .find(|d| d.name() == bare)
            .ok_or_else(|| {
                Error::InvalidConfig(format!(
                    "unknown legacy digest {s:?}; expected one of md5, sha1, sha256, sha512"
                ))
            })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip_and_are_unique() {
        let mut seen = std::collections::HashSet::new();
        for s in Scheme::all() {
            assert!(seen.insert(s.name()));
            assert_eq!(s.name().parse::<Scheme>().unwrap(), *s);
        }
        assert!("nope".parse::<Scheme>().is_err());
    }

    #[test]
    fn legacy_digest_names_parse() {
        assert_eq!(
            "SHA256".parse::<LegacyDigest>().unwrap(),
            LegacyDigest::Sha256
        );
        assert_eq!(
            "hex_md5".parse::<LegacyDigest>().unwrap(),
            LegacyDigest::Md5
        );
        let err = "sha3".parse::<LegacyDigest>().unwrap_err();
        assert!(err.to_string().contains("sha3"));
    }
}
