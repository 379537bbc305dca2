"""magnetar.PasswordHasher: the shared vectors, upgrade on login, wrapping, errors."""

import base64
import hashlib
import threading
import time

import pytest

import magnetar
from conftest import load_vectors

VECTORS = load_vectors("passwords")["vectors"]
ARGON2 = {"argon2id", "argon2i", "argon2d", "django_argon2"}


def b64(text):
    """PHC strings carry the pepper id as unpadded base64."""
    return base64.b64encode(text.encode()).decode().rstrip("=")


def default_hasher(v):
    return magnetar.PasswordHasher(legacy_digests=v.get("legacy_digests", ()))


def cheap_hasher(v=None):
    digests = v.get("legacy_digests", ()) if v else ()
    return magnetar.PasswordHasher(memory_kib=64, iterations=1, legacy_digests=digests)


def test_vectors_cover_every_scheme_both_ways():
    assert len(VECTORS) > 300
    schemes = {v["scheme"] for v in VECTORS}
    for s in schemes:
        assert any(v["scheme"] == s and v["valid"] for v in VECTORS), s
        assert any(v["scheme"] == s and not v["valid"] for v in VECTORS), s


@pytest.mark.parametrize("v", VECTORS, ids=lambda v: f"{v['scheme']}-{'ok' if v['valid'] else 'bad'}")
def test_vector(v):
    h = default_hasher(v)
    assert h.verify(v["password"], v["hash"]) is v["valid"]
    assert h.identify(v["hash"]) == v["scheme"]
    assert h.needs_rehash(v["hash"]) is v["needs_rehash"]
    # The same password as bytes.
    assert h.verify(v["password"].encode(), v["hash"]) is v["valid"]


@pytest.mark.parametrize("v", [v for v in VECTORS if v["valid"]], ids=lambda v: v["scheme"])
def test_vector_upgrades_on_login(v):
    h = cheap_hasher(v)
    ok, new = h.verify_and_update(v["password"], v["hash"])
    assert ok is True
    assert (new is not None) == h.needs_rehash(v["hash"])
    if new is not None:
        assert new.startswith("$argon2id$v=19$m=64,t=1,p=1$")
        assert h.verify(v["password"], new)
        assert not h.needs_rehash(new)


@pytest.mark.parametrize("v", [v for v in VECTORS if v["scheme"] not in ARGON2][::3], ids=lambda v: v["scheme"])
def test_vector_wraps_and_still_verifies(v):
    h = cheap_hasher(v)
    wrapped = h.wrap_legacy(v["hash"])
    assert h.identify(wrapped) == f"wrapped_{v['scheme']}"
    assert h.verify(v["password"], wrapped) is v["valid"]
    assert h.needs_rehash(wrapped)


def test_defaults_are_owasp():
    h = magnetar.PasswordHasher()
    assert (h.memory_kib, h.iterations, h.parallelism) == (19456, 2, 1)
    stored = h.hash("correct horse")
    assert stored.startswith("$argon2id$v=19$m=19456,t=2,p=1$")
    assert h.verify("correct horse", stored)
    assert not h.verify("correct hose", stored)
    assert h.verify_and_update("correct horse", stored) == (True, None)
    assert h.verify_and_update("wrong", stored) == (False, None)
    assert h.hash("x") != h.hash("x")


def test_sha256_legacy_digest_upgrade():
    import hashlib

    legacy = hashlib.sha256(b"hunter2").hexdigest()
    strict = cheap_hasher()
    with pytest.raises(magnetar.InvalidHash):
        strict.verify("hunter2", legacy)
    h = magnetar.PasswordHasher(memory_kib=64, iterations=1, legacy_digests=("sha256",))
    assert h.identify(legacy) == "hex_sha256"
    ok, new = h.verify_and_update("hunter2", legacy)
    assert ok and new.startswith("$argon2id$")
    assert h.verify_and_update("hunter3", legacy) == (False, None)


def test_pepper():
    peppered = magnetar.PasswordHasher(memory_kib=64, iterations=1, pepper=("k1", b"0123456789abcdef"))
    stored = peppered.hash("pw")
    assert f",keyid={b64('k1')}$" in stored
    assert peppered.verify("pw", stored)
    plain = cheap_hasher()
    with pytest.raises(magnetar.InvalidKey):
        plain.verify("pw", stored)
    rotated = magnetar.PasswordHasher(
        memory_kib=64, iterations=1, pepper=("k2", b"fedcba9876543210"), old_peppers=[("k1", b"0123456789abcdef")]
    )
    ok, new = rotated.verify_and_update("pw", stored)
    assert ok and f",keyid={b64('k2')}$" in new
    assert "0123456789abcdef" not in repr(peppered)
    with pytest.raises(magnetar.InvalidKey, match="16"):
        magnetar.PasswordHasher(pepper=("k1", b"short"))
    with pytest.raises(magnetar.InvalidKey, match="pair"):
        magnetar.PasswordHasher(pepper=b"0123456789abcdef")


def test_errors_are_the_right_subclasses():
    h = cheap_hasher()
    for bad in ["", "$2b$", "$argon2id$v=19$m=99999999,t=1,p=1$c2FsdHNhbHQ$aGFzaA", "not a hash", "$pbkdf2-sha256$0$$"]:
        with pytest.raises(magnetar.InvalidHash) as info:
            h.verify("pw", bad)
        assert info.value.kind == "invalid_hash"
        assert "pw" not in str(info.value).split(":")[0]
    with pytest.raises(magnetar.InvalidInput, match="4096"):
        h.hash("a" * 5000)
    with pytest.raises(magnetar.InvalidConfig, match="memory_kib"):
        magnetar.PasswordHasher(memory_kib=1)
    with pytest.raises(magnetar.InvalidConfig):
        magnetar.PasswordHasher(legacy_digests=("crc32",))
    with pytest.raises(magnetar.InvalidInput, match="str or bytes"):
        h.hash(12345)
    with pytest.raises(magnetar.InvalidInput, match="already"):
        h.wrap_legacy(h.hash("pw"))


def test_hashing_releases_the_gil():
    from gil import ticks_during

    h = magnetar.PasswordHasher(memory_kib=65536, iterations=2)
    # With the GIL held for the whole hash, the ticker could not run at all.
    assert ticks_during(lambda: h.hash("pw")) >= 5
    stored = h.hash("pw")
    assert ticks_during(lambda: h.verify("pw", stored)) >= 5


def test_one_hasher_shared_by_threads():
    h = cheap_hasher()
    results = []

    def work():
        for _ in range(10):
            results.append(h.verify("pw", h.hash("pw")))

    workers = [threading.Thread(target=work) for _ in range(8)]
    for w in workers:
        w.start()
    for w in workers:
        w.join()
    assert results == [True] * 80


def test_long_password_against_a_forged_crypt_hash_is_refused_at_once():
    # A sha512_crypt hash at the rounds ceiling: every round hashes the password again,
    # so a 4000-byte one would take minutes. Refused before any work; a 4 MiB client is
    # refused by max_password_bytes.
    forged = (
        "$6$rounds=5000000$saltsalt$POfYwTEok97VWcjxIiSOjiykti.o/pQs.wPvMxQ6Fm7I6"
        "IoYN3CmLs66x9t0oSwbtEW7o7UmJEiDwGqd8p4ur1"
    )
    h = magnetar.PasswordHasher()
    started = time.monotonic()
    with pytest.raises(magnetar.InvalidInput, match="max_length_cost_factor") as info:
        h.verify("horse " * 666, forged)
    assert "horse" not in str(info.value)
    with pytest.raises(magnetar.InvalidInput, match="max_password_bytes"):
        h.verify_and_update(b"x" * (4 << 20), forged)
    assert time.monotonic() - started < 2
    # A 100-byte passphrase is within the ceiling (checked, not refused) on a cheap hash.
    assert not h.verify("p" * 100, "$6$rounds=1000$saltsalt$" + forged.split("$")[-1])


def test_policy_is_reported():
    h = magnetar.PasswordHasher(memory_kib=64, iterations=1, legacy_digests=("sha256",))
    p = h.policy
    assert (p["memory_kib"], p["iterations"], p["parallelism"]) == (64, 1, 1)
    assert p["legacy_digests"] == ["sha256"] and p["pepper_id"] is None


def test_upgrade_table_wraps_legacy_hashes(pool):
    h = magnetar.PasswordHasher(memory_kib=64, iterations=1, legacy_digests=("sha256",))
    legacy = hashlib.sha256(b"hunter22").hexdigest()
    with pool.write() as conn:
        conn.execute("CREATE TABLE users (id INTEGER PRIMARY KEY, pw TEXT)")
        conn.executemany("INSERT INTO users (pw) VALUES (?)", [(legacy,), (h.hash("x"),), (None,)])
    report = h.upgrade_table(pool, "users", "pw", batch_size=2)
    assert (report["total"], report["wrapped"], report["current"], report["empty"]) == (3, 1, 1, 1)
    (stored,) = pool.query("SELECT pw FROM users WHERE id = 1")[0]
    assert h.identify(stored).startswith("wrapped") and h.verify("hunter22", stored)
    with pytest.raises(magnetar.InvalidInput):
        h.upgrade_table(pool, "nope", "pw")
