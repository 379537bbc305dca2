//! The offline breach index: a compact, memory-mapped, checksummed file built from the
//! downloadable Pwned Passwords corpus. See [`format`](mod@format) for the layout, the size
//! (≤ 7.5 bytes per hash) and the false-positive bound (< 1 in 68 billion).
//!
//! Counts are exact below [`EXACT_COUNT_LIMIT`] and within 0.06 % above it; hashes that
//! share bucket and fingerprint are merged, so their counts add up.

mod build;
mod corpus;
pub mod format;

use std::fs::File;
use std::path::{Path, PathBuf};

pub use build::{
    BuildPhase, BuildProgress, BuildStats, DEFAULT_RUN_RECORDS, IndexBuilder, ProgressFn,
};
pub use format::EXACT_COUNT_LIMIT;
use format::{ENTRY_LEN, FP_MASK, HEADER_LEN, Header, Key, decode_count};

use crate::breach::HashKind;
use crate::error::{Error, Result};

/// An open, validated index. Cheap lookups from any number of threads.
pub struct BreachIndex {
    map: memmap2::Mmap,
    header: Header,
    path: PathBuf,
}

impl std::fmt::Debug for BreachIndex {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("BreachIndex")
            .field("path", &self.path)
            .field("kind", &self.header.kind)
            .field("entries", &self.header.count)
            .finish_non_exhaustive()
    }
}

impl BreachIndex {
    /// Builds an index at `out` from a corpus file with default options (see
    /// [`IndexBuilder`] for run size, `top_n`, progress and the temp directory).
    pub fn build(corpus: impl AsRef<Path>, out: impl AsRef<Path>) -> Result<BuildStats> {
        IndexBuilder::new().build(corpus, out)
    }

    /// Opens and fully validates an index: header checksum, version, exact file length
    /// (so truncation is caught), bucket-table checksum and order, and the entries'
    /// checksum. CRC-32 runs at several GB/s, so even a 1-billion-hash index (~7 GB)
    /// verifies in seconds; use [`open_unverified_data`](Self::open_unverified_data) to
    /// skip the entries' checksum when start-up time matters more.
    pub fn open(path: impl AsRef<Path>) -> Result<Self> {
        let index = Self::open_unverified_data(path)?;
        index.verify()?;
        Ok(index)
    }

    /// Opens an index checking everything except the entries' checksum. Lookups stay
    /// memory-safe on a damaged file (every access is bounds-checked against a validated
    /// table); a corrupt entry could only give a wrong answer. Call
    /// [`verify`](Self::verify) to check the entries later.
    pub fn open_unverified_data(path: impl AsRef<Path>) -> Result<Self> {
        let path = path.as_ref().to_path_buf();
        let file = File::open(&path)
            .map_err(|e| Error::io(format!("opening breach index {}", path.display()), e))?;
        let len = file
            .metadata()
            .map_err(|e| Error::io(format!("reading breach index {}", path.display()), e))?
            .len();
        let name = path.display();
        if len < HEADER_LEN as u64 {
            return Err(Error::InvalidIndex(format!(
                "{name}: file is {len} bytes, shorter than the {HEADER_LEN}-byte header (truncated or not an index)"
            )));
        }
        // SAFETY: the mapping is read-only and private. Memory-mapping is only unsound if
        // another process truncates or rewrites the file while it is mapped (SIGBUS or
        // changing bytes); index files are written once to a temporary name and renamed
        // into place, never modified, and this is documented for users.
        let map = unsafe { memmap2::Mmap::map(&file) }
            .map_err(|e| Error::io(format!("memory-mapping breach index {name}"), e))?;
        let header = Header::decode(&map).map_err(|e| prefix_path(&path, e))?;
        let expected = header
            .file_len()
            .ok_or_else(|| Error::InvalidIndex(format!("{name}: header sizes overflow")))?;
        if expected != map.len() as u64 {
            return Err(Error::InvalidIndex(format!(
                "{name}: file is {} bytes but its header describes {expected} (truncated or padded)",
                map.len()
            )));
        }
        let index = BreachIndex { map, header, path };
        index.check_table()?;
        Ok(index)
    }

    fn table_bytes(&self) -> &[u8] {
        let end = HEADER_LEN + self.header.table_len() as usize;
        self.map.get(HEADER_LEN..end).unwrap_or(&[])
    }

    fn data_bytes(&self) -> &[u8] {
        let start = HEADER_LEN + self.header.table_len() as usize;
        self.map.get(start..).unwrap_or(&[])
    }

    fn slot(&self, bucket: usize) -> Option<usize> {
        let at = bucket.checked_mul(4)?;
        let b = self.table_bytes().get(at..at + 4)?;
        Some(u32::from_le_bytes([b[0], b[1], b[2], b[3]]) as usize)
    }

    fn check_table(&self) -> Result<()> {
        let table = self.table_bytes();
        if crc32fast::hash(table) != self.header.table_crc {
            return Err(self.invalid("bucket table checksum mismatch (the table is corrupt)"));
        }
        let mut previous = 0u32;
        for (i, chunk) in table.chunks_exact(4).enumerate() {
            let offset = u32::from_le_bytes([chunk[0], chunk[1], chunk[2], chunk[3]]);
            if offset < previous || (i == 0 && offset != 0) {
                return Err(self.invalid("bucket table is not ordered"));
            }
            previous = offset;
        }
        if u64::from(previous) != self.header.count {
            return Err(self.invalid("bucket table does not end at the entry count"));
        }
        Ok(())
    }

    /// Checks the entries' checksum (done by [`open`](Self::open)).
    pub fn verify(&self) -> Result<()> {
        if crc32fast::hash(self.data_bytes()) != self.header.data_crc {
            return Err(self.invalid("entries checksum mismatch (the data is corrupt)"));
        }
        Ok(())
    }

    fn invalid(&self, what: &str) -> Error {
        Error::InvalidIndex(format!("{}: {what}", self.path.display()))
    }

    /// The hash the index is keyed by.
    pub fn hash_kind(&self) -> HashKind {
        self.header.kind
    }

    /// Entries in the index.
    pub fn len(&self) -> u64 {
        self.header.count
    }

    /// Whether the index has no entries.
    pub fn is_empty(&self) -> bool {
        self.header.count == 0
    }

    /// Distinct corpus hashes the index was built from.
    pub fn distinct_hashes(&self) -> u64 {
        self.header.distinct_hashes
    }

    /// The file size in bytes.
    pub fn file_bytes(&self) -> u64 {
        self.map.len() as u64
    }

    /// The file's path.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Looks up a SHA-1 digest. Errors if this is an NTLM index.
    pub fn lookup_sha1(&self, digest: &[u8; 20]) -> Result<Option<u64>> {
        self.lookup_digest(digest)
    }

    /// Looks up a digest of the index's kind (20 bytes for SHA-1, 16 for NTLM).
    pub fn lookup_digest(&self, digest: &[u8]) -> Result<Option<u64>> {
        if digest.len() != self.header.kind.digest_len() {
            return Err(Error::InvalidInput(format!(
                "digest is {} bytes; this {:?} index needs {}",
                digest.len(),
                self.header.kind,
                self.header.kind.digest_len()
            )));
        }
        Ok(Key::from_digest(digest).and_then(|key| self.lookup_key(key)))
    }

    /// Looks up a hex digest (either case), as in the corpus.
    pub fn lookup_hex(&self, hex_digest: &str) -> Result<Option<u64>> {
        let mut digest = [0u8; 20];
        let n = self.header.kind.digest_len();
        if hex_digest.len() != n * 2 {
            return Err(Error::InvalidInput(format!(
                "hex digest has {} characters; this {:?} index needs {}",
                hex_digest.len(),
                self.header.kind,
                n * 2
            )));
        }
        hex::decode_to_slice(hex_digest, &mut digest[..n])
            .map_err(|_| Error::InvalidInput("hex digest is not hex".to_string()))?;
        self.lookup_digest(&digest[..n])
    }

    /// Looks up a password (hashed with the index's kind).
    pub fn lookup_password(&self, password: &str) -> Option<u64> {
        let kind = self.header.kind;
        let digest = kind.digest(password);
        Key::from_digest(&digest[..kind.digest_len()]).and_then(|key| self.lookup_key(key))
    }

    fn lookup_key(&self, key: Key) -> Option<u64> {
        let (bucket, fp) = key.split(self.header.bucket_bits);
        let bucket = usize::try_from(bucket).ok()?;
        let (start, end) = (self.slot(bucket)?, self.slot(bucket + 1)?);
        let data = self.data_bytes();
        let entries = data.get(start.checked_mul(ENTRY_LEN)?..end.checked_mul(ENTRY_LEN)?)?;
        // Buckets hold 8-16 entries on average: a linear scan of two cache lines beats a
        // binary search. Entries are sorted by fingerprint, so stop once past it.
        for e in entries.chunks_exact(ENTRY_LEN) {
            let stored = u64::from_le_bytes([e[0], e[1], e[2], e[3], e[4], 0, 0, 0]) & FP_MASK;
            if stored == fp {
                return Some(decode_count(u16::from_le_bytes([e[5], e[6]])));
            }
            if stored > fp {
                return None;
            }
        }
        None
    }
}

fn prefix_path(path: &Path, err: Error) -> Error {
    match err {
        Error::InvalidIndex(m) => Error::InvalidIndex(format!("{}: {m}", path.display())),
        other => other,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn digest(i: u64) -> [u8; 20] {
        let mut d = [0u8; 20];
        d.copy_from_slice(&<sha1::Sha1 as sha1::Digest>::digest(i.to_le_bytes()));
        d
    }

    #[test]
    fn build_from_hashes_round_trip_with_spills() {
        let dir = tempfile::tempdir().unwrap();
        let out = dir.path().join("t.idx");
        let hashes: Vec<_> = (0..5000u64).map(|i| (digest(i), i % 97 + 1)).collect();
        let stats = IndexBuilder::new()
            .run_records(700)
            .build_from_hashes(HashKind::Sha1, hashes.clone(), &out)
            .unwrap();
        assert_eq!(stats.rows, 5000);
        assert_eq!(stats.distinct_hashes, 5000);
        assert_eq!(stats.spilled_runs, 7);
        let index = BreachIndex::open(&out).unwrap();
        assert_eq!(index.len(), 5000);
        assert!(index.file_bytes() as f64 / 5000.0 <= 7.5);
        for (d, c) in &hashes {
            assert_eq!(index.lookup_sha1(d).unwrap(), Some(*c));
        }
        for i in 5000..10_000u64 {
            assert_eq!(index.lookup_sha1(&digest(i)).unwrap(), None);
        }
        // the temp run directory is gone
        let leftovers: Vec<_> = std::fs::read_dir(dir.path()).unwrap().collect();
        assert_eq!(leftovers.len(), 1);
    }

    #[test]
    fn empty_and_tiny_indexes_work() {
        let dir = tempfile::tempdir().unwrap();
        let out = dir.path().join("e.idx");
        IndexBuilder::new()
            .build_from_hashes(HashKind::Sha1, Vec::new(), &out)
            .unwrap();
        let index = BreachIndex::open(&out).unwrap();
        assert!(index.is_empty());
        assert_eq!(index.lookup_sha1(&digest(1)).unwrap(), None);
        IndexBuilder::new()
            .build_from_hashes(HashKind::Sha1, vec![(digest(1), 3), (digest(1), 4)], &out)
            .unwrap();
        let index = BreachIndex::open(&out).unwrap();
        assert_eq!(index.len(), 1);
        assert_eq!(index.lookup_sha1(&digest(1)).unwrap(), Some(7));
    }
}
