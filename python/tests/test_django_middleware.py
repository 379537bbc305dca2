"""magnetar.contrib.django.middleware.SessionRiskMiddleware with Django's test client:
a login through django.contrib.auth opens a Magnetar session, later requests are
scored, and every outcome is audited."""

import pytest

from django_project import SESSION_REGISTRY, configure, django_db  # noqa: F401  (a fixture)

configure()

from django.http import HttpResponse  # noqa: E402
from django.test import Client, override_settings  # noqa: E402

import magnetar  # noqa: E402

KEY = bytes(range(32))
FP_KEY = bytes(range(32, 64))
CHROME = "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.0.0 Safari/537.36"
FIREFOX = "Mozilla/5.0 (Macintosh; Intel Mac OS X 14.1; rv:121.0) Gecko/20100101 Firefox/121.0"
HOME = {"REMOTE_ADDR": "203.0.113.7", "HTTP_USER_AGENT": CHROME, "HTTP_ACCEPT_LANGUAGE": "en"}
MIDDLEWARE = [
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "magnetar.contrib.django.middleware.SessionRiskMiddleware",
]
STEP_UP_CALLS = []


def step_up_hook(request, assessment):
    STEP_UP_CALLS.append(assessment.decision)
    return HttpResponse("second factor required", status=403)


@pytest.fixture
def env(django_db, pool):
    from django.contrib.auth.models import User

    audit = magnetar.AuditLog(pool, key=KEY)
    registry = magnetar.SessionRegistry(pool, fingerprint_key=FP_KEY, audit=audit)
    SESSION_REGISTRY["registry"] = registry
    User.objects.filter(username="carol").delete()
    User.objects.create_user("carol", password="correct horse battery")
    STEP_UP_CALLS.clear()
    conf = {"REGISTRY": registry}
    yield registry, audit, conf
    audit.close()


def log_in(client):
    response = client.post("/login/", {"username": "carol", "password": "correct horse battery"}, **HOME)
    assert response.status_code == 200, response.content
    return response.json()["token"]


def actions(audit):
    return [(e.action, e.status) for e in audit.query(limit=1000)]


def test_same_client_is_allowed_and_audited(env):
    registry, audit, conf = env
    with override_settings(MIDDLEWARE=MIDDLEWARE, MAGNETAR_SESSION_RISK=conf):
        client = Client()
        log_in(client)
        response = client.get("/whoami/", **HOME)
    assert response.json() == {"user": "carol", "decision": "allow"}
    assert ("session.allow", "allow") in actions(audit)


def test_no_token_goes_through_anonymously(env):
    _, audit, conf = env
    with override_settings(MIDDLEWARE=MIDDLEWARE, MAGNETAR_SESSION_RISK=conf):
        response = Client().get("/whoami/", **HOME)
    assert response.json() == {"session": None}


def test_terminate_answers_401_clears_the_cookie_and_revokes(env):
    registry, audit, conf = env
    with override_settings(MIDDLEWARE=MIDDLEWARE, MAGNETAR_SESSION_RISK=conf):
        client = Client()
        token = log_in(client)
        stolen = {"REMOTE_ADDR": "198.51.100.9", "HTTP_USER_AGENT": FIREFOX, "HTTP_ACCEPT_LANGUAGE": "ru"}
        response = client.get("/whoami/", **stolen)
        assert response.status_code == 401
        assert response.json() == {"error": "invalid_session"}
        cookie = response.cookies["session"]
        assert cookie.value == "" and cookie["max-age"] == 0
        # The session is revoked: even the original client is refused now.
        client.cookies["session"] = token
        assert client.get("/whoami/", **HOME).status_code == 401
    with pytest.raises(magnetar.SessionRevoked):
        registry.validate(token, ip="203.0.113.7", user_agent=CHROME, headers={"accept-language": "en"})
    recorded = actions(audit)
    assert ("session.terminate", "terminate") in recorded
    assert ("session.refused", "session_revoked") in recorded


def test_step_up_without_a_hook_is_401(env):
    _, audit, conf = env
    with override_settings(MIDDLEWARE=MIDDLEWARE, MAGNETAR_SESSION_RISK=conf):
        client = Client()
        log_in(client)
        # IP and browser change, same language: 0.3 + 0.5 = step-up band.
        response = client.get("/whoami/", REMOTE_ADDR="198.51.100.9", HTTP_USER_AGENT=FIREFOX, HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 401
    assert response.json() == {"error": "step_up_required"}
    assert "session" not in response.cookies  # not cleared: the session lives on
    assert ("session.step_up", "step_up") in actions(audit)


def test_step_up_calls_the_hook(env):
    _, _, conf = env
    with override_settings(MIDDLEWARE=MIDDLEWARE,
                           MAGNETAR_SESSION_RISK={**conf, "ON_STEP_UP": "test_django_middleware.step_up_hook"}):
        client = Client()
        log_in(client)
        response = client.get("/whoami/", REMOTE_ADDR="198.51.100.9", HTTP_USER_AGENT=FIREFOX, HTTP_ACCEPT_LANGUAGE="en")
    assert (response.status_code, response.content) == (403, b"second factor required")
    assert STEP_UP_CALLS == ["step_up"]


def test_token_from_authorization_header(env):
    registry, audit, conf = env
    token, _ = registry.create("carol", ip="203.0.113.7", user_agent=CHROME, headers={"accept-language": "en"})
    with override_settings(MIDDLEWARE=MIDDLEWARE,
                           MAGNETAR_SESSION_RISK={**conf, "COOKIE_NAME": None, "HEADER_NAME": "Authorization"}):
        client = Client()
        ok = client.get("/whoami/", HTTP_AUTHORIZATION=f"Bearer {token}", **HOME)
        bad = client.get("/whoami/", HTTP_AUTHORIZATION="Bearer not-a-token", **HOME)
    assert ok.json() == {"user": "carol", "decision": "allow"}
    assert bad.status_code == 401
    assert ("session.refused", "invalid_input") in actions(audit)
    assert all(token not in str(e.to_dict()) for e in audit.query(limit=1000))


def test_the_old_audit_setting_is_a_clear_error(env):
    _, audit, conf = env
    with override_settings(MIDDLEWARE=MIDDLEWARE, MAGNETAR_SESSION_RISK={**conf, "AUDIT": audit}):
        with pytest.raises(magnetar.InvalidConfig, match="audit="):
            Client().get("/whoami/")


def test_missing_registry_setting_is_a_clear_error(env):
    with override_settings(MIDDLEWARE=MIDDLEWARE, MAGNETAR_SESSION_RISK={}):
        with pytest.raises(magnetar.InvalidConfig, match="REGISTRY"):
            Client().get("/whoami/")
