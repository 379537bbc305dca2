//! Audit log behaviour: round trips, queries, keys, rotation, batching, retention.

mod audit_common;

use std::sync::Arc;
use std::time::Duration;

use audit_common::*;
use magnetar_core::ErrorKind;
use magnetar_core::audit::{
    AuditConfig, AuditKey, AuditLog, BatchConfig, Filter, NewEvent, Order, WriteMode,
};

#[test]
fn record_and_query_round_trip() {
    let (_d, path) = temp_db();
    let pool = pool(&path);
    let log = open(&pool);
    let e = NewEvent::new("login")
        .user("alice")
        .resource("account", "42")
        .status("success")
        .client("2001:db8::1", "curl/8")
        .details(serde_json::json!({"mfa": true, "n": [1, 2]}));
    let id = log.record(&e).unwrap();
    assert_eq!(id.len(), 36);
    let minimal = log.record(&NewEvent::new("boot")).unwrap();
    let all = log.query(&Filter::default()).unwrap();
    assert_eq!(all.len(), 2);
    let got = &all[0];
    assert_eq!(
        (got.seq, got.event_id.as_str(), got.key_id),
        (1, id.as_str(), 1)
    );
    assert_eq!(got.action, "login");
    assert_eq!(got.user_id.as_deref(), Some("alice"));
    assert_eq!(got.resource_type.as_deref(), Some("account"));
    assert_eq!(got.resource_id.as_deref(), Some("42"));
    assert_eq!(got.status.as_deref(), Some("success"));
    assert_eq!(got.ip.as_deref(), Some("2001:db8::1"));
    assert_eq!(got.user_agent.as_deref(), Some("curl/8"));
    assert_eq!(got.details, e.details);
    let m = &all[1];
    assert_eq!(
        (m.event_id.as_str(), m.action.as_str()),
        (minimal.as_str(), "boot")
    );
    assert!(m.user_id.is_none() && m.details.is_none());

    // Nothing sensitive is stored in clear: not in any column, nor anywhere in the
    // database or WAL file.
    let conn = raw(&path);
    let mut dump: Vec<Vec<u8>> = conn
        .prepare("SELECT fields FROM audit_events")
        .unwrap()
        .query_map([], |r| r.get(0))
        .unwrap()
        .map(|r| r.unwrap())
        .collect();
    assert_eq!(dump.len(), 2);
    for suffix in ["", "-wal"] {
        let mut file = path.clone().into_os_string();
        file.push(suffix);
        dump.push(std::fs::read(&file).unwrap_or_default());
    }
    for blob in dump {
        for needle in [&b"alice"[..], b"login", b"curl", b"2001:db8", b"mfa"] {
            assert!(!blob.windows(needle.len()).any(|w| w == needle));
        }
    }
    let report = log.verify().unwrap();
    assert!(report.ok && report.checked == 2, "{report:?}");
}

#[test]
fn empty_action_and_oversized_fields_are_rejected() {
    let (_d, path) = temp_db();
    let log = open(&pool(&path));
    let err = log.record(&NewEvent::new("")).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::InvalidInput);
    let err = log
        .record(&NewEvent::new("x").status("s".repeat(70_000)))
        .unwrap_err();
    assert!(err.to_string().contains("status"), "{err}");
    assert_eq!(log.len().unwrap(), 0);
}

#[test]
fn query_filters_paging_and_order() {
    let (_d, path) = temp_db();
    let pool = pool(&path);
    let (log, clock) = open_with_clock(&pool);
    let mut stamps = Vec::new();
    for i in 0..30 {
        log.record(&event(i)).unwrap();
        stamps.push(
            log.query(&Filter::default())
                .unwrap()
                .last()
                .unwrap()
                .timestamp_ms,
        );
        clock.advance(Duration::from_secs(1));
    }
    let by_user = log.query(&Filter::user("user-2")).unwrap();
    assert_eq!(by_user.len(), 6);
    assert!(
        by_user
            .iter()
            .all(|e| e.user_id.as_deref() == Some("user-2"))
    );
    assert!(by_user.windows(2).all(|w| w[0].seq < w[1].seq));

    let logins = log
        .query(&Filter {
            action: Some("login".into()),
            ..Default::default()
        })
        .unwrap();
    assert_eq!(logins.len(), 10);

    let both = log
        .query(&Filter {
            user_id: Some("user-0".into()),
            action: Some("login".into()),
            ..Default::default()
        })
        .unwrap();
    // i % 5 == 0 and i % 3 == 0: 0, 15.
    assert_eq!(both.iter().map(|e| e.seq).collect::<Vec<_>>(), vec![1, 16]);

    let window = log
        .query(&Filter {
            since_ms: Some(stamps[10]),
            until_ms: Some(stamps[20]),
            ..Default::default()
        })
        .unwrap();
    assert_eq!(window.len(), 10);
    assert_eq!(window[0].seq, 11);

    let page = log
        .query(&Filter {
            user_id: Some("user-1".into()),
            order: Order::Descending,
            offset: 1,
            limit: Some(2),
            ..Default::default()
        })
        .unwrap();
    // user-1 is at i = 1, 6, 11, 16, 21, 26 (seq = i + 1); descending, skip one.
    assert_eq!(page.iter().map(|e| e.seq).collect::<Vec<_>>(), vec![22, 17]);

    assert!(log.query(&Filter::user("nobody")).unwrap().is_empty());
    let none = log
        .query(&Filter {
            limit: Some(0),
            ..Default::default()
        })
        .unwrap();
    assert!(none.is_empty());
}

#[test]
fn export_jsonl_writes_one_event_per_line() {
    let (d, path) = temp_db();
    let log = open(&pool(&path));
    for i in 0..7 {
        log.record(&event(i)).unwrap();
    }
    let mut buf = Vec::new();
    let n = log.export_jsonl(&mut buf, &Filter::user("user-1")).unwrap();
    assert_eq!(n, 2);
    let lines: Vec<serde_json::Value> = std::str::from_utf8(&buf)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(lines.len(), 2);
    assert_eq!(lines[0]["user_id"], "user-1");
    assert_eq!(lines[1]["details"]["i"], 6);

    let out = d.path().join("export.jsonl");
    assert_eq!(
        log.export_jsonl_to_path(&out, &Filter::default()).unwrap(),
        7
    );
    assert_eq!(std::fs::read_to_string(&out).unwrap().lines().count(), 7);
    // Decrypted events: owner-only, and an existing file is never replaced unless asked.
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&out).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o600, "{mode:o}");
    }
    let err = log
        .export_jsonl_to_path(&out, &Filter::user("user-1"))
        .unwrap_err();
    assert!(err.to_string().contains("already exists"), "{err}");
    assert_eq!(std::fs::read_to_string(&out).unwrap().lines().count(), 7);
    let n = log
        .export_jsonl_to_path_replacing(&out, &Filter::user("user-1"))
        .unwrap();
    assert_eq!(
        std::fs::read_to_string(&out).unwrap().lines().count() as u64,
        n
    );
}

#[test]
fn wrong_key_fails_at_open() {
    let (_d, path) = temp_db();
    let pool = pool(&path);
    {
        let log = open(&pool);
        log.record(&event(0)).unwrap();
    }
    let err = AuditLog::open(&pool, key(2), AuditConfig::default()).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::WrongKey);
    assert!(err.to_string().contains("key-check"), "{err}");
    // The right key still works, from another representation.
    let hex_key = hex::encode(
        (0..32u8)
            .map(|i| i.wrapping_mul(73).wrapping_add(1))
            .collect::<Vec<_>>(),
    );
    let log = AuditLog::open(
        &pool,
        AuditKey::from_hex(&hex_key).unwrap(),
        AuditConfig::default(),
    )
    .unwrap();
    assert_eq!(log.query(&Filter::default()).unwrap().len(), 1);
}

#[test]
fn passphrase_mode_uses_a_stored_salt_and_detects_a_wrong_passphrase() {
    let (_d, path) = temp_db();
    let pool = pool(&path);
    let err = AuditLog::open_with_passphrase(&pool, "short", AuditConfig::default()).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::InvalidKey);
    {
        let log = AuditLog::open_with_passphrase(
            &pool,
            "correct horse battery staple",
            AuditConfig::default(),
        )
        .unwrap();
        log.record(&event(1)).unwrap();
    }
    let salt: Vec<u8> = raw(&path)
        .query_row(
            "SELECT value FROM audit_meta WHERE name = 'kdf_salt'",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(salt.len(), 16);
    let err = AuditLog::open_with_passphrase(
        &pool,
        "correct horse battery stapler",
        AuditConfig::default(),
    )
    .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::WrongKey);
    let log = AuditLog::open_with_passphrase(
        &pool,
        "correct horse battery staple",
        AuditConfig::default(),
    )
    .unwrap();
    assert_eq!(log.query(&Filter::default()).unwrap().len(), 1);
}

#[test]
fn rotation_keeps_old_events_readable_and_reencrypt_resumes() {
    let (_d, path) = temp_db();
    let pool = pool(&path);
    let head_before;
    {
        let log = open(&pool);
        for i in 0..25 {
            log.record(&event(i)).unwrap();
        }
        head_before = log.head().unwrap();
        assert_eq!(log.rotate_key(key(2)).unwrap(), 2);
        assert_eq!(log.current_key_id(), 2);
        assert_eq!(log.key_ids(), vec![1, 2]);
        for i in 25..30 {
            log.record(&event(i)).unwrap();
        }
        let all = log.query(&Filter::default()).unwrap();
        assert_eq!(all.len(), 30);
        assert_eq!(all[0].key_id, 1);
        assert_eq!(all[29].key_id, 2);
        // Blind indexes span key ids.
        assert_eq!(log.query(&Filter::user("user-0")).unwrap().len(), 6);
        assert_eq!(
            log.rotate_key(key(2)).unwrap_err().kind(),
            ErrorKind::InvalidKey
        );
        // One batch, then "crash".
        let p = log.reencrypt(10).unwrap();
        assert_eq!((p.reencrypted, p.remaining, p.done), (10, 15, false));
    }
    // The old key alone no longer opens the log; the new key without the old one cannot
    // read old events.
    let err = AuditLog::open(&pool, key(1), AuditConfig::default()).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::WrongKey);
    {
        let log = AuditLog::open(&pool, key(2), AuditConfig::default()).unwrap();
        assert_eq!(
            log.query(&Filter::default()).unwrap_err().kind(),
            ErrorKind::InvalidKey
        );
        assert_eq!(log.verify().unwrap_err().kind(), ErrorKind::InvalidKey);
    }
    let err = AuditLog::open(
        &pool,
        key(2),
        AuditConfig {
            previous_keys: vec![key(9)],
            ..Default::default()
        },
    )
    .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::WrongKey);

    let log = AuditLog::open(
        &pool,
        key(2),
        AuditConfig {
            previous_keys: vec![key(1)],
            ..Default::default()
        },
    )
    .unwrap();
    assert_eq!(log.key_ids(), vec![1, 2]);
    assert_eq!(
        log.retire_key(1).unwrap_err().kind(),
        ErrorKind::InvalidInput
    );
    let mut calls = 0;
    loop {
        let p = log.reencrypt(4).unwrap();
        calls += 1;
        if p.done {
            break;
        }
    }
    assert_eq!(calls, 4); // 15 remaining in batches of 4
    assert!(
        log.query(&Filter::default())
            .unwrap()
            .iter()
            .all(|e| e.key_id == 2)
    );
    // The chain and the head recorded before rotation are still valid.
    let r = log.verify_against(&head_before).unwrap();
    assert!(r.ok && r.checked == 30, "{r:?}");
    log.retire_key(1).unwrap();
    assert_eq!(log.key_ids(), vec![2]);
    drop(log);
    let log = AuditLog::open(&pool, key(2), AuditConfig::default()).unwrap();
    assert!(log.verify().unwrap().ok);
    let err = AuditLog::open(
        &pool,
        key(2),
        AuditConfig {
            previous_keys: vec![key(1)],
            ..Default::default()
        },
    )
    .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::WrongKey);
}

#[test]
fn many_threads_recording_at_once_build_one_valid_chain() {
    let (_d, path) = temp_db();
    let pool = pool(&path);
    for mode in [
        WriteMode::Synchronous,
        WriteMode::Batched(BatchConfig {
            queue_capacity: 64,
            max_batch: 50,
        }),
    ] {
        let log = Arc::new(
            AuditLog::open(
                &pool,
                key(1),
                AuditConfig {
                    mode,
                    ..Default::default()
                },
            )
            .unwrap(),
        );
        let before = log.len().unwrap();
        let threads: Vec<_> = (0..8)
            .map(|t| {
                let log = log.clone();
                std::thread::spawn(move || {
                    (0..100)
                        .map(|i| log.record(&event(t * 1000 + i)).unwrap())
                        .collect::<Vec<_>>()
                })
            })
            .collect();
        let ids: Vec<String> = threads
            .into_iter()
            .flat_map(|t| t.join().unwrap())
            .collect();
        log.flush().unwrap();
        assert_eq!(log.len().unwrap(), before + 800);
        let stored: std::collections::HashSet<String> = log
            .query(&Filter::default())
            .unwrap()
            .into_iter()
            .map(|e| e.event_id)
            .collect();
        assert!(ids.iter().all(|id| stored.contains(id)));
        let r = log.verify().unwrap();
        assert!(r.ok && r.checked == before + 800, "{r:?}");
        log.close().unwrap();
    }
}

#[test]
fn batched_mode_flush_and_close() {
    let (_d, path) = temp_db();
    let pool = pool(&path);
    let log = open_batched(&pool, BatchConfig::default());
    assert!(log.is_batched());
    for i in 0..1000 {
        log.record(&event(i)).unwrap();
    }
    log.flush().unwrap();
    assert_eq!(log.len().unwrap(), 1000);
    for i in 0..500 {
        log.record(&event(i)).unwrap();
    }
    log.close().unwrap();
    assert_eq!(log.len().unwrap(), 1500);
    assert_eq!(
        log.record(&event(0)).unwrap_err().kind(),
        ErrorKind::InvalidInput
    );
    log.close().unwrap();
    // Reads still work after close.
    assert!(log.verify().unwrap().ok);

    let bad = AuditLog::open(
        &pool,
        key(1),
        AuditConfig {
            mode: WriteMode::Batched(BatchConfig {
                queue_capacity: 0,
                max_batch: 1,
            }),
            ..Default::default()
        },
    )
    .unwrap_err();
    assert_eq!(bad.kind(), ErrorKind::InvalidConfig);
}

/// The batched writer hands written events back to `record` to fill again: reused
/// slots must carry nothing of the event they held before (an absent user, no details,
/// a field too large to keep as a spare, in every order).
#[test]
fn batched_slots_are_reused_without_mixing_events() {
    let (_d, path) = temp_db();
    let pool = pool(&path);
    let log = open_batched(
        &pool,
        BatchConfig {
            queue_capacity: 64,
            max_batch: 8,
        },
    );
    let make = |i: usize| match i % 4 {
        0 => event(i),
        1 => NewEvent::new("bare"),
        2 => NewEvent::new("big")
            .user(format!("u{i}"))
            .details(serde_json::json!({ "blob": "b".repeat(3000 + i) })),
        _ => NewEvent::new("partial").resource("doc", format!("d{i}")),
    };
    let mut ids = Vec::new();
    for round in 0..20 {
        for i in round * 10..round * 10 + 10 {
            ids.push((log.record(&make(i)).unwrap(), i));
        }
        log.flush().unwrap();
    }
    let events = log.query(&Filter::default()).unwrap();
    assert_eq!(events.len(), ids.len());
    for (e, (id, i)) in events.iter().zip(&ids) {
        let want = make(*i);
        assert_eq!(&e.event_id, id);
        assert_eq!(
            (
                &e.action,
                &e.user_id,
                &e.resource_type,
                &e.resource_id,
                &e.status,
                &e.ip,
                &e.user_agent,
                &e.details,
            ),
            (
                &want.action,
                &want.user_id,
                &want.resource_type,
                &want.resource_id,
                &want.status,
                &want.ip,
                &want.user_agent,
                &want.details,
            ),
            "event {i}"
        );
    }
    assert_eq!(log.query(&Filter::user("u2")).unwrap().len(), 1);
    assert!(log.verify().unwrap().ok);
    log.close().unwrap();
    // A stale user index would only cost a decryption per query (false positives are
    // dropped), so look at the stored indexes themselves.
    let without_user: i64 = raw(&path)
        .query_row(
            "SELECT count(*) FROM audit_events WHERE user_idx IS NULL",
            [],
            |r| r.get(0),
        )
        .unwrap();
    let expected = ids
        .iter()
        .filter(|(_, i)| make(*i).user_id.is_none())
        .count();
    assert_eq!(without_user, expected as i64);
}

#[test]
fn dropping_a_batched_log_commits_its_queue() {
    let (_d, path) = temp_db();
    let pool = pool(&path);
    {
        let log = open_batched(&pool, BatchConfig::default());
        for i in 0..300 {
            log.record(&event(i)).unwrap();
        }
    }
    assert_eq!(open(&pool).len().unwrap(), 300);
}

#[test]
fn purge_keeps_the_rest_verifiable() {
    let (_d, path) = temp_db();
    let pool = pool(&path);
    let (log, clock) = open_with_clock(&pool);
    for i in 0..20 {
        log.record(&event(i)).unwrap();
        clock.advance(Duration::from_secs(60));
    }
    let cutoff = log.query(&Filter::default()).unwrap()[12].timestamp_ms;
    let head = log.head().unwrap();
    assert_eq!(log.purge_before(cutoff).unwrap(), 12);
    assert_eq!(log.purge_before(cutoff).unwrap(), 0);
    let r = log.verify_against(&head).unwrap();
    assert!(r.ok && r.checked == 8, "{r:?}");
    log.record(&event(99)).unwrap();
    assert_eq!(log.head().unwrap().seq, 21);
    assert!(log.verify().unwrap().ok);
    // Purging everything leaves an empty log that continues the chain.
    assert_eq!(log.purge_before(i64::MAX).unwrap(), 9);
    assert!(log.is_empty().unwrap());
    let r = log.verify().unwrap();
    assert!(r.ok && r.checked == 0, "{r:?}");
    log.record(&event(100)).unwrap();
    assert_eq!(log.head().unwrap().seq, 22);
    assert!(log.verify().unwrap().ok);
}

/// A purge reads the log a chunk at a time (4,096 events): across chunk boundaries it
/// stops exactly at the cutoff, and a gap in a later chunk still refuses it.
/// 10,000 events 10 ms apart, and the timestamp of the 9,000th: past two purge chunks.
fn ten_thousand_events() -> (tempfile::TempDir, magnetar_core::pool::Pool, AuditLog, i64) {
    let (dir, path) = temp_db();
    let pool = pool(&path);
    let (log, clock) = open_with_clock(&pool);
    for i in 0..10_000 {
        log.record(&event(i)).unwrap();
        clock.advance(Duration::from_millis(10));
    }
    let filter = Filter {
        limit: Some(9_000),
        ..Filter::default()
    };
    let cutoff = log.query(&filter).unwrap()[8_999].timestamp_ms;
    (dir, pool, log, cutoff)
}

#[test]
fn purge_walks_the_log_in_chunks() {
    let (_d, pool, log, cutoff) = ten_thousand_events();
    // A gap past the first chunk refuses the purge, and nothing is deleted.
    pool.write(|c| {
        c.execute("DELETE FROM audit_events WHERE seq = 5000", [])?;
        Ok(())
    })
    .unwrap();
    let err = log.purge_before(cutoff).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Tampered, "{err}");
    assert!(err.to_string().contains("seq 5001"), "{err}");
    assert_eq!(log.len().unwrap(), 9_999);
}

#[test]
fn purge_stops_at_the_cutoff_across_chunks() {
    let (_d, _pool, log, cutoff) = ten_thousand_events();
    assert_eq!(log.purge_before(cutoff).unwrap(), 8_999);
    let r = log.verify().unwrap();
    assert!(r.ok && r.checked == 1_001, "{r:?}");
}

#[test]
fn head_of_an_empty_log_verifies() {
    let (_d, path) = temp_db();
    let log = open(&pool(&path));
    let head = log.head().unwrap();
    assert_eq!(head.seq, 0);
    assert!(log.verify_against(&head).unwrap().ok);
    let err = log
        .verify_against(&magnetar_core::audit::Head {
            seq: 1,
            chain_hex: "zz".into(),
        })
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::InvalidInput);
}
