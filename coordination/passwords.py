"""Password hashing with argon2 (argon2-cffi's recommended parameters); nothing hand-rolled."""

from __future__ import annotations

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from domain.errors import InvalidValue

MIN_LENGTH = 8
_hasher = PasswordHasher()
_DUMMY_HASH = _hasher.hash("timing-equaliser-not-a-password")


def use_hasher(hasher: PasswordHasher) -> None:
    """Swap the hasher (the test suite uses argon2's cheapest profile; production never calls this)."""
    global _hasher, _DUMMY_HASH
    _hasher = hasher
    _DUMMY_HASH = hasher.hash("timing-equaliser-not-a-password")


def hash_password(password: str) -> str:
    if not isinstance(password, str) or len(password) < MIN_LENGTH:
        raise InvalidValue("password", f"must be at least {MIN_LENGTH} characters")
    if len(password) > 256:
        raise InvalidValue("password", "must be at most 256 characters")
    return _hasher.hash(password)


def verify_password(password_hash: str | None, password: str) -> bool:
    """True when `password` matches; spends the same time when there is no account to check against."""
    try:
        return _hasher.verify(password_hash or _DUMMY_HASH, password) and password_hash is not None
    except (VerificationError, InvalidHashError):
        return False
