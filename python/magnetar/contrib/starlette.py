"""Session-risk middleware for Starlette and FastAPI.

::

    app = FastAPI()
    app.add_middleware(
        SessionRiskMiddleware,
        registry=registry,            # a magnetar.SessionRegistry, with audit= for records
        cookie_name="session",        # and/or header_name="Authorization"
        on_step_up=require_totp,      # optional, see below
    )

For every HTTP request carrying a session token (cookie first, then header), the
middleware validates and scores it with ``registry.validate_request_async`` (the event
loop never blocks), then:

- *allow* / *monitor*: calls the application, with the :class:`magnetar.Assessment` in
  ``request.state.magnetar_assessment``;
- *step_up*: calls ``on_step_up(request, assessment)`` (sync or async). A response it
  returns is sent instead of calling the application; ``None`` lets the request through
  (with the assessment in ``request.state``, for the application to ask for a second
  factor). Without a hook the answer is 401 ``{"error": "step_up_required"}``;
- *terminate* (core has revoked the session), or a token that names no live session:
  401 ``{"error": "invalid_session"}`` and the cookie cleared.

A request whose client address or headers Magnetar cannot read (no client IP, an
over-long header) is answered like a refused token. Requests without a token go through
with ``request.state.magnetar_assessment = None``. When the registry has an audit log,
core records refused tokens, monitor, step-up and terminate decisions and allowed
requests (``audit_allow=False`` turns that last one off).
Create sessions at login with ``registry.create_async(user_id, **request_context(request))``
so the baseline holds the same fingerprinted headers.
"""

from __future__ import annotations

import inspect
from collections.abc import Awaitable
from typing import Callable, Optional, Union

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.types import ASGIApp, Receive, Scope, Send

import magnetar
from magnetar.contrib._session import DEFAULT_FINGERPRINT_HEADERS, Outcome, RequestContext, Settings, decide

__all__ = ["SessionRiskMiddleware", "StepUpHook", "request_context"]

StepUpHook = Callable[
    [Request, magnetar.Assessment],
    Union[Optional[Response], Awaitable[Optional[Response]]],
]

_STATE = "magnetar_assessment"


def request_context(
    request: Request, fingerprint_headers: tuple[str, ...] = DEFAULT_FINGERPRINT_HEADERS
) -> RequestContext:
    """``ip``, ``user_agent`` and ``headers`` of a request, as
    ``SessionRegistry.create`` takes them."""
    settings = Settings(fingerprint_headers=fingerprint_headers)
    return settings.context(request.client.host if request.client else "", request.headers)


class SessionRiskMiddleware:
    """ASGI middleware: validates and scores the session token of every HTTP request."""

    def __init__(
        self,
        app: ASGIApp,
        *,
        registry: magnetar.SessionRegistry,
        cookie_name: Optional[str] = "session",
        header_name: Optional[str] = None,
        fingerprint_headers: tuple[str, ...] = DEFAULT_FINGERPRINT_HEADERS,
        on_step_up: Optional[StepUpHook] = None,
        audit_allow: bool = True,
    ) -> None:
        self.app = app
        self.registry = registry
        self.on_step_up = on_step_up
        self.settings = Settings(cookie_name, header_name, fingerprint_headers, audit_allow)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        request = Request(scope, receive)
        token = self.settings.token(request.cookies, request.headers)
        if token is None:
            scope.setdefault("state", {})[_STATE] = None
            await self.app(scope, receive, send)
            return
        response = await self._decide(request, token)
        if response is None:
            await self.app(scope, receive, send)
        else:
            await response(scope, receive, send)

    async def _decide(self, request: Request, token: str) -> Optional[Response]:
        """The response to send instead of calling the application, or ``None``."""
        context = self.settings.context(request.client.host if request.client else "", request.headers)
        result: Union[magnetar.Assessment, magnetar.MagnetarError]
        try:
            result = await self.registry.validate_request_async(
                token, audit_allow=self.settings.audit_allow, **context
            )
        except magnetar.InvalidInput as error:  # the request's IP or headers, unreadable
            result = error
        decision = decide(result)
        request.scope.setdefault("state", {})[_STATE] = decision.assessment
        if decision.outcome is Outcome.ALLOW:
            return None
        if decision.outcome is Outcome.STEP_UP and decision.assessment is not None:
            if self.on_step_up is None:
                return JSONResponse({"error": "step_up_required"}, status_code=401)
            answer = self.on_step_up(request, decision.assessment)
            return await answer if inspect.isawaitable(answer) else answer
        return self._reject()

    def _reject(self) -> Response:
        response = JSONResponse({"error": "invalid_session"}, status_code=401)
        if self.settings.cookie_name:
            response.delete_cookie(self.settings.cookie_name)
        return response
