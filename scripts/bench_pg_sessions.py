"""Session registry on PostgreSQL: validate latency and creates/s from 8 processes.

    scripts/with-postgres.sh target/py-venv/bin/python scripts/bench_pg_sessions.py

Needs the magnetar wheel installed in the interpreter (python/run-tests.sh installs it in
target/py-venv) and MAGNETAR_TEST_PG_URL (scripts/with-postgres.sh sets it: a local
server over loopback TCP, sslmode=disable). Figures go to BENCHMARKS.md by hand.

Measured through the Python binding, so every figure includes the binding's overhead
(GIL release, argument conversion): the Rust figures are lower.
"""

import multiprocessing
import os
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


def _creator(user, start, stop, out):
    reg = registry()
    while time.time() < start:
        time.sleep(0.0005)
    n = 0
    while time.time() < stop:
        reg.create(user, ip=IP, user_agent=UA)
        n += 1
    out.put(n)


def bench_creates(same_user):
    ctx = multiprocessing.get_context("spawn")
    out = ctx.Queue()
    start = time.time() + 3.0
    stop = start + SECONDS
    shared = f"bench-one-{uuid.uuid4()}"
    procs = [
        ctx.Process(target=_creator, args=(shared if same_user else f"bench-{uuid.uuid4()}", start, stop, out))
        for _ in range(8)
    ]
    for p in procs:
        p.start()
    total = sum(out.get(timeout=120) for _ in procs)
    for p in procs:
        p.join()
    return total / SECONDS


def main():
    if not URL:
        sys.exit("MAGNETAR_TEST_PG_URL is unset: run under scripts/with-postgres.sh")
    registry()  # creates the schema
    p50, p99 = bench_validate()
    print(f"validate (touch-free, one session): p50 {p50:.0f} us, p99 {p99:.0f} us")
    print(f"creates, 8 processes, 8 users, limit 3: {bench_creates(False):,.0f}/s")
    print(f"creates, 8 processes, 1 user, limit 3 (serialized): {bench_creates(True):,.0f}/s")
    print(f"load: {os.getloadavg()}")


if __name__ == "__main__":
    main()
