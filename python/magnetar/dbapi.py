"""A PEP 249 (DB-API 2.0) interface over a Magnetar pool, for code written against
``sqlite3``-style connections.

::

    from magnetar import dbapi

    conn = dbapi.connect("app.db")                  # the process-wide pool for the file
    with conn.cursor() as cur:
        cur.execute("INSERT INTO users (email) VALUES (?)", ("a@example.com",))
    conn.commit()

What differs from ``sqlite3``, and why (the pool has one writer and N readers):

- A connection is a *writer* (the default) or a *reader* (``read_only=True``). Its first
  ``execute`` checks a connection out of the pool and opens a transaction
  (``BEGIN IMMEDIATE`` for a writer, one snapshot for a reader); ``commit()`` or
  ``rollback()`` ends it and returns the connection to the pool. A writer therefore holds
  the pool's single writer from its first statement to ``commit()``: keep transactions
  short. Other writers wait up to the pool's ``acquire_timeout``, then raise
  :class:`magnetar.PoolTimeout`. Use a read-only connection for reads, so they never
  wait for writers.
- ``threadsafety`` is 1: share the module and the pool between threads, not a
  connection (its transaction is one unit of work).
- ``paramstyle`` is ``"qmark"``; ``:name`` placeholders with a mapping also work.
- The exception names of the PEP are Magnetar's classes: ``Error`` is
  :class:`magnetar.MagnetarError`, ``InterfaceError`` is :class:`magnetar.InvalidInput`
  (misuse of the API), ``DatabaseError`` is :class:`magnetar.DatabaseError`. Magnetar does
  not tell SQLite's errors apart beyond that, so ``DataError``, ``OperationalError``,
  ``IntegrityError``, ``InternalError``, ``ProgrammingError`` and ``NotSupportedError``
  are all :class:`magnetar.DatabaseError`: catching any of them catches every SQL error.
  Pool errors (``PoolTimeout``, ``PoolClosed``) are ``Error`` but not ``DatabaseError``.
- ``close()`` on a connection rolls back an open transaction; the pool stays open (it is
  shared by every user of the file).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping, Sequence
from types import TracebackType
from typing import Any, Optional, Union

import magnetar

__all__ = [
    "Connection",
    "Cursor",
    "DataError",
    "DatabaseError",
    "Error",
    "IntegrityError",
    "InterfaceError",
    "InternalError",
    "NotSupportedError",
    "OperationalError",
    "ProgrammingError",
    "Warning",
    "apilevel",
    "connect",
    "paramstyle",
    "threadsafety",
]

apilevel = "2.0"
threadsafety = 1
paramstyle = "qmark"


class Warning(Exception):  # noqa: A001  (the PEP's name)
    """Important warnings (the PEP's ``Warning``); Magnetar raises none."""


Error = magnetar.MagnetarError
InterfaceError = magnetar.InvalidInput
DatabaseError = magnetar.DatabaseError
DataError = magnetar.DatabaseError
OperationalError = magnetar.DatabaseError
IntegrityError = magnetar.DatabaseError
InternalError = magnetar.DatabaseError
ProgrammingError = magnetar.DatabaseError
NotSupportedError = magnetar.DatabaseError

_Params = Union[Sequence[Any], Mapping[str, Any], None]
_Row = tuple[Any, ...]


class _Rollback(Exception):
    """Passed to the pooled connection's ``__exit__`` to make it roll back."""


def connect(database: Union[str, "magnetar.Pool"], *, read_only: bool = False, **pool_options: Any) -> Connection:
    """A DB-API connection to ``database``: a path (the process-wide pool for the file,
    opened with ``pool_options`` the first time) or a :class:`magnetar.Pool`."""
    pool = database if isinstance(database, magnetar.Pool) else magnetar.get_pool(database, **pool_options)
    return Connection(pool, read_only=read_only)


class Connection:
    """A DB-API connection: one transaction at a time on a pooled connection."""

    def __init__(self, pool: magnetar.Pool, *, read_only: bool = False) -> None:
        self.pool = pool
        self.read_only = read_only
        self._tx: Optional[magnetar.Connection] = None
        self._closed = False

    def _transaction(self) -> magnetar.Connection:
        """The pooled connection of the open transaction, opening one if needed."""
        if self._closed:
            raise InterfaceError("the connection is closed")
        if self._tx is None:
            tx = self.pool.read() if self.read_only else self.pool.write()
            tx.__enter__()
            self._tx = tx
        return self._tx

    def _end(self, commit: bool) -> None:
        tx, self._tx = self._tx, None
        if tx is not None:
            if commit:
                tx.__exit__(None, None, None)
            else:
                tx.__exit__(_Rollback, _Rollback(), None)

    def commit(self) -> None:
        """Commits the open transaction (if any) and returns its connection to the pool."""
        self._end(commit=True)

    def rollback(self) -> None:
        """Rolls back the open transaction (if any) and returns its connection to the pool."""
        self._end(commit=False)

    def close(self) -> None:
        """Rolls back an open transaction; later use raises ``InterfaceError``."""
        self._end(commit=False)
        self._closed = True

    def cursor(self) -> Cursor:
        """A new cursor on this connection."""
        if self._closed:
            raise InterfaceError("the connection is closed")
        return Cursor(self)

    @property
    def closed(self) -> bool:
        """Whether ``close()`` was called."""
        return self._closed

    def __enter__(self) -> Connection:
        return self

    def __exit__(
        self,
        exc_type: Optional[type[BaseException]],
        exc: Optional[BaseException],
        tb: Optional[TracebackType],
    ) -> None:
        """Commits when the block ends normally, rolls back when it raises (as
        ``sqlite3`` does); the connection stays open."""
        self._end(commit=exc_type is None)


class Cursor:
    """A DB-API cursor; usable as a context manager (closed at the end)."""

    #: Rows ``fetchmany()`` returns by default.
    arraysize: int = 1

    def __init__(self, connection: Connection) -> None:
        self.connection = connection
        self._result: Optional[magnetar.Cursor] = None
        self._closed = False

    def _connection(self) -> Connection:
        """The connection, unless this cursor was closed."""
        if self._closed:
            raise InterfaceError("the cursor is closed")
        return self.connection

    def _rows(self) -> magnetar.Cursor:
        """The result of the last statement."""
        self._connection()
        if self._result is None:
            raise InterfaceError("no statement has been executed on this cursor")
        return self._result

    def execute(self, operation: str, parameters: _Params = None) -> Cursor:
        """Runs one statement in the connection's transaction (opening it if needed)."""
        tx = self._connection()._transaction()
        self._result = tx.execute(operation, parameters)
        return self

    def executemany(self, operation: str, seq_of_parameters: Iterable[_Params]) -> Cursor:
        """Runs one statement once per parameter set; ``rowcount`` is the total."""
        tx = self._connection()._transaction()
        self._result = tx.executemany(operation, seq_of_parameters)
        return self

    def fetchone(self) -> Optional[_Row]:
        """The next row, or ``None``."""
        return self._rows().fetchone()

    def fetchmany(self, size: Optional[int] = None) -> list[_Row]:
        """Up to ``size`` rows (default ``arraysize``)."""
        return self._rows().fetchmany(self.arraysize if size is None else size)

    def fetchall(self) -> list[_Row]:
        """All remaining rows."""
        return self._rows().fetchall()

    @property
    def description(self) -> Optional[tuple[tuple[str, None, None, None, None, None, None], ...]]:
        """One 7-tuple per column of the last query (name first), or ``None``."""
        return None if self._result is None else self._result.description

    @property
    def rowcount(self) -> int:
        """Rows changed by the last INSERT/UPDATE/DELETE; -1 for queries or before any."""
        return -1 if self._result is None else self._result.rowcount

    @property
    def lastrowid(self) -> Optional[int]:
        """The rowid of the last INSERT, or ``None``."""
        return None if self._result is None else self._result.lastrowid

    def setinputsizes(self, sizes: Any) -> None:
        """Accepted and ignored, as the PEP allows."""

    def setoutputsize(self, size: Any, column: Optional[int] = None) -> None:
        """Accepted and ignored, as the PEP allows."""

    def close(self) -> None:
        """Drops the remaining rows; later use raises ``InterfaceError``."""
        self._result = None
        self._closed = True

    def __iter__(self) -> Iterator[_Row]:
        return self

    def __next__(self) -> _Row:
        row = self.fetchone()
        if row is None:
            raise StopIteration
        return row

    def __enter__(self) -> Cursor:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
