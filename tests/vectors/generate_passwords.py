#!/usr/bin/env python3
"""Writes tests/vectors/passwords.json: real stored-hash vectors for Magnetar's password
component, produced by the libraries that wrote those hashes in the wild.

Run from the repository root, in a venv with tests/vectors/requirements-passwords.txt:

    python -m venv .venv && .venv/bin/pip install -r tests/vectors/requirements-passwords.txt
    .venv/bin/python tests/vectors/generate_passwords.py

Format (every binding runs the same file):
    {"generator": {library: version, ...},
     "vectors": [{"scheme": stable scheme name, "hash": stored string, "password": UTF-8,
                  "valid": bool, "legacy_digests": [names]?, "needs_rehash": bool}]}

`needs_rehash` is under Magnetar's default policy. `legacy_digests` lists the bare-digest
opt-ins a verifier needs for that vector (bare hex digests are ambiguous, so the host opts
in by name). All passwords are valid UTF-8; no vector needs raw bytes.

Work factors are deliberately low (bcrypt cost 4, PBKDF2 1000 iterations, scrypt N=16,
Argon2 m=256 KiB) so that every binding can run every vector in a debug build in seconds;
the algorithms and encodings are what is under test, and verification always uses the
parameters stored in the hash. For the same reason no vector uses the default policy
(m=19456, t=2, p=1; about 10 s per verification in an unoptimised build), so every
`needs_rehash` here is true; the false case is covered by each binding's own tests.

bcrypt 4.0.1 is pinned on purpose: it is the last pyca/bcrypt that silently truncates
passwords longer than 72 bytes (as OpenBSD and every stored hash from before 2024 did);
bcrypt >= 5 raises instead. Vectors with > 72-byte passwords therefore reflect real
stored hashes.
"""

import base64
import hashlib
import json
import os
import random
import sys
from importlib.metadata import version

import argon2
import bcrypt
from passlib import hash as ph

import django
from django.conf import settings

settings.configure(PASSWORD_HASHERS=[], USE_TZ=True)
django.setup()
from django.contrib.auth import hashers as dh  # noqa: E402
from django.utils.crypto import get_random_string  # noqa: E402

from werkzeug.security import generate_password_hash  # noqa: E402

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "passwords.json")

LONG_A = "a" * 100  # > 72 bytes: bcrypt only sees the first 72
TRUNC_1 = "t" * 72 + "-first tail"
TRUNC_2 = "t" * 72 + "-other tail"
PASSWORDS = [
    "password",
    "",
    "correct horse battery staple",
    "pässwörd ünïcödé 密码 🔑",
    LONG_A,
]

vectors = []


def add(scheme, hashed, password, valid=True, digests=None, rehash=True):
    v = {"scheme": scheme, "hash": hashed, "password": password, "valid": valid}
    if digests:
        v["legacy_digests"] = digests
    v["needs_rehash"] = rehash
    vectors.append(v)


def both(scheme, hashed, password, digests=None, rehash=True):
    """A positive vector and a wrong-password negative for the same stored hash."""
    add(scheme, hashed, password, True, digests, rehash)
    add(scheme, hashed, password + "!" if password != LONG_A else "b" + password[1:], False, digests, rehash)


def salt(n=12):
    return get_random_string(n)


# --- Argon2 (argon2-cffi) -------------------------------------------------------------
low = argon2.PasswordHasher(time_cost=1, memory_cost=256, parallelism=1)
for pw in PASSWORDS:
    both("argon2id", low.hash(pw), pw)
both("argon2id", argon2.PasswordHasher(time_cost=2, memory_cost=512, parallelism=2).hash("p2"), "p2")
for t, name in [(argon2.low_level.Type.I, "argon2i"), (argon2.low_level.Type.D, "argon2d")]:
    for pw in ["password", "pässwörd ünïcödé 密码 🔑", ""]:
        h = argon2.low_level.hash_secret(pw.encode(), os.urandom(16), 1, 256, 1, 32, t).decode()
        both(name, h, pw)
# Argon2 version 0x10 (pre-2016 libargon2) still appears in old tables.
h = argon2.low_level.hash_secret(b"old-version", os.urandom(16), 1, 256, 1, 32, argon2.low_level.Type.I, version=16).decode()
both("argon2i", h, "old-version")


class DjangoArgon2(dh.Argon2PasswordHasher):
    time_cost = 1
    memory_cost = 256
    parallelism = 1


for pw in PASSWORDS:
    both("django_argon2", DjangoArgon2().encode(pw, DjangoArgon2().salt()), pw)

# --- bcrypt (pyca/bcrypt 4.0.1, passlib, Django) -----------------------------------------
for pw in PASSWORDS:
    both("bcrypt", bcrypt.hashpw(pw.encode(), bcrypt.gensalt(4, b"2b")).decode(), pw)
for pw in ["password", "pässwörd ünïcödé 密码 🔑"]:
    both("bcrypt", bcrypt.hashpw(pw.encode(), bcrypt.gensalt(4, b"2a")).decode(), pw)
    # $2y$ (PHP's crypt_blowfish) is the same algorithm as $2b$ with another label.
    both("bcrypt", "$2y$" + bcrypt.hashpw(pw.encode(), bcrypt.gensalt(4, b"2b")).decode()[4:], pw)
# bcrypt's real 72-byte behaviour: only the first 72 bytes count.
h = bcrypt.hashpw(TRUNC_1.encode(), bcrypt.gensalt(4, b"2b")).decode()
add("bcrypt", h, TRUNC_1, True)
add("bcrypt", h, TRUNC_2, True)
add("bcrypt", h, "t" * 71, False)
h = ph.bcrypt.using(rounds=5).hash("passlib-bcrypt")
both("bcrypt", h, "passlib-bcrypt")

for pw in PASSWORDS:
    both("bcrypt_sha256", ph.bcrypt_sha256.using(rounds=4).hash(pw), pw)
# bcrypt_sha256 hashes the whole password first: > 72 bytes is NOT truncated.
h = ph.bcrypt_sha256.using(rounds=4).hash(TRUNC_1)
add("bcrypt_sha256", h, TRUNC_1, True)
add("bcrypt_sha256", h, TRUNC_2, False)
# passlib < 1.7.3 wrote the v1 format ($bcrypt-sha256$2a,12$...): plain SHA-256, no HMAC.
for pw in ["password", "pässwörd ünïcödé 密码 🔑"]:
    both("bcrypt_sha256", ph.bcrypt_sha256.using(rounds=4, version=1).hash(pw), pw)


class DjangoBcryptSha256(dh.BCryptSHA256PasswordHasher):
    rounds = 4


class DjangoBcrypt(dh.BCryptPasswordHasher):
    rounds = 4


for pw in PASSWORDS:
    both("django_bcrypt_sha256", DjangoBcryptSha256().encode(pw, DjangoBcryptSha256().salt()), pw)
    both("django_bcrypt", DjangoBcrypt().encode(pw, DjangoBcrypt().salt()), pw)
h = DjangoBcryptSha256().encode(TRUNC_1, DjangoBcryptSha256().salt())
add("django_bcrypt_sha256", h, TRUNC_2, False)
h = DjangoBcrypt().encode(TRUNC_1, DjangoBcrypt().salt())
add("django_bcrypt", h, TRUNC_2, True)

# --- PBKDF2 --------------------------------------------------------------------------
for name, handler in [("pbkdf2_sha1", ph.pbkdf2_sha1), ("pbkdf2_sha256", ph.pbkdf2_sha256), ("pbkdf2_sha512", ph.pbkdf2_sha512)]:
    for pw in PASSWORDS:
        both(name, handler.using(rounds=1000).hash(pw), pw)
for name, hasher in [("django_pbkdf2_sha256", dh.PBKDF2PasswordHasher()), ("django_pbkdf2_sha1", dh.PBKDF2SHA1PasswordHasher())]:
    for pw in PASSWORDS:
        both(name, hasher.encode(pw, hasher.salt(), iterations=1000), pw)
for method in ["pbkdf2:sha256:1000", "pbkdf2:sha512:1000", "pbkdf2:sha1:1000"]:
    for pw in PASSWORDS:
        both("werkzeug_pbkdf2", generate_password_hash(pw, method=method), pw)

# --- scrypt --------------------------------------------------------------------------
for pw in PASSWORDS:
    both("scrypt", ph.scrypt.using(rounds=4, block_size=8, parallelism=1).hash(pw), pw)


class DjangoScrypt(dh.ScryptPasswordHasher):
    work_factor = 2**4
    block_size = 8
    parallelism = 2


for pw in PASSWORDS:
    both("django_scrypt", DjangoScrypt().encode(pw, DjangoScrypt().salt()), pw)
    both("werkzeug_scrypt", generate_password_hash(pw, method="scrypt:256:8:1"), pw)

# --- crypt family (passlib) ----------------------------------------------------------
for pw in PASSWORDS:
    both("sha256_crypt", ph.sha256_crypt.using(rounds=1000).hash(pw), pw)
    both("sha512_crypt", ph.sha512_crypt.using(rounds=1000).hash(pw), pw)
    both("md5_crypt", ph.md5_crypt.hash(pw), pw)
# rounds=5000 is the implicit default: passlib omits "rounds=".
both("sha256_crypt", ph.sha256_crypt.using(rounds=5000).hash("implicit"), "implicit")
both("sha512_crypt", ph.sha512_crypt.using(rounds=5000).hash("implicit"), "implicit")
both("md5_crypt", ph.md5_crypt.using(salt="ab").hash("short salt"), "short salt")

# --- bare and Django digests ---------------------------------------------------------
for algo in ["md5", "sha1", "sha256", "sha512"]:
    for pw in PASSWORDS:
        d = hashlib.new(algo, pw.encode()).hexdigest()
        both("hex_" + algo, d, pw, digests=[algo])
    d = hashlib.new(algo, b"UPPER").hexdigest().upper()
    both("hex_" + algo, d, "UPPER", digests=[algo])
for pw in PASSWORDS:
    # Django < 5.1 Unsalted{SHA1,MD5}PasswordHasher (removed in 5.1, so computed here):
    # "sha1$$<hex>", and "md5$$<hex>" or a bare 32-hex MD5 (the bare one needs the opt-in,
    # and is covered by hex_md5 above).
    both("django_unsalted_sha1", "sha1$$" + hashlib.sha1(pw.encode()).hexdigest(), pw)
    both("django_unsalted_md5", "md5$$" + hashlib.md5(pw.encode()).hexdigest(), pw)
    both("django_salted_md5", dh.MD5PasswordHasher().encode(pw, salt()), pw)
    # Django < 5.1 SHA1PasswordHasher: sha1(salt + password); computed here because
    # Django 5.1 removed the hasher.
    s = salt()
    both("django_salted_sha1", "sha1$%s$%s" % (s, hashlib.sha1((s + pw).encode()).hexdigest()), pw)

generator = {
    "python": sys.version.split()[0],
    **{lib: version(lib) for lib in ["passlib", "bcrypt", "Django", "Werkzeug", "argon2-cffi"]},
}
with open(OUT, "w", encoding="utf-8") as f:
    json.dump({"generator": generator, "vectors": vectors}, f, ensure_ascii=False, indent=1)
    f.write("\n")
print(f"wrote {len(vectors)} vectors to {OUT} ({os.path.getsize(OUT)} bytes)")
