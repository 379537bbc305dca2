"""Exceptions also derive from the built-in that fits, so host `except` clauses written
for the hand-written modules Magnetar replaces keep working."""

import pytest

import magnetar
from conftest import second_writer_error


@pytest.mark.parametrize(
    "name, builtin",
    [
        ("InvalidInput", ValueError),
        ("InvalidConfig", ValueError),
        ("InvalidKey", ValueError),
        ("InvalidHash", ValueError),
        ("PoolTimeout", TimeoutError),
        ("ServerUnavailable", ConnectionError),
        ("StorageError", OSError),
        ("SessionNotFound", LookupError),
        ("InternalError", RuntimeError),
    ],
)
def test_classes_also_subclass_the_fitting_builtin(name, builtin):
    cls = getattr(magnetar, name)
    assert issubclass(cls, builtin)
    assert issubclass(cls, magnetar.MagnetarError)
    assert cls.__module__ == "magnetar"
    assert (cls.__doc__ or "").strip()


def test_kinds_are_unique_per_class():
    classes = [getattr(magnetar, n) for n in magnetar.__all__
               if isinstance(getattr(magnetar, n), type)
               and issubclass(getattr(magnetar, n), magnetar.MagnetarError)]
    kinds = [c.kind for c in classes]
    assert len(kinds) == len(set(kinds)) == 25


def test_invalid_input_is_caught_as_value_error(pool):
    with pytest.raises(ValueError) as info:
        pool.query("SELECT ?", (object(),))
    assert isinstance(info.value, magnetar.InvalidInput)
    assert info.value.kind == "invalid_input"


def test_invalid_hash_is_caught_as_value_error():
    with pytest.raises(ValueError, match="hash"):
        magnetar.PasswordHasher().verify("pw", "not a hash at all")


def test_storage_error_is_an_os_error(tmp_path):
    with pytest.raises(OSError) as info:
        magnetar.Pool(str(tmp_path / "missing-dir" / "x.db"))
    assert isinstance(info.value, magnetar.StorageError)
    assert str(info.value)  # the message survives OSError's constructor


def test_session_not_found_is_a_lookup_error(pool):
    registry = magnetar.SessionRegistry(pool, fingerprint_key=b"k" * 32)
    with pytest.raises(LookupError) as info:
        registry.validate("A" * 43, ip="203.0.113.7", user_agent="ua")
    assert isinstance(info.value, magnetar.SessionNotFound)


def test_pool_timeout_is_a_timeout_error(db_path):
    pool = magnetar.Pool(db_path, acquire_timeout=0.05)
    with pool.write() as conn:
        conn.execute("CREATE TABLE t (x)")
        error = second_writer_error(pool)
    pool.close()
    assert isinstance(error, TimeoutError)
    assert isinstance(error, magnetar.PoolTimeout)
    assert error.kind == "pool_timeout"
