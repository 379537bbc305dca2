"""magnetar.PostgresStore: the session registry on a real PostgreSQL server.

The server comes from scripts/with-postgres.sh (MAGNETAR_TEST_PG_URL); without it the
tests that need one are skipped, with the reason. The PostgreSQL suite of
scripts/test.sh runs them with a server.
"""

import multiprocessing
import os
import time
import uuid

import pytest

import magnetar

FP_KEY = bytes(range(32))
UA = "Mozilla/5.0 (X11; Linux x86_64; rv:121.0) Gecko/20100101 Firefox/121.0"
URL = os.environ.get("MAGNETAR_TEST_PG_URL")

needs_server = pytest.mark.skipif(
    not URL, reason="MAGNETAR_TEST_PG_URL is unset (run under scripts/with-postgres.sh)"
)


def test_postgres_store_refused_connection_is_clear_and_hides_the_password():
    with pytest.raises(ConnectionError) as info:
        magnetar.PostgresStore(
            "postgresql://u:hunter2-secret@127.0.0.1:1/db?sslmode=disable", connect_timeout=0.3
        )
    assert isinstance(info.value, magnetar.ServerUnavailable)
    assert not isinstance(info.value, magnetar.PoolTimeout)
    assert info.value.kind == "unavailable"
    assert "unavailable" in str(info.value) and "127.0.0.1:1/db" in str(info.value)
    assert "hunter2" not in str(info.value) and "hunter2" not in repr(info.value)


def test_postgres_store_rejects_bad_configuration():
    with pytest.raises(magnetar.InvalidConfig, match="sslmode"):
        magnetar.PostgresStore("postgresql://u@127.0.0.1:1/db?sslmode=sometimes")
    with pytest.raises(magnetar.InvalidConfig, match="schema"):
        magnetar.PostgresStore("postgresql://u@127.0.0.1:1/db", schema="Robert'); DROP")


def test_session_registry_wants_a_store():
    with pytest.raises(TypeError, match="Pool or a magnetar.PostgresStore"):
        magnetar.SessionRegistry("postgresql://nope", fingerprint_key=FP_KEY)


@needs_server
def test_postgres_store_lifecycle_and_repr():
    store = magnetar.PostgresStore(URL, max_connections=4, connect_timeout=5)
    assert store.schema == "magnetar"
    assert "owner-secret-pw" not in repr(store) and "127.0.0.1" in repr(store)
    registry = magnetar.SessionRegistry(store, fingerprint_key=FP_KEY)
    user = f"py-{uuid.uuid4()}"
    token, session = registry.create(user, ip="203.0.113.7", user_agent=UA)
    assert registry.validate(token, ip="203.0.113.7", user_agent=UA).session.id == session.id
    # Another registry (another app server) sees the revocation at once.
    other = magnetar.SessionRegistry(magnetar.PostgresStore(URL), fingerprint_key=FP_KEY)
    registry.revoke(token)
    with pytest.raises(magnetar.SessionRevoked):
        other.validate(token, ip="203.0.113.7", user_agent=UA)


def _race(url, user, start, reject, results):
    registry = magnetar.SessionRegistry(
        magnetar.PostgresStore(url, max_connections=2),
        fingerprint_key=FP_KEY,
        max_sessions=3,
        reject_at_limit=reject,
    )
    while time.time() < start:
        time.sleep(0.001)
    ok = refused = 0
    for _ in range(1 if reject else 5):
        try:
            registry.create(user, ip="203.0.113.7", user_agent=UA)
            ok += 1
        except magnetar.SessionLimit:
            refused += 1
    results.put((ok, refused))


@needs_server
@pytest.mark.parametrize("reject", [False, True], ids=["evict", "reject"])
def test_postgres_limit_holds_across_8_processes(reject):
    magnetar.SessionRegistry(magnetar.PostgresStore(URL), fingerprint_key=FP_KEY)  # schema
    user = f"py-race-{uuid.uuid4()}"
    ctx = multiprocessing.get_context("spawn")
    results = ctx.Queue()
    start = time.time() + 2.0
    procs = [ctx.Process(target=_race, args=(URL, user, start, reject, results)) for _ in range(8)]
    for p in procs:
        p.start()
    outcomes = [results.get(timeout=120) for _ in procs]
    for p in procs:
        p.join(timeout=60)
        assert p.exitcode == 0
    ok = sum(o for o, _ in outcomes)
    refused = sum(r for _, r in outcomes)
    registry = magnetar.SessionRegistry(
        magnetar.PostgresStore(URL), fingerprint_key=FP_KEY, max_sessions=3
    )
    assert len(registry.sessions(user)) == 3
    if reject:
        assert (ok, refused) == (3, 5)
    else:
        assert (ok, refused) == (40, 0)


AUDIT_KEY = bytes((i * 37 + 11) % 256 for i in range(32))


@needs_server
def test_audit_log_on_postgres_and_copy_both_ways(tmp_path):
    schema = f"py_audit_{uuid.uuid4().hex[:12]}"
    store = magnetar.PostgresStore(URL, schema=schema)
    assert not magnetar.AuditLog.exists(store)
    with magnetar.AuditLog(store, key=AUDIT_KEY, batched=True) as log:
        for i in range(500):
            log.record("login", user_id=f"u{i % 5}", details={"i": i})
        log.flush()
        assert len(log.query(user_id="u3")) == 100
        report = log.verify()
        assert report.ok and report.checked == 500
        head = log.head()
    # Another app server opening the same schema extends the same chain.
    other = magnetar.AuditLog(magnetar.PostgresStore(URL, schema=schema), key=AUDIT_KEY)
    other.record("logout", user_id="u1")
    assert other.verify(head).ok

    pool = magnetar.Pool(str(tmp_path / "copy.db"))
    events, copied_head = magnetar.AuditLog.copy(store, pool, AUDIT_KEY)
    assert events == 501 and copied_head.seq == 501
    assert magnetar.AuditLog(pool, key=AUDIT_KEY).verify().checked == 501
    with pytest.raises(magnetar.InvalidInput, match="already holds an audit log"):
        magnetar.AuditLog.copy(store, pool, AUDIT_KEY)
    back = magnetar.PostgresStore(URL, schema=schema + "_back")
    events, _ = magnetar.AuditLog.copy(pool, back, AUDIT_KEY)
    assert events == 501
    newest = magnetar.AuditLog(back, key=AUDIT_KEY).query(user_id="u1", newest_first=True, limit=1)
    assert newest[0].action == "logout"
