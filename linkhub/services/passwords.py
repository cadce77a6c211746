"""Password rules and hashing: at least 8 characters, at most 256, not one of the commonest
passwords, not the e-mail address; argon2id hashes; checking a user's current password.
It never stores anything: accounts.py decides when a hash is written."""

from __future__ import annotations

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from linkhub.errors import ApiError
from linkhub.models import User

MIN_LENGTH = 8
MAX_LENGTH = 256

_hasher = PasswordHasher()
_dummy: tuple[PasswordHasher, str] | None = None

# The commonest passwords of public breach corpora that pass the length rule.
COMMON = frozenset("""
password password1 password12 password123 password1234 12345678 123456789 1234567890
12341234 11111111 00000000 88888888 87654321 qwertyui qwertyuiop qwerty123 qwerty12
1q2w3e4r 1q2w3e4r5t 1qaz2wsx zaq12wsx iloveyou iloveyou1 sunshine princess football
baseball welcome welcome1 welcome123 abc12345 abcd1234 admin123 administrator letmein1
passw0rd p@ssw0rd p@ssword trustno1 superman batman123 dragon123 monkey123 starwars
whatever computer michelle jennifer internet changeme changeme123 secret123 linkhub123
qazwsxedc asdfghjkl zxcvbnm1 aaaaaaaa asdfasdf 123123123 123qweasd q1w2e3r4 freedom1
shadow12 master12 mustang1 access14 login123 hello123 charlie1 loveyou1 football1
""".split())


def problem(password: str, email: str | None = None) -> str | None:
    """Why a new password is refused, or None when it is acceptable."""
    if len(password) < MIN_LENGTH:
        return f"must be at least {MIN_LENGTH} characters"
    if len(password) > MAX_LENGTH:
        return f"must be at most {MAX_LENGTH} characters"
    if password.lower() in COMMON:
        return "is one of the most common passwords; choose another"
    if email and password.lower() == email.lower():
        return "must not be your e-mail address"
    return None


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def verify_password(stored_hash: str | None, password: str) -> bool:
    if not stored_hash:
        return False
    try:
        return _hasher.verify(stored_hash, password)
    except (VerificationError, InvalidHashError):
        return False


def needs_rehash(stored_hash: str) -> bool:
    return _hasher.check_needs_rehash(stored_hash)


def dummy_verify(password: str) -> None:
    """Spend what a real verification costs, so an unknown e-mail answers as slowly as a wrong
    password (no account enumeration by timing)."""
    global _dummy
    if _dummy is None or _dummy[0] is not _hasher:
        _dummy = (_hasher, _hasher.hash("linkhub-dummy-password"))
    verify_password(_dummy[1], password)


def check_current(user: User, password: str | None) -> None:
    """A credential user confirming a sensitive change: 400 PASSWORD_REQUIRED when the current
    password is missing, 401 INVALID_PASSWORD when it is wrong. Social-only users pass."""
    if not user.password_hash:
        return
    if not password:
        raise ApiError("PASSWORD_REQUIRED", "Confirm the change with your current password.")
    if not verify_password(user.password_hash, password):
        raise ApiError("INVALID_PASSWORD", "The current password is wrong.")
