//! Property tests: arbitrary events and keys round-trip exactly.

mod audit_common;

use audit_common::*;
use base64::Engine as _;
use magnetar_core::audit::{AuditKey, Filter, NewEvent};
use proptest::prelude::*;

fn opt_text() -> impl Strategy<Value = Option<String>> {
    proptest::option::of(any::<String>())
}

fn details() -> impl Strategy<Value = Option<serde_json::Value>> {
    proptest::option::of(
        proptest::collection::btree_map("[a-z]{1,8}", any::<i64>(), 0..5)
            .prop_map(|m| serde_json::json!(m)),
    )
}

fn new_event() -> impl Strategy<Value = NewEvent> {
    (
        ".{1,40}",
        (opt_text(), opt_text(), opt_text(), opt_text()),
        (opt_text(), opt_text(), details()),
    )
        .prop_map(
            |(action, (user_id, resource_type, resource_id, status), (ip, user_agent, details))| {
                NewEvent {
                    action,
                    user_id,
                    resource_type,
                    resource_id,
                    status,
                    ip,
                    user_agent,
                    details,
                }
            },
        )
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    #[test]
    fn events_round_trip(events in proptest::collection::vec(new_event(), 1..6)) {
        let (_d, path) = temp_db();
        let log = open(&pool(&path));
        for e in &events {
            log.record(e).unwrap();
        }
        let got = log.query(&Filter::default()).unwrap();
        prop_assert_eq!(got.len(), events.len());
        for (g, e) in got.iter().zip(&events) {
            let back = NewEvent {
                action: g.action.clone(),
                user_id: g.user_id.clone(),
                resource_type: g.resource_type.clone(),
                resource_id: g.resource_id.clone(),
                status: g.status.clone(),
                ip: g.ip.clone(),
                user_agent: g.user_agent.clone(),
                details: g.details.clone(),
            };
            prop_assert_eq!(&back, e);
        }
        // Every event is found by its user id and action through the blind indexes.
        for e in &events {
            if let Some(u) = &e.user_id {
                let hits = log.query(&Filter::user(u.clone())).unwrap();
                prop_assert!(hits.iter().any(|h| h.user_id.as_ref() == Some(u)));
                prop_assert!(hits.iter().all(|h| h.user_id.as_ref() == Some(u)));
            }
            let hits = log.query(&Filter { action: Some(e.action.clone()), ..Default::default() }).unwrap();
            prop_assert!(hits.iter().all(|h| h.action == e.action) && !hits.is_empty());
        }
        prop_assert!(log.verify().unwrap().ok);
    }

    #[test]
    fn keys_round_trip_through_hex_and_base64(bytes in proptest::array::uniform32(any::<u8>())) {
        match AuditKey::from_bytes(&bytes) {
            Ok(_) => {
                prop_assert!(AuditKey::from_hex(&hex::encode(bytes)).is_ok());
                prop_assert!(AuditKey::from_base64(&base64::engine::general_purpose::STANDARD.encode(bytes)).is_ok());
                prop_assert!(AuditKey::parse(&hex::encode_upper(bytes)).is_ok());
            }
            Err(e) => prop_assert!(e.to_string().contains("too weak")),
        }
    }

    #[test]
    fn key_parsing_never_panics(s in ".{0,100}") {
        let _ = AuditKey::parse(&s);
    }
}
