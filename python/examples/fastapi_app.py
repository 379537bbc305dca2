"""A FastAPI application guarded by Magnetar's session-risk middleware.

Run with ``uvicorn fastapi_app:app``; keys come from the environment (there are no
built-in keys): MAGNETAR_AUDIT_KEY (64 hex characters) and MAGNETAR_FINGERPRINT_KEY
(64 hex characters).
"""

import os
from typing import Optional

from fastapi import FastAPI, Request, Response
from fastapi.responses import JSONResponse

import magnetar
from magnetar.contrib.starlette import SessionRiskMiddleware, request_context

pool = magnetar.get_pool(os.environ.get("APP_DB", "app.db"))
audit = magnetar.AuditLog.from_env(pool)
registry = magnetar.SessionRegistry(
    pool, fingerprint_key=bytes.fromhex(os.environ["MAGNETAR_FINGERPRINT_KEY"]), audit=audit
)
hasher = magnetar.PasswordHasher()


async def require_second_factor(request: Request, assessment: magnetar.Assessment) -> Optional[Response]:
    """Step-up hook: let the 2FA endpoint through, send everything else there."""
    if request.url.path == "/2fa":
        return None
    return JSONResponse({"error": "second factor required", "next": "/2fa"}, status_code=401)


app = FastAPI()
app.add_middleware(SessionRiskMiddleware, registry=registry, on_step_up=require_second_factor)


@app.post("/login")
async def login(request: Request, username: str, password: str) -> Response:
    rows = await pool.query_async("SELECT hash FROM users WHERE name = ?", (username,))
    stored = rows[0][0] if rows else None
    if not isinstance(stored, str) or not await hasher.verify_async(password, stored):
        return JSONResponse({"error": "bad credentials"}, status_code=403)
    token, session = await registry.create_async(username, **request_context(request))
    response = JSONResponse({"session": session.id})
    response.set_cookie("session", token, httponly=True, secure=True, samesite="lax")
    return response


@app.get("/me")
async def me(request: Request) -> dict[str, object]:
    assessment: Optional[magnetar.Assessment] = request.state.magnetar_assessment
    if assessment is None or assessment.session is None:
        return {"user": None}
    return {"user": assessment.session.user_id, "risk": assessment.score}
