//! Someone who can write the database file places triggers on the session table so that
//! Magnetar's writes silently do nothing (`RAISE(IGNORE)`) or are undone (AFTER
//! triggers). Every session write must then fail (`Tampered`) or really have taken
//! effect: never report success for a session that was not stored, a revocation that
//! did not stick or a sweep that left expired rows.

use std::sync::Arc;
use std::time::Duration;

use magnetar_core::clock::ManualClock;
use magnetar_core::session::{
    FingerprintKey, RequestContext, SessionConfig, SessionRegistry, SessionToken,
};
use magnetar_core::{ErrorKind, Result};
use magnetar_testkit::ua::FIREFOX_LINUX;
use magnetar_testkit::{ClockedDb, clocked_db};

const UA: &str = FIREFOX_LINUX;

struct Fixture {
    db: ClockedDb,
    clock: Arc<ManualClock>,
    reg: SessionRegistry,
}

fn fixture() -> Fixture {
    let db = clocked_db();
    let clock = db.clock.clone();
    let reg = SessionRegistry::open(
        db.pool.clone(),
        SessionConfig::new(FingerprintKey::new([7; 32])),
    )
    .unwrap();
    Fixture { db, clock, reg }
}

impl Fixture {
    /// The attacker: a connection of its own to the file, as any process could open.
    fn tamper(&self, sql: &str) {
        let c = rusqlite::Connection::open(&self.db.path).unwrap();
        c.busy_timeout(Duration::from_secs(5)).unwrap();
        c.execute_batch(sql).unwrap();
    }

    fn live_rows(&self) -> i64 {
        let c = rusqlite::Connection::open(&self.db.path).unwrap();
        c.query_row(
            "SELECT count(*) FROM magnetar_session WHERE revoked_at IS NULL",
            [],
            |r| r.get(0),
        )
        .unwrap()
    }
}

/// Makes every change of `revoked_at` silently do nothing.
const IGNORE_REVOCATIONS: &str =
    "CREATE TRIGGER keep BEFORE UPDATE OF revoked_at ON magnetar_session
     BEGIN SELECT RAISE(IGNORE); END;";

/// A fixture with one live session of alice's, then `trigger` placed in the file.
fn live_session_then(trigger: &str) -> (Fixture, SessionToken) {
    let f = fixture();
    let (token, _) = f.reg.create("alice", &ctx()).unwrap();
    f.tamper(trigger);
    (f, token)
}

fn ctx() -> RequestContext {
    RequestContext::new("198.51.100.4", UA).unwrap()
}

/// The write either failed as tampering, or it took effect (`took_effect`); a success
/// that did not take effect is the bug.
fn refused_or_effective<T: std::fmt::Debug>(r: Result<T>, took_effect: impl FnOnce() -> bool) {
    match r {
        // Tampered: from these checks, or from any earlier defence against objects
        // placed in the file.
        Err(e) => assert_eq!(e.kind(), ErrorKind::Tampered, "{e}"),
        Ok(v) => assert!(
            took_effect(),
            "reported success ({v:?}) but nothing changed"
        ),
    }
}

#[test]
fn an_insert_that_stored_nothing_is_an_error() {
    let f = fixture();
    f.tamper(
        "CREATE TRIGGER swallow BEFORE INSERT ON magnetar_session BEGIN SELECT RAISE(IGNORE); END;",
    );
    let r = f.reg.create("alice", &ctx()).map(|_| ());
    refused_or_effective(r, || f.live_rows() == 1);
}

#[test]
fn an_insert_deleted_by_an_after_trigger_is_an_error() {
    let f = fixture();
    f.tamper(
        "CREATE TRIGGER vanish AFTER INSERT ON magnetar_session
         BEGIN DELETE FROM magnetar_session WHERE id = NEW.id; END;",
    );
    let r = f.reg.create("alice", &ctx()).map(|_| ());
    refused_or_effective(r, || f.live_rows() == 1);
}

#[test]
fn a_revocation_ignored_by_a_trigger_is_an_error() {
    let (f, token) = live_session_then(IGNORE_REVOCATIONS);
    let revoked = |f: &Fixture| {
        f.reg.validate(token.as_str(), &ctx()).unwrap_err().kind() == ErrorKind::SessionRevoked
    };
    refused_or_effective(f.reg.revoke(token.as_str()), || revoked(&f));
    refused_or_effective(f.reg.revoke_all("alice", "password_changed"), || {
        revoked(&f)
    });
}

#[test]
fn a_revocation_undone_by_an_after_trigger_is_an_error() {
    let (f, token) = live_session_then(
        "CREATE TRIGGER revive AFTER UPDATE OF revoked_at ON magnetar_session
         BEGIN UPDATE magnetar_session SET revoked_at = NULL, revoke_reason = NULL
               WHERE id = NEW.id; END;",
    );
    refused_or_effective(f.reg.revoke(token.as_str()), || f.live_rows() == 0);
    refused_or_effective(f.reg.revoke_all("alice", "locked"), || f.live_rows() == 0);
    // The session is still live in the file, and the registry said so instead of
    // reporting it revoked.
    assert_eq!(f.live_rows(), 1);
}

#[test]
fn a_terminate_decision_that_does_not_stick_is_an_error() {
    let (f, token) = live_session_then(IGNORE_REVOCATIONS);
    // A different network, browser and language: a Terminate decision.
    let hijacker = RequestContext::new("192.0.2.200", "curl/8.5.0")
        .unwrap()
        .with_header("Accept-Language", "ru-RU")
        .unwrap();
    let r = f
        .reg
        .validate(token.as_str(), &hijacker)
        .map(|v| v.assessment.decision);
    refused_or_effective(r, || f.live_rows() == 0);
}

#[test]
fn an_ignored_touch_is_an_error_not_a_revocation() {
    let (f, token) = live_session_then(
        "CREATE TRIGGER freeze BEFORE UPDATE OF last_seen ON magnetar_session
         BEGIN SELECT RAISE(IGNORE); END;",
    );
    f.clock.advance(Duration::from_secs(5 * 60));
    let e = f.reg.validate(token.as_str(), &ctx()).map(|_| ());
    // Before, this was reported as "revoked by another request".
    if let Err(e) = &e {
        assert_ne!(e.kind(), ErrorKind::SessionRevoked, "{e}");
    }
    refused_or_effective(e, || true);
}

#[test]
fn a_sweep_that_left_expired_rows_is_an_error() {
    let f = fixture();
    f.reg.create("alice", &ctx()).unwrap();
    f.tamper(
        "CREATE TRIGGER hoard BEFORE DELETE ON magnetar_session BEGIN SELECT RAISE(IGNORE); END;",
    );
    f.clock.advance(Duration::from_secs(48 * 3600));
    let r = f.reg.sweep_expired();
    refused_or_effective(r, || {
        let c = rusqlite::Connection::open(&f.db.path).unwrap();
        c.query_row("SELECT count(*) FROM magnetar_session", [], |r| {
            r.get::<_, i64>(0)
        })
        .unwrap()
            == 0
    });
}

#[test]
fn an_ignored_rebaseline_is_an_error() {
    let (f, token) = live_session_then(
        "CREATE TRIGGER pin BEFORE UPDATE OF ip ON magnetar_session
         BEGIN SELECT RAISE(IGNORE); END;",
    );
    let moved = RequestContext::new("198.51.100.99", UA).unwrap();
    let r = f.reg.rebaseline(token.as_str(), &moved).map(|s| s.ip);
    refused_or_effective(r, || {
        let c = rusqlite::Connection::open(&f.db.path).unwrap();
        c.query_row("SELECT ip FROM magnetar_session", [], |r| {
            r.get::<_, String>(0)
        })
        .unwrap()
            == "198.51.100.99"
    });
}
