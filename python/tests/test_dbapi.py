"""magnetar.dbapi: the PEP 249 interface over a pool."""

import threading

import pytest

import magnetar
from magnetar import dbapi


def test_module_globals_and_exception_hierarchy():
    assert (dbapi.apilevel, dbapi.threadsafety, dbapi.paramstyle) == ("2.0", 1, "qmark")
    assert issubclass(dbapi.Warning, Exception)
    assert issubclass(dbapi.Error, Exception)
    for name in ["InterfaceError", "DatabaseError"]:
        assert issubclass(getattr(dbapi, name), dbapi.Error), name
    for name in ["DataError", "OperationalError", "IntegrityError", "InternalError", "ProgrammingError",
                 "NotSupportedError"]:
        assert issubclass(getattr(dbapi, name), dbapi.DatabaseError), name
    assert dbapi.Error is magnetar.MagnetarError


def test_commit_rollback_and_cursor_context_manager(db_path):
    conn = dbapi.connect(db_path)
    with conn.cursor() as cur:
        cur.execute("CREATE TABLE users (id INTEGER PRIMARY KEY, email TEXT UNIQUE)")
        cur.execute("INSERT INTO users (email) VALUES (?)", ("a@example.com",))
        assert (cur.rowcount, cur.lastrowid) == (1, 1)
    assert cur.connection is conn
    with pytest.raises(dbapi.InterfaceError, match="closed"):
        cur.fetchone()
    conn.commit()

    cur = conn.cursor()
    cur.executemany("INSERT INTO users (email) VALUES (:email)", [{"email": "b@x"}, {"email": "c@x"}])
    assert cur.rowcount == 2
    conn.rollback()
    reader = dbapi.connect(db_path, read_only=True)
    rows = reader.cursor().execute("SELECT email FROM users ORDER BY id").fetchall()
    assert rows == [("a@example.com",)]
    reader.close()
    conn.close()
    with pytest.raises(dbapi.InterfaceError):
        conn.cursor()


def test_fetch_variants_description_and_iteration(pool):
    conn = dbapi.connect(pool)
    cur = conn.cursor()
    cur.execute("CREATE TABLE t (n INTEGER, s TEXT)")
    cur.executemany("INSERT INTO t VALUES (?, ?)", [(i, str(i)) for i in range(5)])
    cur.execute("SELECT n, s FROM t ORDER BY n")
    assert [d[0] for d in cur.description] == ["n", "s"] and all(len(d) == 7 for d in cur.description)
    assert cur.rowcount == -1
    assert cur.fetchone() == (0, "0")
    cur.arraysize = 2
    assert cur.fetchmany() == [(1, "1"), (2, "2")]
    assert cur.fetchmany(5) == [(3, "3"), (4, "4")]
    assert cur.fetchone() is None
    assert list(cur.execute("SELECT n FROM t WHERE n < 2 ORDER BY n")) == [(0,), (1,)]
    cur.setinputsizes([None])
    cur.setoutputsize(10)
    with pytest.raises(dbapi.InterfaceError, match="no statement"):
        conn.cursor().fetchall()
    conn.commit()


def test_connection_context_manager_commits_or_rolls_back(pool):
    conn = dbapi.connect(pool)
    with conn:
        conn.cursor().execute("CREATE TABLE t (x INTEGER UNIQUE)")
    with pytest.raises(dbapi.IntegrityError):
        with conn:
            conn.cursor().execute("INSERT INTO t VALUES (1)")
            conn.cursor().execute("INSERT INTO t VALUES (1)")  # constraint violation
    assert pool.query("SELECT count(*) FROM t") == [(0,)]
    assert not conn.closed


def test_sql_errors_are_database_errors(pool):
    cur = dbapi.connect(pool).cursor()
    with pytest.raises(dbapi.ProgrammingError, match="syntax"):
        cur.execute("SELEC 1")
    with pytest.raises(dbapi.InterfaceError):
        cur.execute("SELECT ?", (object(),))


def test_a_writer_holds_the_single_writer_until_commit(db_path):
    pool = magnetar.Pool(db_path, acquire_timeout=0.05)
    first, second = dbapi.connect(pool), dbapi.connect(pool)
    first.cursor().execute("CREATE TABLE t (x)")
    errors = []

    def other_writer():
        try:
            second.cursor().execute("INSERT INTO t VALUES (1)")
        except dbapi.Error as e:
            errors.append(e)

    t = threading.Thread(target=other_writer)
    t.start()
    t.join()
    assert len(errors) == 1 and isinstance(errors[0], magnetar.PoolTimeout)
    first.commit()
    second.cursor().execute("INSERT INTO t VALUES (1)")
    second.commit()
    assert pool.query("SELECT x FROM t") == [(1,)]
    pool.close()


def portable_report(connect, module):
    """DB-API code that knows nothing about the driver: the module's names only."""
    conn = connect()
    cur = conn.cursor()
    cur.execute("CREATE TABLE orders (id INTEGER PRIMARY KEY, total REAL)")
    cur.executemany("INSERT INTO orders (total) VALUES (?)", [(9.5,), (20.0,), (0.5,)])
    conn.commit()
    try:
        cur.execute("INSERT INTO orders (id, total) VALUES (1, 1.0)")
        conn.commit()
        duplicate = "accepted"
    except module.IntegrityError:
        conn.rollback()
        duplicate = "refused"
    cur.execute("SELECT count(*), sum(total) FROM orders WHERE total > ?", (1,))
    row = cur.fetchone()
    names = [d[0] for d in cur.description]
    conn.close()
    return module.paramstyle, duplicate, row, names


def test_portable_dbapi_code_runs_the_same_on_sqlite3(tmp_path):
    import sqlite3

    theirs = portable_report(lambda: sqlite3.connect(str(tmp_path / "sqlite3.db")), sqlite3)
    ours = portable_report(lambda: dbapi.connect(str(tmp_path / "magnetar.db")), dbapi)
    assert ours == theirs == ("qmark", "refused", (2, 29.5), ["count(*)", "sum(total)"])
