"""Password hashing with argon2 (argon2-cffi's recommended parameters) and the password rule; nothing
hand-rolled.

The rule for every new password (等保 2.0 身份鉴别, 口令复杂度): at least 10 characters, and at least
three of the four kinds — lower-case letters, upper-case letters, digits, other characters — and not
the username.
"""

from __future__ import annotations

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from domain.errors import InvalidValue

MIN_LENGTH = 10
MIN_KINDS = 3
_hasher = PasswordHasher()
_dummy_hash: str | None = None
"""A hash to verify against when there is no account: made by `prepare` when a web process starts, not at import
(every process that imports this module, the projection worker and each CLI call too, paid a full argon2 hash)."""


def use_hasher(hasher: PasswordHasher) -> None:
    """Swap the hasher (the test suite uses argon2's cheapest profile; production never calls this)."""
    global _hasher, _dummy_hash
    _hasher, _dummy_hash = hasher, None


def prepare() -> None:
    """Make the timing equaliser now (a web process calls this as it starts), so that the first login of an
    unknown user does not take a hash longer than any other and tell that the user is unknown."""
    _dummy()


def _dummy() -> str:
    global _dummy_hash
    if _dummy_hash is None:
        _dummy_hash = _hasher.hash("timing-equaliser-not-a-password")
    return _dummy_hash


def check_rule(password: object, *, username: str = "", field: str = "password") -> str:
    """The password if it follows the rule; InvalidValue (422, per field) saying what is missing."""
    if not isinstance(password, str) or len(password) < MIN_LENGTH:
        raise InvalidValue(field, f"must be at least {MIN_LENGTH} characters (密码至少 {MIN_LENGTH} 位)")
    if len(password) > 256:
        raise InvalidValue(field, "must be at most 256 characters")
    kinds = sum([any(c.islower() for c in password), any(c.isupper() for c in password),
                 any(c.isdigit() for c in password), any(not c.isalnum() for c in password)])
    if kinds < MIN_KINDS:
        raise InvalidValue(field, "must mix at least 3 of: lower-case, upper-case, digits, symbols "
                                  "(密码须包含小写字母、大写字母、数字、符号中的至少三类)")
    if username and username.lower() in password.lower():
        raise InvalidValue(field, "must not contain the username (密码不得包含用户名)")
    return password


def hash_password(password: str, *, username: str = "") -> str:
    return _hasher.hash(check_rule(password, username=username))


def hash_secret(secret: str) -> str:
    """A generated secret (a recovery code): hashed like a password, without the rule."""
    return _hasher.hash(secret)


def verify_password(password_hash: str | None, password: str) -> bool:
    """True when `password` matches; spends the same time when there is no account to check against."""
    try:
        return _hasher.verify(password_hash or _dummy(), password) and password_hash is not None
    except (VerificationError, InvalidHashError):
        return False
