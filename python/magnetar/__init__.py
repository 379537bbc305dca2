"""Magnetar: an embedded security core for Python services.

- :class:`Pool` / :func:`get_pool`: a SQLite connection pool (one writer, N readers,
  WAL) with ``with pool.read() as conn:`` and ``with pool.write() as conn:`` blocks.
- :class:`PasswordHasher`: Argon2id hashing, verification of legacy hashes (bcrypt,
  PBKDF2, scrypt, crypt, digests), upgrade on login, offline wrapping.
- :class:`AuditLog`: an encrypted (AES-256-GCM), searchable, tamper-evident audit log.
- :class:`BreachChecker` / :func:`build_breach_index`: HaveIBeenPwned k-anonymity
  checks, online or from a local index.
- :class:`SessionRegistry` / :func:`score`: session risk scoring and limits.
- Exceptions: :class:`MagnetarError` and one subclass per error kind.

Everything is implemented in Rust (``magnetar._native``); the GIL is released around
every call that waits or burns CPU, and every object is safe to share between threads.
"""

from magnetar._native import (
    Assessment,
    BreachChecker,
    BreachResult,
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
    PasswordHasher,
    Pool,
    PoolClosed,
    PoolError,
    PoolTimeout,
    ReadOnlyDatabase,
    RiskReason,
    SchemaTooNew,
    Session,
    SessionError,
    SessionExpired,
    SessionLimit,
    SessionNotFound,
    SessionRegistry,
    SessionRevoked,
    StorageError,
    TamperDetected,
    TransportError,
    WrongKey,
    __version__,
    build_breach_index,
    get_pool,
    score,
)

__all__ = [
    "Assessment",
    "BreachChecker",
    "BreachResult",
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
    "PasswordHasher",
    "Pool",
    "PoolClosed",
    "PoolError",
    "PoolTimeout",
    "ReadOnlyDatabase",
    "RiskReason",
    "SchemaTooNew",
    "Session",
    "SessionError",
    "SessionExpired",
    "SessionLimit",
    "SessionNotFound",
    "SessionRegistry",
    "SessionRevoked",
    "StorageError",
    "TamperDetected",
    "TransportError",
    "WrongKey",
    "__version__",
    "build_breach_index",
    "get_pool",
    "score",
]
