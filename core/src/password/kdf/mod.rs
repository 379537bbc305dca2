//! The key-derivation functions behind the legacy formats: which hash or KDF recomputes
//! a stored derived value from a password, its cost model and limits, and the
//! computation itself. The format parsers (`bcrypt`, `crypt`, `pbkdf2`, `scrypt`,
//! `digest`) build a [`Kdf`] and [`super::legacy::Legacy`] uses it; nothing here
//! imports a parser, so the dependencies run one way.

use std::ops::RangeInclusive;

use md5::Md5;
use sha1::Sha1;
use sha2::{Digest, Sha256, Sha512};
use zeroize::Zeroizing;

use super::policy::Limits;
use super::scheme::Scheme;
use crate::error::{Error, Result};

pub(crate) mod bcrypt;
pub(crate) mod crypt;

/// Longest variable-length derived value accepted (PBKDF2, scrypt), in bytes.
const MAX_DKLEN: usize = 256;

/// A hash function used by the PBKDF2 and plain-digest schemes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Hash {
    Md5,
    Sha1,
    Sha256,
    Sha512,
}

impl Hash {
    pub(crate) fn output_len(self) -> usize {
        match self {
            Hash::Md5 => 16,
            Hash::Sha1 => 20,
            Hash::Sha256 => 32,
            Hash::Sha512 => 64,
        }
    }

    /// The hash of `parts` concatenated.
    pub(crate) fn digest(self, parts: &[&[u8]]) -> Zeroizing<Vec<u8>> {
        fn run<D: Digest>(parts: &[&[u8]]) -> Zeroizing<Vec<u8>> {
            let mut d = D::new();
            for p in parts {
                d.update(p);
            }
            Zeroizing::new(d.finalize().to_vec())
        }
        match self {
            Hash::Md5 => run::<Md5>(parts),
            Hash::Sha1 => run::<Sha1>(parts),
            Hash::Sha256 => run::<Sha256>(parts),
            Hash::Sha512 => run::<Sha512>(parts),
        }
    }
}

/// How a bcrypt-based scheme turns the password into bcrypt's input.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Prehash {
    /// Plain bcrypt: the password itself (first 72 bytes).
    None,
    /// passlib bcrypt_sha256 v1: base64(SHA-256(password)).
    PasslibV1,
    /// passlib bcrypt_sha256 v2: base64(HMAC-SHA256(key = the 22-character salt text,
    /// password)).
    PasslibV2 { salt_text: String },
    /// Django bcrypt_sha256: lowercase hex of SHA-256(password).
    DjangoHexSha256,
}

/// Everything needed to recompute a legacy derived value from a password.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Kdf {
    Bcrypt {
        cost: u32,
        salt: [u8; 16],
        prehash: Prehash,
    },
    Pbkdf2 {
        prf: Hash,
        iterations: u32,
        salt: Vec<u8>,
    },
    Scrypt {
        log_n: u8,
        r: u32,
        p: u32,
        salt: Vec<u8>,
    },
    ShaCrypt {
        sha512: bool,
        rounds: u32,
        salt: Vec<u8>,
    },
    Md5Crypt {
        salt: Vec<u8>,
    },
    /// `hash(salt || password)`; the salt is empty for unsalted digests.
    Digest {
        hash: Hash,
        salt: Vec<u8>,
    },
}

impl Kdf {
    /// The lengths its derived value may have. A PBKDF2-style value shorter than the
    /// output of the hash function underneath (SHA-256 for scrypt) is refused: a
    /// truncated digest is not a weaker hash but an invalid one (a 1-byte digest matches
    /// one password in 256).
    fn output_lens(&self) -> RangeInclusive<usize> {
        let exact = |n| n..=n;
        match self {
            Kdf::Bcrypt { .. } => exact(bcrypt::OUTPUT_LEN),
            Kdf::Pbkdf2 { prf, .. } => prf.output_len()..=MAX_DKLEN,
            Kdf::Scrypt { .. } => Hash::Sha256.output_len()..=MAX_DKLEN,
            Kdf::ShaCrypt { sha512: true, .. } => exact(Hash::Sha512.output_len()),
            Kdf::ShaCrypt { sha512: false, .. } => exact(Hash::Sha256.output_len()),
            Kdf::Md5Crypt { .. } => exact(Hash::Md5.output_len()),
            Kdf::Digest { hash, .. } => exact(hash.output_len()),
        }
    }

    /// Checks a derived-value length for this KDF: within [`Kdf::output_lens`], and for
    /// PBKDF2, whose work is its iterations times the output blocks, that product within
    /// `limits.max_pbkdf2_iterations` (a 256-byte PBKDF2-SHA1 digest costs 13 times
    /// its iteration count).
    pub(crate) fn check_output(&self, len: usize, limits: &Limits, what: &str) -> Result<()> {
        let lens = self.output_lens();
        if !lens.contains(&len) {
            return Err(Error::InvalidHash(format!(
                "{what}: digest is {len} bytes; expected {} to {}",
                lens.start(),
                lens.end()
            )));
        }
        if let Kdf::Pbkdf2 {
            prf, iterations, ..
        } = self
        {
            let blocks = len.div_ceil(prf.output_len()) as u64;
            let work = u64::from(*iterations) * blocks;
            if work > u64::from(limits.max_pbkdf2_iterations) {
                return Err(Error::InvalidHash(format!(
                    "{what}: {iterations} iterations for a {len}-byte digest ({blocks} blocks) is {work} iterations of work, above the ceiling {} (limits.max_pbkdf2_iterations)",
                    limits.max_pbkdf2_iterations
                )));
            }
        }
        Ok(())
    }

    /// The modelled work (compression-function calls) of one derivation with a password
    /// of `len` bytes, for the schemes whose work grows with the password's length
    /// beyond one pass over it: the crypt family hashes the password once per round
    /// (and SHA-crypt `len` times more up front). `None` for the others: PBKDF2 keys
    /// HMAC once, bcrypt reads at most 72 bytes, Argon2, scrypt and the digests read
    /// the password once, so their cost is bounded by `max_password_bytes`.
    fn length_work(&self, len: usize) -> Option<u64> {
        match self {
            Kdf::ShaCrypt {
                sha512,
                rounds,
                salt,
            } => Some(crypt::sha_crypt_work(*sha512, *rounds, salt.len(), len)),
            Kdf::Md5Crypt { salt } => Some(crypt::md5_crypt_work(salt.len(), len)),
            _ => None,
        }
    }

    /// Recomputes the derived value for `password`, `dklen` bytes long where the
    /// scheme's output length is variable, after refusing a password whose length would
    /// make it cost more than `limits` allow. `scheme` names the hash in errors.
    pub(crate) fn derive(
        &self,
        password: &[u8],
        dklen: usize,
        limits: &Limits,
        scheme: Scheme,
    ) -> Result<Zeroizing<Vec<u8>>> {
        self.check_password_cost(password.len(), limits, scheme)?;
        Ok(match self {
            Kdf::Bcrypt {
                cost,
                salt,
                prehash,
            } => bcrypt::derive(*cost, salt, prehash, password),
            Kdf::Pbkdf2 {
                prf,
                iterations,
                salt,
            } => {
                let mut out = Zeroizing::new(vec![0u8; dklen]);
                match prf {
                    Hash::Sha1 => {
                        ::pbkdf2::pbkdf2_hmac::<Sha1>(password, salt, *iterations, &mut out)
                    }
                    Hash::Sha256 => {
                        ::pbkdf2::pbkdf2_hmac::<Sha256>(password, salt, *iterations, &mut out)
                    }
                    Hash::Sha512 => {
                        ::pbkdf2::pbkdf2_hmac::<Sha512>(password, salt, *iterations, &mut out)
                    }
                    Hash::Md5 => {
                        ::pbkdf2::pbkdf2_hmac::<Md5>(password, salt, *iterations, &mut out)
                    }
                }
                out
            }
            Kdf::Scrypt { log_n, r, p, salt } => {
                let params = ::scrypt::Params::new(*log_n, *r, *p).map_err(|_| {
                    Error::InvalidHash(format!("{}: invalid scrypt parameters", scheme))
                })?;
                let mut out = Zeroizing::new(vec![0u8; dklen]);
                ::scrypt::scrypt(password, salt, &params, &mut out).map_err(|_| {
                    Error::InvalidHash(format!("{}: invalid scrypt output length", scheme))
                })?;
                out
            }
            Kdf::ShaCrypt {
                sha512,
                rounds,
                salt,
            } => crypt::sha_crypt(*sha512, *rounds, salt, password)?,
            Kdf::Md5Crypt { salt } => crypt::md5_crypt(salt, password),
            Kdf::Digest { hash, salt } => hash.digest(&[salt, password]),
        })
    }

    /// Refuses, before any work, a password that would make this derivation cost more
    /// than `limits.max_length_cost_factor` times what a password of
    /// [`REFERENCE_PASSWORD_BYTES`] costs (a sha512_crypt hash at 5,000,000 rounds
    /// takes seconds with a 64-byte password and minutes with a 4 KiB one). The error
    /// names the longest password accepted against this hash, not the password.
    fn check_password_cost(&self, len: usize, limits: &Limits, scheme: Scheme) -> Result<()> {
        if len <= REFERENCE_PASSWORD_BYTES {
            return Ok(());
        }
        let Some(work) = self.length_work(len) else {
            return Ok(());
        };
        let reference = self.length_work(REFERENCE_PASSWORD_BYTES).unwrap_or(0);
        let budget = reference.saturating_mul(u64::from(limits.max_length_cost_factor));
        if work <= budget {
            return Ok(());
        }
        // Work grows with length: search the longest length within the budget.
        let (mut ok, mut over) = (REFERENCE_PASSWORD_BYTES, len);
        while over - ok > 1 {
            let mid = ok + (over - ok) / 2;
            if self.length_work(mid).unwrap_or(u64::MAX) <= budget {
                ok = mid;
            } else {
                over = mid;
            }
        }
        Err(Error::InvalidInput(format!(
            "the password is {len} bytes: verifying it against this {scheme} hash would cost {:.1} times what a {REFERENCE_PASSWORD_BYTES}-byte password does, above limits.max_length_cost_factor {}; passwords of up to {ok} bytes are accepted against this hash",
            work as f64 / reference.max(1) as f64,
            limits.max_length_cost_factor
        )))
    }
}

/// The password length that [`Limits::max_length_cost_factor`] measures against: a
/// typical password is at most this long.
pub(crate) const REFERENCE_PASSWORD_BYTES: usize = 64;
