//! Property tests: context parsing and JSON round trips never panic and are stable;
//! scoring is bounded, symmetric in its signals and zero for identical contexts.

use magnetar_core::session::{Decision, RequestContext, Scorer, score, user_agent};
use proptest::prelude::*;

fn any_ip() -> impl Strategy<Value = String> {
    prop_oneof![
        any::<[u8; 4]>().prop_map(|b| std::net::Ipv4Addr::from(b).to_string()),
        any::<[u16; 8]>().prop_map(|s| std::net::Ipv6Addr::from(s).to_string()),
    ]
}

fn any_context() -> impl Strategy<Value = RequestContext> {
    (
        any_ip(),
        "\\PC{0,120}",
        proptest::collection::btree_map("[A-Za-z][A-Za-z0-9-]{0,20}", "\\PC{0,40}", 0..4),
    )
        .prop_filter_map("user-agent is not a header", |(ip, ua, headers)| {
            let mut ctx = RequestContext::new(&ip, &ua).ok()?;
            for (name, value) in headers {
                ctx.insert_header(&name, &value).ok()?;
            }
            Some(ctx)
        })
}

proptest! {
    #[test]
    fn parsing_arbitrary_text_never_panics(ip in "\\PC{0,60}", ua in "\\PC{0,300}", json in "\\PC{0,200}") {
        let _ = RequestContext::new(&ip, &ua);
        let _ = RequestContext::from_json(&json);
        let _ = user_agent::parse(&ua);
    }

    #[test]
    fn json_round_trip_is_identity(ctx in any_context()) {
        let back = RequestContext::from_json(&ctx.to_json()).unwrap();
        prop_assert_eq!(back, ctx);
    }

    #[test]
    fn normalisation_is_idempotent(ctx in any_context()) {
        let mut again = RequestContext::from_ip(ctx.ip(), ctx.user_agent()).unwrap();
        for (name, value) in ctx.headers() {
            again.insert_header(name, value).unwrap();
        }
        prop_assert_eq!(again, ctx);
    }

    #[test]
    fn scores_are_bounded_and_consistent(a in any_context(), b in any_context()) {
        let forward = score(&a, &b);
        prop_assert!((0.0..=1.0).contains(&forward.score));
        let sum: f64 = forward.reasons.iter().map(|r| r.weight).sum();
        prop_assert!((forward.score - sum.min(1.0)).abs() < 1e-9);
        // The same signals fire in both directions.
        let backward = score(&b, &a);
        let signals = |x: &magnetar_core::session::Assessment| {
            x.reasons.iter().map(|r| r.signal).collect::<Vec<_>>()
        };
        prop_assert_eq!(signals(&forward), signals(&backward));
        let same = Scorer::default().score(&a, &a);
        prop_assert_eq!(same.decision, Decision::Allow);
        prop_assert!(same.reasons.is_empty());
    }
}
