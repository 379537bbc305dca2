"""Magnetar: an embedded security core for Python services.

- :class:`Pool` / :func:`get_pool`: a SQLite connection pool (one writer, N readers,
  WAL) with ``with pool.read() as conn:`` and ``with pool.write() as conn:`` blocks.
- :class:`PasswordHasher`: Argon2id hashing, verification of legacy hashes (bcrypt,
  PBKDF2, scrypt, crypt, digests), upgrade on login, offline wrapping.
- :class:`AuditLog`: an encrypted (AES-256-GCM), searchable, tamper-evident audit log.
- :class:`BreachChecker` / :func:`build_breach_index`: HaveIBeenPwned k-anonymity
  checks, online or from a local index.
- :class:`SessionRegistry` / :func:`score`: session risk scoring and limits, stored in
  a :class:`Pool` or, shared by many app servers, a :class:`PostgresStore`.
- Exceptions: :class:`MagnetarError` and one subclass per error kind.
- :mod:`magnetar.dbapi`: a PEP 249 (DB-API 2.0) interface over a pool.
- :mod:`magnetar.contrib`: Django password hashers and session-risk middleware for
  Django and Starlette/FastAPI.

Every call that can block has an awaitable ``_async`` variant for asyncio
(``verify_async``, ``record_async``, ``async with pool.write()``...). Rust log records
reach :mod:`logging` under ``magnetar.*`` loggers (:func:`flush_logs` waits for them).
Exceptions also derive from the built-in that fits (``InvalidInput`` is a
``ValueError``, ``PoolTimeout`` a ``TimeoutError``, ``ServerUnavailable`` a
``ConnectionError``...).

Everything is implemented in Rust (``magnetar._native``); the GIL is released around
every call that waits or burns CPU, and every object is safe to share between threads.
"""

from magnetar._native import (
    Assessment,
    AuditEvent,
    AuditHead,
    AuditLog,
    AuditProblem,
    BreachChecker,
    BreachResult,
    CheckpointSigner,
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
    PostgresStore,
    ReadOnlyDatabase,
    RiskReason,
    SchemaTooNew,
    ServerUnavailable,
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
    VerifyReport,
    WrongKey,
    __version__,
    build_breach_index,
    flush_logs,
    get_pool,
    parse_retry_after,
    parse_user_agent,
    score,
    verify_checkpoint,
    verify_sealed_export,
)

__all__ = [
    "Assessment",
    "AuditEvent",
    "AuditHead",
    "AuditLog",
    "AuditProblem",
    "BreachChecker",
    "BreachResult",
    "CheckpointSigner",
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
    "PostgresStore",
    "ReadOnlyDatabase",
    "RiskReason",
    "SchemaTooNew",
    "ServerUnavailable",
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
    "VerifyReport",
    "WrongKey",
    "__version__",
    "build_breach_index",
    "flush_logs",
    "get_pool",
    "parse_retry_after",
    "parse_user_agent",
    "score",
    "verify_checkpoint",
    "verify_sealed_export",
]
