//! The online breach check against a local range server: protocol, privacy, every fault,
//! retries, Retry-After, the circuit breaker, the cache and host transports. Uses the
//! built-in HTTP client, so it needs the default `https` feature.
#![cfg(feature = "https")]

mod breach_support;

use std::sync::Arc;
use std::time::Duration;

use breach_support::{Behavior, RangeServer, sha1_hex};
use magnetar_core::breach::{
    BreachChecker, BreachConfig, BreachStatus, HashKind, HttpResponse, IndexBuilder, Source,
    Transport, TransportError,
};
use magnetar_core::clock::ManualClock;
use parking_lot::Mutex;

const CORPUS: &[(&str, u64)] = &[
    ("password", 10_434_004),
    ("123456", 42_071_296),
    ("letmein", 640_000),
    ("hunter2", 2_000),
];
const STRONG: &str = "vellum-orbit-cascade-tundra-47";

type Sleeps = Arc<Mutex<Vec<Duration>>>;

/// A checker for `server` with a manual clock and a sleeper that only records.
fn checker(
    server: &RangeServer,
    tweak: impl FnOnce(&mut BreachConfig),
) -> (BreachChecker, Arc<ManualClock>, Sleeps) {
    let clock = ManualClock::new();
    let mut config = BreachConfig {
        base_url: server.base_url.clone(),
        user_agent: "magnetar-tests/1.0 (breach suite)".into(),
        connect_timeout: Duration::from_secs(2),
        timeout: Duration::from_secs(3),
        clock: clock.clone(),
        ..BreachConfig::default()
    };
    tweak(&mut config);
    let sleeps: Sleeps = Arc::default();
    let recorder = Arc::clone(&sleeps);
    let checker = BreachChecker::new(config)
        .unwrap()
        .with_sleeper(Arc::new(move |d| recorder.lock().push(d)));
    (checker, clock, sleeps)
}

fn unknown_reason(status: &BreachStatus) -> &str {
    match status {
        BreachStatus::Unknown { reason } => reason,
        other => panic!("expected Unknown, got {other:?}"),
    }
}

#[test]
fn breached_not_found_and_cached() {
    let server = RangeServer::start(CORPUS);
    let (checker, _, _) = checker(&server, |_| {});
    let r = checker.check("password");
    assert_eq!(r.status, BreachStatus::Breached { count: 10_434_004 });
    assert_eq!(r.source, Source::Online);
    let r = checker.check(STRONG);
    assert_eq!(
        (r.status, r.source),
        (BreachStatus::NotFound, Source::Online)
    );
    assert_eq!(server.requests(), 2);
    let r = checker.check("password");
    assert_eq!(r.source, Source::Cache);
    assert!(r.is_breached());
    let r = checker.check(STRONG);
    assert_eq!(
        (r.status, r.source),
        (BreachStatus::NotFound, Source::Cache)
    );
    assert_eq!(server.requests(), 2, "cache hits send nothing");
}

#[test]
fn only_the_prefix_leaves_and_padding_is_requested() {
    let server = RangeServer::start(CORPUS);
    let (checker, _, _) = checker(&server, |_| {});
    let passwords = ["password", "123456", STRONG, "Tr0ub4dor&3", ""];
    for pw in passwords {
        checker.check(pw);
    }
    let log = server.log();
    assert_eq!(log.len(), passwords.len());
    for (pw, request) in passwords.iter().zip(&log) {
        let hash = sha1_hex(pw);
        let (prefix, suffix) = hash.split_at(5);
        assert_eq!(request.target, format!("/range/{prefix}"));
        assert_eq!(request.header("add-padding"), Some("true"));
        assert_eq!(
            request.header("user-agent"),
            Some("magnetar-tests/1.0 (breach suite)")
        );
        let raw = request.raw.to_ascii_uppercase();
        assert!(
            raw.starts_with(&format!("GET /RANGE/{prefix} HTTP/1.1\r\n")),
            "{raw}"
        );
        // Nothing of the hash beyond the prefix, and not the password, in any request.
        for other in &log {
            let other = other.raw.to_ascii_uppercase();
            assert!(!other.contains(&suffix[..8]), "suffix leaked: {other}");
            if pw.len() >= 4 {
                assert!(
                    !other.contains(&pw.to_ascii_uppercase()),
                    "password leaked: {other}"
                );
            }
        }
    }
}

#[test]
fn ntlm_mode_queries_the_ntlm_range() {
    let server = RangeServer::start(&[]);
    server.add_hash("8846F7EAEE8FB117AD06BDD830B7586C", 777); // NTLM("password")
    let (checker, _, _) = checker(&server, |c| c.ntlm = true);
    assert_eq!(
        checker.check("password").status,
        BreachStatus::Breached { count: 777 }
    );
    assert_eq!(checker.check(STRONG).status, BreachStatus::NotFound);
    let log = server.log();
    assert_eq!(log[0].target, "/range/8846F?mode=ntlm");
    assert!(log.iter().all(|r| r.target.ends_with("?mode=ntlm")));
}

#[test]
fn server_errors_are_retried_with_backoff() {
    let server = RangeServer::start(CORPUS);
    let (checker, _, sleeps) = checker(&server, |c| {
        c.retries = 3;
        c.backoff = Duration::from_millis(100);
        c.backoff_max = Duration::from_millis(250);
    });
    server.script([
        Behavior::Status(503, None),
        Behavior::Status(500, None),
        Behavior::Close,
    ]);
    let r = checker.check("letmein");
    assert_eq!(r.status, BreachStatus::Breached { count: 640_000 });
    assert_eq!(server.requests(), 4);
    assert_eq!(
        *sleeps.lock(),
        vec![
            Duration::from_millis(100),
            Duration::from_millis(200),
            Duration::from_millis(250)
        ]
    );
}

#[test]
fn exhausted_retries_are_unknown_never_not_found() {
    let server = RangeServer::start(CORPUS);
    let (checker, _, sleeps) = checker(&server, |c| c.retries = 2);
    server.script([
        Behavior::Status(502, None),
        Behavior::Status(503, None),
        Behavior::Status(504, None),
    ]);
    let r = checker.check(STRONG);
    assert_eq!(r.source, Source::Online);
    assert!(unknown_reason(&r.status).contains("HTTP 504"), "{r:?}");
    assert_eq!(server.requests(), 3);
    assert_eq!(sleeps.lock().len(), 2);
    // Unknown is not cached: the next check asks again and succeeds.
    assert_eq!(checker.check(STRONG).status, BreachStatus::NotFound);
    assert_eq!(server.requests(), 4);
}

#[test]
fn malformed_bodies_are_unknown() {
    for body in [
        "<html><body>Captive portal: please log in</body></html>",
        "",
        "1E4C9B93F3F0682250B6CF8331B7EE68FD8:12\r\nTRUNCATED",
    ] {
        let server = RangeServer::start(CORPUS);
        let (checker, _, _) = checker(&server, |c| c.retries = 1);
        server.script([Behavior::Body(body), Behavior::Body(body)]);
        let r = checker.check(STRONG);
        assert!(
            unknown_reason(&r.status).contains("malformed"),
            "{body:?}: {r:?}"
        );
        assert_eq!(server.requests(), 2);
    }
}

#[test]
fn unexpected_status_is_not_retried() {
    let server = RangeServer::start(CORPUS);
    let (checker, _, sleeps) = checker(&server, |c| c.retries = 3);
    server.script([Behavior::Status(404, None)]);
    let r = checker.check("password");
    assert!(unknown_reason(&r.status).contains("HTTP 404"), "{r:?}");
    assert_eq!(server.requests(), 1);
    assert!(sleeps.lock().is_empty());
}

#[test]
fn short_retry_after_is_waited_for() {
    let server = RangeServer::start(CORPUS);
    let (checker, _, sleeps) = checker(&server, |c| c.max_retry_after = Duration::from_secs(2));
    server.script([Behavior::Status(429, Some("1"))]);
    assert!(checker.check("hunter2").is_breached());
    assert_eq!(*sleeps.lock(), vec![Duration::from_secs(1)]);
    assert_eq!(server.requests(), 2);
}

#[test]
fn long_retry_after_blocks_calls_until_due() {
    let server = RangeServer::start(CORPUS);
    // A cool-down longer than the Retry-After: the server's delay is honoured in full.
    let (checker, clock, sleeps) = checker(&server, |c| {
        c.retries = 3;
        c.breaker_cooldown = Duration::from_secs(300);
    });
    server.script([Behavior::Status(429, Some("120"))]);
    let r = checker.check("password");
    let reason = unknown_reason(&r.status);
    assert!(reason.contains("429") && reason.contains("120"), "{reason}");
    assert!(sleeps.lock().is_empty(), "did not sleep for two minutes");
    assert_eq!(server.requests(), 1);
    clock.advance(Duration::from_secs(60));
    let r = checker.check("letmein");
    assert!(unknown_reason(&r.status).contains("retry after"), "{r:?}");
    assert_eq!(server.requests(), 1, "nothing sent while Retry-After runs");
    clock.advance(Duration::from_secs(61));
    assert!(checker.check("letmein").is_breached());
    assert_eq!(server.requests(), 2);
}

#[test]
fn an_absurd_retry_after_pauses_the_check_for_the_cool_down_only() {
    let server = RangeServer::start(CORPUS);
    let (checker, clock, sleeps) = checker(&server, |c| {
        c.retries = 3;
        c.breaker_cooldown = Duration::from_secs(30);
    });
    // About 31 years, as a number of seconds.
    server.script([Behavior::Status(429, Some("999999999"))]);
    let reason = unknown_reason(&checker.check("password").status).to_string();
    assert!(
        reason.contains("Retry-After 999999999s") && reason.contains("breaker_cooldown"),
        "{reason}"
    );
    assert!(sleeps.lock().is_empty());
    clock.advance(Duration::from_secs(29));
    let r = checker.check("letmein");
    assert!(unknown_reason(&r.status).contains("retry after"), "{r:?}");
    assert_eq!(server.requests(), 1, "paused within the cool-down");
    clock.advance(Duration::from_secs(1));
    assert!(
        checker.check("letmein").is_breached(),
        "back online after 30s"
    );
    assert_eq!(server.requests(), 2);
}

#[test]
fn a_far_future_retry_after_date_is_capped_too() {
    let server = RangeServer::start(CORPUS);
    let (checker, clock, _) = checker(&server, |c| c.retries = 0);
    server.script([Behavior::Status(429, Some("Fri, 31 Dec 9999 23:59:59 GMT"))]);
    assert!(unknown_reason(&checker.check("password").status).contains("breaker_cooldown"));
    clock.advance(BreachConfig::default().breaker_cooldown);
    assert!(checker.check("letmein").is_breached());
    assert_eq!(server.requests(), 2);
}

#[test]
fn a_host_transport_cannot_pause_the_check_forever() {
    // A host transport may hand back any Duration; the largest must neither overflow the
    // clock nor outlast the cool-down.
    struct Forever;
    impl Transport for Forever {
        fn get(&self, _: &str, _: &[(String, String)]) -> Result<HttpResponse, TransportError> {
            Ok(HttpResponse {
                status: 429,
                retry_after: Some(Duration::MAX),
                body: String::new(),
            })
        }
    }
    let clock = ManualClock::new();
    let config = BreachConfig {
        clock: clock.clone(),
        ..BreachConfig::default()
    };
    let checker = BreachChecker::with_transport(config, Arc::new(Forever)).unwrap();
    let reason = unknown_reason(&checker.check("password").status).to_string();
    assert!(reason.contains("breaker_cooldown"), "{reason}");
    assert!(unknown_reason(&checker.check("password").status).contains("retry after"));
    clock.advance(BreachConfig::default().breaker_cooldown);
    // The pause is over: the transport is asked again (and answers 429 again).
    assert!(unknown_reason(&checker.check("password").status).contains("HTTP 429"));
}

#[test]
fn retry_after_as_an_http_date_blocks_calls_until_due() {
    let server = RangeServer::start(CORPUS);
    let (checker, clock, sleeps) = checker(&server, |c| c.retries = 3);
    let due = std::time::SystemTime::now() + Duration::from_secs(120);
    let date: &'static str = Box::leak(httpdate::fmt_http_date(due).into_boxed_str());
    server.script([Behavior::Status(429, Some(date))]);
    let r = checker.check("password");
    let reason = unknown_reason(&r.status);
    // Whole seconds left until the date: 119 or 120 depending on when the second ticks.
    assert!(
        reason.contains("429") && reason.contains("Retry-After 11"),
        "{reason}"
    );
    assert!(sleeps.lock().is_empty());
    clock.advance(Duration::from_secs(121));
    assert!(checker.check("letmein").is_breached());
    assert_eq!(server.requests(), 2);
}

#[test]
fn timeouts_are_unknown() {
    let server = RangeServer::start(CORPUS);
    let (checker, _, _) = checker(&server, |c| {
        c.timeout = Duration::from_millis(300);
        c.retries = 0;
    });
    server.script([Behavior::Delay(Duration::from_secs(2))]);
    let r = checker.check("password");
    assert!(unknown_reason(&r.status).contains("timed out"), "{r:?}");
}

#[test]
fn connection_refused_is_unknown() {
    let port = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap().port()
    };
    let clock = ManualClock::new();
    let checker = BreachChecker::new(BreachConfig {
        base_url: format!("http://127.0.0.1:{port}"),
        retries: 1,
        clock,
        ..BreachConfig::default()
    })
    .unwrap()
    .with_sleeper(Arc::new(|_| {}));
    let r = checker.check("password");
    let reason = unknown_reason(&r.status);
    assert!(reason.contains("connection failed"), "{reason}");
    assert!(
        !reason.contains(&sha1_hex("password")[..5]),
        "prefix kept out of reasons"
    );
}

#[test]
fn circuit_breaker_opens_then_half_opens() {
    let server = RangeServer::start(CORPUS);
    let (checker, clock, _) = checker(&server, |c| {
        c.retries = 0;
        c.breaker_threshold = 2;
        c.breaker_cooldown = Duration::from_secs(30);
    });
    server.script([Behavior::Status(503, None), Behavior::Status(503, None)]);
    unknown_reason(&checker.check("password").status);
    unknown_reason(&checker.check("password").status);
    assert_eq!(server.requests(), 2);
    for _ in 0..5 {
        let r = checker.check("letmein");
        assert!(
            unknown_reason(&r.status).contains("circuit breaker open"),
            "{r:?}"
        );
    }
    assert_eq!(server.requests(), 2, "an open breaker sends nothing");
    clock.advance(Duration::from_secs(30));
    // Trial request fails: open again for another cool-down.
    server.script([Behavior::Status(503, None)]);
    unknown_reason(&checker.check("letmein").status);
    assert_eq!(server.requests(), 3);
    unknown_reason(&checker.check("letmein").status);
    assert_eq!(server.requests(), 3);
    clock.advance(Duration::from_secs(30));
    assert!(checker.check("letmein").is_breached());
    assert!(checker.check("password").is_breached());
    assert_eq!(server.requests(), 5, "closed again");
}

#[test]
fn cache_entries_expire_after_ttl() {
    let server = RangeServer::start(CORPUS);
    let (checker, clock, _) = checker(&server, |c| c.cache_ttl = Duration::from_secs(3600));
    assert_eq!(checker.check("password").source, Source::Online);
    clock.advance(Duration::from_secs(3599));
    assert_eq!(checker.check("password").source, Source::Cache);
    clock.advance(Duration::from_secs(1));
    assert_eq!(checker.check("password").source, Source::Online);
    assert_eq!(server.requests(), 2);
}

#[test]
fn cache_is_bounded() {
    let server = RangeServer::start(CORPUS);
    let (checker, _, _) = checker(&server, |c| c.cache_size = 2);
    for pw in ["password", "123456", "letmein"] {
        checker.check(pw);
    }
    assert_eq!(checker.check("letmein").source, Source::Cache);
    assert_eq!(
        checker.check("password").source,
        Source::Online,
        "evicted as least recent"
    );
}

#[test]
fn many_threads_share_one_checker() {
    let server = RangeServer::start(CORPUS);
    let (checker, _, _) = checker(&server, |_| {});
    let checker = Arc::new(checker);
    let handles: Vec<_> = (0..8)
        .map(|t| {
            let checker = Arc::clone(&checker);
            std::thread::spawn(move || {
                for i in 0..10 {
                    let pw = if i % 2 == 0 {
                        "123456".to_string()
                    } else {
                        format!("{STRONG}-{t}-{i}")
                    };
                    let r = checker.check(&pw);
                    if i % 2 == 0 {
                        assert_eq!(r.status, BreachStatus::Breached { count: 42_071_296 });
                    } else {
                        assert_eq!(r.status, BreachStatus::NotFound);
                    }
                }
            })
        })
        .collect();
    for h in handles {
        h.join().unwrap();
    }
}

/// A recorded call: URL and headers.
type Call = (String, Vec<(String, String)>);

/// What a binding does: wrap a foreign callable.
struct RecordingTransport {
    calls: Mutex<Vec<Call>>,
    answer: Result<HttpResponse, TransportError>,
}

impl Transport for RecordingTransport {
    fn get(&self, url: &str, headers: &[(String, String)]) -> Result<HttpResponse, TransportError> {
        self.calls.lock().push((url.to_string(), headers.to_vec()));
        self.answer.clone()
    }
}

#[test]
fn host_transports_get_url_and_headers() {
    let config = BreachConfig {
        base_url: "https://mirror.example/pwned/".into(),
        ..BreachConfig::default()
    };
    let body = "1E4C9B93F3F0682250B6CF8331B7EE68FD8:5\r\n0018A45C4D1DEF81644B54AB7F969B88D65:0";
    let transport = Arc::new(RecordingTransport {
        calls: Mutex::default(),
        answer: Ok(HttpResponse::ok(body)),
    });
    let checker = BreachChecker::with_transport(config, transport.clone()).unwrap();
    assert_eq!(
        checker.check("password").status,
        BreachStatus::Breached { count: 5 }
    );
    let calls = transport.calls.lock();
    assert_eq!(calls[0].0, "https://mirror.example/pwned/range/5BAA6");
    assert!(calls[0].1.contains(&("Add-Padding".into(), "true".into())));

    let failing = Arc::new(RecordingTransport {
        calls: Mutex::default(),
        answer: Err(TransportError::Other("URLSession: offline".into())),
    });
    let checker = BreachChecker::with_transport(
        BreachConfig {
            retries: 0,
            ..BreachConfig::default()
        },
        failing,
    )
    .unwrap();
    assert!(unknown_reason(&checker.check("password").status).contains("URLSession: offline"));
}

#[test]
fn offline_index_is_asked_first_then_online() {
    let dir = tempfile::tempdir().unwrap();
    let index = dir.path().join("small.idx");
    let mut digest = [0u8; 20];
    hex::decode_to_slice(sha1_hex("password"), &mut digest).unwrap();
    IndexBuilder::new()
        .build_from_hashes(HashKind::Sha1, vec![(digest, 99)], &index)
        .unwrap();
    let server = RangeServer::start(CORPUS);
    let (checker, _, _) = checker(&server, |c| c.offline_index = Some(index.clone()));
    let r = checker.check("password");
    assert_eq!(
        (r.status, r.source),
        (BreachStatus::Breached { count: 99 }, Source::Offline)
    );
    assert_eq!(server.requests(), 0);
    let r = checker.check("letmein");
    assert_eq!(
        (r.status, r.source),
        (BreachStatus::Breached { count: 640_000 }, Source::Online)
    );

    let offline_only = BreachChecker::new(BreachConfig {
        online: false,
        offline_index: Some(index),
        ..BreachConfig::default()
    })
    .unwrap();
    let r = offline_only.check("letmein");
    assert_eq!(
        (r.status, r.source),
        (BreachStatus::NotFound, Source::Offline)
    );
    assert_eq!(server.requests(), 1);
}
