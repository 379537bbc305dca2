//! The audit log's transparency-log API as Swift sees it, called as plain Rust.

use magnetar_uniffi::{
    AuditKey, AuditLog, AuditProblemKind, AuditWriteMode, CheckpointSigner, MagnetarError,
    NewAuditEvent, Pool, default_pool_config, verify_checkpoint, verify_consistency,
    verify_inclusion, verify_sealed_export,
};

fn event(i: usize) -> NewAuditEvent {
    NewAuditEvent {
        action: "login".into(),
        user_id: Some(format!("user{i}")),
        resource_type: None,
        resource_id: None,
        status: Some("success".into()),
        ip: None,
        user_agent: None,
        details_json: None,
    }
}

#[test]
fn signers_round_trip_and_refuse_bad_input() {
    let seeded = CheckpointSigner::new("magnetar.test/audit".into(), vec![9; 32]).unwrap();
    assert!(format!("{seeded:?}").contains("redacted"));
    let again = CheckpointSigner::from_private_key(seeded.private_key_text()).unwrap();
    assert_eq!(again.verifier_key_text(), seeded.verifier_key_text());
    assert_eq!(again.name(), "magnetar.test/audit");
    let err = CheckpointSigner::new("x".into(), vec![9; 31]).unwrap_err();
    assert!(matches!(err, MagnetarError::InvalidKey { .. }), "{err:?}");
    let err = CheckpointSigner::from_private_key(seeded.verifier_key_text()).unwrap_err();
    assert!(matches!(err, MagnetarError::InvalidKey { .. }), "{err:?}");
}

#[test]
fn checkpoints_proofs_and_sealed_exports() {
    let dir = tempfile::tempdir().unwrap();
    let pool = Pool::open(
        dir.path().join("tlog.db").to_string_lossy().into_owned(),
        default_pool_config(),
    )
    .unwrap();
    let log = AuditLog::new(
        pool,
        AuditKey::generate().unwrap(),
        AuditWriteMode::Synchronous,
        vec![],
    )
    .unwrap();
    let signer = CheckpointSigner::generate("magnetar.test/audit".into()).unwrap();
    let witness = CheckpointSigner::generate("witness.example".into()).unwrap();
    for i in 0..5 {
        log.record(event(i)).unwrap();
    }
    let note5 = log
        .checkpoint(vec![signer.clone(), witness.clone()])
        .unwrap();
    for i in 5..9 {
        log.record(event(i)).unwrap();
    }
    let note9 = log.checkpoint(vec![signer.clone()]).unwrap();
    assert_eq!(
        log.checkpoints().unwrap(),
        vec![note5.clone(), note9.clone()]
    );
    let vkey = signer.verifier_key_text();
    assert!(verify_checkpoint(note5.clone(), witness.verifier_key_text()).unwrap());
    assert!(!verify_checkpoint(note9.clone(), witness.verifier_key_text()).unwrap());
    assert!(matches!(
        verify_checkpoint(note9.clone(), "junk".into()).unwrap_err(),
        MagnetarError::InvalidKey { .. }
    ));

    let (root5, root9) = (log.tree_root(5).unwrap(), log.tree_root(9).unwrap());
    for seq in 1..=9 {
        let leaf = log.leaf(seq).unwrap();
        let proof = log.inclusion_proof(seq, 9).unwrap();
        assert!(verify_inclusion(leaf.clone(), seq, 9, proof.clone(), root9.clone()).unwrap());
        let mut flipped = proof;
        flipped[0][0] ^= 1;
        assert!(!verify_inclusion(leaf, seq, 9, flipped, root9.clone()).unwrap());
    }
    let proof = log.consistency_proof(5, 9).unwrap();
    assert!(verify_consistency(5, 9, root5.clone(), root9.clone(), proof.clone()).unwrap());
    assert!(!verify_consistency(5, 9, root9.clone(), root5.clone(), proof).unwrap());
    assert!(matches!(
        verify_inclusion(vec![], 0, 1, vec![], root9.clone()).unwrap_err(),
        MagnetarError::InvalidInput { .. }
    ));
    assert!(matches!(
        verify_consistency(1, 2, vec![0; 31], root9, vec![]).unwrap_err(),
        MagnetarError::InvalidInput { .. }
    ));

    assert!(
        log.verify_checkpoint(note9.clone(), vkey.clone())
            .unwrap()
            .ok
    );
    let path = dir
        .path()
        .join("sealed.jsonl")
        .to_string_lossy()
        .into_owned();
    assert_eq!(log.export_sealed(path.clone(), false).unwrap(), 9);
    assert!(matches!(
        log.export_sealed(path.clone(), false).unwrap_err(),
        MagnetarError::Io { .. }
    ));
    let report = verify_sealed_export(path.clone(), note9.clone(), vkey.clone()).unwrap();
    assert!(report.ok && report.checked == 9, "{report:?}");
    let text = std::fs::read_to_string(&path).unwrap();
    let doctored = dir.path().join("doctored.jsonl");
    let lines: Vec<&str> = text.lines().collect();
    std::fs::write(&doctored, format!("{}\n{}\n", lines[0], lines[2])).unwrap();
    let report =
        verify_sealed_export(doctored.to_string_lossy().into_owned(), note9, vkey.clone()).unwrap();
    assert!(!report.ok);
    // A line missing: named as such, not as a root mismatch.
    assert_eq!(
        report.first_problem.map(|p| p.kind),
        Some(AuditProblemKind::MissingEvents)
    );
    assert!(matches!(
        verify_sealed_export(
            dir.path().join("none").to_string_lossy().into_owned(),
            note5,
            vkey
        )
        .unwrap_err(),
        MagnetarError::Io { .. }
    ));
}
