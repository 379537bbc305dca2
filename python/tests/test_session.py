"""magnetar.SessionRegistry and magnetar.score."""

import os

import pytest

import magnetar

FP_KEY = bytes(range(32))
CHROME = "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.0.0 Safari/537.36"
CHROME_NEXT = CHROME.replace("Chrome/120.0.0.0", "Chrome/121.0.0.0")
FIREFOX_MAC = "Mozilla/5.0 (Macintosh; Intel Mac OS X 14.1; rv:121.0) Gecko/20100101 Firefox/121.0"


@pytest.fixture
def registry(pool):
    return magnetar.SessionRegistry(pool, fingerprint_key=FP_KEY)


def test_create_validate_revoke(registry):
    token, session = registry.create("alice", ip="203.0.113.7", user_agent=CHROME, headers={"Accept-Language": "en"})
    assert isinstance(token, str) and len(token) == 43
    assert session.user_id == "alice" and session.ip == "203.0.113.7"
    assert token not in repr(session)
    a = registry.validate(token, ip="203.0.113.7", user_agent=CHROME, headers={"Accept-Language": "en"})
    assert (a.score, a.decision, a.reasons) == (0.0, "allow", [])
    assert a.session.id == session.id
    assert [s.id for s in registry.sessions("alice")] == [session.id]
    registry.revoke(token)
    with pytest.raises(magnetar.SessionRevoked) as info:
        registry.validate(token, ip="203.0.113.7", user_agent=CHROME)
    assert isinstance(info.value, magnetar.SessionError)
    with pytest.raises(magnetar.SessionNotFound):
        registry.validate("A" * 43, ip="203.0.113.7", user_agent=CHROME)
    with pytest.raises(magnetar.InvalidInput, match="43"):
        registry.validate("short", ip="203.0.113.7", user_agent=CHROME)


def test_validate_request_returns_a_refusal_and_raises_only_failures(registry):
    token, session = registry.create("alice", ip="203.0.113.7", user_agent=CHROME)
    a = registry.validate_request(token, ip="203.0.113.7", user_agent=CHROME, audit_allow=True)
    assert isinstance(a, magnetar.Assessment) and a.decision == "allow" and a.session.id == session.id
    for bad, kind in [("A" * 43, magnetar.SessionNotFound), ("short", magnetar.InvalidInput)]:
        refusal = registry.validate_request(bad, ip="203.0.113.7", user_agent=CHROME, audit_allow=False)
        assert isinstance(refusal, kind)
    registry.revoke(token)
    refusal = registry.validate_request(token, ip="203.0.113.7", user_agent=CHROME, audit_allow=True)
    assert isinstance(refusal, magnetar.SessionRevoked) and refusal.kind == "session_revoked"
    # The context is the caller's to get right: an IP that does not parse is raised.
    with pytest.raises(magnetar.InvalidInput):
        registry.validate_request(token, ip="testclient", user_agent=CHROME, audit_allow=True)


def test_risk_decisions(registry):
    token, _ = registry.create("bob", ip="203.0.113.7", user_agent=CHROME)
    a = registry.validate(token, ip="203.0.113.8", user_agent=CHROME_NEXT)
    assert a.decision == "allow" and 0 < a.score < 0.5
    assert {r.signal for r in a.reasons} == {"ip_subnet_change", "user_agent_version_change"}
    a = registry.validate(token, ip="198.51.100.2", user_agent=FIREFOX_MAC)
    assert a.score >= 0.7 and a.decision in ("step_up", "terminate")
    assert all(r.weight > 0 and r.detail for r in a.reasons)


def test_terminate_revokes(registry):
    token, _ = registry.create("carol", ip="203.0.113.7", user_agent=CHROME, headers={"accept-language": "en"})
    a = registry.validate(token, ip="198.51.100.2", user_agent=FIREFOX_MAC, headers={"accept-language": "fr"})
    assert a.decision == "terminate" and a.score >= 0.9
    with pytest.raises(magnetar.SessionRevoked):
        registry.validate(token, ip="203.0.113.7", user_agent=CHROME)


def test_limits_and_revoke_all(pool):
    registry = magnetar.SessionRegistry(pool, fingerprint_key=FP_KEY, max_sessions=2)
    tokens = [registry.create("dave", ip="203.0.113.7", user_agent=CHROME)[0] for _ in range(3)]
    assert len(registry.sessions("dave")) == 2
    with pytest.raises(magnetar.SessionRevoked):
        registry.validate(tokens[0], ip="203.0.113.7", user_agent=CHROME)
    assert registry.revoke_all("dave", "password_change") == 2
    assert registry.sessions("dave") == []
    strict = magnetar.SessionRegistry(pool, fingerprint_key=FP_KEY, max_sessions=1, reject_at_limit=True)
    strict.create("erin", ip="203.0.113.7", user_agent=CHROME)
    with pytest.raises(magnetar.SessionLimit):
        strict.create("erin", ip="203.0.113.7", user_agent=CHROME)


def test_decisions_reach_the_audit_log(pool):
    audit = magnetar.AuditLog(pool, key=os.urandom(32))
    registry = magnetar.SessionRegistry(pool, fingerprint_key=FP_KEY, audit=audit)
    token, _ = registry.create("frank", ip="203.0.113.7", user_agent=CHROME)
    registry.validate(token, ip="198.51.100.2", user_agent=FIREFOX_MAC)
    actions = [e.action for e in audit.query(user_id="frank")]
    assert actions[0] == "session.create"
    assert any(a in ("session.step_up", "session.terminate") for a in actions[1:])
    assert token not in str([e.to_dict() for e in audit.query()])
    audit.close()


def test_configuration_errors(pool):
    with pytest.raises(magnetar.InvalidKey, match="fingerprint_key"):
        magnetar.SessionRegistry(pool)
    with pytest.raises(magnetar.InvalidKey, match="32"):
        magnetar.SessionRegistry(pool, fingerprint_key=b"short")
    with pytest.raises(magnetar.InvalidConfig):
        magnetar.SessionRegistry(pool, fingerprint_key=FP_KEY, max_sessions=0)
    registry = magnetar.SessionRegistry(pool, fingerprint_key=FP_KEY)
    with pytest.raises(magnetar.InvalidInput, match="IP|ip"):
        registry.create("x", ip="not-an-ip", user_agent=CHROME)


def test_score_function():
    prev = {"ip": "203.0.113.7", "user_agent": CHROME}
    assert magnetar.score(prev, prev).decision == "allow"
    a = magnetar.score(prev, {"ip": "198.51.100.2", "user_agent": FIREFOX_MAC})
    assert a.score == pytest.approx(0.8) and a.decision == "step_up"
    assert [r.signal for r in a.reasons] == ["ip_change", "user_agent_change"]
    assert a.session is None
    with pytest.raises(magnetar.InvalidInput, match="ip"):
        magnetar.score({}, prev)


def test_a_revocation_a_trigger_ignores_is_an_error(db_path, pool):
    # Someone who can write the file makes revocations silently do nothing.
    import sqlite3

    registry = magnetar.SessionRegistry(pool, fingerprint_key=FP_KEY)
    token, _ = registry.create("erin", ip="203.0.113.7", user_agent=CHROME)
    attacker = sqlite3.connect(db_path)
    attacker.executescript(
        "CREATE TRIGGER keep BEFORE UPDATE OF revoked_at ON magnetar_session "
        "BEGIN SELECT RAISE(IGNORE); END;"
    )
    attacker.close()
    # An error, or a revocation that really happened: never a logout that left the
    # session usable.
    for revoke in (lambda: registry.revoke(token), lambda: registry.revoke_all("erin", "password_changed")):
        try:
            revoke()
        except magnetar.TamperDetected:
            continue
        else:
            with pytest.raises(magnetar.SessionRevoked):
                registry.validate(token, ip="203.0.113.7", user_agent=CHROME)


def test_parse_user_agent():
    ua = ("Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 "
          "(KHTML, like Gecko) Chrome/120.0.6099.71 Safari/537.36")
    info = magnetar.parse_user_agent(ua)
    assert info["family"] == "Chrome" and info["version"].startswith("120")
    assert info["kind"] == "browser"
    assert magnetar.parse_user_agent("")["kind"] == "unknown"
