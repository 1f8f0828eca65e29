"""Passwords, kept only as argon2id hashes (argon2-cffi's PasswordHasher, its recommended
parameters). A hash made with older parameters is replaced at the next successful sign-in."""

from __future__ import annotations

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

_hasher = PasswordHasher()
# Checked when no account matches, so that an unknown address takes as long as a wrong password.
_DUMMY = _hasher.hash("not the password of anyone")


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def verify(stored: str | None, password: str) -> bool:
    """Whether `password` matches `stored` (None: an account without a password, or none at
    all; the dummy is checked so that it takes as long)."""
    try:
        _hasher.verify(stored or _DUMMY, password)  # raises unless it matches
    except (VerificationError, InvalidHashError):
        return False
    return stored is not None


def dummy_verify(password: str) -> None:
    verify(None, password)


def needs_rehash(stored: str) -> bool:
    return _hasher.check_needs_rehash(stored)
