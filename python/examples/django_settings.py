"""The Magnetar part of a Django ``settings.py``."""

from magnetar.contrib.django import PASSWORD_HASHERS as MAGNETAR_PASSWORD_HASHERS

# New hashes: Argon2id through Magnetar; every older Django hash still verifies and is
# replaced at the user's next login.
PASSWORD_HASHERS = MAGNETAR_PASSWORD_HASHERS

# Keyword arguments of magnetar.PasswordHasher (OWASP defaults when unset).
MAGNETAR_PASSWORD_HASHER: dict[str, object] = {"memory_kib": 19456, "iterations": 2}

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "magnetar.contrib.django.middleware.SessionRiskMiddleware",
]

MAGNETAR_SESSION_RISK: dict[str, object] = {
    # A magnetar.SessionRegistry; made with audit=, it records every session outcome.
    "REGISTRY": "myproject.security.registry",
    "COOKIE_NAME": "session",
    "ON_STEP_UP": "myproject.security.require_totp",
}

LOGGING = {
    "version": 1,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    # Pool leak warnings, checkpoint errors, breach-API breaker trips, key rotation.
    "loggers": {"magnetar": {"handlers": ["console"], "level": "INFO"}},
}
