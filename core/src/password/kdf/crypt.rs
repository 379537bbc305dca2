//! The crypt(3) derivations: SHA-256-crypt and SHA-512-crypt (over the `sha-crypt`
//! crate), MD5-crypt (implemented here over `md-5`: no maintained crate provides it;
//! the algorithm is Poul-Henning Kamp's, as in FreeBSD and passlib), each permuted as
//! its hash64 text encodes it, and the work model the password-length cost check uses.

use md5::{Digest, Md5};
use zeroize::Zeroizing;

use crate::error::{Error, Result};

const SHA256_ORDER: [usize; 32] = [
    20, 10, 0, 11, 1, 21, 2, 22, 12, 23, 13, 3, 14, 4, 24, 5, 25, 15, 26, 16, 6, 17, 7, 27, 8, 28,
    18, 29, 19, 9, 30, 31,
];
const SHA512_ORDER: [usize; 64] = [
    42, 21, 0, 1, 43, 22, 23, 2, 44, 45, 24, 3, 4, 46, 25, 26, 5, 47, 48, 27, 6, 7, 49, 28, 29, 8,
    50, 51, 30, 9, 10, 52, 31, 32, 11, 53, 54, 33, 12, 13, 55, 34, 35, 14, 56, 57, 36, 15, 16, 58,
    37, 38, 17, 59, 60, 39, 18, 19, 61, 40, 41, 20, 62, 63,
];
const MD5_ORDER: [usize; 16] = [12, 6, 0, 13, 7, 1, 14, 8, 2, 15, 9, 3, 5, 10, 4, 11];

fn permute(bytes: &[u8], order: &[usize]) -> Zeroizing<Vec<u8>> {
    Zeroizing::new(order.iter().map(|&i| bytes[i]).collect())
}

/// SHA-256-crypt or SHA-512-crypt of `password`, permuted as its hash64 text encodes it.
pub(crate) fn sha_crypt(
    sha512: bool,
    rounds: u32,
    salt: &[u8],
    password: &[u8],
) -> Result<Zeroizing<Vec<u8>>> {
    let params = sha_crypt::Params::new(rounds)
        .map_err(|_| Error::InvalidHash(format!("sha-crypt: rounds {rounds} out of range")))?;
    Ok(if sha512 {
        let raw = Zeroizing::new(sha_crypt::sha512_crypt(password, salt, params));
        permute(raw.as_slice(), &SHA512_ORDER)
    } else {
        let raw = Zeroizing::new(sha_crypt::sha256_crypt(password, salt, params));
        permute(raw.as_slice(), &SHA256_ORDER)
    })
}

/// MD5-crypt of `password` with `salt` (at most 8 bytes), permuted as its hash64 text
/// encodes it.
pub(crate) fn md5_crypt(salt: &[u8], password: &[u8]) -> Zeroizing<Vec<u8>> {
    let mut alt = Md5::new();
    alt.update(password);
    alt.update(salt);
    alt.update(password);
    let alt: Zeroizing<[u8; 16]> = Zeroizing::new(alt.finalize().into());

    let mut ctx = Md5::new();
    ctx.update(password);
    ctx.update(b"$1$");
    ctx.update(salt);
    let mut left = password.len();
    while left > 0 {
        let n = left.min(16);
        ctx.update(&alt[..n]);
        left -= n;
    }
    // The famous oddity: for each bit of the length, a NUL or the first password byte.
    let mut i = password.len();
    while i > 0 {
        if i & 1 == 1 {
            ctx.update([0u8]);
        } else {
            ctx.update(&password[..1]);
        }
        i >>= 1;
    }
    let mut fin: Zeroizing<[u8; 16]> = Zeroizing::new(ctx.finalize().into());
    for round in 0..1000 {
        let mut c = Md5::new();
        if round & 1 == 1 {
            c.update(password);
        } else {
            c.update(fin.as_slice());
        }
        if round % 3 != 0 {
            c.update(salt);
        }
        if round % 7 != 0 {
            c.update(password);
        }
        if round & 1 == 1 {
            c.update(fin.as_slice());
        } else {
            c.update(password);
        }
        *fin = c.finalize().into();
    }
    permute(fin.as_slice(), &MD5_ORDER)
}

/// A Merkle-Damgard hash's shape, for counting compression-function calls.
struct Shape {
    block: u64,
    /// Bytes of message length appended by the padding.
    length_field: u64,
    output: u64,
}

const MD5: Shape = Shape {
    block: 64,
    length_field: 8,
    output: 16,
};
const SHA256: Shape = Shape {
    block: 64,
    length_field: 8,
    output: 32,
};
const SHA512: Shape = Shape {
    block: 128,
    length_field: 16,
    output: 64,
};

impl Shape {
    /// Compression calls to hash `n` bytes (with the 0x80 byte and the length field).
    fn blocks(&self, n: u64) -> u64 {
        (n + 1 + self.length_field).div_ceil(self.block)
    }

    /// The round loop both schemes share: round `i` hashes the previous digest and the
    /// password (in an order that alternates), the salt unless `i % 3 == 0` and the
    /// password again unless `i % 7 == 0`; the pattern repeats every 21 rounds.
    fn rounds(&self, rounds: u64, salt: u64, pw: u64) -> u64 {
        let round = |i: u64| {
            let salt = if i.is_multiple_of(3) { 0 } else { salt };
            let again = if i.is_multiple_of(7) { 0 } else { pw };
            self.blocks(self.output + pw + salt + again)
        };
        let cycle: u64 = (0..21).map(round).sum();
        (rounds / 21) * cycle + (0..rounds % 21).map(round).sum::<u64>()
    }
}

/// The number of compression calls SHA-crypt makes for a password of `pw` bytes,
/// following Drepper's specification step by step: the model the password-length cost
/// check uses (exact up to the constant work of the final encoding).
pub(crate) fn sha_crypt_work(sha512: bool, rounds: u32, salt: usize, pw: usize) -> u64 {
    let h = if sha512 { &SHA512 } else { &SHA256 };
    let (p, s) = (pw as u64, salt.min(16) as u64);
    let ones = u64::from(pw.count_ones());
    let zeros = u64::from(usize::BITS - pw.leading_zeros()) - ones;
    // Steps 4-8 (digest B: P, S, P) and 1-12 (digest A: P, S, |P| bytes of B, then B
    // or P for each bit of |P|).
    let a = h.blocks(2 * p + s) + h.blocks(2 * p + s + ones * h.output + zeros * p);
    // Steps 13-15: the password hashed |P| times over, quadratic in its length.
    let dp = h.blocks(p * p);
    // Steps 17-19: the salt repeated 16 + A[0] times, at most 271.
    let ds = h.blocks(271 * s);
    a + dp + ds + h.rounds(u64::from(rounds), s, p)
}

/// The number of compression calls MD5-crypt makes for a password of `pw` bytes (see
/// [`md5_crypt`]: two setup digests, then 1000 rounds).
pub(crate) fn md5_crypt_work(salt: usize, pw: usize) -> u64 {
    let (p, s) = (pw as u64, salt as u64);
    let bits = u64::from(usize::BITS - pw.leading_zeros());
    MD5.blocks(2 * p + s) + MD5.blocks(2 * p + 3 + s + bits) + MD5.rounds(1000, s, p)
}
