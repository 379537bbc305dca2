"""Integrations of Magnetar with web frameworks.

- :mod:`magnetar.contrib.django`: password hashers for ``PASSWORD_HASHERS`` and the
  session-risk middleware.
- :mod:`magnetar.contrib.starlette`: the session-risk middleware for Starlette and
  FastAPI.

Each imports its framework only when used; the ``magnetar`` wheel depends on none.
"""
