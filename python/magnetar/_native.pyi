"""Type stubs for magnetar._native, the Rust extension under the magnetar package."""

import datetime
import os
from collections.abc import Awaitable, Callable, Coroutine, Iterable, Mapping, Sequence
from types import TracebackType
from typing import Any, ClassVar, Literal, Optional, Union, final

from typing_extensions import Self

__version__: str
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

_SqlValue = Union[None, int, float, str, bytes]
_BindValue = Union[None, int, float, str, bytes, bytearray, memoryview]
_Params = Union[Sequence[_BindValue], Mapping[str, _BindValue], None]
_Seconds = Union[int, float, datetime.timedelta]
_StrPath = Union[str, "os.PathLike[str]"]

# ---------------------------------------------------------------- errors

class MagnetarError(Exception):
    """Base class of every error raised by Magnetar. `kind` names the stable error kind."""

    kind: ClassVar[str]

class InvalidConfig(MagnetarError, ValueError):
    """A configuration value is missing or out of range."""

class InvalidInput(MagnetarError, ValueError):
    """An argument is malformed (bad SQL parameter, bad IP address, over-long password...)."""

class StorageError(MagnetarError, OSError):
    """The operating system refused a file operation (missing directory, permissions)."""

class DatabaseError(MagnetarError):
    """SQLite reported an error (syntax error, constraint violation, ...)."""

class DatabaseCorrupt(DatabaseError):
    """The database file is damaged (SQLITE_CORRUPT)."""

class NotADatabase(DatabaseError):
    """The file exists but is not an SQLite database (SQLITE_NOTADB)."""

class ReadOnlyDatabase(DatabaseError):
    """The database cannot be written: a write on a reader, or a read-only file."""

class SchemaTooNew(DatabaseError):
    """The database schema is newer than this version of Magnetar understands."""

class PoolError(MagnetarError):
    """Base class of connection-pool errors."""

class PoolTimeout(PoolError, TimeoutError):
    """No connection became free within `acquire_timeout`."""

class PoolClosed(PoolError):
    """The pool was closed."""

class ServerUnavailable(MagnetarError, ConnectionError):
    """The database server cannot be reached (refused, down, restarting, TLS or
    authentication failure); also a `ConnectionError`."""

class InvalidKey(MagnetarError, ValueError):
    """A key is missing, malformed or too weak."""

class WrongKey(MagnetarError):
    """The key does not match the one the data was written with."""

class TamperDetected(MagnetarError):
    """Stored data failed authentication or the audit chain is broken."""

class InvalidHash(MagnetarError, ValueError):
    """A stored password hash is malformed, unsupported or has absurd parameters."""

class TransportError(MagnetarError):
    """The breach-check transport failed (network, HTTP status, malformed body)."""

class InvalidIndex(MagnetarError):
    """An offline breach index file is corrupt, truncated or of an unknown version."""

class SessionError(MagnetarError):
    """Base class of session errors."""

class SessionNotFound(SessionError, LookupError):
    """No session has this token."""

class SessionExpired(SessionError):
    """The session passed its idle or absolute timeout."""

class SessionRevoked(SessionError):
    """The session was revoked."""

class SessionLimit(SessionError):
    """The per-user session limit is reached and the policy is to reject."""

class InternalError(MagnetarError, RuntimeError):
    """A bug or an environment failure (no OS randomness, a panic caught at a boundary)."""

# ---------------------------------------------------------------- pool

@final
class Cursor:
    """The rows and outcome of one statement, DB-API style."""

    arraysize: int
    def fetchone(self) -> Optional[tuple[_SqlValue, ...]]:
        """The next row as a tuple, or `None` when there are no more."""
    def fetchmany(self, size: Optional[int] = None) -> list[tuple[_SqlValue, ...]]:
        """Up to `size` more rows (default `arraysize`) as a list of tuples."""
    def fetchall(self) -> list[tuple[_SqlValue, ...]]:
        """All remaining rows as a list of tuples."""
    @property
    def rowcount(self) -> int:
        """Rows changed by an INSERT, UPDATE or DELETE; -1 for queries."""
    @property
    def lastrowid(self) -> Optional[int]:
        """The rowid of the last successful INSERT on the connection; `None` for queries."""
    @property
    def description(self) -> Optional[tuple[tuple[str, None, None, None, None, None, None], ...]]:
        """One 7-tuple per result column, or `None` for a statement without rows."""
    def close(self) -> None:
        """Drops the remaining rows."""
    def __iter__(self) -> Self: ...
    def __next__(self) -> tuple[_SqlValue, ...]: ...

@final
class Connection:
    """A connection checked out of a pool for the length of a `with` block."""

    def __enter__(self) -> Self: ...
    def __exit__(
        self,
        exc_type: Optional[type[BaseException]] = None,
        _exc: Optional[BaseException] = None,
        _tb: Optional[TracebackType] = None,
    ) -> bool: ...
    def __aenter__(self) -> Awaitable[Self]:
        """Checks the connection out (writer: begins the transaction) on the executor."""
    def __aexit__(
        self,
        exc_type: Optional[type[BaseException]],
        exc: Optional[BaseException],
        tb: Optional[TracebackType],
    ) -> Awaitable[bool]:
        """Commits, or after an exception rolls back, on the executor."""
    def execute(self, sql: str, params: _Params = None) -> Cursor:
        """Runs one SQL statement with `params` and returns a `Cursor` over its rows."""
    def execute_async(self, sql: str, params: _Params = None) -> Coroutine[Any, Any, Cursor]:
        """`execute` for asyncio: a coroutine run on the loop's default executor."""
    def executemany(self, sql: str, seq_of_params: Iterable[_Params]) -> Cursor:
        """Runs one statement once per parameter set; `rowcount` is the total changed."""
    def executemany_async(self, sql: str, seq_of_params: Iterable[_Params]) -> Coroutine[Any, Any, Cursor]:
        """`executemany` for asyncio: a coroutine run on the loop's default executor."""
    @property
    def role(self) -> Literal["reader", "writer"]:
        """The role of this connection: `"reader"` or `"writer"`."""


@final
class Pool:
    """A pool of SQLite connections to one database file: one writer, N readers, WAL."""

    def __new__(
        cls,
        path: _StrPath,
        *,
        max_readers: int = ...,
        min_idle: int = ...,
        acquire_timeout: _Seconds = ...,
        idle_timeout: Optional[_Seconds] = ...,
        max_lifetime: Optional[_Seconds] = ...,
        health_check_after: _Seconds = ...,
        health_check_sql: str = ...,
        leak_threshold: Optional[_Seconds] = ...,
        busy_timeout: _Seconds = ...,
        synchronous: Literal["normal", "full"] = ...,
    ) -> Pool: ...
    def read(self) -> Connection:
        """A context manager giving a reader inside one read transaction (snapshot)."""
    def write(self) -> Connection:
        """A context manager giving the writer inside a BEGIN IMMEDIATE transaction."""
    def query(self, sql: str, params: _Params = None) -> list[tuple[_SqlValue, ...]]:
        """Runs one read-only statement on a reader (its own snapshot); returns all rows."""
    def query_async(self, sql: str, params: _Params = None) -> Coroutine[Any, Any, list[tuple[_SqlValue, ...]]]:
        """`query` for asyncio: a coroutine run on the loop's default executor."""
    def execute(self, sql: str, params: _Params = None) -> Cursor:
        """Runs one statement on the writer in its own BEGIN IMMEDIATE transaction."""
    def executemany(self, sql: str, seq_of_params: Iterable[_Params]) -> int:
        """Runs one statement per parameter set in one write transaction; rows affected."""
    def migrate(self, steps: list[str]) -> tuple[int, int]:
        """Brings the schema in PRAGMA user_version up to date; (from, to) versions."""
    @property
    def config(self) -> dict[str, Any]:
        """The options this pool runs with (durations in seconds)."""
    def stats(self) -> dict[str, Any]:
        """A snapshot of the pool's gauges and counters; wait times in seconds."""
    def close(self, timeout: Optional[_Seconds] = None) -> None:
        """Closes the pool, waiting up to `timeout` for connections in use."""
    @property
    def path(self) -> str:
        """The database file this pool serves (absolute path)."""
    @property
    def closed(self) -> bool:
        """Whether `close()` was called."""
    def __enter__(self) -> Self: ...
    def __exit__(self, *_exc: object) -> bool: ...

def get_pool(
    path: _StrPath,
    *,
    max_readers: int = ...,
    min_idle: int = ...,
    acquire_timeout: _Seconds = ...,
    idle_timeout: Optional[_Seconds] = ...,
    max_lifetime: Optional[_Seconds] = ...,
    health_check_after: _Seconds = ...,
    health_check_sql: str = ...,
    leak_threshold: Optional[_Seconds] = ...,
    busy_timeout: _Seconds = ...,
    synchronous: Literal["normal", "full"] = ...,
) -> Pool:
    """The process-wide pool for the file at `path` (one pool per file)."""

# ---------------------------------------------------------------- passwords

@final
class PasswordHasher:
    """Hashes passwords with Argon2id and verifies every supported legacy format."""

    def __new__(
        cls,
        *,
        memory_kib: Optional[int] = None,
        iterations: Optional[int] = None,
        parallelism: Optional[int] = None,
        pepper: Optional[tuple[str, Union[str, bytes]]] = None,
        old_peppers: Optional[Iterable[tuple[str, Union[str, bytes]]]] = None,
        legacy_digests: Optional[Sequence[str]] = None,
        max_password_bytes: Optional[int] = None,
    ) -> PasswordHasher: ...
    def hash(self, password: Union[str, bytes]) -> str:
        """A new Argon2id PHC string for `password`."""
    def hash_async(self, password: Union[str, bytes]) -> Coroutine[Any, Any, str]:
        """`hash` for asyncio: a coroutine run on the loop's default executor."""
    def verify(self, password: Union[str, bytes], stored: str) -> bool:
        """Whether `password` matches `stored` (any supported format)."""
    def verify_async(self, password: Union[str, bytes], stored: str) -> Coroutine[Any, Any, bool]:
        """`verify` for asyncio: a coroutine run on the loop's default executor."""
    def verify_and_update(self, password: Union[str, bytes], stored: str) -> tuple[bool, Optional[str]]:
        """`(valid, new_hash_or_None)`: a new hash when the stored one should be replaced."""
    def verify_and_update_async(self, password: Union[str, bytes], stored: str) -> Coroutine[Any, Any, tuple[bool, Optional[str]]]:
        """`verify_and_update` for asyncio: a coroutine run on the loop's default executor."""
    def needs_rehash(self, stored: str) -> bool:
        """Whether `stored` should be replaced at the next successful login."""
    def identify(self, stored: str) -> str:
        """The stable name of the format of `stored`."""
    @property
    def policy(self) -> dict[str, Any]:
        """The policy this hasher runs with (pepper ids only, never the pepper)."""
    def upgrade_table(
        self,
        pool: Pool,
        table: str,
        hash_column: str,
        *,
        key_column: str = "rowid",
        batch_size: int = 1000,
    ) -> dict[str, Any]:
        """Wraps every legacy hash of a table column into Argon2id; resumable."""
    @staticmethod
    def django_sha1_digest(salt: str, password: str) -> str:
        """The hex SHA-1 of salt then password that Django's ``sha1$salt$hex`` stored."""
    def wrap_legacy(self, stored: str) -> str:
        """Wraps a legacy hash into Argon2id without the password."""
    def wrap_legacy_async(self, stored: str) -> Coroutine[Any, Any, str]:
        """`wrap_legacy` for asyncio: a coroutine run on the loop's default executor."""
    @property
    def memory_kib(self) -> int:
        """Argon2id memory cost of new hashes, in KiB."""
    @property
    def iterations(self) -> int:
        """Argon2id iterations of new hashes."""
    @property
    def parallelism(self) -> int:
        """Argon2id parallelism of new hashes."""

# ---------------------------------------------------------------- breach check

@final
class BreachResult:
    """The result of a breach check."""

    @property
    def status(self) -> Literal["breached", "not_found", "unknown"]:
        """`"breached"`, `"not_found"` or `"unknown"`."""
    @property
    def count(self) -> Optional[int]:
        """Times the password was seen in breaches (`None` unless breached)."""
    @property
    def source(self) -> Literal["offline", "cache", "online"]:
        """Where the answer came from."""
    @property
    def reason(self) -> Optional[str]:
        """Why the status is `"unknown"`."""
    @property
    def breached(self) -> bool:
        """Whether the password is known to be breached."""

@final
class BreachChecker:
    """Checks passwords against Pwned Passwords (k-anonymity, cache, offline index)."""

    def __new__(
        cls,
        *,
        base_url: Optional[str] = None,
        timeout: Optional[_Seconds] = None,
        cache_size: Optional[int] = None,
        cache_ttl: Optional[_Seconds] = None,
        offline_index: Optional[_StrPath] = None,
        transport: Optional[Callable[[str, dict[str, str]], Union[str, tuple[int, str]]]] = None,
        online: Optional[bool] = None,
        retries: Optional[int] = None,
        ntlm: Optional[bool] = None,
        user_agent: Optional[str] = None,
    ) -> BreachChecker: ...
    @property
    def config(self) -> dict[str, Any]:
        """The options this checker runs with (durations in seconds)."""
    @property
    def index_stats(self) -> Optional[dict[str, Any]]:
        """The offline index this checker answers from, or None."""
    def check(self, password: str) -> BreachResult:
        """Checks `password`; network trouble gives status `"unknown"`, never an error."""
    def check_async(self, password: str) -> Coroutine[Any, Any, BreachResult]:
        """`check` for asyncio: a coroutine run on the loop's default executor."""

def parse_retry_after(value: str) -> Optional[float]:
    """The delay a Retry-After header value asks for, in seconds, or None."""

def build_breach_index(
    corpus: _StrPath,
    index: _StrPath,
    *,
    top: Optional[int] = None,
    progress: Optional[Callable[[str, int, Optional[int]], object]] = None,
) -> dict[str, int]:
    """Builds an offline breach index from a Pwned Passwords corpus file."""

# ---------------------------------------------------------------- audit log

@final
class AuditEvent:
    """One recorded, decrypted and authenticated audit event."""

    @property
    def seq(self) -> int:
        """Position in the log."""
    @property
    def event_id(self) -> str:
        """The event id (a random UUID string)."""
    @property
    def timestamp_ms(self) -> int:
        """When it was recorded, Unix milliseconds."""
    @property
    def timestamp(self) -> datetime.datetime:
        """When it was recorded, as an aware UTC datetime."""
    @property
    def key_id(self) -> int:
        """The key id its fields are encrypted under."""
    @property
    def action(self) -> str:
        """What happened."""
    @property
    def user_id(self) -> Optional[str]:
        """Who did it."""
    @property
    def resource_type(self) -> Optional[str]:
        """The kind of thing acted on."""
    @property
    def resource_id(self) -> Optional[str]:
        """The thing acted on."""
    @property
    def status(self) -> Optional[str]:
        """Outcome."""
    @property
    def ip(self) -> Optional[str]:
        """Client IP address."""
    @property
    def user_agent(self) -> Optional[str]:
        """Client User-Agent."""
    @property
    def details(self) -> Any:
        """The free-form details (decoded JSON), or `None`."""
    def to_dict(self) -> dict[str, Any]:
        """The event as a dict."""

@final
class AuditProblem:
    """The first problem `verify()` found."""

    @property
    def seq(self) -> int:
        """Sequence number where it was found."""
    @property
    def event_id(self) -> Optional[str]:
        """The event id at that position, when it could be read."""
    @property
    def kind(self) -> str:
        """The kind of problem, e.g. `"field_tampered"` or `"truncated"`."""
    @property
    def detail(self) -> str:
        """What was wrong."""

@final
class VerifyReport:
    """The result of `AuditLog.verify()`."""

    @property
    def ok(self) -> bool:
        """Whether no problem was found."""
    @property
    def checked(self) -> int:
        """Events fully verified."""
    @property
    def first_problem(self) -> Optional[AuditProblem]:
        """The first problem, or `None`."""
    def __bool__(self) -> bool: ...

@final
class AuditHead:
    """The end of the chain, to detect truncation later."""

    def __new__(cls, seq: int, chain_hex: str) -> AuditHead: ...
    @property
    def seq(self) -> int:
        """Sequence number of the last event."""
    @property
    def chain_hex(self) -> str:
        """Its chain value, lowercase hex."""
    def __eq__(self, other: object, /) -> bool: ...

@final
class AuditLog:
    """An encrypted, tamper-evident audit log stored in a `Pool`'s database or a
    `PostgresStore` (one log per PostgreSQL schema, shared by every app server)."""

    def __new__(
        cls,
        pool: Union[Pool, PostgresStore],
        *,
        key: Union[bytes, str, None] = None,
        passphrase: Optional[str] = None,
        batched: bool = False,
        previous_keys: Optional[Iterable[Union[bytes, str]]] = None,
    ) -> AuditLog: ...
    @staticmethod
    def from_env(pool: Union[Pool, PostgresStore], var: str = "MAGNETAR_AUDIT_KEY", *, batched: bool = False) -> AuditLog:
        """Opens the log with the key held by environment variable `var`."""
    @staticmethod
    def generate_key() -> str:
        """A new random audit key as 64 hex characters."""
    def record(
        self,
        action: str,
        *,
        user_id: Optional[str] = None,
        resource_type: Optional[str] = None,
        resource_id: Optional[str] = None,
        status: Optional[str] = None,
        ip: Optional[str] = None,
        user_agent: Optional[str] = None,
        details: Any = None,
    ) -> str:
        """Records an event and returns its id."""
    def record_async(
        self,
        action: str,
        *,
        user_id: Optional[str] = None,
        resource_type: Optional[str] = None,
        resource_id: Optional[str] = None,
        status: Optional[str] = None,
        ip: Optional[str] = None,
        user_agent: Optional[str] = None,
        details: Any = None,
    ) -> Coroutine[Any, Any, str]:
        """`record` for asyncio: a coroutine run on the loop's default executor."""
    def query(
        self,
        *,
        user_id: Optional[str] = None,
        action: Optional[str] = None,
        since: Union[datetime.datetime, float, None] = None,
        until: Union[datetime.datetime, float, None] = None,
        limit: Optional[int] = 100,
        offset: int = 0,
        newest_first: bool = False,
    ) -> list[AuditEvent]:
        """Events matching every given condition."""
    def query_async(
        self,
        *,
        user_id: Optional[str] = None,
        action: Optional[str] = None,
        since: Union[datetime.datetime, float, None] = None,
        until: Union[datetime.datetime, float, None] = None,
        limit: Optional[int] = 100,
        offset: int = 0,
        newest_first: bool = False,
    ) -> Coroutine[Any, Any, list[AuditEvent]]:
        """`query` for asyncio: a coroutine run on the loop's default executor."""
    def verify(self, head: Optional[AuditHead] = None) -> VerifyReport:
        """Walks the chain; with `head`, also detects a truncated tail."""
    def verify_async(self, head: Optional[AuditHead] = None) -> Coroutine[Any, Any, VerifyReport]:
        """`verify` for asyncio: a coroutine run on the loop's default executor."""
    def head(self) -> AuditHead:
        """The current end of the chain."""
    def flush(self) -> None:
        """Waits until every event recorded so far is committed."""
    def flush_async(self) -> Coroutine[Any, Any, None]:
        """`flush` for asyncio: a coroutine run on the loop's default executor."""
    def close(self) -> None:
        """Commits everything queued and stops the background writer."""
    def export_jsonl(self, path: _StrPath, *, user_id: Optional[str] = None, action: Optional[str] = None, overwrite: bool = False) -> int:
        """Writes matching events to `path` (owner-only, replaced only with `overwrite`) as JSON lines; returns how many."""
    def export_jsonl_async(self, path: _StrPath, *, user_id: Optional[str] = None, action: Optional[str] = None, overwrite: bool = False) -> Coroutine[Any, Any, int]:
        """`export_jsonl` for asyncio: a coroutine run on the loop's default executor."""
    def rotate_key(self, new_key: Union[bytes, str]) -> int:
        """Makes `new_key` the current key; returns its key id."""
    def reencrypt(self, batch_size: int = 1000) -> tuple[int, int]:
        """Re-encrypts events under older keys: `(reencrypted, remaining)`."""
    def retire_key(self, key_id: int) -> None:
        """Retires an old key once no event is encrypted under it."""
    @property
    def key_ids(self) -> list[int]:
        """The ids of the keys this instance holds, ascending."""
    @property
    def batched(self) -> bool:
        """Whether events are written by a background writer."""
    @staticmethod
    def exists(pool: Union[Pool, PostgresStore]) -> bool:
        """Whether the database in `pool` holds an audit log."""
    @staticmethod
    def passphrase_key(pool: Union[Pool, PostgresStore], passphrase: str) -> str:
        """The key a passphrase derives for the log in `pool`, as 64 hex characters."""
    @staticmethod
    def rotate_and_reencrypt(
        pool: Union[Pool, PostgresStore],
        old_key: Union[bytes, str],
        new_key: Union[bytes, str],
        *,
        batch_size: int = 1000,
        retire_old_key: bool = True,
    ) -> dict[str, Any]:
        """The whole, resumable key rotation: rotate, re-encrypt every event, retire."""
    @staticmethod
    def copy(
        source: Union[Pool, PostgresStore],
        destination: Union[Pool, PostgresStore],
        key: Union[bytes, str],
        *,
        previous_keys: Optional[Iterable[Union[bytes, str]]] = None,
    ) -> tuple[int, AuditHead]:
        """Copies the log into a store without one, verified on both sides; returns
        (events copied, the copy's head)."""
    def purge_before(self, cutoff: Union[datetime.datetime, float]) -> int:
        """Deletes events recorded before `cutoff`; returns how many."""
    def checkpoint(self, signer: CheckpointSigner, *witnesses: CheckpointSigner) -> str:
        """Signs a checkpoint of every committed event; returns the C2SP signed note."""
    def checkpoints(self) -> list[str]:
        """Every checkpoint this log issued, oldest first."""
    def leaf(self, seq: int) -> bytes:
        """The 49-byte Merkle leaf of event `seq`."""
    def inclusion_proof(self, seq: int, tree_size: int) -> list[bytes]:
        """The RFC 9162 inclusion proof of event `seq` in the tree of `tree_size` events."""
    def consistency_proof(self, old_size: int, new_size: int) -> list[bytes]:
        """The RFC 9162 consistency proof from the tree of `old_size` events to `new_size`."""
    def tree_root(self, tree_size: int) -> bytes:
        """The root hash of the tree of the first `tree_size` events."""
    def verify_checkpoint(self, note: str, verifier_key: str) -> VerifyReport:
        """Checks the log against a checkpoint it issued; names the first rewritten event."""
    def export_sealed(self, path: _StrPath, *, overwrite: bool = False) -> int:
        """Writes one `{"seq", "leaf"}` JSON line per event to `path`; returns how many."""
    def checkpoint_async(self, signer: CheckpointSigner, *witnesses: CheckpointSigner) -> Coroutine[Any, Any, str]:
        """`checkpoint` for asyncio: a coroutine run on the loop's default executor."""
    def verify_checkpoint_async(self, note: str, verifier_key: str) -> Coroutine[Any, Any, VerifyReport]:
        """`verify_checkpoint` for asyncio: a coroutine run on the loop's default executor."""
    def export_sealed_async(self, path: _StrPath, *, overwrite: bool = False) -> Coroutine[Any, Any, int]:
        """`export_sealed` for asyncio: a coroutine run on the loop's default executor."""
    @property
    def current_key_id(self) -> int:
        """The key id new events are encrypted under."""
    def __len__(self) -> int: ...
    def __enter__(self) -> Self: ...
    def __exit__(self, *_exc: object) -> bool: ...

@final
class CheckpointSigner:
    """An Ed25519 key that signs audit checkpoints (C2SP signed notes)."""

    @staticmethod
    def generate(name: str) -> CheckpointSigner:
        """A new random signer; `name` is the checkpoints' origin."""
    @staticmethod
    def from_bytes(name: str, key: bytes) -> CheckpointSigner:
        """The signer with the 32-byte Ed25519 private key (seed) `key`."""
    @staticmethod
    def from_private_key(text: str) -> CheckpointSigner:
        """The signer from its private key text (`PRIVATE+KEY+name+keyid+base64`)."""
    @property
    def name(self) -> str:
        """The key's name: the origin of the checkpoints it signs."""
    @property
    def verifier_key(self) -> str:
        """The verifier key, `name+keyid+base64(0x01 || public key)`."""
    def private_key(self) -> str:
        """The private key text, to store securely."""

def verify_checkpoint(note: str, verifier_key: str) -> bool:
    """Whether `note` is a checkpoint with a valid signature by `verifier_key`."""

def verify_sealed_export(path: _StrPath, note: str, verifier_key: str) -> VerifyReport:
    """Checks a sealed export against a signed checkpoint from public data only."""

# ---------------------------------------------------------------- sessions

_Headers = Optional[Mapping[str, str]]

@final
class Session:
    """A session as the host sees it (never its token)."""

    @property
    def id(self) -> str:
        """Random public id."""
    @property
    def user_id(self) -> str:
        """The owner."""
    @property
    def created_at_ms(self) -> int:
        """Creation time, Unix milliseconds."""
    @property
    def last_seen_ms(self) -> int:
        """Last stored use, Unix milliseconds."""
    @property
    def idle_expires_at_ms(self) -> int:
        """When the session expires unless used again."""
    @property
    def expires_at_ms(self) -> int:
        """Absolute expiry, Unix milliseconds."""
    @property
    def ip(self) -> str:
        """Baseline IP."""
    @property
    def user_agent(self) -> str:
        """Baseline User-Agent."""
    @property
    def revoked_at_ms(self) -> Optional[int]:
        """When it was revoked, or `None`."""
    @property
    def revoke_reason(self) -> Optional[str]:
        """Why it was revoked, or `None`."""

@final
class RiskReason:
    """One signal's contribution to a risk score."""

    @property
    def signal(self) -> str:
        """The signal name, e.g. `"ip_change"`."""
    @property
    def weight(self) -> float:
        """The weight it added to the score."""
    @property
    def detail(self) -> str:
        """What changed."""

@final
class Assessment:
    """The risk assessment of a request."""

    @property
    def score(self) -> float:
        """Sum of the signal weights, clamped to [0, 1]."""
    @property
    def decision(self) -> Literal["allow", "monitor", "step_up", "terminate"]:
        """What to do about the request."""
    @property
    def reasons(self) -> list[RiskReason]:
        """The signals that fired."""
    @property
    def session(self) -> Optional[Session]:
        """The session after this request (`None` from `magnetar.score`)."""

@final
class PostgresStore:
    """A PostgreSQL server as the store of a `SessionRegistry` (many app servers)."""

    def __new__(
        cls,
        url: str,
        *,
        max_connections: int = 10,
        connect_timeout: Optional[_Seconds] = None,
        schema: str = "magnetar",
        statement_timeout: Optional[_Seconds] = None,
    ) -> PostgresStore: ...
    @property
    def schema(self) -> str:
        """The schema holding Magnetar's tables."""
    @property
    def target(self) -> str:
        """Server, database, user and sslmode (never the password)."""

@final
class SessionRegistry:
    """Sessions with per-user limits, timeouts, risk scoring and audit."""

    def __new__(
        cls,
        pool: Union[Pool, PostgresStore],
        *,
        fingerprint_key: Optional[bytes] = None,
        audit: Optional[AuditLog] = None,
        max_sessions: Optional[int] = None,
        idle_timeout: Optional[_Seconds] = None,
        absolute_timeout: Optional[_Seconds] = None,
        touch_interval: Optional[_Seconds] = None,
        reject_at_limit: bool = False,
    ) -> SessionRegistry: ...
    def create(self, user_id: str, *, ip: str, user_agent: str, headers: _Headers = None) -> tuple[str, Session]:
        """Creates a session; returns `(token, session)`."""
    def create_async(self, user_id: str, *, ip: str, user_agent: str, headers: _Headers = None) -> Coroutine[Any, Any, tuple[str, Session]]:
        """`create` for asyncio: a coroutine run on the loop's default executor."""
    def validate(self, token: str, *, ip: str, user_agent: str, headers: _Headers = None) -> Assessment:
        """Checks `token` and scores this request against its session."""
    def validate_async(self, token: str, *, ip: str, user_agent: str, headers: _Headers = None) -> Coroutine[Any, Any, Assessment]:
        """`validate` for asyncio: a coroutine run on the loop's default executor."""
    def validate_request(
        self, token: str, *, ip: str, user_agent: str, audit_allow: bool, headers: _Headers = None
    ) -> Union[Assessment, MagnetarError]:
        """`validate` for an HTTP middleware: also records refused tokens and, with
        `audit_allow`, allowed requests; a refused token's error is returned, not raised."""
    def validate_request_async(
        self, token: str, *, ip: str, user_agent: str, audit_allow: bool, headers: _Headers = None
    ) -> Coroutine[Any, Any, Union[Assessment, MagnetarError]]:
        """`validate_request` for asyncio: a coroutine run on the loop's default executor."""
    def rebaseline(self, token: str, *, ip: str, user_agent: str, headers: _Headers = None) -> Session:
        """Accepts this request's context as the session's new baseline."""
    def rebaseline_async(self, token: str, *, ip: str, user_agent: str, headers: _Headers = None) -> Coroutine[Any, Any, Session]:
        """`rebaseline` for asyncio: a coroutine run on the loop's default executor."""
    def revoke(self, token: str) -> None:
        """Revokes the session of `token`."""
    def revoke_async(self, token: str) -> Coroutine[Any, Any, None]:
        """`revoke` for asyncio: a coroutine run on the loop's default executor."""
    def revoke_all(self, user_id: str, reason: str = "revoked") -> int:
        """Revokes every session of `user_id`; returns how many."""
    def sessions(self, user_id: str) -> list[Session]:
        """The user's live sessions, oldest first."""
    def sweep_expired(self) -> int:
        """Deletes sessions past their timeouts; returns how many."""

def flush_logs() -> None:
    """Waits until every record Magnetar logged so far has reached Python's `logging`."""

def parse_user_agent(user_agent: str) -> dict[str, str]:
    """What a User-Agent string says (family, version, os, os_version, kind)."""
def score(previous: Mapping[str, Any], current: Mapping[str, Any]) -> Assessment:
    """Scores `current` against `previous` with the default policy."""
