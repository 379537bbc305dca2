"""Magnetar: an embedded security core for Python services.

- :class:`Pool` / :func:`get_pool`: a SQLite connection pool (one writer, N readers,
  WAL) with ``with pool.read() as conn:`` and ``with pool.write() as conn:`` blocks.
- Exceptions: :class:`MagnetarError` and one subclass per error kind.

Everything is implemented in Rust (``magnetar._native``); the GIL is released around
every call that waits or burns CPU, and every object is safe to share between threads.
"""

from magnetar._native import (
    Connection,
    Cursor,
    DatabaseCorrupt,
    DatabaseError,
    InternalError,
    InvalidConfig,
    InvalidHash,
    InvalidIndex,
    InvalidInput,
    InvalidKey,
    MagnetarError,
    NotADatabase,
    Pool,
    PoolClosed,
    PoolError,
    PoolTimeout,
    ReadOnlyDatabase,
    SchemaTooNew,
    SessionError,
    SessionExpired,
    SessionLimit,
    SessionNotFound,
    SessionRevoked,
    StorageError,
    TamperDetected,
    TransportError,
    WrongKey,
    __version__,
    get_pool,
)

__all__ = [
    "Connection",
    "Cursor",
    "DatabaseCorrupt",
    "DatabaseError",
    "InternalError",
    "InvalidConfig",
    "InvalidHash",
    "InvalidIndex",
    "InvalidInput",
    "InvalidKey",
    "MagnetarError",
    "NotADatabase",
    "Pool",
    "PoolClosed",
    "PoolError",
    "PoolTimeout",
    "ReadOnlyDatabase",
    "SchemaTooNew",
    "SessionError",
    "SessionExpired",
    "SessionLimit",
    "SessionNotFound",
    "SessionRevoked",
    "StorageError",
    "TamperDetected",
    "TransportError",
    "WrongKey",
    "__version__",
    "get_pool",
]
