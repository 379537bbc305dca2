//! The audit log as a transparency log: signed checkpoints, inclusion and consistency
//! proofs checked with the public RFC 9162 verifiers, sealed exports checked from public
//! data only, and rewrites by the key holder caught against an earlier checkpoint.

mod audit_common;

use std::time::Duration;

use audit_common::*;
use magnetar_core::ErrorKind;
use magnetar_core::audit::{
    AuditConfig, AuditLog, Filter, LEAF_LEN, ProblemKind, leaf_seq, open_checkpoint,
    verify_sealed_export,
};
use magnetar_core::tlog::merkle::{self, leaf_hash};
use magnetar_core::tlog::{Checkpoint, NoteSigner, NoteVerifier};

/// A log (key 1) on a clock the test moves, its file and its pool.
fn setup() -> (
    tempfile::TempDir,
    std::path::PathBuf,
    magnetar_core::pool::Pool,
    AuditLog,
    std::sync::Arc<magnetar_core::clock::ManualClock>,
) {
    let (dir, path) = temp_db();
    let pool = pool(&path);
    let (log, clock) = open_with_clock(&pool);
    (dir, path, pool, log, clock)
}

fn signer() -> NoteSigner {
    NoteSigner::generate("magnetar.test/audit").unwrap()
}

fn record(
    log: &AuditLog,
    clock: &magnetar_core::clock::ManualClock,
    range: std::ops::Range<usize>,
) {
    for i in range {
        log.record(&event(i)).unwrap();
        clock.advance(Duration::from_secs(1));
    }
}

fn opened(note: &str, verifier: &NoteVerifier) -> Checkpoint {
    open_checkpoint(note, verifier).unwrap()
}

fn sealed(log: &AuditLog) -> Vec<u8> {
    let mut out = Vec::new();
    log.export_sealed(&mut out).unwrap();
    out
}

fn check_export(export: &[u8], note: &str, verifier: &NoteVerifier) -> (bool, Option<ProblemKind>) {
    let r = verify_sealed_export(&mut &export[..], note, verifier).unwrap();
    (r.ok, r.first_problem.map(|p| p.kind))
}

#[test]
fn proofs_from_the_log_verify_with_the_rfc_algorithms() {
    let (_d, _path, _pool, log, clock) = setup();
    let s = signer();
    record(&log, &clock, 0..100);
    let c100 = opened(&log.checkpoint(&[&s]).unwrap(), &s.verifier());
    record(&log, &clock, 100..301);
    let note = log.checkpoint(&[&s]).unwrap();
    let c301 = opened(&note, &s.verifier());
    assert_eq!((c100.size, c301.size), (100, 301));
    assert_eq!(c301.origin, "magnetar.test/audit");
    assert_eq!(log.tree_root(301).unwrap(), c301.root);
    for seq in [1u64, 2, 99, 100, 101, 256, 300, 301] {
        let leaf = log.leaf(seq).unwrap();
        assert_eq!(leaf_seq(&leaf), Some(seq));
        let proof = log.inclusion_proof(seq, 301).unwrap();
        merkle::verify_inclusion(seq - 1, 301, &leaf_hash(&leaf), &proof, &c301.root).unwrap();
        // The same proof does not place the leaf anywhere else.
        assert!(
            merkle::verify_inclusion(seq % 301, 301, &leaf_hash(&leaf), &proof, &c301.root)
                .is_err()
        );
    }
    let proof = log.consistency_proof(100, 301).unwrap();
    merkle::verify_consistency(100, 301, &c100.root, &c301.root, &proof).unwrap();
    assert_eq!(log.checkpoints().unwrap().len(), 2);
    assert_eq!(log.checkpoints().unwrap()[1], note);
    let (ok, problem) = check_export(&sealed(&log), &note, &s.verifier());
    assert!(ok, "{problem:?}");
    assert!(log.verify_checkpoint(&note, &s.verifier()).unwrap().ok);
    // Proof arguments out of range are clear errors.
    for err in [
        log.inclusion_proof(0, 10).unwrap_err(),
        log.inclusion_proof(11, 10).unwrap_err(),
        log.inclusion_proof(1, 302).unwrap_err(),
        log.consistency_proof(0, 10).unwrap_err(),
        log.consistency_proof(11, 10).unwrap_err(),
    ] {
        assert_eq!(err.kind(), ErrorKind::InvalidInput, "{err}");
    }
}

#[test]
fn a_witness_cosigns_and_the_wrong_key_is_refused() {
    let (_d, _path, _pool, log, clock) = setup();
    record(&log, &clock, 0..5);
    let (s, witness) = (signer(), NoteSigner::generate("witness.example").unwrap());
    let note = log.checkpoint(&[&s, &witness]).unwrap();
    assert_eq!(opened(&note, &witness.verifier()).size, 5);
    assert_eq!(opened(&note, &s.verifier()).size, 5);
    let stranger = signer();
    let err = open_checkpoint(&note, &stranger.verifier()).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Tampered, "{err}");
    assert!(log.verify_checkpoint(&note, &stranger.verifier()).is_err());
    // A signature line edited by one character no longer verifies.
    let forged = note.replacen(
        "\n\u{2014} magnetar.test/audit ",
        "\n\u{2014} magnetar.test/audiT ",
        1,
    );
    assert!(open_checkpoint(&forged, &s.verifier()).is_err());
    assert!(log.checkpoint(&[]).is_err());
}

/// The key holder deletes events from `from` on and records a doctored history in
/// their place: the library rebuilds the chain, so `verify()` passes.
fn rewrite_from(
    path: &std::path::Path,
    log: &AuditLog,
    clock: &magnetar_core::clock::ManualClock,
    from: u64,
    to: u64,
) {
    raw(path)
        .execute_batch(&format!(
            "DELETE FROM audit_events WHERE seq >= {from}; DELETE FROM audit_lookup WHERE seq >= {from};"
        ))
        .unwrap();
    for i in from..=to {
        let mut e = event(i as usize);
        if i == from {
            e.status = Some("denied".into());
        }
        log.record(&e).unwrap();
        clock.advance(Duration::from_secs(1));
    }
}

#[test]
fn a_rewrite_by_the_key_holder_is_caught_against_an_earlier_checkpoint() {
    let (_d, path, _pool, log, clock) = setup();
    let s = signer();
    record(&log, &clock, 0..40);
    let note = log.checkpoint(&[&s]).unwrap();
    let before = sealed(&log);
    rewrite_from(&path, &log, &clock, 17, 40);
    assert!(log.verify().unwrap().ok, "the chain was rebuilt");
    let r = log.verify_checkpoint(&note, &s.verifier()).unwrap();
    let p = r.first_problem.expect("caught");
    assert_eq!(
        (p.kind, p.seq),
        (ProblemKind::CheckpointMismatch, 17),
        "{}",
        p.detail
    );
    assert!(p.detail.contains("leaf 16"), "{}", p.detail);
    // The log also refuses to sign a new checkpoint over... nothing: its tree still
    // holds the leaves the checkpoint covers, so the new one extends the old.
    let later = log.checkpoint(&[&s]).unwrap();
    assert_eq!(opened(&later, &s.verifier()).size, 40);
    // The export taken before still verifies against the checkpoint.
    assert!(check_export(&before, &note, &s.verifier()).0);
}

#[test]
fn rebuilding_the_tree_too_is_caught_by_the_checkpoint_and_the_export() {
    let (_d, path, _pool, log, clock) = setup();
    let s = signer();
    record(&log, &clock, 0..40);
    let note = log.checkpoint(&[&s]).unwrap();
    rewrite_from(&path, &log, &clock, 17, 40);
    raw(&path)
        .execute_batch(
            "DELETE FROM audit_leaves; DELETE FROM audit_tree; DELETE FROM audit_checkpoints;
             DELETE FROM audit_meta WHERE name = 'tree_end';",
        )
        .unwrap();
    assert!(log.verify().unwrap().ok);
    let r = log.verify_checkpoint(&note, &s.verifier()).unwrap();
    let p = r.first_problem.expect("caught");
    assert_eq!(
        (p.kind, p.seq),
        (ProblemKind::CheckpointMismatch, 0),
        "{}",
        p.detail
    );
    let (ok, kind) = check_export(&sealed(&log), &note, &s.verifier());
    assert!(!ok);
    assert_eq!(kind, Some(ProblemKind::CheckpointMismatch));
}

#[test]
fn sealed_exports_are_checked_line_by_line() {
    let (_d, path, _pool, log, clock) = setup();
    let s = signer();
    record(&log, &clock, 0..10);
    let note = log.checkpoint(&[&s]).unwrap();
    record(&log, &clock, 10..12);
    let export = String::from_utf8(sealed(&log)).unwrap();
    let lines: Vec<&str> = export.lines().collect();
    assert_eq!(lines.len(), 12);
    // Only seq and leaf: nothing that reveals plaintext.
    let first: serde_json::Value = serde_json::from_str(lines[0]).unwrap();
    assert_eq!(first.as_object().unwrap().len(), 2);
    assert_eq!(first["seq"], 1);
    let v = s.verifier();
    assert!(check_export(export.as_bytes(), &note, &v).0);
    let join = |ls: &[&str]| ls.iter().map(|l| format!("{l}\n")).collect::<String>();
    // A line missing, lines swapped, the export cut short, a line edited, junk.
    let mut missing = lines.clone();
    missing.remove(3);
    assert_eq!(
        check_export(join(&missing).as_bytes(), &note, &v).1,
        Some(ProblemKind::MissingEvents)
    );
    let mut swapped = lines.clone();
    swapped.swap(2, 3);
    assert_eq!(
        check_export(join(&swapped).as_bytes(), &note, &v).1,
        Some(ProblemKind::MissingEvents)
    );
    assert_eq!(
        check_export(join(&lines[..9]).as_bytes(), &note, &v).1,
        Some(ProblemKind::Truncated)
    );
    let leaf = log.leaf(5).unwrap();
    let mut edited = leaf;
    edited[LEAF_LEN - 1] ^= 1;
    let b64 = |b: &[u8]| {
        use base64::Engine;
        base64::engine::general_purpose::STANDARD.encode(b)
    };
    let doctored = export.replace(&b64(&leaf), &b64(&edited));
    assert_eq!(
        check_export(doctored.as_bytes(), &note, &v).1,
        Some(ProblemKind::CheckpointMismatch)
    );
    for junk in [
        "not json\n",
        "{\"seq\":1}\n",
        &format!("{}\n", "x".repeat(5000)),
    ] {
        assert_eq!(
            check_export(junk.as_bytes(), &note, &v).1,
            Some(ProblemKind::MalformedRow),
            "{junk:.20}"
        );
    }
    // Written to a file: owner-only, never over an existing file unless asked.
    let out = path.with_file_name("sealed.jsonl");
    assert_eq!(log.export_sealed_to_path(&out, false).unwrap(), 12);
    assert_eq!(
        log.export_sealed_to_path(&out, false).unwrap_err().kind(),
        ErrorKind::Io
    );
    assert_eq!(log.export_sealed_to_path(&out, true).unwrap(), 12);
    assert_eq!(std::fs::read_to_string(&out).unwrap(), export);
}

#[test]
fn purges_rotation_and_reencryption_keep_every_checkpoint_provable() {
    let (_d, _path, pool, log, clock) = setup();
    let s = signer();
    record(&log, &clock, 0..50);
    let c50 = log.checkpoint(&[&s]).unwrap();
    let leaf5 = log.leaf(5).unwrap();
    record(&log, &clock, 50..70);
    // Events 51..70 are not in the tree yet; the purge gives them their leaves.
    let cutoff = log.query(&Filter::default()).unwrap()[59].timestamp_ms;
    assert_eq!(log.purge_before(cutoff).unwrap(), 59);
    log.rotate_key(key(2)).unwrap();
    while !log.reencrypt(16).unwrap().done {}
    record(&log, &clock, 70..75);
    let c75 = log.checkpoint(&[&s]).unwrap();
    let (o50, o75) = (opened(&c50, &s.verifier()), opened(&c75, &s.verifier()));
    assert_eq!(o75.size, 75);
    let proof = log.consistency_proof(50, 75).unwrap();
    merkle::verify_consistency(50, 75, &o50.root, &o75.root, &proof).unwrap();
    assert_eq!(log.leaf(5).unwrap(), leaf5, "a purged event keeps its leaf");
    let proof = log.inclusion_proof(5, 75).unwrap();
    merkle::verify_inclusion(4, 75, &leaf_hash(&leaf5), &proof, &o75.root).unwrap();
    for note in [&c50, &c75] {
        assert!(log.verify_checkpoint(note, &s.verifier()).unwrap().ok);
        assert!(check_export(&sealed(&log), note, &s.verifier()).0);
    }
    // Reopened with the new key only, the leaves are the same.
    drop(log);
    let log = AuditLog::open(&pool, key(2), AuditConfig::default()).unwrap();
    assert!(log.verify_checkpoint(&c75, &s.verifier()).unwrap().ok);
}

#[test]
fn tree_data_edited_without_the_key_is_refused() {
    let (_d, path, _pool, log, clock) = setup();
    let s = signer();
    record(&log, &clock, 0..9);
    log.checkpoint(&[&s]).unwrap();
    record(&log, &clock, 9..12);
    // The stored edge of the tree (a tree of 9: the subtree of 8, then leaf 8).
    raw(&path)
        .execute(
            "UPDATE audit_tree SET hash = zeroblob(32) WHERE id = (SELECT max(id) FROM audit_tree)",
            [],
        )
        .unwrap();
    let err = log.checkpoint(&[&s]).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Tampered, "{err}");
    // The end of the tree, moved back to hide leaves: its MAC fails.
    raw(&path)
        .execute(
            "UPDATE audit_meta SET value = zeroblob(72) WHERE name = 'tree_end'",
            [],
        )
        .unwrap();
    let err = log.inclusion_proof(1, 12).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Tampered, "{err}");
}

#[test]
fn events_purged_before_the_tree_existed_get_placeholder_leaves() {
    let (_d, path, _pool, log, clock) = setup();
    record(&log, &clock, 0..10);
    let cutoff = log.query(&Filter::default()).unwrap()[4].timestamp_ms;
    log.purge_before(cutoff).unwrap();
    // As a log purged by a version without the tree.
    raw(&path)
        .execute_batch("DELETE FROM audit_leaves; DELETE FROM audit_tree; DELETE FROM audit_meta WHERE name = 'tree_end';")
        .unwrap();
    let s = signer();
    let note = log.checkpoint(&[&s]).unwrap();
    assert_eq!(opened(&note, &s.verifier()).size, 10);
    let placeholder = log.leaf(2).unwrap();
    assert_eq!(placeholder[0], 0);
    assert_eq!(leaf_seq(&placeholder), Some(2));
    assert_eq!(log.leaf(5).unwrap()[0], 1);
    assert!(log.verify_checkpoint(&note, &s.verifier()).unwrap().ok);
    assert!(check_export(&sealed(&log), &note, &s.verifier()).0);
}

#[test]
fn an_empty_log_checkpoints_the_empty_tree() {
    let (_d, path) = temp_db();
    let pool = pool(&path);
    let log = open(&pool);
    let s = signer();
    let note = log.checkpoint(&[&s]).unwrap();
    let cp = opened(&note, &s.verifier());
    assert_eq!((cp.size, cp.root), (0, merkle::empty_root()));
    assert!(check_export(&sealed(&log), &note, &s.verifier()).0);
}
