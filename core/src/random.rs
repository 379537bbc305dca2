//! Randomness from the operating system, for salts, nonces, keys and tokens.

use crate::error::{Error, Result};

/// Fills `buf` from the OS CSPRNG. Failure (no entropy source) is an error, never a
/// silent fallback to something weaker.
pub fn fill(buf: &mut [u8]) -> Result<()> {
    getrandom::fill(buf).map_err(|e| Error::Internal(format!("OS random source failed: {e}")))
}

/// `N` fresh random bytes.
pub fn bytes<const N: usize>() -> Result<[u8; N]> {
    let mut out = [0u8; N];
    fill(&mut out)?;
    Ok(out)
}

#[cfg(test)]
mod tests {
    #[test]
    fn successive_draws_differ() {
        let a = super::bytes::<16>().unwrap();
        let b = super::bytes::<16>().unwrap();
        assert_ne!(a, b);
    }
}
