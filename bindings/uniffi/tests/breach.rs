//! The breach check as Swift sees it, with a host transport implemented in Rust (the
//! same trait Swift's URLSessionTransport implements).

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use magnetar_uniffi::{
    BreachChecker, BreachConfig, BreachSource, BreachStatus, HttpResponse, HttpTransport,
    MagnetarError, TransportFailure, default_breach_config,
};

/// SHA-1 of "password", split as the range API splits it.
const PREFIX: &str = "5BAA6";
const SUFFIX: &str = "1E4C9B93F3F0682250B6CF8331B7EE68FD8";

#[derive(Default)]
struct Recorded {
    urls: Vec<String>,
    headers: Vec<HashMap<String, String>>,
}

/// Answers from a script of outcomes (the last one repeats), recording requests.
struct ScriptedTransport {
    script: Mutex<Vec<Result<HttpResponse, TransportFailure>>>,
    seen: Mutex<Recorded>,
}

impl ScriptedTransport {
    fn new(script: Vec<Result<HttpResponse, TransportFailure>>) -> Arc<Self> {
        Arc::new(ScriptedTransport {
            script: Mutex::new(script),
            seen: Mutex::default(),
        })
    }
}

impl HttpTransport for ScriptedTransport {
    fn get(
        &self,
        url: String,
        headers: HashMap<String, String>,
    ) -> Result<HttpResponse, TransportFailure> {
        let mut seen = self.seen.lock().unwrap();
        seen.urls.push(url);
        seen.headers.push(headers);
        let mut script = self.script.lock().unwrap();
        if script.len() > 1 {
            script.remove(0)
        } else {
            script[0].clone()
        }
    }
}

fn ok(body: &str) -> Result<HttpResponse, TransportFailure> {
    Ok(HttpResponse {
        status: 200,
        retry_after: None,
        body: body.to_string(),
    })
}

fn config() -> BreachConfig {
    let mut c = default_breach_config();
    c.base_url = "https://range.test".into();
    c.retries = 0;
    c
}

#[test]
fn defaults_are_cores() {
    let c = default_breach_config();
    assert!(c.online);
    assert_eq!(c.base_url, "https://api.pwnedpasswords.com");
    assert_eq!(c.timeout, Duration::from_secs(10));
    assert!(c.offline_index.is_none());
}

#[test]
fn breached_password_counted_and_only_the_prefix_leaves() {
    let transport = ScriptedTransport::new(vec![ok(&format!(
        "0018A45C4D1DEF81644B54AB7F969B88D65:1\r\n{SUFFIX}:10434004\r\nFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFF:0"
    ))]);
    let checker = BreachChecker::new(config(), Some(transport.clone())).unwrap();
    let result = checker.check("password".into());
    assert_eq!(result.status, BreachStatus::Breached { count: 10434004 });
    assert_eq!(result.source, BreachSource::Online);

    let again = checker.check("password".into());
    assert_eq!(again.source, BreachSource::Cache);

    let seen = transport.seen.lock().unwrap();
    assert_eq!(seen.urls, [format!("https://range.test/range/{PREFIX}")]);
    let padding = seen.headers[0]
        .iter()
        .find(|(k, _)| k.eq_ignore_ascii_case("add-padding"))
        .map(|(_, v)| v.as_str());
    assert_eq!(padding, Some("true"));
    for url in &seen.urls {
        assert!(!url.contains(SUFFIX) && !url.contains("password"));
    }
}

#[test]
fn not_found_and_failures_are_not_safe() {
    let transport = ScriptedTransport::new(vec![ok("0018A45C4D1DEF81644B54AB7F969B88D65:3")]);
    let checker = BreachChecker::new(config(), Some(transport)).unwrap();
    assert_eq!(
        checker.check("password".into()).status,
        BreachStatus::NotFound
    );

    for failure in [
        TransportFailure::Timeout {
            message: "5 s".into(),
        },
        TransportFailure::Connect {
            message: "refused".into(),
        },
        TransportFailure::Other {
            message: "host callback threw".into(),
        },
    ] {
        let transport = ScriptedTransport::new(vec![Err(failure)]);
        let checker = BreachChecker::new(config(), Some(transport)).unwrap();
        let result = checker.check("password".into());
        match result.status {
            BreachStatus::Unknown { reason } => {
                assert!(
                    !reason.contains("password") && !reason.contains(SUFFIX),
                    "{reason}"
                )
            }
            other => panic!("a failed transport must answer Unknown, got {other:?}"),
        }
    }

    let rate_limited = ScriptedTransport::new(vec![Ok(HttpResponse {
        status: 429,
        retry_after: Some("3600".into()),
        body: String::new(),
    })]);
    let checker = BreachChecker::new(config(), Some(rate_limited)).unwrap();
    assert!(matches!(
        checker.check("password".into()).status,
        BreachStatus::Unknown { .. }
    ));
}

#[test]
fn bad_configs_are_named() {
    let mut c = config();
    c.base_url = "ftp://nope".into();
    let err = BreachChecker::new(c, None).unwrap_err();
    assert!(
        matches!(err, MagnetarError::InvalidConfig { .. }),
        "{err:?}"
    );
    assert!(err.message().contains("base_url"), "{err}");

    let mut c = config();
    c.online = false;
    let err = BreachChecker::new(c, None).unwrap_err();
    assert_eq!(err.kind(), "invalid_config");

    let dir = tempfile::tempdir().unwrap();
    let bogus = dir.path().join("bogus.idx");
    std::fs::write(&bogus, b"not an index").unwrap();
    let mut c = config();
    c.online = false;
    c.offline_index = Some(bogus.to_string_lossy().into_owned());
    let err = BreachChecker::new(c, None).unwrap_err();
    assert_eq!(err.kind(), "invalid_index", "{err}");
}

#[test]
fn offline_index_built_from_a_corpus() {
    let dir = tempfile::tempdir().unwrap();
    let corpus = dir.path().join("corpus.txt");
    std::fs::write(
        &corpus,
        format!("{PREFIX}{SUFFIX}:42\nABF7AAD6438836DBE526AA231ABDE2D0EEF74D42:7\n"),
    )
    .unwrap();
    let index = dir.path().join("pwned.idx");
    let stats = magnetar_uniffi::build_breach_index(
        corpus.to_string_lossy().into_owned(),
        index.to_string_lossy().into_owned(),
    )
    .unwrap();
    assert_eq!(stats.rows, 2);
    assert!(stats.file_bytes > 0);

    let mut c = config();
    c.online = false;
    c.offline_index = Some(index.to_string_lossy().into_owned());
    let checker = BreachChecker::new(c, None).unwrap();
    let hit = checker.check("password".into());
    assert_eq!(hit.status, BreachStatus::Breached { count: 42 });
    assert_eq!(hit.source, BreachSource::Offline);
    assert_eq!(
        checker.check("correct horse battery staple".into()).status,
        BreachStatus::Breached { count: 7 }
    );
    assert_eq!(
        checker.check("P@ssw0rd!".into()).status,
        BreachStatus::NotFound
    );
    let info = checker.index_stats().unwrap();
    assert_eq!(
        (info.entries, info.distinct_hashes, info.ntlm),
        (2, 2, false)
    );
    assert!(info.path.ends_with("pwned.idx") && info.file_bytes > 0);
    assert!(
        BreachChecker::new(config(), None)
            .unwrap()
            .index_stats()
            .is_none()
    );
}

#[test]
fn the_shared_sample_corpus_builds_an_index_that_knows_common_passwords() {
    let sample =
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../data/pwned-sample.txt");
    let dir = tempfile::tempdir().unwrap();
    let index = dir.path().join("sample.idx");
    let stats = magnetar_uniffi::build_breach_index(
        sample.to_string_lossy().into_owned(),
        index.to_string_lossy().into_owned(),
    )
    .unwrap();
    assert!(stats.rows >= 300, "{stats:?}");
    let mut c = config();
    c.online = false;
    c.offline_index = Some(index.to_string_lossy().into_owned());
    let checker = BreachChecker::new(c, None).unwrap();
    for pw in ["password", "123456", "qwerty", "letmein", "dragon"] {
        let r = checker.check(pw.into());
        assert!(
            matches!(r.status, BreachStatus::Breached { .. }),
            "{pw}: {r:?}"
        );
    }
    assert_eq!(
        checker
            .check("a passphrase nobody ever used 4f1c".into())
            .status,
        BreachStatus::NotFound
    );
    assert_eq!(
        TransportFailure::Timeout {
            message: "5 s".into()
        }
        .message(),
        "timed out: 5 s"
    );
}

#[test]
fn unexpected_host_errors_become_other_failures() {
    let failure = TransportFailure::from(uniffi::UnexpectedUniFFICallbackError::new(
        "NSURLErrorDomain -1",
    ));
    assert_eq!(
        failure,
        TransportFailure::Other {
            message: "the host transport failed: NSURLErrorDomain -1".into()
        }
    );
}
