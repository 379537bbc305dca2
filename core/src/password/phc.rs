//! Argon2 PHC strings: `$argon2id$v=19$m=19456,t=2,p=1[,keyid=..][,data=..]$salt$hash`.
//!
//! Parsed by hand (rather than through `password-hash`) so that every limit is checked
//! before any memory is allocated, and every error names the field at fault.

use argon2::{Algorithm, Argon2, AssociatedData, ParamsBuilder, Version};
use subtle::ConstantTimeEq;
use zeroize::Zeroizing;

use super::b64;
use super::policy::{Limits, Pepper, Policy};
use super::scheme::Scheme;
use crate::error::{Error, Result};

const MIN_SALT: usize = 8;
const MAX_SALT: usize = 256;
const MIN_OUT: usize = 4;
const MAX_OUT: usize = 256;

/// A parsed Argon2 PHC string.
#[derive(Debug, Clone)]
pub(crate) struct Argon2Hash {
    pub(crate) algorithm: Algorithm,
    pub(crate) version: Version,
    pub(crate) m: u32,
    pub(crate) t: u32,
    pub(crate) p: u32,
    /// The pepper id, from `keyid=`.
    pub(crate) keyid: Option<String>,
    pub(crate) data: Vec<u8>,
    pub(crate) salt: Vec<u8>,
    pub(crate) hash: Vec<u8>,
}

fn bad(msg: String) -> Error {
    Error::InvalidHash(format!("argon2: {msg}"))
}

/// A decimal `u32` without sign, spaces or more than 10 digits.
pub(crate) fn parse_u32(s: &str, what: &str, field: &str) -> Result<u32> {
    if s.is_empty() || s.len() > 10 || !s.bytes().all(|b| b.is_ascii_digit()) {
        return Err(Error::InvalidHash(format!(
            "{what}: {field} {s:?} is not a decimal number"
        )));
    }
    s.parse::<u32>()
        .map_err(|_| Error::InvalidHash(format!("{what}: {field} {s} is out of range")))
}

impl Argon2Hash {
    /// The scheme of a bare PHC string of this variant.
    pub(crate) fn scheme(&self) -> Scheme {
        match self.algorithm {
            Algorithm::Argon2id => Scheme::Argon2id,
            Algorithm::Argon2i => Scheme::Argon2i,
            Algorithm::Argon2d => Scheme::Argon2d,
        }
    }

    /// Parses a PHC string starting with `$argon2`.
    pub(crate) fn parse(s: &str, limits: &Limits) -> Result<Argon2Hash> {
        let rest = s
            .strip_prefix('$')
            .ok_or_else(|| bad("missing leading '$'".into()))?;
        let mut fields = rest.split('$');
        let algorithm = match fields.next() {
            Some("argon2id") => Algorithm::Argon2id,
            Some("argon2i") => Algorithm::Argon2i,
            Some("argon2d") => Algorithm::Argon2d,
            _ => {
                return Err(bad(
                    "unknown variant (expected argon2id, argon2i or argon2d)".into(),
                ));
            }
        };
        let mut next = fields
            .next()
            .ok_or_else(|| bad("missing parameters".into()))?;
        let version = match next.strip_prefix("v=") {
            Some(v) => {
                let version = match v {
                    "19" => Version::V0x13,
                    "16" => Version::V0x10,
                    _ => {
                        return Err(bad(format!(
                            "unsupported version v={v} (expected 19 or 16)"
                        )));
                    }
                };
                next = fields
                    .next()
                    .ok_or_else(|| bad("missing parameters".into()))?;
                version
            }
            // The PHC string of libargon2 before 1.3 had no version: 0x10.
            None => Version::V0x10,
        };
        let (mut m, mut t, mut p, mut keyid, mut data) = (None, None, None, None, None);
        for kv in next.split(',') {
            let (k, v) = kv
                .split_once('=')
                .ok_or_else(|| bad(format!("parameter {kv:?} is not key=value")))?;
            let slot_taken = match k {
                "m" => m.replace(parse_u32(v, "argon2", "m")?).is_some(),
                "t" => t.replace(parse_u32(v, "argon2", "t")?).is_some(),
                "p" => p.replace(parse_u32(v, "argon2", "p")?).is_some(),
                "keyid" => keyid
                    .replace(b64::decode_std(v, "argon2", "keyid")?)
                    .is_some(),
                "data" => data
                    .replace(b64::decode_std(v, "argon2", "data")?)
                    .is_some(),
                _ => return Err(bad(format!("unknown parameter {k:?}"))),
            };
            if slot_taken {
                return Err(bad(format!("parameter {k} appears twice")));
            }
        }
        let m = m.ok_or_else(|| bad("missing m= (memory cost)".into()))?;
        let t = t.ok_or_else(|| bad("missing t= (time cost)".into()))?;
        let p = p.ok_or_else(|| bad("missing p= (parallelism)".into()))?;
        if p == 0 || p > limits.max_argon2_parallelism {
            return Err(bad(format!(
                "parallelism p={p} must be 1 to {} (limits.max_argon2_parallelism)",
                limits.max_argon2_parallelism
            )));
        }
        if m > limits.max_argon2_memory_kib {
            return Err(bad(format!(
                "memory m={m} KiB is above the ceiling {} (limits.max_argon2_memory_kib)",
                limits.max_argon2_memory_kib
            )));
        }
        if m < 8 * p {
            return Err(bad(format!("memory m={m} is below 8 * p ({})", 8 * p)));
        }
        if t == 0 || t > limits.max_argon2_iterations {
            return Err(bad(format!(
                "time cost t={t} must be 1 to {} (limits.max_argon2_iterations)",
                limits.max_argon2_iterations
            )));
        }
        let keyid = match keyid {
            None => None,
            Some(raw) => Some(
                String::from_utf8(raw)
                    .ok()
                    .filter(|id| Pepper::new(id, &[0; Pepper::MIN_SECRET_LEN]).is_ok())
                    .ok_or_else(|| bad("keyid is not a valid pepper id".into()))?,
            ),
        };
        let data = data.unwrap_or_default();
        if data.len() > AssociatedData::MAX_LEN {
            return Err(bad(format!(
                "data is {} bytes, more than {}",
                data.len(),
                AssociatedData::MAX_LEN
            )));
        }
        let salt_s = fields.next().ok_or_else(|| bad("missing salt".into()))?;
        let hash_s = fields.next().ok_or_else(|| bad("missing hash".into()))?;
        if fields.next().is_some() {
            return Err(bad("too many '$'-separated fields".into()));
        }
        let salt = b64::decode_std(salt_s, "argon2", "salt")?;
        if !(MIN_SALT..=MAX_SALT).contains(&salt.len()) {
            return Err(bad(format!(
                "salt is {} bytes; expected {MIN_SALT} to {MAX_SALT}",
                salt.len()
            )));
        }
        let hash = b64::decode_std(hash_s, "argon2", "hash")?;
        if !(MIN_OUT..=MAX_OUT).contains(&hash.len()) {
            return Err(bad(format!(
                "hash is {} bytes; expected {MIN_OUT} to {MAX_OUT}",
                hash.len()
            )));
        }
        Ok(Argon2Hash {
            algorithm,
            version,
            m,
            t,
            p,
            keyid,
            data,
            salt,
            hash,
        })
    }

    /// The PHC string.
    pub(crate) fn encode(&self) -> String {
        let alg = match self.algorithm {
            Algorithm::Argon2id => "argon2id",
            Algorithm::Argon2i => "argon2i",
            Algorithm::Argon2d => "argon2d",
        };
        let mut s = format!(
            "${alg}$v={}$m={},t={},p={}",
            self.version as u32, self.m, self.t, self.p
        );
        if let Some(id) = &self.keyid {
            s.push_str(",keyid=");
            s.push_str(&b64::encode_std(id.as_bytes()));
        }
        if !self.data.is_empty() {
            s.push_str(",data=");
            s.push_str(&b64::encode_std(&self.data));
        }
        s.push('$');
        s.push_str(&b64::encode_std(&self.salt));
        s.push('$');
        s.push_str(&b64::encode_std(&self.hash));
        s
    }

    /// Computes Argon2 of `password` with this hash's parameters and salt.
    fn compute(&self, password: &[u8], secret: Option<&[u8]>) -> Result<Zeroizing<Vec<u8>>> {
        let mut builder = ParamsBuilder::new();
        builder
            .m_cost(self.m)
            .t_cost(self.t)
            .p_cost(self.p)
            .output_len(self.hash.len());
        if !self.data.is_empty() {
            builder.data(AssociatedData::new(&self.data).map_err(|e| bad(format!("data: {e}")))?);
        }
        let params = builder
            .build()
            .map_err(|e| bad(format!("parameters: {e}")))?;
        let ctx = match secret {
            Some(s) => Argon2::new_with_secret(s, self.algorithm, self.version, params)
                .map_err(|e| Error::InvalidKey(format!("pepper: {e}")))?,
            None => Argon2::new(self.algorithm, self.version, params),
        };
        let mut out = Zeroizing::new(vec![0u8; self.hash.len()]);
        ctx.hash_password_into(password, &self.salt, &mut out)
            .map_err(|e| match e {
                argon2::Error::OutOfMemory => Error::Internal(format!("argon2: {e}")),
                _ => bad(e.to_string()),
            })?;
        Ok(out)
    }

    /// The pepper this hash was made under, looked up in the policy.
    pub(crate) fn pepper<'p>(&self, policy: &'p Policy) -> Result<Option<&'p Pepper>> {
        match &self.keyid {
            None => Ok(None),
            Some(id) => policy.pepper_by_id(id).map(Some).ok_or_else(|| {
                Error::InvalidKey(format!(
                    "the hash was made with pepper id {id:?}, which is not configured"
                ))
            }),
        }
    }

    /// Verifies `password` in constant time (for a given hash length).
    pub(crate) fn verify(&self, password: &[u8], policy: &Policy) -> Result<bool> {
        let secret = self.pepper(policy)?.map(Pepper::secret);
        let out = self.compute(password, secret)?;
        Ok(out.as_slice().ct_eq(&self.hash).into())
    }

    /// Is this hash weaker than the policy, or under another pepper than the current one?
    /// Costs above the policy are kept (a rehash would be a downgrade).
    pub(crate) fn below_policy(&self, policy: &Policy) -> bool {
        self.algorithm != Algorithm::Argon2id
            || self.version != Version::V0x13
            || self.m < policy.memory_kib
            || self.t < policy.iterations
            || self.salt.len() < policy.salt_len
            || self.hash.len() < policy.output_len
            || self.keyid.as_deref() != policy.pepper.as_ref().map(Pepper::id)
    }

    /// A fresh Argon2id hash of `password` under `policy` (new random salt).
    pub(crate) fn create(password: &[u8], policy: &Policy) -> Result<Argon2Hash> {
        let mut salt = vec![0u8; policy.salt_len];
        crate::random::fill(&mut salt)?;
        let mut h = Argon2Hash {
            algorithm: Algorithm::Argon2id,
            version: Version::V0x13,
            m: policy.memory_kib,
            t: policy.iterations,
            p: policy.parallelism,
            keyid: policy.pepper.as_ref().map(|p| p.id().to_owned()),
            data: Vec::new(),
            salt,
            hash: vec![0u8; policy.output_len],
        };
        let secret = policy.pepper.as_ref().map(Pepper::secret);
        let out = h.compute(password, secret)?;
        h.hash.copy_from_slice(&out);
        Ok(h)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const H: &str = "$argon2id$v=19$m=256,t=1,p=1$UonD6s2Y0KtfK54ySxAVcg$/PSaJG6tcO5Seu0l3oaBdaJ6ViqFI/p0RMmrF/H8BvE";

    // RFC 9106 section 5: m=32, t=3, p=4, password 32 x 0x01, salt 16 x 0x02, secret
    // 8 x 0x03, associated data 12 x 0x04.
    #[test]
    fn rfc9106_vectors() {
        for (algorithm, tag) in [
            (
                Algorithm::Argon2d,
                "512b391b6f1162975371d30919734294f868e3be3984f3c1a13a4db9fabe4acb",
            ),
            (
                Algorithm::Argon2i,
                "c814d9d1dc7f37aa13f0d77f2494bda1c8de6b016dd388d29952a4c4672b6ce8",
            ),
            (
                Algorithm::Argon2id,
                "0d640df58d78766c08c037a34a8b53c9d01ef0452d75b65eb52520e96b01e659",
            ),
        ] {
            let h = Argon2Hash {
                algorithm,
                version: Version::V0x13,
                m: 32,
                t: 3,
                p: 4,
                keyid: None,
                data: vec![4; 12],
                salt: vec![2; 16],
                hash: hex::decode(tag).unwrap(),
            };
            let out = h.compute(&[1; 32], Some(&[3; 8])).unwrap();
            assert_eq!(hex::encode(out.as_slice()), tag);
            // And through the PHC text (data= travels in the string).
            let parsed = Argon2Hash::parse(&h.encode(), &Limits::default()).unwrap();
            assert_eq!(parsed.compute(&[1; 32], Some(&[3; 8])).unwrap(), out);
        }
    }

    #[test]
    fn parse_encode_round_trip() {
        let h = Argon2Hash::parse(H, &Limits::default()).unwrap();
        assert_eq!((h.m, h.t, h.p), (256, 1, 1));
        assert_eq!(h.encode(), H);
    }

    #[test]
    fn limits_are_enforced_before_work() {
        let l = Limits::default();
        for (s, needle) in [
            (
                "$argon2id$v=19$m=4294967295,t=1,p=1$UonD6s2Y0KtfK54ySxAVcg$/PSaJG6tcO5Seu0l3oaBdaJ6ViqFI/p0RMmrF/H8BvE",
                "max_argon2_memory_kib",
            ),
            (
                "$argon2id$v=19$m=256,t=99999,p=1$UonD6s2Y0KtfK54ySxAVcg$/PSaJG6tcO5Seu0l3oaBdaJ6ViqFI/p0RMmrF/H8BvE",
                "max_argon2_iterations",
            ),
            (
                "$argon2id$v=19$m=256,t=1,p=0$UonD6s2Y0KtfK54ySxAVcg$/PSaJG6tcO5Seu0l3oaBdaJ6ViqFI/p0RMmrF/H8BvE",
                "parallelism",
            ),
            (
                "$argon2id$v=19$m=256,t=1,p=1,m=2$UonD6s2Y0KtfK54ySxAVcg$/PSaJG6tcO5Seu0l3oaBdaJ6ViqFI/p0RMmrF/H8BvE",
                "twice",
            ),
            (
                "$argon2id$v=18$m=256,t=1,p=1$UonD6s2Y0KtfK54ySxAVcg$/PSaJG6tcO5Seu0l3oaBdaJ6ViqFI/p0RMmrF/H8BvE",
                "version",
            ),
            (
                "$argon2id$v=19$m=256,t=1,p=1$Uo!D6s2Y0KtfK54ySxAVcg$/PSaJG6tcO5Seu0l3oaBdaJ6ViqFI/p0RMmrF/H8BvE",
                "salt",
            ),
            (
                "$argon2id$v=19$m=256,t=1,p=1$UonD6s2Y0KtfK54ySxAVcg",
                "missing hash",
            ),
            (
                "$argon2id$v=19$m=+256,t=1,p=1$UonD6s2Y0KtfK54ySxAVcg$/PSaJG6tcO5Seu0l3oaBdaJ6ViqFI/p0RMmrF/H8BvE",
                "decimal",
            ),
        ] {
            let e = Argon2Hash::parse(s, &l).unwrap_err();
            assert!(e.to_string().contains(needle), "{s}: {e}");
        }
    }
}
