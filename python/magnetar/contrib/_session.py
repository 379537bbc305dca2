"""What the Django and Starlette session-risk middlewares share: finding the token,
building the request context, and turning what core returned into an outcome.

Scoring, revocation on terminate, which tokens are refused and every audit record
(allowed requests, refused tokens, monitor / step-up / terminate decisions) happen in
core (``SessionRegistry.validate_request``, through the registry's audit log); the
middlewares only translate between HTTP and that call.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Optional, TypedDict, Union

import magnetar

#: Headers fingerprinted by default, besides the IP and User-Agent (which core scores on
#: their own). Pass the same list to ``request_context`` at login.
DEFAULT_FINGERPRINT_HEADERS = ("accept-language", "accept-encoding")


class RequestContext(TypedDict):
    """Keyword arguments of ``SessionRegistry.create``, ``validate`` and
    ``validate_request``."""

    ip: str
    user_agent: str
    headers: dict[str, str]


class Outcome(enum.Enum):
    """What the middleware does with a request."""

    #: No token: the request goes on unauthenticated (the application decides).
    ANONYMOUS = "anonymous"
    #: Scored allow or monitor: the request goes on with the assessment attached.
    ALLOW = "allow"
    #: Scored step-up: the step-up hook decides.
    STEP_UP = "step_up"
    #: Scored terminate (core revoked the session) or the token was refused: 401 and
    #: the cookie cleared.
    REJECT = "reject"


@dataclass(frozen=True)
class Settings:
    """Where the token is read from and what is fingerprinted."""

    #: Cookie holding the session token (``None``: do not read a cookie).
    cookie_name: Optional[str] = "session"
    #: Header holding the token (``None``: do not read a header). For
    #: ``Authorization``, a ``Bearer`` prefix is removed.
    header_name: Optional[str] = None
    #: Request headers fingerprinted besides the IP and User-Agent.
    fingerprint_headers: tuple[str, ...] = DEFAULT_FINGERPRINT_HEADERS
    #: Have core record allowed requests in the registry's audit log too (one event per
    #: request).
    audit_allow: bool = True

    def token(self, cookies: Mapping[str, str], headers: Mapping[str, str]) -> Optional[str]:
        """The session token of a request, from the cookie first, then the header.
        ``headers`` has lowercase names."""
        if self.cookie_name and cookies.get(self.cookie_name):
            return cookies[self.cookie_name]
        if self.header_name:
            value = headers.get(self.header_name.lower(), "").strip()
            if self.header_name.lower() == "authorization":
                scheme, _, credentials = value.partition(" ")
                value = credentials.strip() if scheme.lower() == "bearer" else ""
            return value or None
        return None

    def context(self, ip: str, headers: Mapping[str, str]) -> RequestContext:
        """Keyword arguments for ``SessionRegistry.create``/``validate`` from a request's
        client IP and (lowercase-named) headers."""
        return {
            "ip": ip,
            "user_agent": headers.get("user-agent", ""),
            "headers": {name: headers[name] for name in self.fingerprint_headers if name in headers},
        }


@dataclass(frozen=True)
class Decision:
    """What a middleware does with a request that carried a token."""

    outcome: Outcome
    #: The assessment to attach to the request (``None`` for a refused token).
    assessment: Optional[magnetar.Assessment]


def decide(result: Union[magnetar.Assessment, magnetar.MagnetarError]) -> Decision:
    """The decision for a request from what ``SessionRegistry.validate_request``
    returned: an assessment, or the error of a refused token (core has recorded it)."""
    if isinstance(result, magnetar.MagnetarError):
        return Decision(Outcome.REJECT, None)
    if result.decision == "terminate":
        return Decision(Outcome.REJECT, result)
    if result.decision == "step_up":
        return Decision(Outcome.STEP_UP, result)
    return Decision(Outcome.ALLOW, result)
