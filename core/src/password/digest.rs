//! Plain digests: bare hex (`md5`, `sha1`, `sha256`, `sha512`; opt-in per name) and
//! Django's `md5$$hex`, `sha1$$hex` (unsalted) and `md5$salt$hex`, `sha1$salt$hex`
//! (hash of salt then password).

use zeroize::Zeroizing;

use super::b64;
use super::kdf::{Hash, Kdf};
use super::legacy::{Legacy, Mode, check_len, digest_bytes, split_digest};
use super::scheme::{LegacyDigest, Scheme};
use crate::error::{Error, Result};

fn hash_of(d: LegacyDigest) -> Hash {
    match d {
        LegacyDigest::Md5 => Hash::Md5,
        LegacyDigest::Sha1 => Hash::Sha1,
        LegacyDigest::Sha256 => Hash::Sha256,
        LegacyDigest::Sha512 => Hash::Sha512,
    }
}

/// The bare digest a string of this shape would be, if it is all hex of a known length.
pub(crate) fn bare_kind(s: &str) -> Option<LegacyDigest> {
    if !s.bytes().all(|b| b.is_ascii_hexdigit()) {
        return None;
    }
    LegacyDigest::ALL
        .into_iter()
        .find(|d| d.hex_len() == s.len())
}

/// A bare hex digest of kind `d` (the caller checked the opt-in). In [`Mode::Setting`]
/// the setting is empty.
pub(crate) fn parse_bare(s: &str, d: LegacyDigest, mode: Mode) -> Result<Legacy> {
    let scheme = d.scheme();
    let digest = match mode {
        Mode::Full => Zeroizing::new(b64::decode_hex(s, scheme.name(), "digest")?),
        Mode::Setting if s.is_empty() => Zeroizing::new(Vec::new()),
        Mode::Setting => {
            return Err(Error::InvalidHash(format!(
                "{}: a bare digest has no setting",
                scheme.name()
            )));
        }
    };
    let n = hash_of(d).output_len();
    check_len(mode, &digest, n..=n, scheme.name())?;
    Ok(Legacy {
        scheme,
        kdf: Kdf::Digest {
            hash: hash_of(d),
            salt: Vec::new(),
        },
        digest,
        setting_len: 0,
    })
}

/// Django `md5$salt$hex` / `sha1$salt$hex`, unsalted when the salt is empty.
pub(crate) fn parse_django(s: &str, mode: Mode) -> Result<Legacy> {
    let md5 = s.starts_with("md5$");
    let hash = if md5 { Hash::Md5 } else { Hash::Sha1 };
    let (head, digest, setting_len) = split_digest(s, mode, "django digest")?;
    let (_, salt) = head
        .split_once('$')
        .ok_or_else(|| Error::InvalidHash("django digest: missing salt field".into()))?;
    let scheme = match (md5, salt.is_empty()) {
        (true, true) => Scheme::DjangoUnsaltedMd5,
        (true, false) => Scheme::DjangoSaltedMd5,
        (false, true) => Scheme::DjangoUnsaltedSha1,
        (false, false) => Scheme::DjangoSaltedSha1,
    };
    if salt.contains('$') {
        return Err(Error::InvalidHash(format!(
            "{}: too many '$' fields",
            scheme.name()
        )));
    }
    let digest = digest_bytes(mode, || b64::decode_hex(digest, scheme.name(), "digest"))?;
    let n = hash.output_len();
    check_len(mode, &digest, n..=n, scheme.name())?;
    Ok(Legacy {
        scheme,
        kdf: Kdf::Digest {
            hash,
            salt: salt.as_bytes().to_vec(),
        },
        digest,
        setting_len,
    })
}

/// The hex digest Django's salted `SHA1PasswordHasher` stored (`sha1$salt$<this>`):
/// SHA-1 of `salt` then `password`, lowercase hex. It is also the inner value of
/// Django's documented `pbkdf2_wrapped_sha1` upgrade (PBKDF2-SHA256 over this digest),
/// so a Django host verifies such a hash by passing this to
/// [`super::PasswordHasher::verify`] against the `pbkdf2_sha256$...` form. Zeroized on
/// drop: it is as good as the password against the old hash.
pub fn django_sha1_digest(salt: &str, password: &str) -> Zeroizing<String> {
    let digest = Hash::Sha1.digest(&[salt.as_bytes(), password.as_bytes()]);
    Zeroizing::new(hex::encode(&*digest))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::password::Limits;

    #[test]
    fn django_sha1_digest_is_what_django_stored() {
        // Django: sha1$salt$<sha1("salt" + "password")>
        let h = format!("sha1$salt${}", &*django_sha1_digest("salt", "password"));
        let p = parse_django(&h, Mode::Full).unwrap();
        assert_eq!(p.scheme, Scheme::DjangoSaltedSha1);
        assert!(p.verify(b"password", &Limits::default()).unwrap());
        assert_eq!(
            &*django_sha1_digest("salt", "password"),
            "59b3e8d637cf97edbe2384cf59cb7453dfe30789"
        );
    }

    #[test]
    fn shapes() {
        assert_eq!(bare_kind(&"a".repeat(64)), Some(LegacyDigest::Sha256));
        assert_eq!(bare_kind(&"A".repeat(32)), Some(LegacyDigest::Md5));
        assert_eq!(bare_kind(&"a".repeat(63)), None);
        assert_eq!(bare_kind(&"g".repeat(64)), None);
    }

    #[test]
    fn django_salted_md5() {
        // md5("salt" + "password")
        let h = "md5$salt$67a1e09bb1f83f5007dc119c14d663aa";
        let p = parse_django(h, Mode::Full).unwrap();
        assert_eq!(p.scheme, Scheme::DjangoSaltedMd5);
        assert!(p.verify(b"password", &Limits::default()).unwrap());
        assert!(!p.verify(b"Password", &Limits::default()).unwrap());
    }
}
