"""The package surface: names, docstrings, exception hierarchy, wheel contents."""

import inspect
import pathlib

import magnetar


def test_every_public_name_and_member_has_a_docstring():
    missing = []
    for name in magnetar.__all__:
        obj = getattr(magnetar, name)
        if name.startswith("__"):
            continue
        if not (obj.__doc__ or "").strip():
            missing.append(name)
        if inspect.isclass(obj) and not issubclass(obj, BaseException):
            for member, value in vars(obj).items():
                if member.startswith("_"):
                    continue
                if not (getattr(value, "__doc__", None) or "").strip():
                    missing.append(f"{name}.{member}")
    assert missing == []


def test_exception_hierarchy_and_kinds():
    base = magnetar.MagnetarError
    assert issubclass(base, Exception)
    for name in ["InvalidConfig", "InvalidInput", "StorageError", "DatabaseError", "PoolError",
                 "InvalidKey", "WrongKey", "TamperDetected", "InvalidHash", "TransportError",
                 "InvalidIndex", "SessionError", "InternalError", "ServerUnavailable"]:
        assert issubclass(getattr(magnetar, name), base), name
    for sub, parent in [("PoolTimeout", "PoolError"), ("PoolClosed", "PoolError"),
                        ("DatabaseCorrupt", "DatabaseError"), ("NotADatabase", "DatabaseError"),
                        ("ReadOnlyDatabase", "DatabaseError"), ("SchemaTooNew", "DatabaseError"),
                        ("SessionNotFound", "SessionError"), ("SessionExpired", "SessionError"),
                        ("SessionRevoked", "SessionError"), ("SessionLimit", "SessionError")]:
        assert issubclass(getattr(magnetar, sub), getattr(magnetar, parent)), sub
    assert magnetar.PoolTimeout.kind == "pool_timeout"
    assert magnetar.TamperDetected.kind == "tampered"
    assert magnetar.PoolTimeout.__module__ == "magnetar"


def test_wheel_ships_stubs_and_marker():
    pkg = pathlib.Path(magnetar.__file__).parent
    assert (pkg / "py.typed").exists()
    assert (pkg / "_native.pyi").exists()
    assert magnetar.__version__.count(".") == 2
