//! Two logs under one master key: a row moved from one into the other is refused by
//! `query` (and `export`), not only reported by `verify()`, because every field is
//! sealed for its log's id.

mod audit_common;

use audit_common::*;
use magnetar_core::ErrorKind;
use magnetar_core::audit::{Filter, ProblemKind};

#[test]
fn a_row_moved_from_another_log_with_the_same_key_is_refused_by_query() {
    let (_da, a) = temp_db();
    let (_db, b) = temp_db();
    for path in [&a, &b] {
        let log = open(&pool(path));
        for i in 0..5 {
            log.record(&event(i)).unwrap();
        }
    }
    // Replace b's event 3 with a's event 3: same key, same format, valid ciphertexts.
    let (id, ts, fields): (Vec<u8>, i64, Vec<u8>) = raw(&a)
        .query_row(
            "SELECT event_id, ts, fields FROM audit_events WHERE seq = 3",
            [],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
        )
        .unwrap();
    raw(&b)
        .execute(
            "UPDATE audit_events SET event_id = ?1, ts = ?2, fields = ?3 WHERE seq = 3",
            rusqlite::params![id, ts, fields],
        )
        .unwrap();
    let log = open(&pool(&b));
    let err = log.query(&Filter::default()).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Tampered, "{err}");
    assert!(err.to_string().contains("seq 3"), "{err}");
    let mut out = Vec::new();
    assert_eq!(
        log.export_jsonl(&mut out, &Filter::default())
            .unwrap_err()
            .kind(),
        ErrorKind::Tampered
    );
    let r = log.verify().unwrap();
    let p = r.first_problem.unwrap();
    assert_eq!((p.kind, p.seq), (ProblemKind::FieldTampered, 3));
    // The same row with the bound marker stripped (posing as written before binding):
    // refused too, since the log has bound every event from its first.
    raw(&b)
        .execute(
            "UPDATE audit_events SET fields = substr(fields, 2) WHERE seq = 3",
            [],
        )
        .unwrap();
    let err = log.query(&Filter::default()).unwrap_err();
    assert!(err.to_string().contains("not sealed for this log"), "{err}");
}
