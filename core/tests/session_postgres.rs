//! The session registry on a real PostgreSQL server.
//!
//! Needs `MAGNETAR_TEST_PG_URL` (and the other variables `scripts/with-postgres.sh`
//! exports); without it every test prints why it is skipped and passes, so a plain
//! `cargo test` stays green. The PostgreSQL suite of `scripts/test.sh` runs this file
//! under `scripts/with-postgres.sh`, which fails when the server cannot start.
//!
//! Covered: the lifecycle; the per-user limit with 8 processes racing (evict and
//! reject); revocation seen at once by another registry; sweeps from two registries; a
//! server restart in the middle of a run (retried, no duplicates); an application role
//! with DML rights only; TLS (require, verify-ca, verify-full with the CA file, a wrong
//! host name refused); no password in any error or `Debug` output.

use std::process::{Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use magnetar_core::ErrorKind;
use magnetar_core::clock::{ManualClock, SharedClock};
use magnetar_core::session::{
    FingerprintKey, LimitPolicy, RequestContext, SessionConfig, SessionRegistry,
};
use magnetar_core::store::{PgConfig, Store};
use magnetar_testkit::{pg_env, pg_url, unique_name};
use parking_lot::RwLock;

/// The restart test takes this for writing; every other test for reading.
static SERVER: RwLock<()> = RwLock::new(());

fn ctx() -> RequestContext {
    RequestContext::new(
        "203.0.113.7",
        "Mozilla/5.0 (X11; Linux x86_64; rv:121.0) Gecko/20100101 Firefox/121.0",
    )
    .unwrap()
}

fn store(url: &str, adjust: impl FnOnce(&mut PgConfig)) -> Store {
    let mut config = PgConfig {
        max_connections: 4,
        ..PgConfig::default()
    };
    adjust(&mut config);
    Store::postgres(url, config).unwrap()
}

fn registry(store: Store, adjust: impl FnOnce(&mut SessionConfig)) -> SessionRegistry {
    let mut config = SessionConfig::new(FingerprintKey::new([7; 32]));
    adjust(&mut config);
    SessionRegistry::open(store, config).unwrap()
}

fn sql(url: &str) -> postgres::Client {
    postgres::Client::connect(url, postgres::NoTls).unwrap()
}

/// Rows of a user in the default schema: (all, unrevoked).
fn counts(url: &str, user: &str) -> (i64, i64) {
    let row = sql(url)
        .query_one(
            "SELECT count(*), count(*) FILTER (WHERE revoked_at IS NULL)
             FROM magnetar.session WHERE user_id = $1",
            &[&user],
        )
        .unwrap();
    (row.get(0), row.get(1))
}

#[test]
fn lifecycle_on_postgres() {
    let Some(url) = pg_url("lifecycle_on_postgres") else {
        return;
    };
    let _server = SERVER.read();
    let reg = registry(store(&url, |_| {}), |_| {});
    let user = unique_name("life");
    let (token, session) = reg.create(&user, &ctx()).unwrap();
    let v = reg.validate(token.as_str(), &ctx()).unwrap();
    assert_eq!(v.session.id, session.id);
    let moved = RequestContext::new("198.51.100.1", "curl/8.0").unwrap();
    assert_eq!(
        reg.rebaseline(token.as_str(), &moved).unwrap().ip,
        "198.51.100.1"
    );
    assert_eq!(reg.list(&user).unwrap().len(), 1);
    reg.revoke(token.as_str()).unwrap();
    let err = reg.validate(token.as_str(), &ctx()).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::SessionRevoked, "{err}");
    let (t2, _) = reg.create(&user, &ctx()).unwrap();
    assert_eq!(reg.revoke_all(&user, "password_changed").unwrap(), 1);
    assert_eq!(
        reg.validate(t2.as_str(), &ctx()).unwrap_err().kind(),
        ErrorKind::SessionRevoked
    );
    let unknown = "A".repeat(42) + "E";
    assert_eq!(
        reg.validate(&unknown, &ctx()).unwrap_err().kind(),
        ErrorKind::SessionNotFound
    );
}

#[test]
fn revoke_is_seen_at_once_by_another_registry() {
    let Some(url) = pg_url("revoke_is_seen_at_once_by_another_registry") else {
        return;
    };
    let _server = SERVER.read();
    let a = registry(store(&url, |_| {}), |_| {});
    let b = registry(store(&url, |_| {}), |_| {});
    let user = unique_name("revoke");
    let (token, _) = a.create(&user, &ctx()).unwrap();
    b.validate(token.as_str(), &ctx()).unwrap();
    a.revoke(token.as_str()).unwrap();
    assert_eq!(
        b.validate(token.as_str(), &ctx()).unwrap_err().kind(),
        ErrorKind::SessionRevoked
    );
    let (t2, _) = b.create(&user, &ctx()).unwrap();
    b.revoke_all(&user, "locked").unwrap();
    assert_eq!(
        a.validate(t2.as_str(), &ctx()).unwrap_err().kind(),
        ErrorKind::SessionRevoked
    );
}

#[test]
fn sweeps_from_two_registries() {
    let Some(url) = pg_url("sweeps_from_two_registries") else {
        return;
    };
    let _server = SERVER.read();
    // A schema of its own, so that no other test's sessions are swept.
    let schema = format!("sweep_{}", std::process::id());
    let clock = ManualClock::new();
    let shared: SharedClock = clock.clone();
    let open = || {
        registry(store(&url, |c| c.schema = schema.clone()), |c| {
            c.clock = Some(shared.clone());
            c.max_sessions_per_user = 100;
        })
    };
    let (a, b) = (Arc::new(open()), Arc::new(open()));
    for i in 0..60 {
        a.create(&format!("sweep-user-{}", i % 6), &ctx()).unwrap();
    }
    clock.advance(Duration::from_secs(31 * 60));
    let (a2, b2) = (a.clone(), b.clone());
    let ta = std::thread::spawn(move || a2.sweep_expired().unwrap());
    let tb = std::thread::spawn(move || b2.sweep_expired().unwrap());
    let swept = ta.join().unwrap() + tb.join().unwrap();
    assert_eq!(swept, 60);
    assert_eq!(a.sweep_expired().unwrap(), 0);
    let left: i64 = sql(&url)
        .query_one(&format!("SELECT count(*) FROM {schema}.session"), &[])
        .unwrap()
        .get(0);
    assert_eq!(left, 0);
}

/// One child of `limit_holds_across_8_processes`: waits for the start time, then
/// creates sessions for the shared user and prints how many were refused.
#[test]
fn race_child() {
    let (Some(url), Some(user), Some(policy), Some(start)) = (
        pg_env("MAGNETAR_TEST_PG_URL"),
        pg_env("RACE_USER"),
        pg_env("RACE_POLICY"),
        pg_env("RACE_START_MS"),
    ) else {
        return;
    };
    let creates: usize = pg_env("RACE_CREATES").unwrap().parse().unwrap();
    let reg = registry(store(&url, |_| {}), |c| {
        c.max_sessions_per_user = 3;
        c.limit_policy = if policy == "reject" {
            LimitPolicy::Reject
        } else {
            LimitPolicy::EvictOldest
        };
    });
    let start: u128 = start.parse().unwrap();
    loop {
        let now = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .unwrap()
            .as_millis();
        if now >= start {
            break;
        }
        std::thread::sleep(Duration::from_millis(1));
    }
    let (mut ok, mut refused) = (0, 0);
    for _ in 0..creates {
        match reg.create(&user, &ctx()) {
            Ok(_) => ok += 1,
            Err(e) if e.kind() == ErrorKind::SessionLimit => refused += 1,
            Err(e) => panic!("create failed: {e}"),
        }
    }
    println!("RACE-RESULT ok={ok} refused={refused}");
}

fn race(url: &str, policy: &str, creates: usize) -> (String, usize, usize) {
    let user = unique_name(&format!("race-{policy}"));
    let start = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_millis()
        + 1500;
    let children: Vec<_> = (0..8)
        .map(|_| {
            Command::new(std::env::current_exe().unwrap())
                .args(["--exact", "race_child", "--nocapture", "--test-threads=1"])
                .env("RACE_USER", &user)
                .env("RACE_POLICY", policy)
                .env("RACE_START_MS", start.to_string())
                .env("RACE_CREATES", creates.to_string())
                .env("MAGNETAR_TEST_PG_URL", url)
                .stdout(Stdio::piped())
                .stderr(Stdio::piped())
                .spawn()
                .unwrap()
        })
        .collect::<Vec<_>>();
    let (mut ok, mut refused) = (0, 0);
    for child in children {
        let out = child.wait_with_output().unwrap();
        let text = String::from_utf8_lossy(&out.stdout);
        assert!(
            out.status.success(),
            "child failed: {text}\n{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let line = text
            .lines()
            .find_map(|l| l.split_once("RACE-RESULT").map(|(_, r)| r))
            .unwrap_or_else(|| panic!("no result from a child: {text}"));
        for part in line.split_whitespace().take(2) {
            let (k, v) = part.split_once('=').unwrap();
            let v: usize = v.parse().unwrap();
            match k {
                "ok" => ok += v,
                _ => refused += v,
            }
        }
    }
    (user, ok, refused)
}

#[test]
fn limit_holds_across_8_processes() {
    let Some(url) = pg_url("limit_holds_across_8_processes") else {
        return;
    };
    let _server = SERVER.read();
    // Open once first so the children do not all race the first migration (they
    // would be serialized by its advisory lock anyway).
    drop(registry(store(&url, |_| {}), |_| {}));

    let (user, ok, refused) = race(&url, "evict", 5);
    assert_eq!((ok, refused), (40, 0));
    let (all, live) = counts(&url, &user);
    assert_eq!(
        (all, live),
        (40, 3),
        "exactly 3 live after 40 racing creates"
    );

    let (user, ok, refused) = race(&url, "reject", 1);
    assert_eq!((ok, refused), (3, 5), "3 stored, 5 refused");
    assert_eq!(counts(&url, &user), (3, 3));
}

#[test]
fn server_restart_mid_run_is_retried_without_duplicates() {
    let (Some(url), Some(restart)) = (
        pg_url("server_restart_mid_run_is_retried_without_duplicates"),
        pg_env("MAGNETAR_TEST_PG_RESTART"),
    ) else {
        return;
    };
    let _server = SERVER.write();
    let reg = Arc::new(registry(
        store(&url, |c| {
            c.attempts = 12;
            c.connect_timeout = Duration::from_secs(2);
        }),
        // Far above what 6 s of creates reach, so no session is evicted and the count
        // is exactly the creates (a limit of 1,000 was reached on a quiet machine).
        |c| c.max_sessions_per_user = 1_000_000,
    ));
    let user = unique_name("restart");
    let worker = {
        let (reg, user) = (reg.clone(), user.clone());
        std::thread::spawn(move || {
            let mut created = 0;
            let started = std::time::Instant::now();
            while started.elapsed() < Duration::from_secs(6) {
                let (token, _) = reg.create(&user, &ctx()).expect("create across a restart");
                reg.validate(token.as_str(), &ctx())
                    .expect("validate across a restart");
                created += 1;
            }
            created
        })
    };
    std::thread::sleep(Duration::from_millis(1500));
    let status = Command::new("sh").args(["-c", &restart]).status().unwrap();
    assert!(status.success(), "restart command failed");
    let created = worker.join().unwrap();
    assert!(created > 10, "only {created} creates");
    let (all, live) = counts(&url, &user);
    assert_eq!(all, created as i64, "no duplicate and no lost session");
    assert_eq!(live, created as i64);
}

#[test]
fn application_role_with_dml_rights_only() {
    let (Some(url), Some(app_url)) = (
        pg_url("application_role_with_dml_rights_only"),
        pg_env("MAGNETAR_TEST_PG_APP_URL"),
    ) else {
        return;
    };
    let _server = SERVER.read();
    let schema = format!("dml_{}", std::process::id());
    let config = |c: &mut PgConfig| c.schema = schema.clone();
    // Before the schema exists, the application role cannot create it.
    let err = SessionRegistry::open(
        store(&app_url, config),
        SessionConfig::new(FingerprintKey::new([7; 32])),
    )
    .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Database, "{err}");
    assert!(err.to_string().contains("permission denied"), "{err}");
    assert!(!err.to_string().contains("app-secret-pw"));

    // The owner creates it and grants DML only.
    drop(registry(store(&url, config), |_| {}));
    sql(&url)
        .batch_execute(&format!(
            "GRANT USAGE ON SCHEMA {schema} TO magnetar_app;
             GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA {schema} TO magnetar_app;"
        ))
        .unwrap();
    let reg = registry(store(&app_url, config), |_| {});
    let user = unique_name("dml");
    let (token, _) = reg.create(&user, &ctx()).unwrap();
    reg.validate(token.as_str(), &ctx()).unwrap();
    reg.revoke(token.as_str()).unwrap();
    reg.sweep_expired().unwrap();
    // And it still cannot change the schema.
    let denied = sql(&app_url).batch_execute(&format!("DROP TABLE {schema}.session"));
    assert!(denied.is_err());
}

#[test]
fn tls_modes() {
    let (Some(url), Some(ca)) = (pg_url("tls_modes"), pg_env("MAGNETAR_TEST_PG_CA")) else {
        return;
    };
    let _server = SERVER.read();
    let with = |host: &str, params: &str| {
        url.replace("@127.0.0.1:", &format!("@{host}:"))
            .replace("sslmode=disable", params)
    };
    let ssl_in_use = |store: Store| {
        let reg = registry(store, |_| {});
        reg.create(&unique_name("tls"), &ctx()).unwrap();
    };
    // require: encrypted, not verified.
    ssl_in_use(store(&with("127.0.0.1", "sslmode=require"), |_| {}));
    // verify-full with the CA file and the certificate's name.
    ssl_in_use(store(
        &with(
            "localhost",
            &format!("sslmode=verify-full&sslrootcert={ca}"),
        ),
        |_| {},
    ));
    // verify-ca: chain checked, the name (127.0.0.1 is not in the certificate) not.
    ssl_in_use(store(
        &with("127.0.0.1", &format!("sslmode=verify-ca&sslrootcert={ca}")),
        |_| {},
    ));
    // verify-full against a name the certificate does not carry: refused, clearly.
    let wrong = with(
        "127.0.0.1",
        &format!("sslmode=verify-full&sslrootcert={ca}"),
    );
    let err = Store::postgres(
        &wrong,
        PgConfig {
            connect_timeout: Duration::from_secs(2),
            ..PgConfig::default()
        },
    )
    .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Unavailable, "{err}");
    let text = format!("{err} {err:?}");
    assert!(
        text.contains("NotValidForName") || text.contains("not valid for"),
        "{text}"
    );
    assert!(!text.contains("owner-secret-pw"), "{text}");
    // The server's certificate is not signed by any system root.
    let err = Store::postgres(
        &with("localhost", "sslmode=verify-full"),
        PgConfig {
            connect_timeout: Duration::from_secs(2),
            ..PgConfig::default()
        },
    )
    .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Unavailable, "{err}");
    assert!(!format!("{err:?}").contains("owner-secret-pw"));
}

#[test]
fn no_password_in_debug_or_errors() {
    let Some(url) = pg_url("no_password_in_debug_or_errors") else {
        return;
    };
    let _server = SERVER.read();
    let s = store(&url, |_| {});
    let text = format!("{s:?} {:?}", registry(s.clone(), |_| {}));
    assert!(!text.contains("owner-secret-pw"), "{text}");
    assert!(text.contains("127.0.0.1"), "{text}");
    let bad = url.replace("owner-secret-pw", "wrong-secret-pw");
    let err = Store::postgres(&bad, PgConfig::default()).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Unavailable, "{err}");
    let text = format!("{err} {err:?}");
    assert!(!text.contains("wrong-secret-pw"), "{text}");
    assert!(text.contains("password authentication failed"), "{text}");
}

/// A trigger that makes a create's writes store nothing, or undoes them after, is
/// reported as tampering, never as a created session: the insert swallowed (BEFORE
/// INSERT returning NULL), the new row revoked at once (AFTER INSERT), an eviction
/// swallowed (BEFORE UPDATE returning NULL). Each case in a schema of its own.
#[test]
fn a_create_undone_by_a_trigger_is_tampering() {
    let Some(url) = pg_url("a_create_undone_by_a_trigger_is_tampering") else {
        return;
    };
    let _server = SERVER.read();
    let cases = [
        ("BEFORE INSERT", "RETURN NULL;", "storing session"),
        (
            "AFTER INSERT",
            "UPDATE {schema}.session SET revoked_at = 1 WHERE id = NEW.id; RETURN NULL;",
            "storing session",
        ),
        ("BEFORE UPDATE", "RETURN NULL;", "evicting"),
    ];
    for (index, (when, body, expected)) in cases.into_iter().enumerate() {
        let schema = format!("trig_{}_{index}", std::process::id());
        let reg = registry(store(&url, |c| c.schema = schema.clone()), |c| {
            c.max_sessions_per_user = 1
        });
        let user = unique_name("trigger");
        // One live session first, so that the next create evicts it.
        reg.create(&user, &ctx()).unwrap();
        let body = body.replace("{schema}", &schema);
        sql(&url)
            .batch_execute(&format!(
                "CREATE FUNCTION {schema}.meddle() RETURNS trigger LANGUAGE plpgsql AS $$
                 BEGIN {body} END $$;
                 CREATE TRIGGER meddle {when} ON {schema}.session
                 FOR EACH ROW EXECUTE FUNCTION {schema}.meddle();"
            ))
            .unwrap();
        let err = reg.create(&user, &ctx()).unwrap_err();
        assert_eq!(err.kind(), ErrorKind::Tampered, "{when}: {err}");
        assert!(err.to_string().contains(expected), "{when}: {err}");
        sql(&url)
            .batch_execute(&format!("DROP SCHEMA {schema} CASCADE"))
            .unwrap();
    }
}
