"""Django password hashers backed by Magnetar.

Put :data:`magnetar.contrib.django.PASSWORD_HASHERS` in ``settings.PASSWORD_HASHERS``.
The first hasher, :class:`MagnetarArgon2PasswordHasher`, makes every new hash: Argon2id
through Magnetar, written in Django's own ``argon2$argon2id$v=19$m=...,t=...,p=...$salt$hash``
format, so Django's ``Argon2PasswordHasher`` could read it back too. The others carry the
algorithm names of Django's hashers, so :func:`~django.contrib.auth.hashers.identify_hasher`
routes every hash an existing Django database holds to one of them, and verify it with
Magnetar (constant time, the GIL released, no ``bcrypt`` or ``argon2-cffi`` needed).
Because they are not the first hasher, Django's ``check_password`` replaces such a hash
with a new Argon2id one at the next successful login.

Options for the Argon2id policy (``memory_kib``, ``iterations``, ``parallelism``,
``pepper``...) are the keyword arguments of :class:`magnetar.PasswordHasher`, given as
the ``MAGNETAR_PASSWORD_HASHER`` setting (a dict).
"""

from __future__ import annotations

from typing import Any, Optional, Union

from django import conf as django_conf  # type: ignore[import-untyped]
from django.contrib.auth import hashers as django_hashers  # type: ignore[import-untyped]
from django.contrib.auth.hashers import BasePasswordHasher, mask_hash  # type: ignore[import-untyped]
from django.core.signals import setting_changed  # type: ignore[import-untyped]
from django.utils.translation import gettext_noop as _  # type: ignore[import-untyped]

import magnetar

__all__ = [
    "BCryptPasswordHasher",
    "BCryptSHA256PasswordHasher",
    "MD5PasswordHasher",
    "MagnetarArgon2PasswordHasher",
    "MagnetarImportedPasswordHasher",
    "PBKDF2PasswordHasher",
    "PBKDF2SHA1PasswordHasher",
    "PBKDF2WrappedSHA1PasswordHasher",
    "SHA1PasswordHasher",
    "ScryptPasswordHasher",
    "UnsaltedMD5PasswordHasher",
    "UnsaltedSHA1PasswordHasher",
    "import_hash",
    "magnetar_hasher",
]

_Password = Union[str, bytes]


# One hasher per process, built on first use (settings are read then, not at import).
_hasher: Optional[magnetar.PasswordHasher] = None


def magnetar_hasher() -> magnetar.PasswordHasher:
    """The Magnetar hasher every Django hasher here uses, configured by the
    ``MAGNETAR_PASSWORD_HASHER`` setting (keyword arguments of
    :class:`magnetar.PasswordHasher`; Magnetar's OWASP defaults when unset)."""
    global _hasher
    if _hasher is None:
        # Two threads may both build one on first use; both are equivalent.
        _hasher = magnetar.PasswordHasher(**getattr(django_conf.settings, "MAGNETAR_PASSWORD_HASHER", {}))
    return _hasher


def _setting_changed(*, setting: str, **kwargs: Any) -> None:
    # override_settings() in tests, or a reloaded configuration.
    global _hasher
    if setting == "MAGNETAR_PASSWORD_HASHER":
        _hasher = None


setting_changed.connect(_setting_changed)


class _VerifiedByMagnetar:
    """Verification of a stored hash through Magnetar. A malformed hash raises
    :class:`magnetar.InvalidHash`, a ``ValueError`` as Django's own hashers raise."""

    def _stored(self, encoded: str) -> str:
        """The hash as Magnetar reads it (the Django value unless a subclass says)."""
        return encoded

    def verify(self, password: _Password, encoded: str) -> bool:
        return magnetar_hasher().verify(password, self._stored(encoded))


class MagnetarArgon2PasswordHasher(_VerifiedByMagnetar, BasePasswordHasher):
    """Argon2id through Magnetar, in Django's ``argon2$...`` format; the hasher that
    makes new hashes."""

    algorithm = "argon2"

    def encode(self, password: _Password, salt: str) -> str:
        if password is None:
            raise TypeError("password must be provided.")
        # Magnetar draws a fresh 16-byte salt from the OS for every hash and has no
        # way to take one from outside, so Django's `salt` is not used. Django's
        # format is the PHC string after the algorithm name.
        return self.algorithm + magnetar_hasher().hash(password)

    def decode(self, encoded: str) -> dict[str, Any]:
        algorithm, variety, *fields, salt, hash = encoded.split("$")
        if algorithm != self.algorithm or len(fields) not in (1, 2):
            raise ValueError("not a Django argon2 hash")
        version = int(fields[0][2:]) if fields[0].startswith("v=") else 0x10
        params = dict(item.split("=", 1) for item in fields[-1].split(","))
        return {
            "algorithm": algorithm,
            "hash": hash,
            "memory_cost": int(params["m"]),
            "parallelism": int(params["p"]),
            "salt": salt,
            "time_cost": int(params["t"]),
            "variety": variety,
            "version": version,
        }

    def safe_summary(self, encoded: str) -> dict[str, Any]:
        decoded = self.decode(encoded)
        return {
            _("algorithm"): decoded["algorithm"],
            _("variety"): decoded["variety"],
            _("version"): decoded["version"],
            _("memory cost"): decoded["memory_cost"],
            _("time cost"): decoded["time_cost"],
            _("parallelism"): decoded["parallelism"],
            _("salt"): mask_hash(decoded["salt"]),
            _("hash"): mask_hash(decoded["hash"]),
        }

    def must_update(self, encoded: str) -> bool:
        # Magnetar's policy decides (variant, version, costs, pepper); it judges the PHC
        # string, since Django's prefix alone would make it call every hash legacy.
        return magnetar_hasher().needs_rehash(encoded[len(self.algorithm):])

    def harden_runtime(self, password: _Password, encoded: str) -> None:
        # Called for a wrong password whose hash must_update() flagged. A right one
        # costs the verify plus the new hash Django then stores; one hash at the
        # current policy gives a wrong one the same cost, so timing does not tell them
        # apart.
        magnetar_hasher().hash(password)


# Hashers for what Django wrote before. They keep Django's own encode/decode/
# safe_summary/must_update (so `make_password(..., hasher="pbkdf2_sha256")` and the admin
# still behave as Django's), and verify through Magnetar.


class PBKDF2PasswordHasher(_VerifiedByMagnetar, django_hashers.PBKDF2PasswordHasher):
    """Django's ``pbkdf2_sha256``, verified by Magnetar."""


class PBKDF2SHA1PasswordHasher(_VerifiedByMagnetar, django_hashers.PBKDF2SHA1PasswordHasher):
    """Django's ``pbkdf2_sha1``, verified by Magnetar."""


class BCryptSHA256PasswordHasher(_VerifiedByMagnetar, django_hashers.BCryptSHA256PasswordHasher):
    """Django's ``bcrypt_sha256``, verified by Magnetar (no ``bcrypt`` package needed)."""


class BCryptPasswordHasher(_VerifiedByMagnetar, django_hashers.BCryptPasswordHasher):
    """Django's ``bcrypt``, verified by Magnetar (no ``bcrypt`` package needed)."""


class ScryptPasswordHasher(_VerifiedByMagnetar, django_hashers.ScryptPasswordHasher):
    """Django's ``scrypt``, verified by Magnetar."""


class MD5PasswordHasher(_VerifiedByMagnetar, django_hashers.MD5PasswordHasher):
    """Django's salted ``md5``, verified by Magnetar."""


class _ReadOnlyHasher(_VerifiedByMagnetar, BasePasswordHasher):
    """A format that is only verified: Django no longer writes it and neither does
    Magnetar, so every such hash is replaced at the next login."""

    def encode(self, password: _Password, salt: str) -> str:
        raise NotImplementedError(
            f"{self.algorithm!r} hashes are only verified; new hashes are Argon2id "
            f"(MagnetarArgon2PasswordHasher)"
        )

    def must_update(self, encoded: str) -> bool:
        return True

    def harden_runtime(self, password: _Password, encoded: str) -> None:
        # Django calls this only when the hash's hasher is also the preferred (first)
        # one, which a read-only hasher never is.
        pass

    def safe_summary(self, encoded: str) -> dict[str, Any]:
        decoded = self.decode(encoded)
        summary = {_("algorithm"): decoded["algorithm"]}
        if decoded["salt"]:
            summary[_("salt")] = mask_hash(decoded["salt"], show=2)
        summary[_("hash")] = mask_hash(decoded["hash"])
        return summary


class SHA1PasswordHasher(_ReadOnlyHasher):
    """Django's salted ``sha1$salt$hex`` (removed from Django 5.1)."""

    algorithm = "sha1"

    def decode(self, encoded: str) -> dict[str, Any]:
        algorithm, salt, hash = encoded.split("$", 2)
        return {"algorithm": algorithm, "hash": hash, "salt": salt}


class UnsaltedSHA1PasswordHasher(_ReadOnlyHasher):
    """Django's ``sha1$$hex`` (removed from Django 5.1)."""

    algorithm = "unsalted_sha1"

    def decode(self, encoded: str) -> dict[str, Any]:
        return {"algorithm": self.algorithm, "hash": encoded.split("$$", 1)[-1], "salt": None}


class UnsaltedMD5PasswordHasher(_ReadOnlyHasher):
    """Django's unsalted MD5: bare hex or ``md5$$hex`` (removed from Django 5.1)."""

    algorithm = "unsalted_md5"

    def _stored(self, encoded: str) -> str:
        # Django wrote both forms for the same digest; Magnetar reads the tagged one
        # (a bare hex digest could be any legacy system's).
        return encoded if encoded.startswith("md5$$") else "md5$$" + encoded

    def decode(self, encoded: str) -> dict[str, Any]:
        return {"algorithm": self.algorithm, "hash": encoded.split("$$", 1)[-1], "salt": None}


class PBKDF2WrappedSHA1PasswordHasher(_ReadOnlyHasher, django_hashers.PBKDF2PasswordHasher):
    """``pbkdf2_wrapped_sha1``: the hasher of Django's documentation ("password
    upgrading without requiring a login"), PBKDF2-SHA256 over the hex digest of an old
    salted ``sha1$salt$hex`` hash. Verified by Magnetar as PBKDF2-SHA256 of that digest.
    """

    algorithm = "pbkdf2_wrapped_sha1"
    # Django's PBKDF2 decode() and safe_summary() read this format as it is.
    decode = django_hashers.PBKDF2PasswordHasher.decode
    safe_summary = django_hashers.PBKDF2PasswordHasher.safe_summary

    def verify(self, password: _Password, encoded: str) -> bool:
        _algorithm, iterations, salt, hash = encoded.split("$", 3)
        if isinstance(password, bytes):
            password = password.decode()
        # The inner digest is what Django's SHA1PasswordHasher stored; Magnetar then
        # checks the outer PBKDF2 in constant time.
        inner = magnetar.PasswordHasher.django_sha1_digest(salt, password)
        return magnetar_hasher().verify(inner, f"pbkdf2_sha256${iterations}${salt}${hash}")


class MagnetarImportedPasswordHasher(_ReadOnlyHasher):
    """``magnetar$<hash>``: a hash written by another system (passlib, Werkzeug, crypt,
    raw bcrypt or Argon2 PHC strings...) imported with :func:`import_hash`."""

    algorithm = "magnetar"

    def _stored(self, encoded: str) -> str:
        return encoded.split("$", 1)[1]

    def decode(self, encoded: str) -> dict[str, Any]:
        stored = self._stored(encoded)
        return {
            "algorithm": self.algorithm,
            "format": magnetar_hasher().identify(stored),
            "hash": stored,
            "salt": None,
        }

    def safe_summary(self, encoded: str) -> dict[str, Any]:
        decoded = self.decode(encoded)
        return {
            _("algorithm"): decoded["algorithm"],
            _("format"): decoded["format"],
            _("hash"): mask_hash(decoded["hash"]),
        }


def import_hash(stored: str, *, legacy_digests: Optional[tuple[str, ...]] = None) -> str:
    """The value to put in a Django password column for a hash another system wrote.

    Checks that Magnetar reads ``stored`` (raising :class:`magnetar.InvalidHash`
    otherwise) and tags it ``magnetar$`` so Django routes it to
    :class:`MagnetarImportedPasswordHasher`. Bare hex digests need their algorithm in
    ``legacy_digests`` (e.g. ``("sha256",)``) both here and in the
    ``MAGNETAR_PASSWORD_HASHER`` setting.
    """
    checker = magnetar.PasswordHasher(legacy_digests=legacy_digests) if legacy_digests else magnetar_hasher()
    checker.identify(stored)
    return "magnetar$" + stored
