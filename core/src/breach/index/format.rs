//! The on-disk layout of an offline breach index (version 1). All integers little-endian.
//!
//! ```text
//! offset  size  field
//! 0       8     magic "MGNBRIX\0"
//! 8       4     version (1)
//! 12      1     hash kind (1 = SHA-1, 2 = NTLM)
//! 13      1     bucket bits k
//! 14      1     fingerprint bits (40)
//! 15      1     entry size in bytes (7)
//! 16      8     entry count n
//! 24      8     distinct hashes read from the corpus (before fingerprint merging)
//! 32      4     CRC-32 of the bucket table
//! 36      4     CRC-32 of the entries
//! 40      20    reserved, zero
//! 60      4     CRC-32 of bytes 0..60
//! 64      4*(2^k+1)  bucket table: table[b] = index of the first entry of bucket b,
//!                    table[2^k] = n
//! ...     7*n   entries, sorted by (bucket, fingerprint): 5-byte fingerprint,
//!               2-byte count code
//! ```
//!
//! A hash's bucket is its top k bits; its fingerprint the next 40 bits. With
//! k = floor(log2 n) - 3 every bucket holds 8 to 16 entries on average, the table costs
//! at most 0.5 bytes per hash, so the file takes at most 7.5 bytes per hash. A hash that
//! is not in the corpus matches an entry only if its 40-bit fingerprint equals one in its
//! bucket: probability n / 2^(k+40) < 16 / 2^40, about 1 in 68 billion per lookup,
//! whatever the corpus size. For the full corpus (n ≈ 10^9: k = 26, ~15 entries per
//! bucket) that is 1.4e-11: about 1 in 74 billion non-breached passwords is flagged.
//! Two corpus hashes with the same bucket and fingerprint are merged (their counts
//! added); among 10^9 hashes about 0.007 such pairs are expected.
//!
//! Checksums are CRC-32 (crc32fast, SIMD): they detect corruption and truncation, not
//! tampering (an index is public data; whoever can write the file can also rewrite its
//! checksums). At several GB/s the entries' CRC is cheap enough to verify at every open.

use crate::breach::HashKind;
use crate::error::{Error, Result};

pub(crate) const MAGIC: [u8; 8] = *b"MGNBRIX\0";
pub(crate) const VERSION: u32 = 1;
pub(crate) const HEADER_LEN: usize = 64;
pub(crate) const FP_BITS: u32 = 40;
pub(crate) const FP_MASK: u64 = (1 << FP_BITS) - 1;
pub(crate) const ENTRY_LEN: usize = 7;
/// Largest number of entries: table offsets are u32.
pub(crate) const MAX_ENTRIES: u64 = u32::MAX as u64;

/// Counts below this are stored exactly.
pub const EXACT_COUNT_LIMIT: u64 = 1 << 15;
/// Codes per doubling above [`EXACT_COUNT_LIMIT`]: relative error at most 2^(1/1336)-1,
/// under 0.06 %, and codes reach 2^64.
const CODES_PER_OCTAVE: f64 = 668.0;

/// The parsed header.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Header {
    pub kind: HashKind,
    pub bucket_bits: u8,
    pub count: u64,
    pub distinct_hashes: u64,
    pub table_crc: u32,
    pub data_crc: u32,
}

impl Header {
    pub(crate) fn table_len(&self) -> u64 {
        ((1u64 << self.bucket_bits) + 1) * 4
    }

    pub(crate) fn file_len(&self) -> Option<u64> {
        (HEADER_LEN as u64)
            .checked_add(self.table_len())?
            .checked_add(self.count.checked_mul(ENTRY_LEN as u64)?)
    }

    pub(crate) fn encode(&self) -> [u8; HEADER_LEN] {
        let mut h = [0u8; HEADER_LEN];
        h[0..8].copy_from_slice(&MAGIC);
        h[8..12].copy_from_slice(&VERSION.to_le_bytes());
        h[12] = match self.kind {
            HashKind::Sha1 => 1,
            HashKind::Ntlm => 2,
        };
        h[13] = self.bucket_bits;
        h[14] = FP_BITS as u8;
        h[15] = ENTRY_LEN as u8;
        h[16..24].copy_from_slice(&self.count.to_le_bytes());
        h[24..32].copy_from_slice(&self.distinct_hashes.to_le_bytes());
        h[32..36].copy_from_slice(&self.table_crc.to_le_bytes());
        h[36..40].copy_from_slice(&self.data_crc.to_le_bytes());
        let crc = crc32fast::hash(&h[..60]);
        h[60..64].copy_from_slice(&crc.to_le_bytes());
        h
    }

    pub(crate) fn decode(h: &[u8]) -> Result<Header> {
        let bad = |m: String| Err(Error::InvalidIndex(m));
        let Some(h) = h.get(..HEADER_LEN) else {
            return bad(format!(
                "file is {} bytes, shorter than the {HEADER_LEN}-byte header (truncated or not an index)",
                h.len()
            ));
        };
        if h[0..8] != MAGIC {
            return bad("bad magic: not a Magnetar breach index".into());
        }
        let version = u32::from_le_bytes([h[8], h[9], h[10], h[11]]);
        if version != VERSION {
            return bad(format!(
                "format version {version} is not supported (this build reads version {VERSION})"
            ));
        }
        let stored_crc = u32::from_le_bytes([h[60], h[61], h[62], h[63]]);
        if crc32fast::hash(&h[..60]) != stored_crc {
            return bad("header checksum mismatch (the header is corrupt)".into());
        }
        let kind = match h[12] {
            1 => HashKind::Sha1,
            2 => HashKind::Ntlm,
            other => return bad(format!("unknown hash kind {other}")),
        };
        let bucket_bits = h[13];
        if bucket_bits > 32 || u32::from(h[14]) != FP_BITS || usize::from(h[15]) != ENTRY_LEN {
            return bad(format!(
                "unsupported layout: {bucket_bits} bucket bits, {} fingerprint bits, {}-byte entries",
                h[14], h[15]
            ));
        }
        let word = |at: usize| {
            let mut b = [0u8; 8];
            b.copy_from_slice(&h[at..at + 8]);
            u64::from_le_bytes(b)
        };
        let count = word(16);
        if count > MAX_ENTRIES {
            return bad(format!("entry count {count} exceeds the format's limit"));
        }
        Ok(Header {
            kind,
            bucket_bits,
            count,
            distinct_hashes: word(24),
            table_crc: u32::from_le_bytes([h[32], h[33], h[34], h[35]]),
            data_crc: u32::from_le_bytes([h[36], h[37], h[38], h[39]]),
        })
    }
}

/// Bucket bits for (at most) `n` entries: 8 to 16 entries per bucket on average.
pub(crate) fn bucket_bits_for(n: u64) -> u8 {
    if n < 16 {
        0
    } else {
        (63 - n.leading_zeros() - 3) as u8
    }
}

/// The top 96 bits of a digest (every supported digest has at least 16 bytes): the sort
/// key of the build and the source of bucket and fingerprint.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub(crate) struct Key {
    pub hi: u64,
    pub lo: u32,
}

impl Key {
    pub(crate) fn from_digest(d: &[u8]) -> Option<Key> {
        let hi = u64::from_be_bytes(d.get(0..8)?.try_into().ok()?);
        let lo = u32::from_be_bytes(d.get(8..12)?.try_into().ok()?);
        Some(Key { hi, lo })
    }

    /// (bucket, fingerprint) for `bucket_bits` ≤ 32.
    pub(crate) fn split(self, bucket_bits: u8) -> (u64, u64) {
        let top = (u128::from(self.hi) << 32) | u128::from(self.lo);
        let k = u32::from(bucket_bits);
        let bucket = (top >> (96 - k)) as u64;
        let fp = ((top >> (96 - k - FP_BITS)) as u64) & FP_MASK;
        (bucket, fp)
    }
}

/// Stores a count in 16 bits: exact below 32,768, then log-scaled (within 0.06 %).
pub(crate) fn encode_count(count: u64) -> u16 {
    if count < EXACT_COUNT_LIMIT {
        return count as u16;
    }
    let steps = ((count as f64).log2() - 15.0) * CODES_PER_OCTAVE;
    (EXACT_COUNT_LIMIT as f64 + steps.round()).min(f64::from(u16::MAX)) as u16
}

/// The count a code stands for (the exact count, or the centre of its log bucket).
pub(crate) fn decode_count(code: u16) -> u64 {
    let code = u64::from(code);
    if code < EXACT_COUNT_LIMIT {
        return code;
    }
    let octaves = (code - EXACT_COUNT_LIMIT) as f64 / CODES_PER_OCTAVE;
    // `as` saturates at u64::MAX for the top codes.
    (2f64.powf(15.0 + octaves)).round() as u64
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn header_round_trip_and_checks() {
        let header = Header {
            kind: HashKind::Ntlm,
            bucket_bits: 20,
            count: 12345,
            distinct_hashes: 12346,
            table_crc: 7,
            data_crc: 9,
        };
        let bytes = header.encode();
        assert_eq!(Header::decode(&bytes).unwrap(), header);
        let mut flipped = bytes;
        flipped[20] ^= 1;
        assert!(
            Header::decode(&flipped)
                .unwrap_err()
                .to_string()
                .contains("checksum")
        );
        let mut v2 = bytes;
        v2[8] = 2;
        assert!(
            Header::decode(&v2)
                .unwrap_err()
                .to_string()
                .contains("version 2")
        );
        assert!(
            Header::decode(&bytes[..10])
                .unwrap_err()
                .to_string()
                .contains("truncated")
        );
        assert!(
            Header::decode(b"GIF89a..........................................................")
                .unwrap_err()
                .to_string()
                .contains("magic")
        );
    }

    #[test]
    fn bucket_bits_give_8_to_16_per_bucket() {
        assert_eq!(bucket_bits_for(0), 0);
        assert_eq!(bucket_bits_for(15), 0);
        for n in [
            16u64,
            1000,
            1 << 20,
            100_000_000,
            1_000_000_000,
            MAX_ENTRIES,
        ] {
            let per_bucket = n as f64 / (1u64 << bucket_bits_for(n)) as f64;
            assert!((8.0..16.0).contains(&per_bucket), "{n}: {per_bucket}");
        }
    }

    #[test]
    fn split_takes_top_bits() {
        let key = Key::from_digest(&[
            0xAB, 0xCD, 0xEF, 0x01, 0x23, 0x45, 0x67, 0x89, 0x11, 0x22, 0x33, 0x44, 0x55, 0x66,
            0x77, 0x88,
        ])
        .unwrap();
        assert_eq!(key.split(0), (0, 0x00AB_CDEF_0123));
        assert_eq!(key.split(8), (0xAB, 0xCD_EF01_2345));
        assert_eq!(key.split(32), (0xABCD_EF01, 0x0023_4567_8911));
    }

    #[test]
    fn small_counts_are_exact() {
        for c in [0u64, 1, 2, 100, 32_767] {
            assert_eq!(decode_count(encode_count(c)), c);
        }
        assert_eq!(decode_count(u16::MAX), decode_count(encode_count(u64::MAX)));
    }

    proptest! {
        #[test]
        fn large_counts_are_close_and_monotonic(c in 32_768u64..u64::MAX / 2, d in 32_768u64..u64::MAX / 2) {
            let back = decode_count(encode_count(c)) as f64;
            prop_assert!((back - c as f64).abs() / (c as f64) < 0.0006, "{c} -> {back}");
            if c <= d {
                prop_assert!(encode_count(c) <= encode_count(d));
            }
        }
    }
}
