"""magnetar.contrib.django hashers, with real Django: make_password, check_password
with its setter, identify_hasher, and logins through django.contrib.auth."""

import hashlib

import pytest

from conftest import load_vectors
from django_project import configure, django_db  # noqa: F401  (a fixture)

configure()

from django.contrib.auth import authenticate  # noqa: E402
from django.contrib.auth.hashers import (  # noqa: E402
    PBKDF2PasswordHasher as DjangoPBKDF2,
    check_password,
    get_hasher,
    identify_hasher,
    make_password,
)
from django.test import Client  # noqa: E402

import magnetar  # noqa: E402
from magnetar.contrib.django import PASSWORD_HASHERS  # noqa: E402
from magnetar.contrib.django import hashers  # noqa: E402

DJANGO_VECTORS = [v for v in load_vectors("passwords")["vectors"] if v["scheme"].startswith("django_")]


def test_the_ready_list_starts_with_the_argon2_hasher():
    assert PASSWORD_HASHERS[0] == "magnetar.contrib.django.hashers.MagnetarArgon2PasswordHasher"
    assert get_hasher("default").algorithm == "argon2"
    algorithms = {get_hasher(a).algorithm for a in ["argon2", "pbkdf2_sha256", "pbkdf2_sha1", "bcrypt_sha256",
                                                    "bcrypt", "scrypt", "md5", "sha1", "unsalted_sha1",
                                                    "unsalted_md5", "pbkdf2_wrapped_sha1", "magnetar"]}
    assert len(algorithms) == 12


def test_new_hashes_are_argon2id_in_djangos_format():
    encoded = make_password("correct horse")
    assert encoded.startswith("argon2$argon2id$v=19$m=19456,t=2,p=1$")
    hasher = identify_hasher(encoded)
    assert isinstance(hasher, hashers.MagnetarArgon2PasswordHasher)
    assert check_password("correct horse", encoded)
    assert not check_password("wrong horse", encoded)
    assert not hasher.must_update(encoded)
    assert make_password("correct horse") != encoded  # a fresh salt each time
    decoded = hasher.decode(encoded)
    assert {k: decoded[k] for k in ("algorithm", "variety", "version", "memory_cost", "time_cost", "parallelism")} == {
        "algorithm": "argon2", "variety": "argon2id", "version": 19, "memory_cost": 19456, "time_cost": 2,
        "parallelism": 1}
    assert encoded.endswith("$" + decoded["salt"] + "$" + decoded["hash"])
    summary = hasher.safe_summary(encoded)
    assert summary["algorithm"] == "argon2" and summary["memory cost"] == 19456
    assert decoded["hash"] not in str(summary) and decoded["salt"] not in str(summary)
    assert summary["hash"].startswith(decoded["hash"][:6]) and summary["hash"].endswith("*")


@pytest.mark.parametrize("vector", DJANGO_VECTORS, ids=lambda v: f"{v['scheme']}-{v['hash'][:24]}")
def test_every_django_format_verifies_and_is_upgraded_by_the_setter(vector):
    hasher = identify_hasher(vector["hash"])
    assert vector["hash"].startswith("argon2$") == (hasher.algorithm == "argon2")
    updated = []
    ok = check_password(vector["password"], vector["hash"], setter=lambda pw: updated.append(make_password(pw)))
    assert ok == vector["valid"]
    # Legacy and below-policy hashes are replaced after a successful check, never after a failed one.
    assert len(updated) == (1 if vector["valid"] else 0)
    if updated:
        assert updated[0].startswith("argon2$argon2id$")
        assert check_password(vector["password"], updated[0])
    assert not check_password("x" + vector["password"], vector["hash"])  # bcrypt reads only 72 bytes
    summary = hasher.safe_summary(vector["hash"])
    assert summary["algorithm"] == hasher.algorithm
    assert hasher.decode(vector["hash"])["algorithm"] == hasher.algorithm


@pytest.mark.parametrize("algorithm", ["pbkdf2_sha256", "pbkdf2_sha1", "scrypt", "md5"])
def test_hashes_django_itself_encodes_verify(algorithm):
    encoded = make_password("s3cret", hasher=algorithm)
    assert encoded.startswith(algorithm + "$")
    assert identify_hasher(encoded).must_update(encoded) in (True, False)
    assert check_password("s3cret", encoded)
    assert not check_password("s3cret!", encoded)


def test_djangos_own_argon2_hasher_reads_magnetar_hashes():
    # Switching back to Django's Argon2PasswordHasher (with argon2-cffi) keeps every
    # hash readable.
    from django.contrib.auth.hashers import Argon2PasswordHasher as DjangoArgon2

    encoded = make_password("round trip")
    assert DjangoArgon2().verify("round trip", encoded)
    assert not DjangoArgon2().verify("round trip?", encoded)
    assert DjangoArgon2().decode(encoded)["memory_cost"] == 19456


def test_bare_unsalted_md5_verifies():
    bare = hashlib.md5(b"password").hexdigest()
    assert identify_hasher(bare).algorithm == "unsalted_md5"
    assert check_password("password", bare)
    assert not check_password("Password", bare)


def test_djangos_documented_wrapped_sha1_hasher_verifies():
    # Django's docs upgrade sha1$salt$hex to pbkdf2_wrapped_sha1 without the password:
    # PBKDF2-SHA256 over the old hex digest, same salt.
    salt = "s4ltS4lt"
    sha1_hex = hashlib.sha1((salt + "letmein").encode()).hexdigest()
    inner = DjangoPBKDF2().encode(sha1_hex, salt, iterations=1000)
    wrapped = "pbkdf2_wrapped_sha1" + inner[len("pbkdf2_sha256"):]
    assert identify_hasher(wrapped).algorithm == "pbkdf2_wrapped_sha1"
    updated = []
    assert check_password("letmein", wrapped, setter=updated.append)
    assert updated == ["letmein"]
    assert not check_password("letmeout", wrapped)
    assert identify_hasher(wrapped).safe_summary(wrapped)["iterations"] == 1000


def test_other_formats_magnetar_knows_are_imported():
    for vector in load_vectors("passwords")["vectors"]:
        if vector["scheme"] in ("bcrypt", "werkzeug_pbkdf2", "sha512_crypt", "argon2i") and vector["valid"]:
            imported = hashers.import_hash(vector["hash"])
            assert identify_hasher(imported).algorithm == "magnetar"
            assert check_password(vector["password"], imported)
            assert identify_hasher(imported).safe_summary(imported)["format"] == vector["scheme"]
    with pytest.raises(ValueError):
        hashers.import_hash("not a hash")


def test_weaker_argon2_must_update_and_harden_runtime_runs():
    weak = next(v for v in DJANGO_VECTORS if v["scheme"] == "django_argon2")["hash"]
    hasher = get_hasher("argon2")
    assert hasher.must_update(weak)
    hasher.harden_runtime("wrong password", weak)  # hashes once at the policy; returns nothing


def test_read_only_hashers_refuse_to_encode():
    with pytest.raises(NotImplementedError, match="Argon2id"):
        make_password("pw", hasher="sha1")


def test_malformed_hash_raises_value_error():
    with pytest.raises(ValueError):
        check_password("pw", "pbkdf2_sha256$not$a$hash")


def test_login_through_django_contrib_auth_upgrades_the_hash(django_db):
    from django.contrib.auth.models import User

    legacy = next(v for v in DJANGO_VECTORS if v["scheme"] == "django_pbkdf2_sha1" and v["valid"])
    user = User.objects.create(username="alice")
    User.objects.filter(pk=user.pk).update(password=legacy["hash"])

    client = Client()
    assert not client.login(username="alice", password=legacy["password"] + "!")
    assert User.objects.get(pk=user.pk).password == legacy["hash"]  # a failed login changes nothing

    assert client.login(username="alice", password=legacy["password"])
    upgraded = User.objects.get(pk=user.pk).password
    assert upgraded.startswith("argon2$argon2id$")
    assert authenticate(username="alice", password=legacy["password"]) is not None
    assert User.objects.get(pk=user.pk).password == upgraded  # already current: no rewrite


def test_set_password_and_check_password_on_the_model(django_db):
    from django.contrib.auth.models import User

    user = User.objects.create_user("bob", password="hunter2 hunter2")
    assert user.password.startswith("argon2$argon2id$")
    assert user.check_password("hunter2 hunter2")
    assert not user.check_password("hunter3")
    assert magnetar.PasswordHasher().verify("hunter2 hunter2", user.password)
