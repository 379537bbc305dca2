"""Session-risk middleware for Django.

In ``settings.py``::

    MIDDLEWARE = [..., "magnetar.contrib.django.middleware.SessionRiskMiddleware"]
    MAGNETAR_SESSION_RISK = {
        "REGISTRY": "myproject.security.registry",   # a SessionRegistry (with audit= for
                                                     # records), or its dotted path
        "COOKIE_NAME": "session",                    # None: no cookie
        "HEADER_NAME": None,                         # e.g. "Authorization" (Bearer)
        "FINGERPRINT_HEADERS": ("accept-language", "accept-encoding"),
        "ON_STEP_UP": "myproject.security.step_up",  # optional (request, assessment) -> response or None
        "AUDIT_ALLOW": True,
    }

For every request carrying a session token (cookie first, then header) the middleware
validates and scores it with ``SessionRegistry.validate_request`` and then:

- *allow* / *monitor*: calls the view, with the :class:`magnetar.Assessment` in
  ``request.magnetar_assessment``;
- *step_up*: calls ``ON_STEP_UP(request, assessment)``; a response it returns is sent
  instead of calling the view, ``None`` lets the request through. Without a hook the
  answer is 401 ``{"error": "step_up_required"}``;
- *terminate* (core has revoked the session), or a token that names no live session:
  401 ``{"error": "invalid_session"}`` and the cookie deleted.

A request whose client address or headers Magnetar cannot read (no ``REMOTE_ADDR``, an
over-long header) is answered like a refused token. Requests without a token go through
with ``request.magnetar_assessment = None``. When the registry has an audit log, core
records refused tokens, monitor, step-up and terminate decisions and allowed requests
(unless ``AUDIT_ALLOW`` is false). Create sessions at login with
``registry.create(user_id, **request_context(request))``.
"""

from __future__ import annotations

from typing import Any, Callable, Optional, Union

from django import conf as django_conf  # type: ignore[import-untyped]
from django.http import HttpRequest, HttpResponse, JsonResponse  # type: ignore[import-untyped]
from django.utils.module_loading import import_string  # type: ignore[import-untyped]

import magnetar
from magnetar.contrib._session import DEFAULT_FINGERPRINT_HEADERS, Outcome, RequestContext, Settings, decide

__all__ = ["SessionRiskMiddleware", "request_context"]

StepUpHook = Callable[[HttpRequest, magnetar.Assessment], Optional[HttpResponse]]


def _lowercase_headers(request: HttpRequest) -> dict[str, str]:
    return {name.lower(): value for name, value in request.headers.items()}


def request_context(
    request: HttpRequest, fingerprint_headers: tuple[str, ...] = DEFAULT_FINGERPRINT_HEADERS
) -> RequestContext:
    """``ip``, ``user_agent`` and ``headers`` of a request, as
    ``SessionRegistry.create`` takes them."""
    settings_ = Settings(fingerprint_headers=fingerprint_headers)
    return settings_.context(request.META.get("REMOTE_ADDR", ""), _lowercase_headers(request))


def _resolve(value: Any) -> Any:
    """A setting given as an object or as the dotted path of one."""
    return import_string(value) if isinstance(value, str) else value


class SessionRiskMiddleware:
    """Validates and scores the session token of every request (see the module)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response
        conf = getattr(django_conf.settings, "MAGNETAR_SESSION_RISK", {})
        if "REGISTRY" not in conf:
            raise magnetar.InvalidConfig(
                "SessionRiskMiddleware needs settings.MAGNETAR_SESSION_RISK['REGISTRY'] "
                "(a magnetar.SessionRegistry or its dotted path)"
            )
        if "AUDIT" in conf:
            # The middleware used to record allowed requests and refused tokens in its own
            # log; core now records them in the registry's, so this setting would be ignored.
            raise magnetar.InvalidConfig(
                "MAGNETAR_SESSION_RISK['AUDIT'] is no longer used: pass the AuditLog to the "
                "SessionRegistry (audit=...), which records every session outcome"
            )
        self.registry: magnetar.SessionRegistry = _resolve(conf["REGISTRY"])
        self.on_step_up: Optional[StepUpHook] = _resolve(conf.get("ON_STEP_UP"))
        self.settings = Settings(
            conf.get("COOKIE_NAME", "session"),
            conf.get("HEADER_NAME"),
            tuple(conf.get("FINGERPRINT_HEADERS", DEFAULT_FINGERPRINT_HEADERS)),
            bool(conf.get("AUDIT_ALLOW", True)),
        )

    def __call__(self, request: HttpRequest) -> HttpResponse:
        headers = _lowercase_headers(request)
        token = self.settings.token(request.COOKIES, headers)
        request.magnetar_assessment = None
        if token is None:
            return self.get_response(request)
        response = self._decide(request, token, headers)
        return self.get_response(request) if response is None else response

    def _decide(self, request: HttpRequest, token: str, headers: dict[str, str]) -> Optional[HttpResponse]:
        """The response to send instead of calling the view, or ``None``."""
        context = self.settings.context(request.META.get("REMOTE_ADDR", ""), headers)
        result: Union[magnetar.Assessment, magnetar.MagnetarError]
        try:
            result = self.registry.validate_request(token, audit_allow=self.settings.audit_allow, **context)
        except magnetar.InvalidInput as error:  # the request's IP or headers, unreadable
            result = error
        decision = decide(result)
        request.magnetar_assessment = decision.assessment
        if decision.outcome is Outcome.ALLOW:
            return None
        if decision.outcome is Outcome.STEP_UP and decision.assessment is not None:
            if self.on_step_up is None:
                return JsonResponse({"error": "step_up_required"}, status=401)
            return self.on_step_up(request, decision.assessment)
        return self._reject()

    def _reject(self) -> HttpResponse:
        response = JsonResponse({"error": "invalid_session"}, status=401)
        if self.settings.cookie_name:
            response.delete_cookie(self.settings.cookie_name)
        return response
