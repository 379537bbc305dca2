//! scrypt in its three stored dialects: passlib (`$scrypt$ln=16,r=8,p=1$salt$checksum`,
//! base64 salt), Django (`scrypt$N$salt$r$p$base64`, 64-byte key) and Werkzeug
//! (`scrypt:N:r:p$salt$hex`, 64-byte key). Django and Werkzeug use the salt text as the
//! salt.

use super::b64;
use super::kdf::Kdf;
use super::legacy::{Legacy, Mode, digest_bytes, split_digest};
use super::phc::parse_u32;
use super::policy::Limits;
use super::scheme::Scheme;
use crate::error::{Error, Result};

/// Werkzeug's parameters when a stored hash says only `scrypt`.
const WERKZEUG_DEFAULT: (u32, u32, u32) = (1 << 15, 8, 1);

fn check(log_n: u32, r: u32, p: u32, limits: &Limits, what: &str) -> Result<u8> {
    if log_n == 0 || log_n > 40 || r == 0 || p == 0 {
        return Err(Error::InvalidHash(format!(
            "{what}: parameters N=2^{log_n}, r={r}, p={p} are invalid"
        )));
    }
    let mem = 128u128 * u128::from(r) * (1u128 << log_n) * u128::from(p);
    if mem > u128::from(limits.max_scrypt_memory_bytes) || u64::from(r) * u64::from(p) >= 1 << 30 {
        return Err(Error::InvalidHash(format!(
            "{what}: N=2^{log_n}, r={r}, p={p} needs {mem} bytes of work memory, above the ceiling {} (limits.max_scrypt_memory_bytes)",
            limits.max_scrypt_memory_bytes
        )));
    }
    // log_n <= 40 checked above.
    Ok(log_n as u8)
}

fn log2_exact(n: u32, what: &str) -> Result<u32> {
    if n < 2 || !n.is_power_of_two() {
        return Err(Error::InvalidHash(format!(
            "{what}: N={n} is not a power of two above 1"
        )));
    }
    Ok(n.trailing_zeros())
}

/// passlib `$scrypt$ln=..,r=..,p=..$salt$checksum`.
pub(crate) fn parse_passlib(s: &str, mode: Mode, limits: &Limits) -> Result<Legacy> {
    let what = Scheme::Scrypt.name();
    let (head, digest, setting_len) = split_digest(s, mode, what)?;
    let rest = head
        .strip_prefix("$scrypt$")
        .ok_or_else(|| Error::InvalidHash(format!("{what}: expected '$scrypt$'")))?;
    let (params, salt) = rest
        .split_once('$')
        .ok_or_else(|| Error::InvalidHash(format!("{what}: missing salt")))?;
    let mut it = params.split(',');
    let mut get = |key: &str| -> Result<u32> {
        let kv = it.next().unwrap_or("");
        let v = kv.strip_prefix(key).ok_or_else(|| {
            Error::InvalidHash(format!("{what}: parameters must be ln=..,r=..,p=.."))
        })?;
        parse_u32(v, what, key)
    };
    let (ln, r, p) = (get("ln=")?, get("r=")?, get("p=")?);
    if it.next().is_some() {
        return Err(Error::InvalidHash(format!(
            "{what}: unexpected extra parameter"
        )));
    }
    let log_n = check(ln, r, p, limits, what)?;
    let salt = b64::decode_std(salt, what, "salt")?;
    let digest = digest_bytes(mode, || b64::decode_std(digest, what, "checksum"))?;
    Legacy {
        scheme: Scheme::Scrypt,
        kdf: Kdf::Scrypt { log_n, r, p, salt },
        digest,
        setting_len,
    }
    .checked(mode, limits)
}

/// Django `scrypt$N$salt$r$p$base64`, or Werkzeug `scrypt$salt$hex` (its defaults).
pub(crate) fn parse_dollar(s: &str, mode: Mode, limits: &Limits) -> Result<Legacy> {
    if s.split('$').count() == 3 {
        return parse_werkzeug(s, mode, limits);
    }
    let what = Scheme::DjangoScrypt.name();
    let (head, digest, setting_len) = split_digest(s, mode, what)?;
    let f: Vec<&str> = head.split('$').collect();
    let [_alg, n, salt, r, p] = f[..] else {
        return Err(Error::InvalidHash(format!(
            "{what}: expected scrypt$N$salt$r$p$hash"
        )));
    };
    let log_n = log2_exact(parse_u32(n, what, "N")?, what)?;
    let (r, p) = (parse_u32(r, what, "r")?, parse_u32(p, what, "p")?);
    let log_n = check(log_n, r, p, limits, what)?;
    let digest = digest_bytes(mode, || b64::decode_std_padded(digest, what, "hash"))?;
    Legacy {
        scheme: Scheme::DjangoScrypt,
        kdf: Kdf::Scrypt {
            log_n,
            r,
            p,
            salt: salt.as_bytes().to_vec(),
        },
        digest,
        setting_len,
    }
    .checked(mode, limits)
}

/// Werkzeug `scrypt[:N:r:p]$salt$hex`.
pub(crate) fn parse_werkzeug(s: &str, mode: Mode, limits: &Limits) -> Result<Legacy> {
    let what = Scheme::WerkzeugScrypt.name();
    let (head, digest, setting_len) = split_digest(s, mode, what)?;
    let (method, salt) = head
        .split_once('$')
        .ok_or_else(|| Error::InvalidHash(format!("{what}: missing salt")))?;
    if salt.contains('$') {
        return Err(Error::InvalidHash(format!("{what}: too many '$' fields")));
    }
    let args: Vec<&str> = method.split(':').skip(1).collect();
    let (n, r, p) = match args[..] {
        [] => WERKZEUG_DEFAULT,
        [n, r, p] => (
            parse_u32(n, what, "N")?,
            parse_u32(r, what, "r")?,
            parse_u32(p, what, "p")?,
        ),
        _ => {
            return Err(Error::InvalidHash(format!(
                "{what}: method must be scrypt:N:r:p"
            )));
        }
    };
    let log_n = check(log2_exact(n, what)?, r, p, limits, what)?;
    let digest = digest_bytes(mode, || b64::decode_hex(digest, what, "hash"))?;
    Legacy {
        scheme: Scheme::WerkzeugScrypt,
        kdf: Kdf::Scrypt {
            log_n,
            r,
            p,
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

    // RFC 7914 section 12, first vector (N=16, r=1, p=1, empty password and salt).
    #[test]
    fn rfc7914() {
        let mut out = [0u8; 64];
        scrypt::scrypt(b"", b"", &scrypt::Params::new(4, 1, 1).unwrap(), &mut out).unwrap();
        assert_eq!(
            hex::encode(out),
            "77d6576238657b203b19ca42c18a0497f16b4844e3074ae8dfdffa3fede21442fcd0069ded0948f8326a753a0fc81f17e8d3e0fb2e0d3628cf35e20c38d18906"
        );
    }

    #[test]
    fn absurd_parameters_are_rejected() {
        let l = Limits::default();
        let e = parse_passlib("$scrypt$ln=30,r=8,p=1$c2FsdA$AAAA", Mode::Full, &l).unwrap_err();
        assert!(e.to_string().contains("max_scrypt_memory_bytes"), "{e}");
        let e = parse_dollar("scrypt$1000$salt$8$1$AAAA", Mode::Full, &l).unwrap_err();
        assert!(e.to_string().contains("power of two"), "{e}");
        let e = parse_werkzeug("scrypt:16:0:1$salt$00", Mode::Full, &l).unwrap_err();
        assert!(e.to_string().contains("invalid"), "{e}");
    }
}
