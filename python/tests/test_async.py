"""The `_async` variants: awaitables that leave the event loop free while core works.

"The loop keeps running" is shown without timing: the blocking side of each call waits
on a gate that only the event loop opens, after it has ticked several times while the
call was pending. A call that blocked the loop could never see the gate open; the gate
gives up after a generous timeout so such a bug fails the test instead of hanging it.
"""

import asyncio
import inspect
import json
import threading

import pytest

import magnetar

KEY = bytes(range(32))
FP_KEY = bytes(range(32, 64))
UA = "Mozilla/5.0 (X11; Linux x86_64; rv:121.0) Gecko/20100101 Firefox/121.0"
TICKS = 5
GIVE_UP = 30  # seconds; only reached when the loop is blocked (a failing test)


async def pending_ticks(awaitable, gate: threading.Event):
    """Awaits `awaitable`, opening `gate` once the loop has ticked TICKS times while it
    was pending; returns (result, ticks)."""
    task = asyncio.ensure_future(awaitable)
    ticks = 0
    while not task.done():
        ticks += 1
        if ticks == TICKS:
            gate.set()
        await asyncio.sleep(0)
    return await task, ticks


class WriterHeld:
    """Holds the pool's writer on another thread until the gate opens."""

    def __init__(self, pool):
        self.gate = threading.Event()
        self._held = threading.Event()
        self._thread = threading.Thread(target=self._hold, args=(pool,))

    def _hold(self, pool):
        with pool.write() as conn:
            conn.execute("SELECT 1")
            self._held.set()
            self.gate.wait(GIVE_UP)

    def __enter__(self):
        self._thread.start()
        assert self._held.wait(GIVE_UP)
        return self.gate

    def __exit__(self, *exc):
        self.gate.set()
        self._thread.join()


def test_breach_check_async_leaves_the_loop_running():
    gate = threading.Event()

    def transport(url, headers):
        if not gate.wait(GIVE_UP):
            raise ConnectionError("the event loop never ticked while the check was pending")
        return "0" * 35 + ":3\r\n"

    checker = magnetar.BreachChecker(transport=transport)
    result, ticks = asyncio.run(pending_ticks(checker.check_async("hunter2"), gate))
    assert ticks >= TICKS
    assert result.status == "not_found", result.reason


def test_checks_run_in_parallel_threads():
    # Both checks must be inside the transport at once for either to pass the barrier:
    # only possible when they run on two threads with the GIL released in between.
    barrier = threading.Barrier(2, timeout=GIVE_UP)

    def transport(url, headers):
        barrier.wait()
        return "0" * 35 + ":0\r\n"  # a padding row only

    checker = magnetar.BreachChecker(transport=transport)

    async def main():
        return await asyncio.gather(checker.check_async("one password"), checker.check_async("another one"))

    results = asyncio.run(main())
    assert [r.status for r in results] == ["not_found", "not_found"], [r.reason for r in results]


def test_audit_record_async_waits_for_the_writer_without_blocking_the_loop(pool):
    log = magnetar.AuditLog(pool, key=KEY)
    with WriterHeld(pool) as gate:
        event_id, ticks = asyncio.run(pending_ticks(
            log.record_async("login", user_id="alice", status="success", details={"mfa": True}), gate))
    assert ticks >= TICKS
    assert [e.event_id for e in log.query(user_id="alice")] == [event_id]
    log.close()


def test_audit_read_side_async(pool, tmp_path):
    log = magnetar.AuditLog(pool, key=KEY, batched=True)

    async def main():
        await asyncio.gather(*(log.record_async("read", user_id=f"u{i}") for i in range(5)))
        await log.flush_async()
        events = await log.query_async(action="read", newest_first=True, limit=3)
        report = await log.verify_async()
        exported = await log.export_jsonl_async(str(tmp_path / "out.jsonl"), action="read")
        return events, report, exported

    events, report, exported = asyncio.run(main())
    assert len(events) == 3 and events[0].seq == 5
    assert report.ok and report.checked == 5
    assert exported == 5
    lines = (tmp_path / "out.jsonl").read_text().splitlines()
    assert {json.loads(line)["user_id"] for line in lines} == {f"u{i}" for i in range(5)}
    log.close()


def test_session_create_and_validate_async(pool):
    registry = magnetar.SessionRegistry(pool, fingerprint_key=FP_KEY)
    with WriterHeld(pool) as gate:
        (token, session), ticks = asyncio.run(pending_ticks(
            registry.create_async("alice", ip="203.0.113.7", user_agent=UA), gate))
    assert ticks >= TICKS

    async def main():
        same = await registry.validate_async(token, ip="203.0.113.7", user_agent=UA)
        moved = await registry.validate_async(token, ip="198.51.100.2", user_agent=UA)
        await registry.rebaseline_async(token, ip="198.51.100.2", user_agent=UA)
        again = await registry.validate_async(token, ip="198.51.100.2", user_agent=UA)
        await registry.revoke_async(token)
        return same, moved, again

    same, moved, again = asyncio.run(main())
    assert (same.decision, same.session.id) == ("allow", session.id)
    assert moved.score > 0 and [r.signal for r in moved.reasons]
    assert again.score == 0
    with pytest.raises(magnetar.SessionRevoked):
        asyncio.run(registry.validate_async(token, ip="198.51.100.2", user_agent=UA))


def test_async_with_pool_write_and_read(pool):
    async def write():
        async with pool.write() as conn:
            await conn.execute_async("CREATE TABLE t (x INTEGER)")
            await conn.executemany_async("INSERT INTO t VALUES (?)", [(1,), (2,), (3,)])

    with WriterHeld(pool) as gate:
        _, ticks = asyncio.run(pending_ticks(write(), gate))
    assert ticks >= TICKS

    async def read():
        async with pool.read() as conn:
            cur = await conn.execute_async("SELECT sum(x) FROM t")
            total = cur.fetchone()[0]
        rows = await pool.query_async("SELECT x FROM t WHERE x > ?", (1,))
        return total, rows

    assert asyncio.run(read()) == (6, [(2,), (3,)])


def test_async_write_rolls_back_on_exception(pool):
    with pool.write() as conn:
        conn.execute("CREATE TABLE t (x INTEGER)")

    async def failing():
        async with pool.write() as conn:
            await conn.execute_async("INSERT INTO t VALUES (1)")
            raise KeyError("boom")

    with pytest.raises(KeyError):
        asyncio.run(failing())
    assert pool.query("SELECT count(*) FROM t") == [(0,)]


def test_password_async_variants():
    hasher = magnetar.PasswordHasher(legacy_digests=("sha256",))
    legacy = "ef92b778bafe771e89245b89ecbc08a44a4e166c06659911881f383d4473e94f"  # sha256("password123")

    async def main():
        stored = await hasher.hash_async("correct horse")
        results = await asyncio.gather(*(hasher.verify_async(pw, stored)
                                         for pw in ["correct horse", "wrong", "correct horse", b"correct horse"]))
        upgraded = await hasher.verify_and_update_async("password123", legacy)
        wrapped = await hasher.wrap_legacy_async(legacy)
        return results, upgraded, wrapped

    results, (ok, new_hash), wrapped = asyncio.run(main())
    assert results == [True, False, True, True]
    assert ok and new_hash.startswith("$argon2id$")
    assert hasher.verify("password123", wrapped)


def test_async_errors_are_raised_when_awaited():
    hasher = magnetar.PasswordHasher()

    async def main():
        return await hasher.verify_async("pw", "garbage")

    with pytest.raises(magnetar.InvalidHash):
        asyncio.run(main())


def test_async_variant_is_a_coroutine():
    coro = magnetar.PasswordHasher().hash_async("pw")
    assert inspect.iscoroutine(coro)
    assert asyncio.run(coro).startswith("$argon2id$")
