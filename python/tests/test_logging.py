"""Rust log records reach Python's `logging` under `magnetar.*` loggers, never with a
secret in them."""

import hashlib
import logging

import pytest

import magnetar
from conftest import second_writer_error

KEY = bytes(range(32))
NEW_KEY = bytes(range(100, 132))
FP_KEY = bytes(range(32, 64))
PASSWORD = "Tr0ub4dor&3-secret"
UA = "Mozilla/5.0 (X11; Linux x86_64; rv:121.0) Gecko/20100101 Firefox/121.0"


def fresh(caplog, level):
    """Starts capturing `magnetar` records at `level`, without records that earlier tests
    left in the forwarder's queue."""
    magnetar.flush_logs()
    caplog.clear()
    caplog.set_level(level, logger="magnetar")


@pytest.fixture
def records(caplog):
    fresh(caplog, logging.DEBUG)

    def collect():
        magnetar.flush_logs()
        return [r for r in caplog.records if r.name.startswith("magnetar")]

    return collect


def failing_transport(url, headers):
    raise ConnectionError("network is down")


def test_breach_failures_and_breaker_trip_are_logged(records):
    checker = magnetar.BreachChecker(transport=failing_transport, retries=0)
    for _ in range(10):
        assert checker.check(PASSWORD).status == "unknown"
    got = records()
    unavailable = [r for r in got if "breach check unavailable" in r.getMessage()]
    assert unavailable and all(r.levelno == logging.WARNING for r in unavailable)
    assert all(r.name.startswith("magnetar.breach") for r in unavailable)
    trips = [r for r in got if "circuit breaker open" in r.getMessage()]
    assert trips and trips[0].name == "magnetar.breach.breaker"


def test_key_rotation_progress_is_logged(pool, records):
    log = magnetar.AuditLog(pool, key=KEY)
    for i in range(3):
        log.record("login", user_id=f"user{i}")
    new_id = log.rotate_key(NEW_KEY)
    assert log.reencrypt(batch_size=2) == (2, 1)
    log.close()
    messages = [r.getMessage() for r in records() if r.name == "magnetar.audit.rotate"]
    assert f"audit log: rotated to key id {new_id}; older events wait for reencrypt" in messages
    assert any("re-encrypted 2 event(s)" in m and "1 remaining" in m for m in messages)


def test_pool_leak_warning_is_logged(db_path, records):
    pool = magnetar.Pool(db_path, acquire_timeout=0.05, leak_threshold=0.001)
    with pool.write() as conn:
        conn.execute("CREATE TABLE t (x)")
        # The waiting writer finds the writer held past leak_threshold and warns.
        assert isinstance(second_writer_error(pool), magnetar.PoolTimeout)
    pool.close()
    leaks = [r for r in records() if "possible leak" in r.getMessage()]
    assert leaks and leaks[0].levelno == logging.WARNING
    assert leaks[0].name.startswith("magnetar.pool")


def test_level_set_on_the_magnetar_logger_applies(caplog):
    fresh(caplog, logging.ERROR)
    checker = magnetar.BreachChecker(transport=failing_transport, retries=0)
    checker.check(PASSWORD)
    magnetar.flush_logs()
    assert [r for r in caplog.records if r.name.startswith("magnetar")] == []


def test_no_secret_in_any_record(pool, records):
    """Runs every component with known secrets, at DEBUG, and searches every record."""
    hasher = magnetar.PasswordHasher(pepper=("p1", b"pepper-secret-0123456789"), legacy_digests=("sha256",))
    stored = hasher.hash(PASSWORD)
    assert hasher.verify(PASSWORD, stored)
    hasher.verify_and_update(PASSWORD, "5e884898da28047151d0e56f8dc6297773603d0d6aff5c8a3f6a2b1c2e1a0b1c")
    log = magnetar.AuditLog(pool, key=KEY, batched=True)
    log.record("login", user_id="alice", details={"note": "fine"})
    log.rotate_key(NEW_KEY)
    log.reencrypt()
    log.flush()
    registry = magnetar.SessionRegistry(pool, fingerprint_key=FP_KEY, audit=log)
    token, _ = registry.create("alice", ip="203.0.113.7", user_agent=UA)
    registry.validate(token, ip="198.51.100.9", user_agent="curl/8.0")
    checker = magnetar.BreachChecker(transport=failing_transport, retries=0)
    for _ in range(6):
        checker.check(PASSWORD)
    log.close()
    sha1 = hashlib.sha1(PASSWORD.encode()).hexdigest().upper()
    secrets = [PASSWORD, token, KEY.hex(), NEW_KEY.hex(), FP_KEY.hex(), "pepper-secret", sha1[:5], sha1]
    got = records()
    assert got, "expected some records at DEBUG"
    for record in got:
        text = record.getMessage() + repr(record.args)
        for secret in secrets:
            assert secret.lower() not in text.lower(), (record.name, text)
