//! Building an index with bounded memory.
//!
//! Rows are collected into runs of at most `run_records` 16-byte records (96-bit key and
//! a saturating 32-bit count); each full run is sorted, de-duplicated and spilled to a
//! temporary file; the runs are then k-way merged into the output, which is written in
//! one pass (bucket table and entries through two file handles), so memory is the run
//! buffer plus one read buffer per run, whatever the corpus size. `top_n` replaces the
//! runs with a min-heap of the N most frequent rows.

use std::cmp::Reverse;
use std::collections::BinaryHeap;
use std::fs::{self, File, OpenOptions};
use std::io::{BufReader, BufWriter, Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};

use super::corpus::CorpusReader;
use super::format::{
    ENTRY_LEN, HEADER_LEN, Header, Key, MAX_ENTRIES, bucket_bits_for, encode_count,
};
use crate::breach::HashKind;
use crate::error::{Error, Result};

/// What a build is doing, passed to the progress callback.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BuildPhase {
    /// Reading the corpus and spilling sorted runs; `done` counts corpus rows.
    Reading,
    /// Merging runs into the index; `done` counts merged records out of `total`.
    Merging,
}

/// A progress report, sent every million rows or records and at the end of each phase
/// (then `done == total`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BuildProgress {
    /// The current phase.
    pub phase: BuildPhase,
    /// Rows (reading) or records (merging) processed so far.
    pub done: u64,
    /// The phase's total when known: records to merge, or rows read at the end of
    /// reading.
    pub total: Option<u64>,
}

/// What a build produced.
#[derive(Debug, Clone, PartialEq, Eq)]
#[cfg_attr(
    feature = "uniffi",
    derive(uniffi::Record),
    uniffi(name = "BreachIndexStats")
)]
pub struct BuildStats {
    /// Corpus rows read (non-empty, non-padding lines; or items of the iterator).
    pub rows: u64,
    /// Distinct hashes kept (after `top_n`).
    pub distinct_hashes: u64,
    /// Entries in the index (distinct hashes minus fingerprint merges).
    pub entries: u64,
    /// Sorted runs spilled to temporary files (0 when everything fit in memory).
    pub spilled_runs: u64,
    /// Size of the index file in bytes.
    pub file_bytes: u64,
}

/// Progress callback.
pub type ProgressFn = Box<dyn FnMut(BuildProgress) + Send>;

/// Default run size: 8 Mi records of 16 bytes (128 MiB of memory).
pub const DEFAULT_RUN_RECORDS: usize = 8 << 20;
/// Runs open at once in the merge; more runs need a larger `run_records`.
const MAX_RUNS: usize = 4096;
const PROGRESS_EVERY: u64 = 1_000_000;

/// Options for [`BreachIndex::build`](super::BreachIndex::build) and friends.
pub struct IndexBuilder {
    run_records: usize,
    top_n: Option<u64>,
    temp_dir: Option<PathBuf>,
    kind: Option<HashKind>,
    progress: Option<ProgressFn>,
}

impl std::fmt::Debug for IndexBuilder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("IndexBuilder")
            .field("run_records", &self.run_records)
            .field("top_n", &self.top_n)
            .field("temp_dir", &self.temp_dir)
            .field("kind", &self.kind)
            .finish_non_exhaustive()
    }
}

impl Default for IndexBuilder {
    fn default() -> Self {
        IndexBuilder {
            run_records: DEFAULT_RUN_RECORDS,
            top_n: None,
            temp_dir: None,
            kind: None,
            progress: None,
        }
    }
}

#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
struct Record {
    key: Key,
    count: u32,
}

impl Record {
    fn to_bytes(self) -> [u8; 16] {
        let mut b = [0u8; 16];
        b[0..8].copy_from_slice(&self.key.hi.to_le_bytes());
        b[8..12].copy_from_slice(&self.key.lo.to_le_bytes());
        b[12..16].copy_from_slice(&self.count.to_le_bytes());
        b
    }
    fn from_bytes(b: &[u8; 16]) -> Record {
        let word = |r: std::ops::Range<usize>| {
            let mut w = [0u8; 8];
            w[..r.len()].copy_from_slice(&b[r]);
            u64::from_le_bytes(w)
        };
        Record {
            key: Key {
                hi: word(0..8),
                lo: word(8..12) as u32,
            },
            count: word(12..16) as u32,
        }
    }
}

fn saturate(count: u64) -> u32 {
    u32::try_from(count).unwrap_or(u32::MAX)
}

impl IndexBuilder {
    /// Default options: 8 Mi-record runs, every hash kept, temporary files next to the
    /// output, hash kind detected from the corpus.
    pub fn new() -> Self {
        Self::default()
    }

    /// Records per sorted run (16 bytes each): the memory bound of the build. Minimum 1.
    pub fn run_records(mut self, records: usize) -> Self {
        self.run_records = records.max(1);
        self
    }

    /// Keep only the `n` most frequent hashes (ties broken by hash, deterministically).
    /// Memory is about 24 bytes per kept hash (a min-heap of size `n` over the stream). Assumes each hash appears once in the corpus,
    /// as in the published one; repeats are summed after selection.
    pub fn top_n(mut self, n: u64) -> Self {
        self.top_n = Some(n);
        self
    }

    /// Directory for spilled runs (default: the output's directory).
    pub fn temp_dir(mut self, dir: impl Into<PathBuf>) -> Self {
        self.temp_dir = Some(dir.into());
        self
    }

    /// The corpus hash kind; by default detected from the first row's length.
    pub fn hash_kind(mut self, kind: HashKind) -> Self {
        self.kind = Some(kind);
        self
    }

    /// Called every million rows or records, and at the end of each phase.
    pub fn progress(mut self, f: impl FnMut(BuildProgress) + Send + 'static) -> Self {
        self.progress = Some(Box::new(f));
        self
    }

    /// Builds `out` from a corpus file (`HASH:COUNT` lines, plain or gzip).
    pub fn build(self, corpus: impl AsRef<Path>, out: impl AsRef<Path>) -> Result<BuildStats> {
        let mut reader = CorpusReader::open(corpus.as_ref(), self.kind)?;
        let mut failure = None;
        let rows = std::iter::from_fn(|| match reader.next_row() {
            Ok(row) => row,
            Err(e) => {
                failure = Some(e);
                None
            }
        });
        // The kind is only known after the first row; the sorter does not need it.
        let mut build = Build::new(self, out.as_ref())?;
        build.consume(rows)?;
        if let Some(e) = failure {
            return Err(e);
        }
        let kind = reader.kind().unwrap_or(HashKind::Sha1);
        log::info!("breach index: read {} corpus lines", reader.lines());
        build.finish(kind)
    }

    /// Builds `out` from (digest, count) pairs (NTLM digests in the first 16 bytes);
    /// the text path uses the same machinery. Pairs with count 0 are skipped.
    pub fn build_from_hashes(
        mut self,
        kind: HashKind,
        hashes: impl IntoIterator<Item = ([u8; 20], u64)>,
        out: impl AsRef<Path>,
    ) -> Result<BuildStats> {
        self.kind = Some(kind);
        let mut build = Build::new(self, out.as_ref())?;
        build.consume(hashes.into_iter().filter(|(_, c)| *c > 0))?;
        build.finish(kind)
    }
}

/// Temporary run files, removed on drop (also on error).
struct Spill {
    dir: PathBuf,
    created: bool,
    runs: Vec<PathBuf>,
}

impl Drop for Spill {
    fn drop(&mut self) {
        if self.created {
            let _ = fs::remove_dir_all(&self.dir);
        }
    }
}

struct Build {
    opts: IndexBuilder,
    out: PathBuf,
    buffer: Vec<Record>,
    top: BinaryHeap<Reverse<(u32, Key)>>,
    spill: Spill,
    spilled_records: u64,
    rows: u64,
    last_report: Option<(BuildPhase, u64)>,
}

impl Build {
    fn new(opts: IndexBuilder, out: &Path) -> Result<Self> {
        let parent = out
            .parent()
            .filter(|p| !p.as_os_str().is_empty())
            .unwrap_or(Path::new("."));
        let base = opts
            .temp_dir
            .clone()
            .unwrap_or_else(|| parent.to_path_buf());
        let tag = hex::encode(crate::random::bytes::<8>()?);
        let dir = base.join(format!(".magnetar-index-build-{tag}"));
        let buffer_cap = if opts.top_n.is_some() {
            0
        } else {
            opts.run_records.min(1 << 20)
        };
        Ok(Build {
            out: out.to_path_buf(),
            buffer: Vec::with_capacity(buffer_cap),
            top: BinaryHeap::new(),
            spill: Spill {
                dir,
                created: false,
                runs: Vec::new(),
            },
            spilled_records: 0,
            rows: 0,
            last_report: None,
            opts,
        })
    }

    fn report(&mut self, phase: BuildPhase, done: u64, total: Option<u64>) {
        if self.last_report == Some((phase, done)) {
            return; // the end-of-phase report would repeat the periodic one
        }
        self.last_report = Some((phase, done));
        if let Some(f) = self.opts.progress.as_mut() {
            f(BuildProgress { phase, done, total });
        }
    }

    fn consume(&mut self, rows: impl Iterator<Item = ([u8; 20], u64)>) -> Result<()> {
        for (digest, count) in rows {
            let Some(key) = Key::from_digest(&digest) else {
                continue; // unreachable: a 20-byte digest always has 12 bytes
            };
            let count = saturate(count);
            self.rows += 1;
            if let Some(n) = self.opts.top_n {
                self.push_top(n, count, key);
            } else {
                self.buffer.push(Record { key, count });
                if self.buffer.len() >= self.opts.run_records {
                    self.spill_run()?;
                }
            }
            if self.rows.is_multiple_of(PROGRESS_EVERY) {
                self.report(BuildPhase::Reading, self.rows, None);
            }
        }
        Ok(())
    }

    fn push_top(&mut self, n: u64, count: u32, key: Key) {
        if n == 0 {
            return;
        }
        if (self.top.len() as u64) < n {
            self.top.push(Reverse((count, key)));
        } else if let Some(mut least) = self.top.peek_mut()
            && (count, key) > least.0
        {
            *least = Reverse((count, key));
        }
    }

    /// Sorts the buffer and merges equal keys in place.
    fn sort_buffer(&mut self) {
        self.buffer.sort_unstable_by_key(|r| r.key);
        self.buffer.dedup_by(|later, kept| {
            if later.key == kept.key {
                kept.count = kept.count.saturating_add(later.count);
                true
            } else {
                false
            }
        });
    }

    fn spill_run(&mut self) -> Result<()> {
        self.sort_buffer();
        if !self.spill.created {
            fs::create_dir_all(&self.spill.dir).map_err(|e| {
                Error::io(format!("creating temp dir {}", self.spill.dir.display()), e)
            })?;
            self.spill.created = true;
        }
        if self.spill.runs.len() >= MAX_RUNS {
            return Err(Error::InvalidConfig(format!(
                "breach index build needs more than {MAX_RUNS} runs; raise run_records"
            )));
        }
        let path = self
            .spill
            .dir
            .join(format!("run-{}", self.spill.runs.len()));
        let ctx = || format!("writing run {}", path.display());
        let mut w = BufWriter::with_capacity(
            1 << 20,
            File::create(&path).map_err(|e| Error::io(ctx(), e))?,
        );
        for r in &self.buffer {
            w.write_all(&r.to_bytes())
                .map_err(|e| Error::io(ctx(), e))?;
        }
        w.flush().map_err(|e| Error::io(ctx(), e))?;
        self.spilled_records += self.buffer.len() as u64;
        self.spill.runs.push(path);
        self.buffer.clear();
        Ok(())
    }

    fn finish(mut self, kind: HashKind) -> Result<BuildStats> {
        self.report(BuildPhase::Reading, self.rows, Some(self.rows));
        if self.opts.top_n.is_some() {
            self.buffer = std::mem::take(&mut self.top)
                .into_iter()
                .map(|Reverse((count, key))| Record { key, count })
                .collect();
        }
        self.sort_buffer();
        let total = self.spilled_records + self.buffer.len() as u64;
        let mut sources: Vec<Source> = Vec::with_capacity(self.spill.runs.len() + 1);
        for path in &self.spill.runs {
            let file = File::open(path)
                .map_err(|e| Error::io(format!("reading run {}", path.display()), e))?;
            sources.push(Source::File(BufReader::with_capacity(1 << 16, file)));
        }
        let memory = std::mem::take(&mut self.buffer);
        sources.push(Source::Memory(memory.into_iter()));
        // At most MAX_RUNS; a u64 like the other counts.
        let spilled_runs = self.spill.runs.len() as u64;

        let tmp_out = self.out.with_file_name(format!(
            "{}.tmp-{}",
            self.out
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_else(|| "index".into()),
            hex::encode(crate::random::bytes::<4>()?)
        ));
        let result = self.write_index(kind, total, sources, &tmp_out);
        let (distinct, entries, file_bytes) = match result {
            Ok(v) => v,
            Err(e) => {
                let _ = fs::remove_file(&tmp_out);
                return Err(e);
            }
        };
        fs::rename(&tmp_out, &self.out).map_err(|e| {
            let _ = fs::remove_file(&tmp_out);
            Error::io(format!("renaming index into {}", self.out.display()), e)
        })?;
        Ok(BuildStats {
            rows: self.rows,
            distinct_hashes: distinct,
            entries,
            spilled_runs,
            file_bytes,
        })
    }

    fn write_index(
        &mut self,
        kind: HashKind,
        total: u64,
        mut sources: Vec<Source>,
        path: &Path,
    ) -> Result<(u64, u64, u64)> {
        if total > MAX_ENTRIES {
            return Err(Error::InvalidInput(format!(
                "corpus has {total} hashes; the index format holds at most {MAX_ENTRIES}"
            )));
        }
        let bits = bucket_bits_for(total);
        let buckets = 1u64 << bits;
        let ctx = || format!("writing index {}", path.display());
        let io = |e| Error::io(ctx(), e);
        let file = File::create(path).map_err(io)?;
        let table_file = OpenOptions::new().write(true).open(path).map_err(io)?;
        let mut table = BufWriter::with_capacity(1 << 20, table_file);
        table.seek(SeekFrom::Start(HEADER_LEN as u64)).map_err(io)?;
        let mut data = BufWriter::with_capacity(1 << 20, file);
        data.seek(SeekFrom::Start(HEADER_LEN as u64 + (buckets + 1) * 4))
            .map_err(io)?;
        let mut writer = EntryWriter {
            table,
            data,
            table_crc: crc32fast::Hasher::new(),
            data_crc: crc32fast::Hasher::new(),
            entries: 0,
            next_bucket: 0,
            pending: None,
        };

        // Heap of (next key, source) for the k-way merge.
        let mut heads: BinaryHeap<Reverse<(Key, usize)>> = BinaryHeap::new();
        let mut counts: Vec<u32> = vec![0; sources.len()];
        for (i, s) in sources.iter_mut().enumerate() {
            if let Some(r) = s.next().map_err(io)? {
                counts[i] = r.count;
                heads.push(Reverse((r.key, i)));
            }
        }
        let mut distinct: u64 = 0;
        let mut merged: u64 = 0;
        let mut current: Option<(Key, u64)> = None;
        while let Some(Reverse((key, src))) = heads.pop() {
            let count = u64::from(counts[src]);
            if let Some(r) = sources[src].next().map_err(io)? {
                counts[src] = r.count;
                heads.push(Reverse((r.key, src)));
            }
            merged += 1;
            if merged.is_multiple_of(PROGRESS_EVERY) {
                self.report(BuildPhase::Merging, merged, Some(total));
            }
            match current.as_mut() {
                Some((k, c)) if *k == key => *c = c.saturating_add(count),
                _ => {
                    if let Some((k, c)) = current.replace((key, count)) {
                        distinct += 1;
                        writer.push(k.split(bits), c).map_err(io)?;
                    }
                }
            }
        }
        if let Some((k, c)) = current.take() {
            distinct += 1;
            writer.push(k.split(bits), c).map_err(io)?;
        }
        self.report(BuildPhase::Merging, merged, Some(total));
        let (mut table, data, header) = writer.finish(kind, bits, distinct).map_err(io)?;
        table.seek(SeekFrom::Start(0)).map_err(io)?;
        table.write_all(&header.encode()).map_err(io)?;
        let table_file = table.into_inner().map_err(|e| io(e.into_error()))?;
        let data_file = data.into_inner().map_err(|e| io(e.into_error()))?;
        table_file.sync_all().map_err(io)?;
        data_file.sync_all().map_err(io)?;
        let file_bytes = header
            .file_len()
            .ok_or_else(|| Error::Internal("index size overflow".into()))?;
        Ok((distinct, header.count, file_bytes))
    }
}

/// Streams entries and bucket-table slots to their two regions of the output.
struct EntryWriter {
    table: BufWriter<File>,
    data: BufWriter<File>,
    table_crc: crc32fast::Hasher,
    data_crc: crc32fast::Hasher,
    entries: u64,
    next_bucket: u64, // first bucket whose table slot is not written yet
    pending: Option<(u64, u64, u64)>, // (bucket, fingerprint, count) not yet written
}

impl EntryWriter {
    /// Adds a distinct hash, merging it into the previous entry when bucket and
    /// fingerprint coincide (input arrives sorted, so coinciding entries are adjacent).
    fn push(&mut self, (bucket, fp): (u64, u64), count: u64) -> std::io::Result<()> {
        match self.pending.as_mut() {
            Some((b, f, c)) if *b == bucket && *f == fp => {
                *c = c.saturating_add(count);
                Ok(())
            }
            _ => match self.pending.replace((bucket, fp, count)) {
                Some(previous) => self.write(previous),
                None => Ok(()),
            },
        }
    }

    fn write(&mut self, (bucket, fp, count): (u64, u64, u64)) -> std::io::Result<()> {
        self.fill_table(bucket)?;
        let mut e = [0u8; ENTRY_LEN];
        e[..5].copy_from_slice(&fp.to_le_bytes()[..5]);
        e[5..].copy_from_slice(&encode_count(count).to_le_bytes());
        self.data.write_all(&e)?;
        self.data_crc.update(&e);
        self.entries += 1;
        Ok(())
    }

    /// Writes table slots up to and including `last`: each holds the number of entries
    /// written so far (entries < MAX_ENTRIES, checked before the merge, so it fits u32).
    fn fill_table(&mut self, last: u64) -> std::io::Result<()> {
        let offset = (self.entries as u32).to_le_bytes();
        while self.next_bucket <= last {
            self.table.write_all(&offset)?;
            self.table_crc.update(&offset);
            self.next_bucket += 1;
        }
        Ok(())
    }

    fn finish(
        mut self,
        kind: HashKind,
        bits: u8,
        distinct: u64,
    ) -> std::io::Result<(BufWriter<File>, BufWriter<File>, Header)> {
        if let Some(last) = self.pending.take() {
            self.write(last)?;
        }
        self.fill_table(1u64 << bits)?; // the end marker table[2^k] = n
        let header = Header {
            kind,
            bucket_bits: bits,
            count: self.entries,
            distinct_hashes: distinct,
            table_crc: self.table_crc.finalize(),
            data_crc: self.data_crc.finalize(),
        };
        Ok((self.table, self.data, header))
    }
}

/// A sorted source of records for the merge.
enum Source {
    File(BufReader<File>),
    Memory(std::vec::IntoIter<Record>),
}

impl Source {
    fn next(&mut self) -> std::io::Result<Option<Record>> {
        match self {
            Source::Memory(it) => Ok(it.next()),
            Source::File(r) => {
                let mut b = [0u8; 16];
                match r.read_exact(&mut b) {
                    Ok(()) => Ok(Some(Record::from_bytes(&b))),
                    Err(e) if e.kind() == std::io::ErrorKind::UnexpectedEof => Ok(None),
                    Err(e) => Err(e),
                }
            }
        }
    }
}
