"""Magnetar for Django: password hashers and session-risk middleware.

In ``settings.py``::

    from magnetar.contrib.django import PASSWORD_HASHERS

New passwords are then hashed with Argon2id by Magnetar, in Django's own
``argon2$argon2id$...`` format (which Django's ``Argon2PasswordHasher`` also reads), and
every hash format Django has ever written still verifies, through Magnetar, without
``bcrypt`` or ``argon2-cffi`` installed. Django replaces an old hash by itself at the
user's next successful login.

Hashers live in :mod:`magnetar.contrib.django.hashers` and the middleware in
:mod:`magnetar.contrib.django.middleware`; importing this package does not import
Django, so ``settings.py`` can use it.
"""

_HASHERS = "magnetar.contrib.django.hashers."

#: A ready ``PASSWORD_HASHERS`` list: the first entry makes new hashes (Argon2id), the
#: others verify what an existing Django database holds.
PASSWORD_HASHERS = [
    _HASHERS + name
    for name in (
        "MagnetarArgon2PasswordHasher",
        "PBKDF2PasswordHasher",
        "PBKDF2SHA1PasswordHasher",
        "BCryptSHA256PasswordHasher",
        "BCryptPasswordHasher",
        "ScryptPasswordHasher",
        "MD5PasswordHasher",
        "SHA1PasswordHasher",
        "UnsaltedSHA1PasswordHasher",
        "UnsaltedMD5PasswordHasher",
        "PBKDF2WrappedSHA1PasswordHasher",
        "MagnetarImportedPasswordHasher",
    )
]

__all__ = ["PASSWORD_HASHERS"]
