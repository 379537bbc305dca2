//! Scoring table: every signal alone and in combination, every threshold edge,
//! IPv4/IPv6 subnets and User-Agent edge cases.

use magnetar_core::session::{
    Decision, RequestContext, Scorer, ScoringPolicy, Signal, Thresholds, Weights, score,
};

use magnetar_testkit::ctx;
use magnetar_testkit::ua::{
    APP_ANDROID_231, APP_IOS_231, APP_IOS_240, CHROME_120, CHROME_121, CHROME_MAC, FIREFOX_WIN,
    FIREFOX_WIN_122, OTHER_APP, SAFARI_IOS_172, SAFARI_IOS_173,
};

fn signals(a: &magnetar_core::session::Assessment) -> Vec<Signal> {
    a.reasons.iter().map(|r| r.signal).collect()
}

#[test]
fn scoring_table() {
    use Decision::*;
    use Signal::*;
    let base = ctx("203.0.113.7", CHROME_120, "en-US,en;q=0.9");
    #[rustfmt::skip]
    let table: Vec<(&str, RequestContext, f64, Decision, Vec<Signal>)> = vec![
        ("identical", base.clone(), 0.0, Allow, vec![]),
        ("IP alone", ctx("198.51.100.2", CHROME_120, "en-US,en;q=0.9"), 0.3, Allow, vec![IpChange]),
        ("same /24", ctx("203.0.113.250", CHROME_120, "en-US,en;q=0.9"), 0.1, Allow, vec![IpSubnetChange]),
        ("next /24", ctx("203.0.114.7", CHROME_120, "en-US,en;q=0.9"), 0.3, Allow, vec![IpChange]),
        ("fingerprint alone", ctx("203.0.113.7", CHROME_120, "fr"), 0.2, Allow, vec![FingerprintMismatch]),
        ("IP + fingerprint", ctx("198.51.100.2", CHROME_120, "fr"), 0.5, Monitor, vec![IpChange, FingerprintMismatch]),
        ("UA alone", ctx("203.0.113.7", FIREFOX_WIN, "en-US,en;q=0.9"), 0.5, Monitor, vec![UserAgentChange]),
        ("UA + subnet", ctx("203.0.113.8", FIREFOX_WIN, "en-US,en;q=0.9"), 0.6, Monitor, vec![IpSubnetChange, UserAgentChange]),
        ("UA + fingerprint", ctx("203.0.113.7", FIREFOX_WIN, "fr"), 0.7, StepUp, vec![UserAgentChange, FingerprintMismatch]),
        ("IP + UA", ctx("198.51.100.2", FIREFOX_WIN, "en-US,en;q=0.9"), 0.8, StepUp, vec![IpChange, UserAgentChange]),
        ("IP + UA + fingerprint", ctx("198.51.100.2", FIREFOX_WIN, "fr"), 1.0, Terminate, vec![IpChange, UserAgentChange, FingerprintMismatch]),
        ("version bump", ctx("203.0.113.7", CHROME_121, "en-US,en;q=0.9"), 0.1, Allow, vec![UserAgentVersionChange]),
        ("version bump + IP + fp", ctx("198.51.100.2", CHROME_121, "fr"), 0.6, Monitor, vec![IpChange, UserAgentVersionChange, FingerprintMismatch]),
        ("same browser, other OS", ctx("203.0.113.7", CHROME_MAC, "en-US,en;q=0.9"), 0.5, Monitor, vec![UserAgentChange]),
        ("header added", base.clone().with_header("Sec-CH-UA-Platform", "\"Windows\"").unwrap(), 0.2, Allow, vec![FingerprintMismatch]),
        ("cosmetic only", ctx(" 203.0.113.7 ", &format!("  {CHROME_120} "), "EN-us, en;q=0.9"), 0.0, Allow, vec![]),
    ];
    for (name, current, want_score, want_decision, want_signals) in table {
        let a = score(&base, &current);
        assert!(
            (a.score - want_score).abs() < 1e-12,
            "{name}: score {} != {want_score}",
            a.score
        );
        assert_eq!(a.decision, want_decision, "{name}");
        assert_eq!(signals(&a), want_signals, "{name}");
    }
}

#[test]
fn reasons_name_signal_weight_and_change() {
    let a = score(
        &ctx("203.0.113.7", CHROME_120, "en"),
        &ctx("198.51.100.2", FIREFOX_WIN, "fr"),
    );
    let r = &a.reasons;
    assert_eq!(r[0].weight, 0.3);
    assert_eq!(r[0].detail, "203.0.113.7 -> 198.51.100.2");
    assert_eq!(r[1].weight, 0.5);
    assert!(
        r[1].detail.contains("Chrome") && r[1].detail.contains("Firefox"),
        "{}",
        r[1].detail
    );
    assert_eq!(r[2].weight, 0.2);
    assert_eq!(r[2].detail, "changed headers: accept-language");
    let bump = score(
        &ctx("10.0.0.1", CHROME_120, "en"),
        &ctx("10.0.0.1", CHROME_121, "en"),
    );
    assert_eq!(
        bump.reasons[0].detail,
        "Chrome 120.0.6099.71 -> 121.0.6167.85 on Windows 10"
    );
    let json = serde_json::to_value(&a).unwrap();
    assert_eq!(json["decision"], "terminate");
    assert_eq!(json["reasons"][0]["signal"], "ip_change");
    assert_eq!(json["reasons"][1]["signal"], "user_agent_change");
    assert_eq!(json["reasons"][2]["signal"], "fingerprint_mismatch");
    let back: magnetar_core::session::Assessment = serde_json::from_value(json).unwrap();
    assert_eq!(back, a);
}

#[test]
fn decision_names_are_stable() {
    for (d, name) in [
        (Decision::Allow, "allow"),
        (Decision::Monitor, "monitor"),
        (Decision::StepUp, "step_up"),
        (Decision::Terminate, "terminate"),
    ] {
        assert_eq!(d.as_str(), name);
        assert_eq!(serde_json::to_value(d).unwrap(), name);
    }
}

/// With weights chosen to land exactly on, and one basis point below, each
/// threshold: 0.3 + 0.2 is exactly 0.5, 0.5 + 0.2 exactly 0.7, and so on.
#[test]
fn threshold_edges_are_exact() {
    let base = ctx("203.0.113.7", CHROME_120, "en");
    let ip_fp = ctx("198.51.100.2", CHROME_120, "fr");
    let ip_ua = ctx("198.51.100.2", FIREFOX_WIN, "en");
    let all = ctx("198.51.100.2", FIREFOX_WIN, "fr");
    let with = |ip: f64, ua: f64, fp: f64| {
        Scorer::new(ScoringPolicy {
            weights: Weights {
                ip_change: ip,
                user_agent_change: ua,
                fingerprint_mismatch: fp,
                ..Weights::default()
            },
            ..ScoringPolicy::default()
        })
        .unwrap()
    };
    use Decision::*;
    for (scorer, current, want) in [
        (with(0.3, 0.5, 0.2), &ip_fp, Monitor),    // 0.5
        (with(0.3, 0.5, 0.1999), &ip_fp, Allow),   // 0.4999
        (with(0.1, 0.6, 0.2), &ip_ua, StepUp),     // 0.7
        (with(0.1, 0.5999, 0.2), &ip_ua, Monitor), // 0.6999
        (with(0.4, 0.3, 0.2), &all, Terminate),    // 0.9
        (with(0.4, 0.2999, 0.2), &all, StepUp),    // 0.8999
        (with(0.7, 0.7, 0.7), &all, Terminate),    // clamped
    ] {
        let a = scorer.score(&base, current);
        assert_eq!(a.decision, want, "score {}", a.score);
        assert!(a.score <= 1.0);
    }
    assert_eq!(with(0.7, 0.7, 0.7).score(&base, &all).score, 1.0);
    // Floating-point sums such as 0.1 + 0.2 still compare exactly.
    let s = with(0.1, 0.5, 0.2).score(&base, &ip_fp);
    assert_eq!(s.score, 0.3);
}

#[test]
fn configurable_thresholds() {
    let strict = Scorer::new(ScoringPolicy {
        thresholds: Thresholds {
            monitor: 0.1,
            step_up: 0.3,
            terminate: 0.5,
        },
        ..ScoringPolicy::default()
    })
    .unwrap();
    let base = ctx("203.0.113.7", CHROME_120, "en");
    assert_eq!(
        strict
            .score(&base, &ctx("203.0.113.8", CHROME_120, "en"))
            .decision,
        Decision::Monitor
    );
    assert_eq!(
        strict
            .score(&base, &ctx("198.51.100.1", CHROME_120, "en"))
            .decision,
        Decision::StepUp
    );
    assert_eq!(
        strict
            .score(&base, &ctx("203.0.113.7", FIREFOX_WIN, "en"))
            .decision,
        Decision::Terminate
    );
    let policy: ScoringPolicy =
        serde_json::from_str(r#"{"thresholds":{"monitor":0.2},"ipv4_subnet_prefix":16}"#).unwrap();
    assert_eq!(policy.thresholds.step_up, 0.7);
    let s = Scorer::new(policy).unwrap();
    assert_eq!(
        s.score(&base, &ctx("203.0.200.1", CHROME_120, "en"))
            .reasons[0]
            .signal,
        Signal::IpSubnetChange
    );
    assert!(serde_json::from_str::<ScoringPolicy>(r#"{"weight":{}}"#).is_err());
}

#[test]
fn ipv6_and_mixed_families() {
    let base = ctx("2001:db8:abcd:1::7", CHROME_120, "en");
    let check = |ip: &str, want: Option<Signal>| {
        let a = score(&base, &ctx(ip, CHROME_120, "en"));
        assert_eq!(a.reasons.first().map(|r| r.signal), want, "{ip}");
    };
    check("2001:db8:abcd:1::7", None);
    check("2001:0db8:abcd:0001:0000:0000:0000:0007", None);
    check("2001:db8:abcd:ffff::1", Some(Signal::IpSubnetChange));
    check("2001:db8:abce::7", Some(Signal::IpChange));
    check("203.0.113.7", Some(Signal::IpChange));
    // IPv4-mapped IPv6 is the same client as its IPv4 address.
    let v4 = ctx("192.0.2.1", CHROME_120, "en");
    assert!(
        score(&v4, &ctx("::ffff:192.0.2.1", CHROME_120, "en"))
            .reasons
            .is_empty()
    );
    assert_eq!(
        score(&v4, &ctx("::ffff:192.0.2.99", CHROME_120, "en")).reasons[0].signal,
        Signal::IpSubnetChange
    );
}

#[test]
fn user_agent_edge_cases() {
    use Signal::*;
    let cases: &[(&str, &str, Signal)] = &[
        (FIREFOX_WIN, FIREFOX_WIN_122, UserAgentVersionChange),
        (SAFARI_IOS_172, SAFARI_IOS_173, UserAgentVersionChange),
        (APP_IOS_231, APP_IOS_240, UserAgentVersionChange),
        (APP_IOS_231, APP_ANDROID_231, UserAgentChange),
        (APP_IOS_231, OTHER_APP, UserAgentChange),
        (CHROME_120, FIREFOX_WIN, UserAgentChange),
        (CHROME_120, "", UserAgentChange),
        ("", CHROME_120, UserAgentChange),
        ("curl/8.4.0", "curl/8.5.0", UserAgentVersionChange),
        ("garbage 1", "garbage 2", UserAgentChange),
        (
            "Mozilla/5.0 (Linux; Android 14; Pixel 7) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.0.0 Mobile Safari/537.36",
            "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.0.0 Mobile Safari/537.36",
            UserAgentChange,
        ),
    ];
    for (before, after, want) in cases {
        let a = score(
            &ctx("10.0.0.1", before, "en"),
            &ctx("10.0.0.1", after, "en"),
        );
        assert_eq!(signals(&a), vec![*want], "{before:?} -> {after:?}");
    }
}

#[test]
fn contexts_from_json_score_like_built_ones() {
    let prev = RequestContext::from_json(
        r#"{"ip":"203.0.113.7","user_agent":"MyApp/2.3.1 (iPhone; iOS 17.2)","headers":{"Accept-Language":"en"}}"#,
    )
    .unwrap();
    let cur = RequestContext::from_json(
        r#"{"ip":"198.51.100.2","user_agent":"MyApp/2.3.1 (iPhone; iOS 17.2)","headers":{"accept-language":"de"}}"#,
    )
    .unwrap();
    let a = score(&prev, &cur);
    assert_eq!(a.decision, Decision::Monitor);
    assert_eq!(a.score, 0.5);
}
