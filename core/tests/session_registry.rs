//! Session registry on the pool: lifecycle, distinct errors, timeouts with an
//! injectable clock, limits under concurrency (threads and two processes), audit.

use std::sync::{Arc, Barrier};
use std::time::Duration;

use magnetar_core::ErrorKind;
use magnetar_core::pool::{Pool, PoolConfig};
use magnetar_core::session::{
    Decision, FingerprintKey, LimitPolicy, RequestContext, RequestOutcome, SessionAction,
    SessionAuditEvent, SessionAuditSink, SessionConfig, SessionRegistry, Signal,
};
use magnetar_testkit::ua::{CHROME_120 as CHROME, FIREFOX_WIN as FIREFOX};
use magnetar_testkit::{ClockedDb as Fixture, clocked_db as fixture, ctx};
use parking_lot::Mutex;

fn home() -> RequestContext {
    ctx("203.0.113.7", CHROME, "en-US")
}

fn key() -> FingerprintKey {
    FingerprintKey::new([42; 32])
}

fn registry(f: &Fixture, adjust: impl FnOnce(&mut SessionConfig)) -> SessionRegistry {
    let mut config = SessionConfig::new(key());
    adjust(&mut config);
    SessionRegistry::open(f.pool.clone(), config).unwrap()
}

#[derive(Default)]
struct CollectingSink {
    events: Mutex<Vec<SessionAuditEvent>>,
    fail: Mutex<bool>,
}

impl SessionAuditSink for CollectingSink {
    fn record(&self, event: SessionAuditEvent) -> magnetar_core::Result<()> {
        if *self.fail.lock() {
            return Err(magnetar_core::Error::Internal(
                "audit store unavailable".into(),
            ));
        }
        self.events.lock().push(event);
        Ok(())
    }
}

impl CollectingSink {
    fn actions(&self) -> Vec<&'static str> {
        self.events
            .lock()
            .iter()
            .map(|e| e.action.as_str())
            .collect()
    }
}

#[test]
fn create_validate_and_what_is_stored() {
    let f = fixture();
    let reg = registry(&f, |_| {});
    let (token, session) = reg.create("alice", &home()).unwrap();
    assert_eq!(token.as_str().len(), 43);
    assert!(
        token
            .as_str()
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
    );
    assert_eq!(format!("{token:?}"), "SessionToken([redacted])");
    assert_eq!(session.user_id, "alice");
    assert_eq!(session.id.len(), 32);
    assert_eq!(session.ip, "203.0.113.7");
    assert_eq!(
        session.expires_at_ms - session.created_at_ms,
        24 * 3_600_000
    );
    assert_eq!(
        session.idle_expires_at_ms - session.created_at_ms,
        30 * 60_000
    );

    let v = reg.validate(token.as_str(), &home()).unwrap();
    assert_eq!(v.assessment.decision, Decision::Allow);
    assert!(v.assessment.reasons.is_empty());
    assert_eq!(v.session, session);
    assert_eq!(reg.list("alice").unwrap(), vec![session.clone()]);
    assert!(reg.list("bob").unwrap().is_empty());

    // Neither the token nor its base64 appears in the file's rows; the hash does.
    let conn = f.pool.reader().unwrap();
    let (hash, fp, lang_free): (Vec<u8>, Vec<u8>, i64) = conn
        .query_row(
            "SELECT token_hash, fingerprint,
                    (SELECT count(*) FROM magnetar_session WHERE user_agent LIKE '%en-US%')
             FROM magnetar_session",
            [],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
        )
        .unwrap();
    assert_eq!(hash.len(), 32);
    assert_eq!(fp, home().fingerprint(&key()).as_bytes().to_vec());
    assert_eq!(lang_free, 0);
    let dump: String = conn
        .query_row(
            "SELECT group_concat(id || user_id || ip || user_agent || hex(token_hash)) FROM magnetar_session",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert!(!dump.contains(token.as_str()));
}

#[test]
fn distinct_errors_for_unknown_malformed_revoked_expired() {
    let f = fixture();
    let reg = registry(&f, |_| {});
    let unknown = "A".repeat(43);
    assert_eq!(
        reg.validate(&unknown, &home()).unwrap_err().kind(),
        ErrorKind::SessionNotFound
    );
    assert_eq!(
        reg.revoke(&unknown).unwrap_err().kind(),
        ErrorKind::SessionNotFound
    );
    for bad in ["", "not a token", &"A".repeat(44)] {
        let err = reg.validate(bad, &home()).unwrap_err();
        assert_eq!(err.kind(), ErrorKind::InvalidInput, "{bad}");
        assert!(err.to_string().contains("43 URL-safe base64"), "{err}");
    }

    let (token, _) = reg.create("alice", &home()).unwrap();
    reg.revoke(token.as_str()).unwrap();
    reg.revoke(token.as_str()).unwrap(); // idempotent
    let err = reg.validate(token.as_str(), &home()).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::SessionRevoked);
    assert!(err.to_string().contains("(revoked)"), "{err}");

    let (token, _) = reg.create("alice", &home()).unwrap();
    f.clock.advance(Duration::from_secs(30 * 60));
    let err = reg.validate(token.as_str(), &home()).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::SessionExpired);
    assert!(err.to_string().contains("idle timeout"), "{err}");

    assert_eq!(
        reg.create("", &home()).unwrap_err().kind(),
        ErrorKind::InvalidInput
    );
    assert_eq!(
        reg.create(&"u".repeat(300), &home()).unwrap_err().kind(),
        ErrorKind::InvalidInput
    );
}

#[test]
fn idle_timeout_is_extended_by_use_absolute_timeout_is_not() {
    let f = fixture();
    let reg = registry(&f, |_| {});
    let (token, _) = reg.create("alice", &home()).unwrap();
    // Used every 20 minutes, the session outlives many idle periods...
    for _ in 0..71 {
        f.clock.advance(Duration::from_secs(20 * 60));
        reg.validate(token.as_str(), &home()).unwrap();
    }
    // ...until 24 hours after creation (71 * 20 min = 23 h 40 min).
    f.clock.advance(Duration::from_secs(20 * 60));
    let err = reg.validate(token.as_str(), &home()).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::SessionExpired);
    assert!(err.to_string().contains("absolute timeout"), "{err}");
}

#[test]
fn last_seen_is_written_only_after_the_touch_interval() {
    let f = fixture();
    let reg = registry(&f, |_| {});
    let (token, created) = reg.create("alice", &home()).unwrap();
    f.clock.advance(Duration::from_secs(59));
    let v = reg.validate(token.as_str(), &home()).unwrap();
    assert_eq!(v.session.last_seen_ms, created.last_seen_ms);
    f.clock.advance(Duration::from_secs(1));
    let v = reg.validate(token.as_str(), &home()).unwrap();
    assert_eq!(v.session.last_seen_ms, created.last_seen_ms + 60_000);
    assert_eq!(
        reg.list("alice").unwrap()[0].last_seen_ms,
        created.last_seen_ms + 60_000
    );
    // Idle is measured from the stored touch: 30 min after it, the session is gone.
    f.clock.advance(Duration::from_secs(30 * 60));
    assert_eq!(
        reg.validate(token.as_str(), &home()).unwrap_err().kind(),
        ErrorKind::SessionExpired
    );
}

#[test]
fn step_up_does_not_touch_and_custom_timeouts() {
    let f = fixture();
    let reg = registry(&f, |c| {
        c.idle_timeout = Duration::from_secs(120);
        c.absolute_timeout = Duration::from_secs(600);
        c.touch_interval = Duration::from_secs(1);
    });
    let (token, created) = reg.create("alice", &home()).unwrap();
    f.clock.advance(Duration::from_secs(100));
    let v = reg
        .validate(token.as_str(), &ctx("198.51.100.1", FIREFOX, "en-US"))
        .unwrap();
    assert_eq!(v.assessment.decision, Decision::StepUp);
    assert_eq!(v.session.last_seen_ms, created.last_seen_ms);
    f.clock.advance(Duration::from_secs(20));
    assert_eq!(
        reg.validate(token.as_str(), &home()).unwrap_err().kind(),
        ErrorKind::SessionExpired
    );
}

#[test]
fn decisions_terminate_revokes_and_rebaseline_accepts() {
    let f = fixture();
    let sink = Arc::new(CollectingSink::default());
    let reg = registry(&f, |_| {}).with_audit(sink.clone());
    let (token, _) = reg.create("alice", &home()).unwrap();

    let moved = ctx("198.51.100.2", CHROME, "en-US");
    let v = reg.validate(token.as_str(), &moved).unwrap();
    assert_eq!(
        (v.assessment.decision, v.assessment.score),
        (Decision::Allow, 0.3)
    );

    let monitor = ctx("198.51.100.2", CHROME, "de");
    let v = reg.validate(token.as_str(), &monitor).unwrap();
    assert_eq!(v.assessment.decision, Decision::Monitor);
    assert_eq!(v.assessment.reasons[1].signal, Signal::FingerprintMismatch);
    assert_eq!(
        v.assessment.reasons[1].detail,
        "fingerprinted headers changed"
    );

    let new_browser = ctx("198.51.100.2", FIREFOX, "en-US");
    let v = reg.validate(token.as_str(), &new_browser).unwrap();
    assert_eq!(v.assessment.decision, Decision::StepUp);
    // The host runs 2FA, then accepts the new context.
    let s = reg.rebaseline(token.as_str(), &new_browser).unwrap();
    assert_eq!(
        (s.ip.as_str(), s.user_agent.as_str()),
        ("198.51.100.2", FIREFOX)
    );
    let v = reg.validate(token.as_str(), &new_browser).unwrap();
    assert_eq!(v.assessment.decision, Decision::Allow);

    let v = reg
        .validate(token.as_str(), &ctx("192.0.2.1", CHROME, "fr"))
        .unwrap();
    assert_eq!(v.assessment.decision, Decision::Terminate);
    assert_eq!(v.session.revoke_reason.as_deref(), Some("terminated"));
    let err = reg.validate(token.as_str(), &new_browser).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::SessionRevoked);
    assert!(err.to_string().contains("terminated"), "{err}");
    assert_eq!(
        reg.rebaseline(token.as_str(), &new_browser)
            .unwrap_err()
            .kind(),
        ErrorKind::SessionRevoked
    );
    assert!(reg.list("alice").unwrap().is_empty());

    assert_eq!(
        sink.actions(),
        [
            "session.create",
            "session.monitor",
            "session.step_up",
            "session.rebaseline",
            "session.terminate"
        ]
    );
    let events = sink.events.lock();
    let terminate = &events[4];
    assert_eq!(terminate.status, "terminate");
    assert_eq!(terminate.ip.as_deref(), Some("192.0.2.1"));
    assert_eq!(terminate.details["score"], 1.0);
    assert_eq!(terminate.details["reasons"][0]["signal"], "ip_change");
    assert_eq!(terminate.session_id.as_deref(), Some(v.session.id.as_str()));
    for e in events.iter() {
        let json = serde_json::to_string(e).unwrap();
        assert!(!json.contains(token.as_str()), "token leaked into {json}");
    }
}

#[test]
fn evict_oldest_at_the_limit() {
    let f = fixture();
    let sink = Arc::new(CollectingSink::default());
    let reg = registry(&f, |_| {}).with_audit(sink.clone());
    let mut tokens = Vec::new();
    for _ in 0..4 {
        f.clock.advance(Duration::from_secs(1));
        tokens.push(reg.create("alice", &home()).unwrap());
    }
    let listed: Vec<String> = reg
        .list("alice")
        .unwrap()
        .into_iter()
        .map(|s| s.id)
        .collect();
    let expected: Vec<String> = tokens[1..].iter().map(|(_, s)| s.id.clone()).collect();
    assert_eq!(listed, expected);
    let err = reg.validate(tokens[0].0.as_str(), &home()).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::SessionRevoked);
    assert!(err.to_string().contains("evicted"), "{err}");
    assert_eq!(
        sink.actions(),
        [
            "session.create",
            "session.create",
            "session.create",
            "session.evict",
            "session.create"
        ]
    );
    let events = sink.events.lock();
    assert_eq!(
        events[3].session_id.as_deref(),
        Some(tokens[0].1.id.as_str())
    );
    assert_eq!(events[3].details["new_session_id"], tokens[3].1.id.as_str());
    // Other users are unaffected.
    drop(events);
    reg.create("bob", &home()).unwrap();
    assert_eq!(reg.list("alice").unwrap().len(), 3);
}

#[test]
fn reject_at_the_limit_and_expired_sessions_do_not_count() {
    let f = fixture();
    let sink = Arc::new(CollectingSink::default());
    let reg = registry(&f, |c| {
        c.limit_policy = LimitPolicy::Reject;
        c.max_sessions_per_user = 2;
    })
    .with_audit(sink.clone());
    let (first, _) = reg.create("alice", &home()).unwrap();
    reg.create("alice", &home()).unwrap();
    let err = reg.create("alice", &home()).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::SessionLimit);
    assert!(err.to_string().contains("limit 2"), "{err}");
    assert_eq!(sink.actions().last(), Some(&"session.reject"));
    reg.revoke(first.as_str()).unwrap();
    reg.create("alice", &home()).unwrap();
    f.clock.advance(Duration::from_secs(31 * 60));
    reg.create("alice", &home()).unwrap();
    reg.create("alice", &home()).unwrap();
    assert_eq!(reg.list("alice").unwrap().len(), 2);
}

#[test]
fn revoke_all_list_and_sweep() {
    let f = fixture();
    let sink = Arc::new(CollectingSink::default());
    let reg = registry(&f, |c| c.max_sessions_per_user = 5).with_audit(sink.clone());
    let tokens: Vec<_> = (0..3)
        .map(|_| reg.create("alice", &home()).unwrap().0)
        .collect();
    let (bob, _) = reg.create("bob", &home()).unwrap();
    assert_eq!(reg.revoke_all("alice", "password_changed").unwrap(), 3);
    assert_eq!(reg.revoke_all("alice", "password_changed").unwrap(), 0);
    for t in &tokens {
        let err = reg.validate(t.as_str(), &home()).unwrap_err();
        assert!(err.to_string().contains("password_changed"), "{err}");
    }
    assert!(reg.list("alice").unwrap().is_empty());
    reg.validate(bob.as_str(), &home()).unwrap();
    assert!(reg.revoke_all("alice", "").is_err());
    let all = sink
        .events
        .lock()
        .iter()
        .find(|e| e.action == SessionAction::RevokeAll)
        .cloned()
        .unwrap();
    assert_eq!(all.details["count"], 3);
    assert_eq!(all.details["reason"], "password_changed");
    assert_eq!(all.session_id, None);

    // Nothing has expired yet; revoked rows are kept to report "revoked".
    assert_eq!(reg.sweep_expired().unwrap(), 0);
    f.clock.advance(Duration::from_secs(20 * 60));
    reg.validate(bob.as_str(), &home()).unwrap();
    f.clock.advance(Duration::from_secs(15 * 60));
    assert_eq!(reg.sweep_expired().unwrap(), 3);
    assert_eq!(
        reg.validate(tokens[0].as_str(), &home())
            .unwrap_err()
            .kind(),
        ErrorKind::SessionNotFound
    );
    reg.validate(bob.as_str(), &home()).unwrap();
}

#[test]
fn audit_failure_fails_create_and_leaves_no_usable_session() {
    let f = fixture();
    let sink = Arc::new(CollectingSink::default());
    let reg = registry(&f, |_| {}).with_audit(sink.clone());
    *sink.fail.lock() = true;
    let err = reg.create("alice", &home()).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Internal);
    assert!(reg.list("alice").unwrap().is_empty());
}

#[test]
fn configuration_fails_closed() {
    let f = fixture();
    let open = |adjust: &dyn Fn(&mut SessionConfig)| {
        let mut c = SessionConfig::new(key());
        adjust(&mut c);
        SessionRegistry::open(f.pool.clone(), c)
    };
    let kind = |r: magnetar_core::Result<SessionRegistry>| r.unwrap_err().kind();
    assert_eq!(
        kind(open(&|c| c.max_sessions_per_user = 0)),
        ErrorKind::InvalidConfig
    );
    assert_eq!(
        kind(open(&|c| c.idle_timeout = Duration::ZERO)),
        ErrorKind::InvalidConfig
    );
    assert_eq!(
        kind(open(&|c| c.touch_interval = Duration::from_secs(3600))),
        ErrorKind::InvalidConfig
    );
    assert_eq!(
        kind(open(&|c| c.scoring.thresholds.monitor = 2.0)),
        ErrorKind::InvalidConfig
    );
    // Opening twice (a second process, a restart) reuses the schema.
    open(&|_| {}).unwrap();
    open(&|_| {}).unwrap();
    // A different key makes every request a fingerprint mismatch: keys must be stable.
    let reg = registry(&f, |_| {});
    let (token, _) = reg.create("alice", &home()).unwrap();
    let other = SessionRegistry::open(
        f.pool.clone(),
        SessionConfig::new(FingerprintKey::new([1; 32])),
    )
    .unwrap();
    let v = other.validate(token.as_str(), &home()).unwrap();
    assert_eq!(v.assessment.reasons[0].signal, Signal::FingerprintMismatch);
}

fn concurrent_creates(policy: LimitPolicy) -> (usize, usize) {
    let f = fixture();
    let reg = Arc::new(registry(&f, |c| c.limit_policy = policy));
    let threads = 8;
    let barrier = Arc::new(Barrier::new(threads));
    let handles: Vec<_> = (0..threads)
        .map(|_| {
            let (reg, barrier) = (reg.clone(), barrier.clone());
            std::thread::spawn(move || {
                barrier.wait();
                let mut ok = 0;
                for _ in 0..25 {
                    match reg.create("alice", &home()) {
                        Ok(_) => ok += 1,
                        Err(e) => assert_eq!(e.kind(), ErrorKind::SessionLimit),
                    }
                    assert!(reg.list("alice").unwrap().len() <= 3);
                }
                ok
            })
        })
        .collect();
    let ok = handles.into_iter().map(|h| h.join().unwrap()).sum();
    (ok, reg.list("alice").unwrap().len())
}

#[test]
fn concurrent_creation_from_threads_never_exceeds_the_limit() {
    assert_eq!(concurrent_creates(LimitPolicy::EvictOldest), (200, 3));
    assert_eq!(concurrent_creates(LimitPolicy::Reject), (3, 3));
}

const CHILD_DB: &str = "MAGNETAR_SESSION_TEST_CHILD_DB";
const ROUNDS: usize = 150;

/// Creates sessions for two users on a shared file: `evict` under evict-oldest and
/// `reject` under reject, checking the limit after every creation. `start` runs once
/// both registries are open (it synchronises the two processes). Returns how many
/// `reject` creations succeeded.
fn hammer(path: &std::path::Path, start: impl FnOnce()) -> usize {
    let pool = Pool::open(path, PoolConfig::default()).unwrap();
    let evict = SessionRegistry::open(pool.clone(), SessionConfig::new(key())).unwrap();
    let reject = SessionRegistry::open(pool, {
        let mut c = SessionConfig::new(key());
        c.limit_policy = LimitPolicy::Reject;
        c
    })
    .unwrap();
    start();
    let mut rejected_ok = 0;
    for _ in 0..ROUNDS {
        evict.create("evict", &home()).unwrap();
        assert!(evict.list("evict").unwrap().len() <= 3);
        match reject.create("reject", &home()) {
            Ok(_) => rejected_ok += 1,
            Err(e) => assert_eq!(e.kind(), ErrorKind::SessionLimit),
        }
        assert!(reject.list("reject").unwrap().len() <= 3);
    }
    rejected_ok
}

/// Waits (up to 20 s) for another process to create `file`.
fn wait_for(file: &std::path::Path) {
    let deadline = std::time::Instant::now() + Duration::from_secs(20);
    while !file.exists() {
        assert!(
            std::time::Instant::now() < deadline,
            "{} never appeared",
            file.display()
        );
        std::thread::sleep(Duration::from_millis(1));
    }
}

/// The child half of `concurrent_creation_from_two_processes` (run by it with
/// `--ignored --exact`). Run alone, it works on a file of its own.
#[test]
#[ignore = "helper process for concurrent_creation_from_two_processes"]
fn two_process_child() {
    let own = tempfile::tempdir().unwrap();
    let path = match std::env::var_os(CHILD_DB) {
        Some(p) => std::path::PathBuf::from(p),
        None => {
            let p = own.path().join("s.db");
            std::fs::write(p.with_extension("go"), b"").unwrap();
            p
        }
    };
    let ok = hammer(&path, || {
        std::fs::write(path.with_extension("ready"), b"").unwrap();
        wait_for(&path.with_extension("go"));
    });
    println!("CHILD_REJECT_SUCCESSES={ok}");
}

#[test]
fn concurrent_creation_from_two_processes() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("shared.db");
    // Create the schema first so the two processes only race on sessions.
    SessionRegistry::open(
        Pool::open(&path, PoolConfig::default()).unwrap(),
        SessionConfig::new(key()),
    )
    .unwrap();
    let child = std::process::Command::new(std::env::current_exe().unwrap())
        .args([
            "--ignored",
            "--exact",
            "two_process_child",
            "--nocapture",
            "--test-threads=1",
        ])
        .env(CHILD_DB, &path)
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let parent_ok = hammer(&path, || {
        wait_for(&path.with_extension("ready"));
        std::fs::write(path.with_extension("go"), b"").unwrap();
    });
    let out = child.wait_with_output().unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "child failed: {stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let child_ok: usize = stdout
        .lines()
        .find_map(|l| l.split("CHILD_REJECT_SUCCESSES=").nth(1))
        .unwrap_or_else(|| panic!("child reported no count: {stdout}"))
        .split_whitespace()
        .next()
        .unwrap()
        .parse()
        .unwrap();
    assert_eq!(
        parent_ok + child_ok,
        3,
        "parent {parent_ok} + child {child_ok}"
    );
    let pool = Pool::open(&path, PoolConfig::default()).unwrap();
    let reg = SessionRegistry::open(pool.clone(), SessionConfig::new(key())).unwrap();
    assert_eq!(reg.list("evict").unwrap().len(), 3);
    let total: i64 = pool
        .read(|c| {
            Ok(c.query_row(
                "SELECT count(*) FROM magnetar_session WHERE user_id = 'evict'",
                [],
                |r| r.get(0),
            )?)
        })
        .unwrap();
    assert_eq!(total as usize, 2 * ROUNDS);
}

#[test]
fn revoke_is_recorded_once_and_rebaseline_needs_a_live_session() {
    let f = fixture();
    let sink = Arc::new(CollectingSink::default());
    let reg = registry(&f, |_| {}).with_audit(sink.clone());
    let (token, session) = reg.create("alice", &home()).unwrap();
    reg.revoke(token.as_str()).unwrap();
    reg.revoke(token.as_str()).unwrap();
    assert_eq!(sink.actions(), ["session.create", "session.revoke"]);
    let revoke = sink.events.lock()[1].clone();
    assert_eq!(revoke.session_id, Some(session.id));
    assert_eq!(revoke.user_id.as_deref(), Some("alice"));
    assert_eq!(revoke.status, "revoked");
    assert_eq!(
        reg.rebaseline(&"A".repeat(43), &home()).unwrap_err().kind(),
        ErrorKind::SessionNotFound
    );
    let (token, _) = reg.create("alice", &home()).unwrap();
    f.clock.advance(Duration::from_secs(31 * 60));
    assert_eq!(
        reg.rebaseline(token.as_str(), &home()).unwrap_err().kind(),
        ErrorKind::SessionExpired
    );
    assert_eq!(sink.actions().len(), 3);
}

#[test]
fn validate_request_refuses_expired_and_revoked_tokens_and_records_why() {
    let f = fixture();
    let sink = Arc::new(CollectingSink::default());
    let reg = registry(&f, |_| {}).with_audit(sink.clone());
    let refused = |token: &str| match reg.validate_request(token, &home(), true).unwrap() {
        RequestOutcome::Refused(err) => err.kind(),
        RequestOutcome::Validated(v) => panic!("accepted: {v:?}"),
    };
    let (revoked, _) = reg.create("alice", &home()).unwrap();
    reg.revoke(revoked.as_str()).unwrap();
    assert_eq!(refused(revoked.as_str()), ErrorKind::SessionRevoked);
    let (idle, _) = reg.create("alice", &home()).unwrap();
    f.clock.advance(Duration::from_secs(31 * 60));
    assert_eq!(refused(idle.as_str()), ErrorKind::SessionExpired);

    // Terminate is a scored outcome (recorded as such, the session revoked), not a refusal.
    let (token, _) = reg.create("alice", &home()).unwrap();
    let thief = ctx("192.0.2.1", FIREFOX, "ru");
    match reg.validate_request(token.as_str(), &thief, true).unwrap() {
        RequestOutcome::Validated(v) => assert_eq!(v.assessment.decision, Decision::Terminate),
        RequestOutcome::Refused(err) => panic!("refused: {err}"),
    }
    assert_eq!(refused(token.as_str()), ErrorKind::SessionRevoked);

    let events = sink.events.lock().clone();
    let outcomes: Vec<(&str, &str)> = events
        .iter()
        .filter(|e| e.action != SessionAction::Create && e.action != SessionAction::Revoke)
        .map(|e| (e.action.as_str(), e.status.as_str()))
        .collect();
    assert_eq!(
        outcomes,
        [
            ("session.refused", "session_revoked"),
            ("session.refused", "session_expired"),
            ("session.terminate", "terminate"),
            ("session.refused", "session_revoked"),
        ]
    );
    let refusal = &events[2];
    assert_eq!(
        (refusal.user_id.as_ref(), refusal.session_id.as_ref()),
        (None, None)
    );
    assert!(refusal.details.is_null());

    // A refusal that cannot be recorded is an error, like every other audited outcome.
    *sink.fail.lock() = true;
    let err = reg
        .validate_request(token.as_str(), &home(), true)
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Internal);
}
