"""magnetar.Pool: connections, transactions, parameters, cursors, stats, get_pool."""

import datetime
import threading

import pytest

import magnetar


def make_table(pool):
    with pool.write() as conn:
        conn.execute("CREATE TABLE t (id INTEGER PRIMARY KEY, i INTEGER, r REAL, s TEXT, b BLOB)")


def test_round_trip_of_every_type(pool):
    make_table(pool)
    with pool.write() as conn:
        cur = conn.execute("INSERT INTO t (i, r, s, b) VALUES (?, ?, ?, ?)", (-7, 2.5, "héllo", b"\x00\xff"))
        assert cur.rowcount == 1
        assert cur.lastrowid == 1
        conn.execute("INSERT INTO t (i, r, s, b) VALUES (?, ?, ?, ?)", [None, None, None, None])
        conn.execute("INSERT INTO t (i, b) VALUES (?, ?)", (True, bytearray(b"ab")))
        conn.execute("INSERT INTO t (b) VALUES (?)", (memoryview(b"mv"),))
    with pool.read() as conn:
        cur = conn.execute("SELECT i, r, s, b FROM t ORDER BY id")
        assert cur.fetchone() == (-7, 2.5, "héllo", b"\x00\xff")
        assert cur.fetchone() == (None, None, None, None)
        assert cur.fetchall() == [(1, None, None, b"ab"), (None, None, None, b"mv")]
        assert cur.fetchone() is None
        assert cur.rowcount == -1
        assert cur.lastrowid is None
        assert [d[0] for d in cur.description] == ["i", "r", "s", "b"]
        assert all(len(d) == 7 for d in cur.description)


def test_big_integers(pool):
    with pool.read() as conn:
        assert conn.execute("SELECT ?", (2**63 - 1,)).fetchone() == (2**63 - 1,)
        assert conn.execute("SELECT ?", (-(2**63),)).fetchone() == (-(2**63),)
        with pytest.raises(magnetar.InvalidInput, match="64-bit"):
            conn.execute("SELECT ?", (2**63,))


def test_named_parameters(pool):
    make_table(pool)
    with pool.write() as conn:
        conn.execute("INSERT INTO t (i, s) VALUES (:i, :s)", {"i": 1, "s": "a"})
        conn.execute("INSERT INTO t (i, s) VALUES (@i, $s)", {"@i": 2, "s": "b"})
    with pool.read() as conn:
        rows = conn.execute("SELECT i, s FROM t WHERE i >= :min ORDER BY i", {"min": 1}).fetchall()
        assert rows == [(1, "a"), (2, "b")]
        with pytest.raises(magnetar.InvalidInput, match='"nope"'):
            conn.execute("SELECT :a", {"nope": 1})


def test_fetchmany_iteration_and_arraysize(pool):
    make_table(pool)
    with pool.write() as conn:
        cur = conn.executemany("INSERT INTO t (i) VALUES (?)", [(n,) for n in range(10)])
        assert cur.rowcount == 10
        assert cur.description is None
    with pool.read() as conn:
        cur = conn.execute("SELECT i FROM t ORDER BY i")
        assert cur.fetchmany() == [(0,)]
        assert cur.fetchmany(3) == [(1,), (2,), (3,)]
        cur.arraysize = 2
        assert cur.fetchmany() == [(4,), (5,)]
        assert [row for row in cur] == [(6,), (7,), (8,), (9,)]
        assert cur.fetchmany(5) == []


def test_write_commits_on_success_and_rolls_back_on_exception(pool):
    make_table(pool)
    with pool.write() as conn:
        conn.execute("INSERT INTO t (i) VALUES (1)")

    class Boom(Exception):
        pass

    with pytest.raises(Boom):
        with pool.write() as conn:
            conn.execute("INSERT INTO t (i) VALUES (2)")
            raise Boom()
    with pool.read() as conn:
        assert conn.execute("SELECT i FROM t").fetchall() == [(1,)]


def test_reads_are_read_only(pool):
    make_table(pool)
    with pool.read() as conn:
        with pytest.raises(magnetar.ReadOnlyDatabase) as info:
            conn.execute("INSERT INTO t (i) VALUES (1)")
    assert isinstance(info.value, magnetar.DatabaseError)
    assert info.value.kind == "read_only"


def test_query_is_a_one_call_read(pool):
    make_table(pool)
    with pool.write() as conn:
        conn.executemany("INSERT INTO t (i, s) VALUES (?, ?)", [(1, "a"), (2, "b"), (3, None)])
    assert pool.query("SELECT i, s FROM t WHERE i >= ? ORDER BY i", (2,)) == [(2, "b"), (3, None)]
    assert pool.query("SELECT s FROM t WHERE i = :i", {"i": 1}) == [("a",)]
    assert pool.query("SELECT 1 WHERE 0") == []
    # It runs on a reader: writes are refused and leave nothing behind.
    with pytest.raises(magnetar.ReadOnlyDatabase):
        pool.query("INSERT INTO t (i) VALUES (4)")
    assert pool.query("SELECT count(*) FROM t") == [(3,)]
    with pytest.raises(magnetar.DatabaseError, match="no such table"):
        pool.query("SELECT * FROM missing")
    # The reader went back to the pool each time.
    assert pool.stats()["in_use"] == 0


def test_read_block_is_one_snapshot(pool):
    make_table(pool)
    with pool.read() as reader:
        assert reader.execute("SELECT count(*) FROM t").fetchone() == (0,)
        with pool.write() as writer:
            writer.execute("INSERT INTO t (i) VALUES (1)")
        assert reader.execute("SELECT count(*) FROM t").fetchone() == (0,)
    with pool.read() as reader:
        assert reader.execute("SELECT count(*) FROM t").fetchone() == (1,)


def test_sql_errors_are_database_errors_with_messages(pool):
    with pool.read() as conn:
        with pytest.raises(magnetar.DatabaseError, match="syntax error") as info:
            conn.execute("SELEC 1")
    assert info.value.kind == "database"
    assert isinstance(info.value, magnetar.MagnetarError)
    with pool.read() as conn:
        with pytest.raises(magnetar.InvalidInput, match="expects 2 parameter"):
            conn.execute("SELECT ?, ?", (1,))
        with pytest.raises(magnetar.InvalidInput, match="sequence or a mapping"):
            conn.execute("SELECT ?", "x")
        with pytest.raises(magnetar.InvalidInput, match="parameter 0: .*object"):
            conn.execute("SELECT ?", (object(),))


def test_constraint_violation_rolls_back_the_block(pool):
    with pool.write() as conn:
        conn.execute("CREATE TABLE u (x INTEGER NOT NULL UNIQUE)")
    with pytest.raises(magnetar.DatabaseError, match="UNIQUE"):
        with pool.write() as conn:
            conn.execute("INSERT INTO u VALUES (1)")
            conn.execute("INSERT INTO u VALUES (1)")
    with pool.read() as conn:
        assert conn.execute("SELECT count(*) FROM u").fetchone() == (0,)
    with pytest.raises(magnetar.InvalidInput, match="parameter set 1"):
        with pool.write() as conn:
            conn.executemany("INSERT INTO u VALUES (?)", [(1,), ("x", 2)])


def test_connection_outside_with_is_refused(pool):
    conn = pool.read()
    with pytest.raises(magnetar.InvalidInput, match="with pool.read"):
        conn.execute("SELECT 1")
    assert conn.role == "reader"
    assert pool.write().role == "writer"
    with conn:
        assert conn.execute("SELECT 1").fetchone() == (1,)
        with pytest.raises(magnetar.InvalidInput, match="already in a `with` block"):
            conn.__enter__()
    with pytest.raises(magnetar.InvalidInput):
        conn.execute("SELECT 1")


def test_stats(pool):
    with pool.read() as conn:
        conn.execute("SELECT 1")
        stats = pool.stats()
        assert stats["in_use"] == 1
    stats = pool.stats()
    assert stats["in_use"] == 0
    assert stats["max_readers"] == 5
    assert stats["acquires"] >= 1
    for key in ("idle", "waiting", "readers_open", "created", "recycled", "discarded",
                "acquire_timeouts", "wait_p50", "wait_p95", "wait_p99", "wait_max"):
        assert key in stats
    assert isinstance(stats["wait_p99"], float)


def test_options(db_path):
    with magnetar.Pool(db_path, max_readers=2, acquire_timeout=datetime.timedelta(seconds=1),
                       max_lifetime=None, idle_timeout=60, synchronous="full",
                       min_idle=1, leak_threshold=10.0, busy_timeout=1) as pool:
        assert pool.stats()["max_readers"] == 2
    assert pool.closed
    with pytest.raises(magnetar.InvalidConfig, match='unknown pool option "max_reader"; the options are max_readers'):
        magnetar.Pool(db_path, max_reader=2)
    with pytest.raises(magnetar.InvalidConfig, match="max_readers"):
        magnetar.Pool(db_path, max_readers=0)
    with pytest.raises(magnetar.InvalidConfig, match="acquire_timeout"):
        magnetar.Pool(db_path, acquire_timeout=-1)
    with pytest.raises(magnetar.InvalidConfig, match="synchronous"):
        magnetar.Pool(db_path, synchronous="off")
    with pytest.raises(magnetar.InvalidConfig, match="in-memory"):
        magnetar.Pool(":memory:")


def test_bad_paths(tmp_path):
    with pytest.raises(magnetar.StorageError, match="does not exist"):
        magnetar.Pool(str(tmp_path / "missing" / "x.db"))
    junk = tmp_path / "junk.db"
    junk.write_bytes(b"this is not a database" * 100)
    with pytest.raises(magnetar.NotADatabase):
        magnetar.Pool(str(junk))


def test_pool_timeout_names_the_wait(db_path):
    pool = magnetar.Pool(db_path, acquire_timeout=0.2)
    # Another thread holds the writer (this thread taking it twice is refused at once).
    taken, release = threading.Event(), threading.Event()

    def hold():
        with pool.write():
            taken.set()
            release.wait(10)

    holder = threading.Thread(target=hold)
    holder.start()
    assert taken.wait(10)
    with pytest.raises(magnetar.PoolTimeout, match="writer") as info:
        with pool.write():
            pass
    release.set()
    holder.join()
    assert isinstance(info.value, magnetar.PoolError)
    assert info.value.kind == "pool_timeout"
    assert pool.stats()["acquire_timeouts"] == 1
    pool.close()


def test_closed_pool(db_path):
    pool = magnetar.Pool(db_path)
    pool.close()
    pool.close()
    with pytest.raises(magnetar.PoolClosed, match="closed"):
        with pool.read() as conn:
            conn.execute("SELECT 1")
    with pytest.raises(magnetar.PoolClosed, match="closed"):
        with pool.write():
            pass
    with pytest.raises(magnetar.PoolClosed, match="closed"):
        pool.query("SELECT 1")
    assert "closed=True" in repr(pool)


def test_get_pool_is_one_pool_per_file(tmp_path):
    path = tmp_path / "shared.db"
    a = magnetar.get_pool(path)
    b = magnetar.get_pool(str(tmp_path / "." / "shared.db"), max_readers=1)
    assert a.path == b.path == str(path.resolve())
    with a.write() as conn:
        conn.execute("CREATE TABLE x (v)")
    # Same pool: the writer is taken through one handle, the other has to wait.
    with a.write():
        assert b.stats()["in_use"] == 1
    a.close()
    c = magnetar.get_pool(path)
    assert not c.closed
    c.close()


def test_twenty_threads_hammering_one_pool(db_path):
    pool = magnetar.Pool(db_path, max_readers=4, acquire_timeout=30)
    with pool.write() as conn:
        conn.execute("CREATE TABLE counter (id INTEGER PRIMARY KEY, n INTEGER NOT NULL)")
        conn.execute("INSERT INTO counter VALUES (1, 0)")
        conn.execute("CREATE TABLE log (thread INTEGER, k INTEGER)")
    errors = []
    per_thread = 60

    def work(t):
        try:
            for k in range(per_thread):
                if k % 3 == 0:
                    with pool.write() as conn:
                        (n,) = conn.execute("SELECT n FROM counter WHERE id = 1").fetchone()
                        conn.execute("UPDATE counter SET n = ? WHERE id = 1", (n + 1,))
                        conn.execute("INSERT INTO log VALUES (?, ?)", (t, k))
                else:
                    with pool.read() as conn:
                        conn.execute("SELECT count(*) FROM log").fetchone()
                        conn.execute("SELECT n FROM counter").fetchall()
        except Exception as e:  # noqa: BLE001 - collected and asserted below
            errors.append(e)

    threads = [threading.Thread(target=work, args=(t,)) for t in range(20)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    writes = 20 * len(range(0, per_thread, 3))
    with pool.read() as conn:
        assert conn.execute("SELECT n FROM counter").fetchone() == (writes,)
        assert conn.execute("SELECT count(*) FROM log").fetchone() == (writes,)
    stats = pool.stats()
    assert stats["in_use"] == 0 and stats["acquire_timeouts"] == 0
    pool.close()


def test_queries_release_the_gil(pool):
    from gil import ticks_during

    slow = "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < 3000000) SELECT count(*) FROM c"
    with pool.read() as conn:
        assert ticks_during(lambda: conn.execute(slow).fetchone()) >= 5
    assert ticks_during(lambda: pool.query(slow)) >= 5


def test_nested_write_on_one_thread_is_refused_at_once(db_path):
    pool = magnetar.Pool(db_path, acquire_timeout=30)
    with pool.write() as conn:
        conn.execute("CREATE TABLE t (x INTEGER)")
        with pytest.raises(magnetar.InvalidInput, match="already checked out by this thread"):
            with pool.write() as inner:
                inner.execute("INSERT INTO t VALUES (1)")
        conn.execute("INSERT INTO t VALUES (2)")
    with pool.read() as conn:
        assert conn.execute("SELECT x FROM t").fetchall() == [(2,)]
    pool.close()


def test_pool_execute_migrate_and_config(pool):
    assert pool.migrate(["CREATE TABLE t (x INTEGER)", "ALTER TABLE t ADD COLUMN y TEXT"]) == (0, 2)
    assert pool.migrate(["CREATE TABLE t (x INTEGER)", "ALTER TABLE t ADD COLUMN y TEXT"]) == (2, 2)
    cur = pool.execute("INSERT INTO t (x, y) VALUES (?, ?)", (1, "a"))
    assert cur.rowcount == 1 and cur.lastrowid == 1
    assert pool.executemany("INSERT INTO t (x) VALUES (?)", [(2,), (3,)]) == 2
    assert pool.query("SELECT count(*) FROM t") == [(3,)]
    with pytest.raises(magnetar.DatabaseError):
        pool.executemany("INSERT INTO nope VALUES (?)", [(1,)])
    config = pool.config
    assert config["synchronous"] == "normal" and config["max_readers"] >= 1
    with pytest.raises(magnetar.SchemaTooNew):
        pool.migrate(["CREATE TABLE t (x INTEGER)"])
