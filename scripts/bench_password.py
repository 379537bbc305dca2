#!/usr/bin/env python3
"""Python peers for core/benches/password.rs, measured on the same machine in the same
session: argon2-cffi (libargon2), pyca/bcrypt, and hashlib.pbkdf2_hmac (OpenSSL).

    python -m venv .venv && .venv/bin/pip install -r tests/vectors/requirements-passwords.txt
    .venv/bin/python scripts/bench_password.py [--seconds 5]

Prints the mean time per operation (and min) for the same operations, passwords and
parameters as the criterion bench.
"""

import argparse
import hashlib
import statistics
import time
from importlib.metadata import version

import argon2
import bcrypt

PASSWORD = b"benchmark password"
BCRYPT_12 = b"$2b$12$jOmyLuVHJw5z3ppOIlGR3e4KcI2C8MGurNjPR8S3qDzIjrCqk.8qy"
SALT = b"benchsaltbenchsalt"


def measure(name, fn, seconds):
    fn()  # warm up
    times = []
    deadline = time.perf_counter() + seconds
    while time.perf_counter() < deadline or len(times) < 10:
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    mean = statistics.fmean(times)
    print(f"{name:32s} mean {mean * 1e3:9.2f} ms   min {min(times) * 1e3:9.2f} ms   n={len(times)}")
    return mean


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--seconds", type=float, default=5.0)
    a = ap.parse_args()
    print(f"argon2-cffi {version('argon2-cffi')}, bcrypt {version('bcrypt')}, "
          f"hashlib/{hashlib.__name__} ({__import__('ssl').OPENSSL_VERSION})")
    # argon2-cffi's own default is RFC 9106 low-memory; match Magnetar's OWASP default.
    ph = argon2.PasswordHasher(time_cost=2, memory_cost=19456, parallelism=1, hash_len=32, salt_len=16)
    stored = ph.hash(PASSWORD)
    assert ph.verify(stored, PASSWORD)
    assert bcrypt.checkpw(PASSWORD, BCRYPT_12)
    measure("argon2id_default_hash", lambda: ph.hash(PASSWORD), a.seconds)
    measure("argon2id_default_verify", lambda: ph.verify(stored, PASSWORD), a.seconds)
    measure("bcrypt_12_verify", lambda: bcrypt.checkpw(PASSWORD, BCRYPT_12), a.seconds)
    measure("pbkdf2_sha256_600k", lambda: hashlib.pbkdf2_hmac("sha256", PASSWORD, SALT, 600_000), a.seconds)


if __name__ == "__main__":
    main()
