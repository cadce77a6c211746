"""Accounts: creating users, e-mail normalisation and validation. Sign-in, sessions, resets,
verification and profile changes are added beside these."""

from __future__ import annotations

from email_validator import EmailNotValidError, validate_email

from linkhub import ids
from linkhub.errors import ApiError, Invalid
from linkhub.models import User
from linkhub.services import audit, passwords


def normalize_email(raw: str | None, field: str = "email") -> str:
    """Lower-cased, syntax-checked address (no DNS lookups: installs may be offline)."""
    if not raw or not isinstance(raw, str) or not raw.strip():
        raise Invalid(fields={field: "is required"})
    try:
        checked = validate_email(raw.strip(), check_deliverability=False)
    except EmailNotValidError as exc:
        raise Invalid(fields={field: f"is not a valid e-mail address ({exc})"}) from None
    return checked.normalized.lower()


def find_by_email(email: str) -> User | None:
    return User.get_or_none(User.email == email.strip().lower())


def create_user(email: str, password: str, name: str = "") -> User:
    """A new, unverified user. 409 EMAIL_TAKEN when the address is in use."""
    address = normalize_email(email)
    problems: dict[str, str] = {}
    why = passwords.problem(password or "", address)
    if why:
        problems["password"] = why
    if len(name or "") > 200:
        problems["name"] = "must be at most 200 characters"
    if problems:
        raise Invalid(fields=problems)
    if find_by_email(address) is not None:
        raise ApiError("EMAIL_TAKEN", "An account with that e-mail address already exists.")
    user = User.create(public_id=ids.new_id("user"), email=address, name=(name or "").strip(),
                       password_hash=passwords.hash_password(password))
    audit.record("user.create", "user", user.public_id, actor=user)
    return user
