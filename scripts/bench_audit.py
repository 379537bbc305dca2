#!/usr/bin/env python3
"""Peer benchmark for the Magnetar audit log: the approach it replaces.

Per event: every field encrypted separately with `cryptography`'s AESGCM (fresh random
96-bit nonce, AAD = event id + field name), one `sqlite3` INSERT and one COMMIT, in WAL
mode with synchronous=NORMAL. Same event shape as `core/benches/audit.rs` (~200-byte
JSON details).

Usage: python scripts/bench_audit.py [--events N] [--json]
Needs: pip install cryptography
"""

import argparse
import json
import os
import sqlite3
import tempfile
import time
import uuid

from cryptography.hazmat.primitives.ciphers.aead import AESGCM

FIELDS = ("action", "user_id", "resource_type", "resource_id", "status", "ip",
          "user_agent", "details")
UA = "Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0"


def make_event(i):
    """The same event as `bench_event(i)` in core/benches/audit.rs."""
    details = {
        "request_id": f"req-{i:012}",
        "path": f"/api/v1/documents/{i}/content",
        "method": "GET",
        "bytes": i * 7 % 100000,
        "tenant": f"tenant-{i % 97}",
        "tags": ["audit", "bench", "read"],
        "note": "x" * 40,
    }
    return {
        "action": "document.view" if i % 10 else "login",
        "user_id": f"user-{i % 10000}",
        "resource_type": "document",
        "resource_id": f"doc-{i}",
        "status": "success",
        "ip": f"203.0.113.{i % 256}",
        "user_agent": UA,
        "details": json.dumps(details, separators=(",", ":")),
    }


def open_db(path):
    conn = sqlite3.connect(path, isolation_level=None)
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("PRAGMA synchronous=NORMAL")
    cols = ", ".join(f"{f} BLOB" for f in FIELDS)
    conn.execute(f"CREATE TABLE audit (id INTEGER PRIMARY KEY, event_id TEXT, ts INTEGER, {cols})")
    conn.execute("CREATE INDEX audit_ts ON audit(ts)")
    return conn


def record(conn, aead, event):
    event_id = str(uuid.uuid4())
    row = [event_id, int(time.time() * 1000)]
    for name in FIELDS:
        nonce = os.urandom(12)
        aad = f"{event_id}|{name}".encode()
        row.append(nonce + aead.encrypt(nonce, event[name].encode(), aad))
    conn.execute("BEGIN")
    conn.execute(
        f"INSERT INTO audit (event_id, ts, {', '.join(FIELDS)}) VALUES ({', '.join('?' * 10)})",
        row,
    )
    conn.execute("COMMIT")
    return event_id


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--events", type=int, default=20000)
    ap.add_argument("--json", action="store_true")
    args = ap.parse_args()
    aead = AESGCM(AESGCM.generate_key(bit_length=256))
    events = [make_event(i) for i in range(args.events)]
    with tempfile.TemporaryDirectory() as d:
        conn = open_db(os.path.join(d, "peer.db"))
        for e in events[:200]:  # warm-up
            record(conn, aead, e)
        start = time.perf_counter()
        for e in events:
            record(conn, aead, e)
        elapsed = time.perf_counter() - start
        conn.close()
    result = {
        "peer": "python cryptography AESGCM per field + sqlite3 insert/commit per event (WAL, synchronous=NORMAL)",
        "events": args.events,
        "seconds": elapsed,
        "events_per_sec": args.events / elapsed,
        "us_per_event": elapsed / args.events * 1e6,
        "details_bytes": len(events[0]["details"]),
    }
    if args.json:
        print(json.dumps(result))
    else:
        for k, v in result.items():
            print(f"{k}: {v}")


if __name__ == "__main__":
    main()
