//! The offline index: build (external sort, gzip, top-N, NTLM) on generated corpora of a
//! million hashes, open, lookup, and clear errors for corrupt and truncated files.

use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use magnetar_core::ErrorKind;
use magnetar_core::breach::{
    BreachChecker, BreachConfig, BreachIndex, BreachStatus, BuildPhase, HashKind, IndexBuilder,
    Source,
};
use parking_lot::Mutex;
use sha1::{Digest, Sha1};

const N: u64 = 1_200_000;

fn digest(i: u64) -> [u8; 20] {
    Sha1::digest(i.to_le_bytes()).into()
}

fn count_of(i: u64) -> u64 {
    // Mostly small (exact) counts, some large ones (log-scaled in the index).
    if i.is_multiple_of(1000) {
        1_000_000 + i * 37
    } else {
        i % 30_000 + 1
    }
}

/// Writes `n` rows in hash-random order with the corpus' quirks: uppercase hex, CRLF on
/// some lines, a blank line, a padding row and a final newline.
fn write_corpus(path: &Path, n: u64) {
    let mut w = std::io::BufWriter::new(fs::File::create(path).unwrap());
    for i in 0..n {
        let eol = if i % 7 == 0 { "\r\n" } else { "\n" };
        write!(w, "{}:{}{eol}", hex::encode_upper(digest(i)), count_of(i)).unwrap();
        if i == n / 2 {
            write!(w, "\n{}:0\n", hex::encode_upper(digest(u64::MAX))).unwrap();
        }
    }
    w.flush().unwrap();
}

fn assert_close(got: Option<u64>, want: u64, what: impl std::fmt::Display) {
    let got = got.unwrap_or_else(|| panic!("{what}: not found"));
    if want < 32_768 {
        assert_eq!(got, want, "{what}");
    } else {
        let err = (got as f64 - want as f64).abs() / want as f64;
        assert!(err < 0.0006, "{what}: {got} vs {want}");
    }
}

#[test]
fn million_hash_corpus_with_external_sort() {
    let dir = tempfile::tempdir().unwrap();
    let corpus = dir.path().join("pwned.txt");
    write_corpus(&corpus, N);
    let out = dir.path().join("pwned.idx");
    let phases = Arc::new(Mutex::new(Vec::new()));
    let seen = Arc::clone(&phases);
    let stats = IndexBuilder::new()
        .run_records(100_000)
        .progress(move |p| seen.lock().push(p))
        .build(&corpus, &out)
        .unwrap();
    assert_eq!(stats.rows, N);
    assert_eq!(stats.distinct_hashes, N);
    assert_eq!(stats.spilled_runs, 12, "the test must exercise spilling");
    assert!(
        stats.entries >= N - 2,
        "fingerprint merges are vanishingly rare"
    );
    let phases = phases.lock();
    let reports: Vec<(BuildPhase, u64, Option<u64>)> =
        phases.iter().map(|p| (p.phase, p.done, p.total)).collect();
    assert_eq!(
        reports,
        vec![
            (BuildPhase::Reading, 1_000_000, None),
            (BuildPhase::Reading, N, Some(N)),
            (BuildPhase::Merging, 1_000_000, Some(N)),
            (BuildPhase::Merging, N, Some(N)),
        ]
    );

    let index = BreachIndex::open(&out).unwrap();
    assert_eq!(index.hash_kind(), HashKind::Sha1);
    assert_eq!(index.len(), stats.entries);
    assert_eq!(index.file_bytes(), stats.file_bytes);
    let per_hash = index.file_bytes() as f64 / N as f64;
    assert!(per_hash <= 8.0, "{per_hash} bytes per hash");
    for i in 0..N {
        assert_close(index.lookup_sha1(&digest(i)).unwrap(), count_of(i), i);
    }
    let false_positives = (N..N + 200_000)
        .filter(|&i| index.lookup_sha1(&digest(i)).unwrap().is_some())
        .count();
    assert_eq!(false_positives, 0);
    assert_eq!(
        index.lookup_sha1(&digest(u64::MAX)).unwrap(),
        None,
        "padding row skipped"
    );
    // Lookups by hex, either case.
    let hex = hex::encode(digest(42));
    assert_eq!(index.lookup_hex(&hex).unwrap(), Some(count_of(42)));
    assert_eq!(
        index.lookup_hex(&hex.to_uppercase()).unwrap(),
        Some(count_of(42))
    );
    assert_eq!(
        index.lookup_hex("abc").unwrap_err().kind(),
        ErrorKind::InvalidInput
    );
    // Nothing left behind but the corpus and the index.
    assert_eq!(fs::read_dir(dir.path()).unwrap().count(), 2);
}

#[test]
fn gzip_sorted_and_unsorted_corpora_give_identical_indexes() {
    let dir = tempfile::tempdir().unwrap();
    let plain = dir.path().join("c.txt");
    write_corpus(&plain, 20_000);
    let mut sorted_lines: Vec<String> = fs::read_to_string(&plain)
        .unwrap()
        .lines()
        .filter(|l| !l.is_empty())
        .map(|l| l.trim_end_matches('\r').to_string())
        .collect();
    sorted_lines.sort();
    let sorted = dir.path().join("sorted.txt");
    fs::write(&sorted, sorted_lines.join("\n")).unwrap(); // no final newline
    let gz = dir.path().join("c.txt.gz");
    let mut enc =
        flate2::write::GzEncoder::new(fs::File::create(&gz).unwrap(), flate2::Compression::fast());
    enc.write_all(&fs::read(&plain).unwrap()).unwrap();
    enc.finish().unwrap();

    let mut built = Vec::new();
    for (corpus, run) in [(&plain, 3_000), (&sorted, 1 << 20), (&gz, 7_000)] {
        let out = dir.path().join(format!("{}.idx", built.len()));
        IndexBuilder::new()
            .run_records(run)
            .build(corpus, &out)
            .unwrap();
        built.push(fs::read(&out).unwrap());
    }
    assert_eq!(built[0], built[1]);
    assert_eq!(built[0], built[2]);
}

#[test]
fn top_n_keeps_the_most_frequent() {
    let dir = tempfile::tempdir().unwrap();
    let corpus = dir.path().join("c.txt");
    let rows: Vec<String> = (0..10_000u64)
        .map(|i| {
            format!(
                "{}:{}",
                hex::encode_upper(digest(i)),
                (i * 7919) % 10_007 + 1
            )
        })
        .collect();
    fs::write(&corpus, rows.join("\n") + "\n").unwrap();
    let out = dir.path().join("top.idx");
    let stats = IndexBuilder::new().top_n(100).build(&corpus, &out).unwrap();
    assert_eq!((stats.rows, stats.distinct_hashes), (10_000, 100));
    let index = BreachIndex::open(&out).unwrap();
    let mut by_count: Vec<(u64, u64)> = (0..10_000u64)
        .map(|i| ((i * 7919) % 10_007 + 1, i))
        .collect();
    by_count.sort_unstable_by(|a, b| b.cmp(a));
    for (rank, (count, i)) in by_count.iter().enumerate() {
        let got = index.lookup_sha1(&digest(*i)).unwrap();
        if rank < 100 {
            assert_eq!(got, Some(*count));
        } else {
            assert_eq!(got, None, "rank {rank}");
        }
    }
}

#[test]
fn ntlm_corpus_builds_an_ntlm_index() {
    let dir = tempfile::tempdir().unwrap();
    let corpus = dir.path().join("ntlm.txt");
    fs::write(
        &corpus,
        "8846F7EAEE8FB117AD06BDD830B7586C:42\n32ED87BDB5FDC5E9CBA88547376818D4:7\n",
    )
    .unwrap();
    let out = dir.path().join("ntlm.idx");
    BreachIndex::build(&corpus, &out).unwrap();
    let index = BreachIndex::open(&out).unwrap();
    assert_eq!(index.hash_kind(), HashKind::Ntlm);
    assert_eq!(index.lookup_password("password"), Some(42));
    assert_eq!(index.lookup_password("123456"), Some(7));
    assert_eq!(index.lookup_password("letmein"), None);
    assert_eq!(
        index.lookup_sha1(&[0; 20]).unwrap_err().kind(),
        ErrorKind::InvalidInput
    );
}

#[test]
fn sample_corpus_for_the_tour() {
    let sample = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../data/pwned-sample.txt");
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("sample.idx");
    let stats = BreachIndex::build(&sample, &out).unwrap();
    assert!(stats.rows >= 300, "{stats:?}");
    let checker = BreachChecker::new(BreachConfig {
        online: false,
        offline_index: Some(out),
        ..BreachConfig::default()
    })
    .unwrap();
    for pw in ["password", "123456", "qwerty", "letmein", "dragon"] {
        let r = checker.check(pw);
        assert!(r.is_breached(), "{pw}: {r:?}");
        assert_eq!(r.source, Source::Offline);
    }
    let passphrase = hex::encode(magnetar_core::random::bytes::<16>().unwrap());
    assert_eq!(checker.check(&passphrase).status, BreachStatus::NotFound);
}

#[test]
fn bad_corpus_fails_cleanly() {
    let dir = tempfile::tempdir().unwrap();
    let corpus = dir.path().join("bad.txt");
    fs::write(
        &corpus,
        format!("{}:1\nnot a row\n", hex::encode_upper(digest(1))),
    )
    .unwrap();
    let out = dir.path().join("bad.idx");
    let err = IndexBuilder::new()
        .run_records(1)
        .build(&corpus, &out)
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::InvalidInput);
    assert!(err.to_string().contains("line 2"), "{err}");
    assert!(!out.exists());
    assert_eq!(
        fs::read_dir(dir.path()).unwrap().count(),
        1,
        "temp runs removed"
    );
    let missing = IndexBuilder::new()
        .build(dir.path().join("nope.txt"), &out)
        .unwrap_err();
    assert_eq!(missing.kind(), ErrorKind::Io);
}

/// A valid small index to damage.
fn small_index(dir: &Path) -> (PathBuf, Vec<u8>) {
    let out = dir.join("ok.idx");
    IndexBuilder::new()
        .build_from_hashes(
            HashKind::Sha1,
            (0..5_000u64).map(|i| (digest(i), i + 1)),
            &out,
        )
        .unwrap();
    let bytes = fs::read(&out).unwrap();
    (out, bytes)
}

fn open_err(dir: &Path, bytes: &[u8]) -> String {
    let path = dir.join("damaged.idx");
    fs::write(&path, bytes).unwrap();
    let err = BreachIndex::open(&path).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::InvalidIndex, "{err}");
    let msg = err.to_string();
    assert!(msg.contains("damaged.idx"), "names the file: {msg}");
    msg
}

#[test]
fn corrupt_and_truncated_files_are_clear_errors() {
    let dir = tempfile::tempdir().unwrap();
    let (_, good) = small_index(dir.path());
    let table_start = 64;
    let data_start = good.len() - 5_000 * 7;

    assert!(open_err(dir.path(), &[]).contains("shorter than the 64-byte header"));
    assert!(open_err(dir.path(), &good[..40]).contains("truncated"));
    assert!(open_err(dir.path(), &good[..good.len() - 1]).contains("truncated"));
    assert!(open_err(dir.path(), &good[..good.len() / 2]).contains("truncated"));
    assert!(open_err(dir.path(), &good[..64]).contains("truncated"));
    let mut padded = good.clone();
    padded.push(0);
    assert!(open_err(dir.path(), &padded).contains("padded"));
    assert!(open_err(dir.path(), &vec![0x42; 4096]).contains("magic"));
    assert!(open_err(dir.path(), b"5BAA61E4C9B93F3F0682250B6CF8331B7EE68FD8:1\n0000000000000000000000000000000000000000:1\n").contains("magic"));

    for (at, needle) in [
        (20, "header checksum"),
        (table_start + 100, "table checksum"),
        (data_start + 3, "entries checksum"),
        (good.len() - 1, "entries checksum"),
    ] {
        let mut flipped = good.clone();
        flipped[at] ^= 0x10;
        assert!(open_err(dir.path(), &flipped).contains(needle), "byte {at}");
    }

    // A future version (with a valid header checksum) is refused by version.
    let mut v2 = good.clone();
    v2[8] = 2;
    let crc = crc32(&v2[..60]);
    v2[60..64].copy_from_slice(&crc.to_le_bytes());
    assert!(open_err(dir.path(), &v2).contains("version 2"));

    // Damaged entries: open_unverified_data maps it, lookups stay safe, verify() reports.
    let mut flipped = good.clone();
    flipped[data_start + 10] ^= 0xFF;
    let path = dir.path().join("late.idx");
    fs::write(&path, &flipped).unwrap();
    let index = BreachIndex::open_unverified_data(&path).unwrap();
    for i in 0..10_000u64 {
        let _ = index.lookup_sha1(&digest(i)).unwrap();
    }
    assert_eq!(index.verify().unwrap_err().kind(), ErrorKind::InvalidIndex);

    // A missing file is an I/O error naming it.
    let err = BreachIndex::open(dir.path().join("absent.idx")).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Io);
    assert!(err.to_string().contains("absent.idx"));
}

#[test]
fn every_single_byte_truncation_and_flip_is_caught() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("tiny.idx");
    IndexBuilder::new()
        .build_from_hashes(HashKind::Sha1, (0..40u64).map(|i| (digest(i), i + 1)), &out)
        .unwrap();
    let good = fs::read(&out).unwrap();
    BreachIndex::open(&out).unwrap();
    for len in 0..good.len() {
        open_err(dir.path(), &good[..len]);
    }
    for at in 0..good.len() {
        let mut flipped = good.clone();
        flipped[at] ^= 0x01;
        open_err(dir.path(), &flipped);
    }
}

fn crc32(bytes: &[u8]) -> u32 {
    // Bitwise CRC-32 (IEEE), independent of the implementation under test.
    let mut crc = !0u32;
    for &b in bytes {
        crc ^= u32::from(b);
        for _ in 0..8 {
            crc = if crc & 1 != 0 {
                (crc >> 1) ^ 0xEDB8_8320
            } else {
                crc >> 1
            };
        }
    }
    !crc
}
