"""The audit log on PostgreSQL, side by side with the approach it replaces.

    target/py-venv/bin/pip install -r scripts/requirements-bench.txt
    scripts/with-postgres.sh target/py-venv/bin/python scripts/bench_pg_audit.py

Needs the magnetar wheel installed in the interpreter (python/run-tests.sh installs it in
target/py-venv) and MAGNETAR_TEST_PG_URL (scripts/with-postgres.sh sets it: a local
server over loopback TCP, sslmode=disable, default synchronous_commit). Figures go to
BENCHMARKS.md by hand.

Measured in one run, each into its own fresh table or schema on the same server:

- peer: psycopg 3 with `cryptography`'s AESGCM per field (fresh random nonce, AAD = event
  id + field name), one INSERT and one COMMIT per event: what an application writes by
  hand. It keeps no chain and no blind index.
- magnetar synchronous: `AuditLog.record`, one commit per event, with the chain, the
  blind indexes and the lookup table.
- magnetar batched: `AuditLog(..., batched=True)`: `record` queues, a background writer
  commits batches with binary COPY; timed from the first record to the end of `flush()`.

Every figure goes through the Python binding (argument conversion, the GIL), as an
application sees it. Same event shape as scripts/bench_audit.py.

Server state: a server in service writes its WAL into segment files recycled at each
checkpoint; a just-initialized one creates and zero-fills a new 16 MiB segment for every
16 MiB written, which costs its backend about a third more time for the batched run. So
the script first brings the server to that state (one untimed batched run, then
`CHECKPOINT`, which needs the `pg_checkpoint` role; scripts/with-postgres.sh grants it)
and checkpoints after every round. BENCH_COLD=1 skips both: figures for a server's very
first writes. BENCH_ROUNDS (default 3) rounds of the three measures; the medians are
the result.
"""

import os
import statistics
import sys
import time
import uuid

import psycopg
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

import magnetar
from bench_audit import FIELDS, make_event  # the same event shape (scripts/ is on sys.path)

URL = os.environ.get("MAGNETAR_TEST_PG_URL")
SYNC_EVENTS = int(os.environ.get("BENCH_SYNC_EVENTS", "3000"))
BATCHED_EVENTS = int(os.environ.get("BENCH_BATCHED_EVENTS", "200000"))
ROUNDS = int(os.environ.get("BENCH_ROUNDS", "3"))
COLD = os.environ.get("BENCH_COLD") == "1"
KEY = bytes((i * 37 + 11) % 256 for i in range(32))


def peer(n):
    """Events/s of the hand-written approach: AESGCM per field, INSERT + COMMIT each."""
    aead = AESGCM(KEY)
    table = f"peer_audit_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(URL) as conn:
        cols = ", ".join(f"{f} BYTEA" for f in FIELDS)
        conn.execute(f"CREATE TABLE {table} (id BIGSERIAL PRIMARY KEY, event_id TEXT, ts BIGINT, {cols})")
        conn.execute(f"CREATE INDEX ON {table}(ts)")
        conn.commit()
        insert = (f"INSERT INTO {table} (event_id, ts, {', '.join(FIELDS)}) "
                  f"VALUES ({', '.join(['%s'] * 10)})")
        events = [make_event(i) for i in range(n)]
        start = time.perf_counter()
        for event in events:
            event_id = str(uuid.uuid4())
            row = [event_id, int(time.time() * 1000)]
            for name in FIELDS:
                nonce = os.urandom(12)
                aad = f"{event_id}|{name}".encode()
                row.append(nonce + aead.encrypt(nonce, event[name].encode(), aad))
            conn.execute(insert, row)
            conn.commit()
        elapsed = time.perf_counter() - start
        conn.execute(f"DROP TABLE {table}")
        conn.commit()
    return n / elapsed


def record_all(log, events):
    for e in events:
        log.record(e["action"], user_id=e["user_id"], resource_type=e["resource_type"],
                   resource_id=e["resource_id"], status=e["status"], ip=e["ip"],
                   user_agent=e["user_agent"], details=e["details"])


def magnetar_rate(n, batched):
    schema = f"bench_audit_{uuid.uuid4().hex[:8]}"
    store = magnetar.PostgresStore(URL, schema=schema)
    log = magnetar.AuditLog(store, key=KEY, batched=batched)
    events = [make_event(i) for i in range(n)]
    start = time.perf_counter()
    record_all(log, events)
    log.flush()
    elapsed = time.perf_counter() - start
    assert len(log) == n
    log.close()
    with psycopg.connect(URL) as conn:
        conn.execute(f"DROP SCHEMA {schema} CASCADE")
    return n / elapsed


def checkpoint():
    """Ends the WAL written so far, so that its segments are recycled, not created anew."""
    with psycopg.connect(URL, autocommit=True) as conn:
        conn.execute("CHECKPOINT")


def main():
    if not URL:
        sys.exit("MAGNETAR_TEST_PG_URL is unset: run under scripts/with-postgres.sh")
    if COLD:
        print("server state: cold (no warm-up, no checkpoint)")
    else:
        magnetar_rate(BATCHED_EVENTS, batched=True)
        try:
            checkpoint()
        except psycopg.errors.InsufficientPrivilege:
            sys.exit("CHECKPOINT refused: GRANT pg_checkpoint to this role, or run with BENCH_COLD=1")
        print("server state: in service (after one untimed batched run and CHECKPOINT)")
    rounds = []
    for r in range(ROUNDS):
        peer_rate = peer(SYNC_EVENTS)
        sync_rate = magnetar_rate(SYNC_EVENTS, batched=False)
        batched_rate = magnetar_rate(BATCHED_EVENTS, batched=True)
        if not COLD:
            checkpoint()
        rounds.append((peer_rate, sync_rate, batched_rate))
        print(f"round {r + 1}: peer {peer_rate:8,.0f}/s  synchronous {sync_rate:8,.0f}/s "
              f"({sync_rate / peer_rate:.2f}x)  batched {batched_rate:9,.0f}/s "
              f"({batched_rate / peer_rate:.1f}x)")
    peer_rate, sync_rate, batched_rate = (statistics.median(x) for x in zip(*rounds))
    ratios = [s / p for p, s, _ in rounds]
    print(f"median of {ROUNDS} rounds:")
    print(f"peer (psycopg + AESGCM, INSERT+COMMIT per event): {peer_rate:10,.0f} events/s")
    print(f"magnetar synchronous record:                      {sync_rate:10,.0f} events/s "
          f"({statistics.median(ratios):.2f}x peer, {min(ratios):.2f}-{max(ratios):.2f}x)")
    print(f"magnetar batched ({BATCHED_EVENTS:,} events, COPY):      {batched_rate:10,.0f} events/s "
          f"({batched_rate / peer_rate:.1f}x peer, {min(b for _, _, b in rounds):,.0f}-"
          f"{max(b for _, _, b in rounds):,.0f}/s)")


if __name__ == "__main__":
    main()
