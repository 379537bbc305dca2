"""magnetar.contrib.starlette.SessionRiskMiddleware in a FastAPI app, with FastAPI's
TestClient."""

import pytest
from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse, PlainTextResponse
from fastapi.testclient import TestClient

import magnetar
from magnetar.contrib.starlette import SessionRiskMiddleware, request_context

KEY = bytes(range(32))
FP_KEY = bytes(range(32, 64))
CHROME = "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.0.0 Safari/537.36"
FIREFOX = "Mozilla/5.0 (Macintosh; Intel Mac OS X 14.1; rv:121.0) Gecko/20100101 Firefox/121.0"
HOME_IP = ("203.0.113.7", 50000)
HOME = {"user-agent": CHROME, "accept-language": "en"}


def make_app(registry, **options):
    app = FastAPI()
    app.add_middleware(SessionRiskMiddleware, registry=registry, **options)

    @app.post("/login")
    async def login(request: Request):
        token, _ = await registry.create_async("dave", **request_context(request))
        response = JSONResponse({"token": token})
        response.set_cookie("session", token, httponly=True)
        return response

    @app.get("/whoami")
    async def whoami(request: Request):
        assessment = request.state.magnetar_assessment
        if assessment is None:
            return {"session": None}
        return {"user": assessment.session.user_id, "decision": assessment.decision}

    return app


@pytest.fixture
def env(pool):
    audit = magnetar.AuditLog(pool, key=KEY)
    registry = magnetar.SessionRegistry(pool, fingerprint_key=FP_KEY, audit=audit)
    yield registry, audit
    audit.close()


def actions(audit):
    return [(e.action, e.status) for e in audit.query(limit=1000)]


def test_allow_and_anonymous(env):
    registry, audit = env
    client = TestClient(make_app(registry), client=HOME_IP)
    assert client.get("/whoami", headers=HOME).json() == {"session": None}
    token = client.post("/login", headers=HOME).json()["token"]
    assert client.cookies.get("session") == token
    assert client.get("/whoami", headers=HOME).json() == {"user": "dave", "decision": "allow"}
    assert ("session.allow", "allow") in actions(audit)


def test_terminate_is_401_and_clears_the_cookie(env):
    registry, audit = env
    client = TestClient(make_app(registry), client=HOME_IP)
    token = client.post("/login", headers=HOME).json()["token"]
    thief = TestClient(make_app(registry), client=("198.51.100.9", 40000), cookies={"session": token})
    response = thief.get("/whoami", headers={"user-agent": FIREFOX, "accept-language": "ru"})
    assert response.status_code == 401
    assert response.json() == {"error": "invalid_session"}
    assert 'session=""' in response.headers["set-cookie"] and "Max-Age=0" in response.headers["set-cookie"]
    assert client.get("/whoami", headers=HOME).status_code == 401  # revoked for everyone
    recorded = actions(audit)
    assert ("session.terminate", "terminate") in recorded
    assert ("session.refused", "session_revoked") in recorded


def test_step_up_default_and_hooks(env):
    registry, audit = env
    seen = []

    async def async_hook(request, assessment):
        seen.append(("async", assessment.decision))
        return PlainTextResponse("second factor required", status_code=403)

    def let_through(request, assessment):
        seen.append(("sync", assessment.decision))
        return None

    moved = {"user-agent": FIREFOX, "accept-language": "en"}  # IP + browser: step-up band
    for hook, expected in [(None, 401), (async_hook, 403), (let_through, 200)]:
        login = TestClient(make_app(registry), client=HOME_IP)
        token = login.post("/login", headers=HOME).json()["token"]
        options = {} if hook is None else {"on_step_up": hook}
        client = TestClient(make_app(registry, **options), client=("198.51.100.9", 40000),
                            cookies={"session": token})
        response = client.get("/whoami", headers=moved)
        assert response.status_code == expected, response.text
        if expected == 401:
            assert response.json() == {"error": "step_up_required"}
        if expected == 200:
            assert response.json() == {"user": "dave", "decision": "step_up"}
    assert seen == [("async", "step_up"), ("sync", "step_up")]
    assert actions(audit).count(("session.step_up", "step_up")) == 3


def test_bearer_header_and_refused_tokens_are_audited(env):
    registry, audit = env
    token, _ = registry.create("dave", ip=HOME_IP[0], user_agent=CHROME, headers={"accept-language": "en"})
    client = TestClient(make_app(registry, cookie_name=None, header_name="Authorization"), client=HOME_IP)
    assert client.get("/whoami", headers={**HOME, "authorization": f"Bearer {token}"}).json()["decision"] == "allow"
    assert client.get("/whoami", headers={**HOME, "authorization": "Bearer " + "A" * 43}).status_code == 401
    assert client.get("/whoami", headers={**HOME, "authorization": f"Basic {token}"}).json() == {"session": None}
    recorded = actions(audit)
    assert ("session.refused", "session_not_found") in recorded
    assert all(token not in str(e.to_dict()) for e in audit.query(limit=1000))


def test_audit_allow_can_be_turned_off(env):
    registry, audit = env
    client = TestClient(make_app(registry, audit_allow=False), client=HOME_IP)
    client.post("/login", headers=HOME)
    client.get("/whoami", headers=HOME)
    assert ("session.allow", "allow") not in actions(audit)


def test_records_are_what_the_middleware_wrote_before_core_did(env):
    registry, audit = env
    client = TestClient(make_app(registry), client=HOME_IP)
    token = client.post("/login", headers=HOME).json()["token"]
    session_id = registry.validate(token, ip=HOME_IP[0], user_agent=CHROME, headers={"accept-language": "en"}).session.id
    client.get("/whoami", headers=HOME)
    TestClient(make_app(registry), client=HOME_IP, cookies={"session": "A" * 43}).get("/whoami", headers=HOME)
    records = {e.action: e.to_dict() for e in audit.query(limit=1000)}
    allow, refused = records["session.allow"], records["session.refused"]
    assert (allow["user_id"], allow["resource_type"], allow["resource_id"]) == ("dave", "session", session_id)
    assert (allow["status"], allow["ip"], allow["user_agent"]) == ("allow", HOME_IP[0], CHROME)
    assert allow["details"] == {"score": 0.0}
    assert (refused["user_id"], refused["resource_type"], refused["resource_id"]) == (None, "session", None)
    assert (refused["status"], refused["ip"], refused["user_agent"]) == ("session_not_found", HOME_IP[0], CHROME)
    assert refused["details"] is None


def test_an_unreadable_client_address_is_refused_not_a_server_error(env):
    registry, _ = env
    token, _ = registry.create("dave", ip=HOME_IP[0], user_agent=CHROME)
    # TestClient's default client host is "testclient", which is no IP address.
    client = TestClient(make_app(registry), cookies={"session": token})
    response = client.get("/whoami", headers=HOME)
    assert response.status_code == 401
    assert response.json() == {"error": "invalid_session"}
