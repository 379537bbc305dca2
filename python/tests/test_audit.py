"""magnetar.AuditLog: record, query, verify, keys, batching, export, tampering."""

import datetime
import json
import os
import sqlite3
import threading

import pytest

import magnetar

KEY = bytes(range(32))


@pytest.fixture
def log(pool):
    log = magnetar.AuditLog(pool, key=KEY)
    yield log
    log.close()


def test_record_and_query(log):
    first = log.record("login", user_id="alice", status="success", ip="203.0.113.7",
                       user_agent="Mozilla/5.0", details={"mfa": True, "tries": [1, 2], "n": None})
    log.record("login", user_id="bob", status="denied")
    log.record("document.read", user_id="alice", resource_type="document", resource_id="42")
    assert isinstance(first, str) and len(first) == 36
    events = log.query(user_id="alice")
    assert [e.action for e in events] == ["login", "document.read"]
    e = events[0]
    assert (e.event_id, e.user_id, e.status, e.ip, e.user_agent) == (first, "alice", "success", "203.0.113.7", "Mozilla/5.0")
    assert e.details == {"mfa": True, "tries": [1, 2], "n": None}
    assert e.seq == 1
    assert isinstance(e.timestamp, datetime.datetime) and e.timestamp.tzinfo is not None
    assert e.to_dict()["details"] == e.details
    assert [e.user_id for e in log.query(action="login")] == ["alice", "bob"]
    assert [e.action for e in log.query(user_id="alice", action="login")] == ["login"]
    assert len(log.query(limit=2)) == 2
    assert [e.seq for e in log.query(newest_first=True)] == [3, 2, 1]
    assert log.query(user_id="nobody") == []
    assert len(log) == 3


def test_time_bounds(log):
    log.record("a")
    now = datetime.datetime.now(datetime.timezone.utc)
    assert len(log.query(since=now - datetime.timedelta(minutes=1))) == 1
    assert log.query(until=now - datetime.timedelta(minutes=1)) == []
    assert len(log.query(since=now.timestamp() - 60)) == 1


def test_verify_and_head(log):
    for i in range(5):
        log.record("evt", user_id=str(i))
    report = log.verify()
    assert report.ok and report.checked == 5 and report.first_problem is None
    assert bool(report)
    head = log.head()
    assert head.seq == 5 and len(head.chain_hex) == 64
    assert log.verify(head=head).ok


def test_tampering_is_detected(pool, db_path):
    log = magnetar.AuditLog(pool, key=KEY)
    for i in range(4):
        log.record("evt", user_id=str(i))
    head = log.head()
    # Delete the last event directly in the file.
    raw = sqlite3.connect(db_path)
    raw.execute("DELETE FROM audit_events WHERE seq = (SELECT max(seq) FROM audit_events)")
    raw.commit()
    raw.close()
    report = log.verify(head=head)
    assert not report.ok
    assert report.first_problem.kind in ("truncated", "missing_events", "head_mismatch")
    assert report.first_problem.detail
    log.close()


def test_new_problem_kinds_reach_python(pool, db_path):
    log = magnetar.AuditLog(pool, key=KEY)
    for i in range(4):
        log.record("evt", user_id=str(i))
    old_head = log.head()
    log.record("later")
    # An edited blind index: the event is intact, its search data is not.
    raw = sqlite3.connect(db_path)
    raw.execute("UPDATE audit_events SET user_idx = user_idx + 1 WHERE seq = 2")
    raw.commit()
    report = log.verify()
    assert not report.ok
    assert (report.first_problem.kind, report.first_problem.seq) == ("lookup_mismatch", 2)
    raw.execute("UPDATE audit_events SET user_idx = user_idx - 1 WHERE seq = 2")
    raw.commit()
    raw.close()
    # A head from before the purge anchor can no longer be confirmed.
    assert log.purge_before(datetime.datetime.now(datetime.timezone.utc) + datetime.timedelta(days=1)) == 5
    report = log.verify(head=old_head)
    assert not report.ok
    assert report.first_problem.kind == "head_unconfirmable"
    log.close()


def test_keys(pool, tmp_path, monkeypatch):
    log = magnetar.AuditLog(pool, key=KEY)
    log.record("x")
    log.close()
    with pytest.raises(magnetar.WrongKey) as info:
        magnetar.AuditLog(pool, key=os.urandom(32))
    assert info.value.kind == "wrong_key"
    assert KEY.hex() not in str(info.value)
    again = magnetar.AuditLog(pool, key=KEY.hex())
    assert len(again.query()) == 1
    with pytest.raises(magnetar.InvalidKey, match="no default key"):
        magnetar.AuditLog(pool)
    with pytest.raises(magnetar.InvalidKey):
        magnetar.AuditLog(pool, key=b"short")
    monkeypatch.setenv("MAGNETAR_AUDIT_KEY", KEY.hex())
    from_env = magnetar.AuditLog.from_env(pool)
    assert len(from_env.query()) == 1
    monkeypatch.delenv("MAGNETAR_AUDIT_KEY")
    with pytest.raises(magnetar.InvalidKey, match="MAGNETAR_AUDIT_KEY"):
        magnetar.AuditLog.from_env(pool)
    generated = magnetar.AuditLog.generate_key()
    assert len(generated) == 64 and int(generated, 16) >= 0


def test_rotation(pool):
    log = magnetar.AuditLog(pool, key=KEY)
    log.record("before")
    new_key = magnetar.AuditLog.generate_key()
    new_id = log.rotate_key(new_key)
    assert new_id == log.current_key_id == 2
    log.record("after")
    assert log.reencrypt() == (1, 0)
    log.close()
    reopened = magnetar.AuditLog(pool, key=new_key)
    assert [e.action for e in reopened.query()] == ["before", "after"]
    assert reopened.verify().ok


def test_batched_writes_and_flush(pool):
    log = magnetar.AuditLog(pool, key=KEY, batched=True)

    def work(t):
        for i in range(50):
            log.record("batched", user_id=f"t{t}", details={"i": i})

    threads = [threading.Thread(target=work, args=(t,)) for t in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    log.flush()
    assert len(log) == 200
    assert log.verify().ok
    log.close()
    with pytest.raises(magnetar.InvalidInput, match="closed"):
        log.record("late")


def test_export_jsonl(log, tmp_path):
    log.record("a", user_id="u1", details={"k": "v"})
    log.record("b", user_id="u2")
    out = tmp_path / "audit.jsonl"
    assert log.export_jsonl(str(out)) == 2
    rows = [json.loads(line) for line in out.read_text().splitlines()]
    assert [r["action"] for r in rows] == ["a", "b"]
    assert out.stat().st_mode & 0o777 == 0o600
    with pytest.raises(magnetar.MagnetarError, match="already exists"):
        log.export_jsonl(out, user_id="u2")
    assert log.export_jsonl(out, user_id="u2", overwrite=True) == 1
    assert out.stat().st_mode & 0o777 == 0o600


def test_bad_input(log):
    with pytest.raises(magnetar.InvalidInput, match="action"):
        log.record("")
    with pytest.raises(magnetar.InvalidInput, match="JSON"):
        log.record("x", details={"f": object()})
    with pytest.raises(magnetar.InvalidInput):
        log.record("x", details={1: "non-str key"})


def test_passphrase(pool):
    log = magnetar.AuditLog(pool, passphrase="correct horse battery staple")
    log.record("p")
    log.close()
    with pytest.raises(magnetar.WrongKey):
        magnetar.AuditLog(pool, passphrase="incorrect horse battery staple")
    with pytest.raises(magnetar.InvalidKey):
        magnetar.AuditLog(pool, passphrase="short")


def test_retire_key_and_key_ids(pool):
    assert not magnetar.AuditLog.exists(pool)
    log = magnetar.AuditLog(pool, key=KEY)
    assert magnetar.AuditLog.exists(pool)
    assert not log.batched and log.key_ids == [1]
    log.record("before")
    log.rotate_key(magnetar.AuditLog.generate_key())
    assert log.key_ids == [1, 2]
    with pytest.raises(magnetar.InvalidInput, match="still encrypted"):
        log.retire_key(1)
    assert log.reencrypt() == (1, 0)
    log.retire_key(1)
    assert log.key_ids == [2]
    with pytest.raises(magnetar.InvalidInput, match="current key"):
        log.retire_key(2)
    log.close()
    with pytest.raises(magnetar.WrongKey):
        magnetar.AuditLog(pool, key=KEY)


def test_rotate_and_reencrypt_is_the_whole_workflow(pool):
    log = magnetar.AuditLog(pool, key=KEY)
    for i in range(5):
        log.record(f"e{i}")
    log.close()
    new_key = magnetar.AuditLog.generate_key()
    report = magnetar.AuditLog.rotate_and_reencrypt(pool, KEY, new_key, batch_size=2)
    assert report == {"old_key_id": 1, "new_key_id": 2, "reencrypted": 5,
                      "old_key_retired": True, "resumed": False}
    reopened = magnetar.AuditLog(pool, key=new_key)
    assert reopened.verify().ok and reopened.key_ids == [2]
    reopened.close()
    with pytest.raises(magnetar.InvalidInput):
        magnetar.AuditLog.rotate_and_reencrypt(pool, new_key, KEY, batch_size=0)


def test_passphrase_key_is_what_the_passphrase_opens(pool):
    key = magnetar.AuditLog.passphrase_key(pool, "correct horse battery staple")
    assert len(key) == 64
    log = magnetar.AuditLog(pool, passphrase="correct horse battery staple")
    log.record("p")
    log.close()
    assert len(magnetar.AuditLog(pool, key=key).query()) == 1
    with pytest.raises(magnetar.InvalidKey):
        magnetar.AuditLog.passphrase_key(pool, "short")
