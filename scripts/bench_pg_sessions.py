"""Session registry on PostgreSQL: validate latency and creates/s from 8 processes.

    scripts/with-postgres.sh target/py-venv/bin/python scripts/bench_pg_sessions.py

Needs the magnetar wheel installed in the interpreter (python/run-tests.sh installs it in
target/py-venv) and MAGNETAR_TEST_PG_URL (scripts/with-postgres.sh sets it: a local
server over loopback TCP, sslmode=disable). Figures go to BENCHMARKS.md by hand.

Measured through the Python binding, so every figure includes the binding's overhead
(GIL release, argument conversion): the Rust figures are lower.

The peer, in the same run when psycopg 3 is installed (`pip install "psycopg[binary]"`):
the create a Python service writes by hand with psycopg (which prepares statements on
the server after 5 uses), the same transaction shape (per-user advisory lock, count the
live sessions, revoke the oldest, insert) minus Magnetar's retry safety and
did-it-stick checks, on its own table with the same indexes. For each create run the
script also reports CPU per create: the client processes' own (os.times) and the
PostgreSQL backends' (the postmaster's reaped-children time, read from /proc), which on
a 2-core machine says what the rate is bound by.
"""

import multiprocessing
import hashlib
import os
import re
import secrets
import statistics
import sys
import time
import uuid

import magnetar

URL = os.environ.get("MAGNETAR_TEST_PG_URL")
KEY = bytes(range(32))
UA = "Mozilla/5.0 (X11; Linux x86_64; rv:121.0) Gecko/20100101 Firefox/121.0"
IP = "203.0.113.7"
SECONDS = float(os.environ.get("BENCH_SECONDS", "5"))


def registry(max_sessions=3):
    return magnetar.SessionRegistry(
        magnetar.PostgresStore(URL, max_connections=2), fingerprint_key=KEY, max_sessions=max_sessions
    )


def bench_validate(n=5000):
    reg = registry()
    token, _ = reg.create(f"bench-{uuid.uuid4()}", ip=IP, user_agent=UA)
    for _ in range(200):
        reg.validate(token, ip=IP, user_agent=UA)
    samples = []
    for _ in range(n):
        t0 = time.perf_counter_ns()
        reg.validate(token, ip=IP, user_agent=UA)
        samples.append(time.perf_counter_ns() - t0)
    samples.sort()
    return samples[len(samples) // 2] / 1000, samples[int(len(samples) * 0.99)] / 1000


PEER_TABLE = """
CREATE TABLE IF NOT EXISTS public.peer_session (
    id TEXT PRIMARY KEY, token_hash BYTEA NOT NULL UNIQUE, user_id TEXT NOT NULL,
    created_at BIGINT NOT NULL, last_seen BIGINT NOT NULL, expires_at BIGINT NOT NULL,
    ip TEXT NOT NULL, user_agent TEXT NOT NULL, fingerprint BYTEA NOT NULL,
    revoked_at BIGINT, revoke_reason TEXT);
CREATE INDEX IF NOT EXISTS peer_live_by_user ON public.peer_session (user_id, created_at, id)
    WHERE revoked_at IS NULL;
CREATE INDEX IF NOT EXISTS peer_by_expiry ON public.peer_session (expires_at);
CREATE INDEX IF NOT EXISTS peer_by_last_seen ON public.peer_session (last_seen);
"""


def peer_create(conn, user, limit=3):
    """A hand-written psycopg create with a per-user limit (evict the oldest)."""
    token = secrets.token_urlsafe(32)
    now = int(time.time() * 1000)
    with conn.transaction(), conn.cursor() as cur:
        cur.execute("SELECT pg_advisory_xact_lock(hashtextextended(%s, 0))", ("peer:" + user,))
        cur.execute(
            "SELECT id FROM public.peer_session WHERE user_id = %s AND revoked_at IS NULL"
            " AND expires_at > %s ORDER BY created_at, id",
            (user, now),
        )
        live = [r[0] for r in cur.fetchall()]
        if len(live) >= limit:
            cur.execute(
                "UPDATE public.peer_session SET revoked_at = %s, revoke_reason = 'evicted'"
                " WHERE id = ANY(%s)",
                (now, live[: len(live) + 1 - limit]),
            )
        cur.execute(
            "INSERT INTO public.peer_session (id, token_hash, user_id, created_at, last_seen,"
            " expires_at, ip, user_agent, fingerprint) VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s)",
            (secrets.token_hex(16), hashlib.sha256(token.encode()).digest(), user, now, now,
             now + 86_400_000, IP, UA, hashlib.sha256(UA.encode()).digest()),
        )
    return token


def _creator(kind, user, start, stop, out):
    if kind == "magnetar":
        reg = registry()
        create = lambda: reg.create(user, ip=IP, user_agent=UA)  # noqa: E731
    else:
        import psycopg

        conn = psycopg.connect(URL)
        create = lambda: peer_create(conn, user)  # noqa: E731
    create()  # connect and warm up outside the measured window
    while time.time() < start:
        time.sleep(0.0005)
    cpu0 = sum(os.times()[:2])
    n = 0
    while time.time() < stop:
        create()
        n += 1
    out.put((n, sum(os.times()[:2]) - cpu0))


def postmaster_cpu():
    """CPU seconds of the server's exited backends (the postmaster reaps them), or None."""
    m = re.search(r"-D (\S+)", os.environ.get("MAGNETAR_TEST_PG_RESTART", ""))
    try:
        with open(os.path.join(m.group(1), "postmaster.pid")) as f:
            pid = int(f.readline())
        with open(f"/proc/{pid}/stat") as f:
            fields = f.read().rsplit(")", 1)[1].split()
        return (int(fields[13]) + int(fields[14])) / os.sysconf("SC_CLK_TCK")  # cutime + cstime
    except (AttributeError, OSError, ValueError):
        return None


def bench_creates(same_user, kind="magnetar"):
    ctx = multiprocessing.get_context("spawn")
    out = ctx.Queue()
    start = time.time() + 3.0
    stop = start + SECONDS
    shared = f"bench-one-{uuid.uuid4()}"
    procs = [
        ctx.Process(target=_creator,
                    args=(kind, shared if same_user else f"bench-{uuid.uuid4()}", start, stop, out))
        for _ in range(8)
    ]
    server0 = postmaster_cpu()
    for p in procs:
        p.start()
    results = [out.get(timeout=120) for _ in procs]
    for p in procs:
        p.join()
    time.sleep(0.5)  # the backends exit once their clients have
    server1 = postmaster_cpu()
    total = sum(n for n, _ in results)
    client_us = sum(cpu for _, cpu in results) / total * 1e6
    # The server figure also holds the connection set-up and warm-up creates.
    server_us = (server1 - server0) / total * 1e6 if server0 is not None else float("nan")
    return total / SECONDS, client_us, server_us


def report_creates(label, same_user, kind):
    rate, client_us, server_us = bench_creates(same_user, kind)
    print(f"{label}: {rate:,.0f}/s (CPU per create: client {client_us:.0f} us,"
          f" server {server_us:.0f} us; load {os.getloadavg()[0]:.1f})")


def main():
    if not URL:
        sys.exit("MAGNETAR_TEST_PG_URL is unset: run under scripts/with-postgres.sh")
    registry()  # creates the schema
    p50, p99 = bench_validate()
    print(f"validate (touch-free, one session): p50 {p50:.0f} us, p99 {p99:.0f} us")
    try:
        import psycopg

        with psycopg.connect(URL) as conn:
            conn.execute(PEER_TABLE)
        peer = f"psycopg {psycopg.__version__} ({psycopg.pq.__impl__})"
    except ImportError:
        peer = None
        print("peer skipped: psycopg is not installed")
    for same_user, users in [(False, "8 users"), (True, "1 user (serialized)")]:
        report_creates(f"creates, 8 processes, {users}, limit 3: magnetar", same_user, "magnetar")
        if peer:
            report_creates(f"creates, 8 processes, {users}, limit 3: {peer}", same_user, "peer")
    print(f"load: {os.getloadavg()}")


if __name__ == "__main__":
    main()
