"""Accounts: creating users, sign-up (and when it is open), sign-in with lockout, one-time
tokens, e-mail verification, password resets. Profile changes live in services/settings.py,
sessions (cookie and rows) in services/sessions.py. No HTTP here beyond the Flask session."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from email_validator import EmailNotValidError, validate_email
from flask import current_app

from linkhub import clock, ids, ratelimit
from linkhub.auth import hash_secret
from linkhub.db import database
from linkhub.errors import ApiError, Invalid
from linkhub.models import OneTimeToken, User, Workspace
from linkhub.services import audit, email, passwords, sessions, workspaces

VERIFY_TTL = timedelta(hours=72)
RESET_TTL = timedelta(hours=1)
NAME_MAX = 200


def _settings() -> dict[str, Any]:
    return current_app.config["LINKHUB"]


def limit(bucket: str, key: str) -> None:
    """Count one attempt against the sign-in family of limits (429 RATE_LIMITED when over)."""
    ratelimit.enforce(bucket, key, _settings()["RATE_LIMIT_LOGIN"],
                      "Too many attempts; wait a minute and try again.")


def link(path: str) -> str:
    """An absolute URL of this install for e-mails."""
    return f"{_settings()['BASE_URL']}{path}"


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


def _check_new_account(email: str, password: str, name: str) -> str:
    """The normalised address, or one 400 listing every field that is wrong."""
    problems: dict[str, str] = {}
    address = ""
    try:
        address = normalize_email(email)
    except Invalid as exc:
        problems.update(exc.fields)
    why = passwords.problem(password or "", address or None)
    if why:
        problems["password"] = why
    if len(name or "") > NAME_MAX:
        problems["name"] = f"must be at most {NAME_MAX} characters"
    if problems:
        raise Invalid(fields=problems)
    return address


def create_user(email: str, password: str, name: str = "") -> User:
    """A new, unverified user. 409 EMAIL_TAKEN when the address is in use."""
    address = _check_new_account(email, password, name)
    if find_by_email(address) is not None:
        raise ApiError("EMAIL_TAKEN", "An account with that e-mail address already exists.")
    user = User.create(public_id=ids.new_id("user"), email=address, name=(name or "").strip(),
                       password_hash=passwords.hash_password(password))
    audit.record("user.create", "user", user.public_id, actor=user)
    return user


# --- one-time tokens (reset, verify, e-mail change): stored as keyed hashes, used once ---

def issue_token(user: User, purpose: str, ttl: timedelta,
                payload: dict[str, Any] | None = None) -> str:
    raw = ids.new_token()
    OneTimeToken.create(token_hash=hash_secret(raw), user=user, purpose=purpose,
                        payload=payload, created_at=clock.now(), expires_at=clock.now() + ttl)
    return raw


def find_token(raw: str | None, purpose: str) -> OneTimeToken | None:
    """The unused, unexpired token of this purpose, or None."""
    if not raw or not isinstance(raw, str) or len(raw) > 200:
        return None
    token = OneTimeToken.get_or_none(OneTimeToken.token_hash == hash_secret(raw),
                                     OneTimeToken.purpose == purpose)
    if token is None or token.used_at is not None or token.expires_at <= clock.now():
        return None
    return token


def bad_token(what: str = "link") -> Invalid:
    return Invalid(f"This {what} is invalid, expired or already used.",
                   fields={"token": "is invalid, expired or already used"})


# --- sign-up ---

def signup_open() -> bool:
    """Anyone may sign up on an empty install, or when OPEN_SIGNUP is on."""
    return _settings()["OPEN_SIGNUP"] or not User.select().exists()


def is_empty_install() -> bool:
    return not User.select().exists()


def find_invitation(token: str | None) -> Any:
    """The pending invitation behind `token`, or None (services/invitations.py rules it)."""
    if not token:
        return None
    from linkhub.services import invitations  # written beside this module; imported late

    return invitations.find_valid(token)


@dataclass
class SignUp:
    user: User
    created: bool  # False: an unverified address signed up again; the mail was re-sent
    workspace: Workspace | None = None
    signed_in: bool = False


def sign_up(email: str, password: str, name: str | None = None, *,
            invite_token: str | None = None, workspace_name: str | None = None,
            ip: str = "") -> SignUp:
    """Create an unverified user (and sign them in unless verification is required). Open while
    no user exists, with OPEN_SIGNUP, or with a valid invitation; the first user of an empty
    install also gets a workspace."""
    name = (name or "").strip()
    address = _check_new_account(email, password, name)
    if workspace_name is not None:
        try:
            workspace_name = workspaces.validate_name(workspace_name)
        except Invalid as exc:
            raise Invalid(fields={"workspaceName": exc.fields["name"]}) from None
    limit("signup", f"{ip}|{address}")
    invitation = find_invitation(invite_token)
    if invite_token and invitation is None:
        raise Invalid("This invitation is invalid, expired or already used.",
                      fields={"inviteToken": "is invalid, expired or already used"})
    if invitation is not None and invitation.email.lower() != address:
        raise Invalid(fields={"email": "must be the address the invitation was sent to"})
    with database.atomic("IMMEDIATE"):
        first = is_empty_install()
        if not (first or _settings()["OPEN_SIGNUP"] or invitation is not None):
            raise ApiError("SIGNUP_CLOSED", "Sign-up is closed on this install; ask a workspace "
                                            "admin for an invitation.")
        existing = find_by_email(address)
        if existing is not None and existing.email_verified_at is not None:
            raise ApiError("EMAIL_TAKEN", "An account with that e-mail address already exists.")
        if existing is None:
            result = SignUp(create_user(address, password, name), created=True)
            if first:
                label = workspace_name or f"{name or address.split('@')[0]}'s workspace"
                result.workspace = workspaces.create_workspace(result.user, label[:100])
            if invitation is not None:
                from linkhub.services import invitations

                member = invitations.accept(invite_token, result.user)
                result.workspace = result.workspace or member.workspace
                if result.user.default_workspace_id is None:
                    User.update(default_workspace=member.workspace).where(
                        User.id == result.user.id).execute()
                    result.user.default_workspace = member.workspace
    if existing is not None:  # unverified: same answer path, password untouched
        send_verification(existing)
        return SignUp(existing, created=False)
    send_verification(result.user)
    if may_sign_in(result.user):
        sessions.start(result.user)
        result.signed_in = True
    return result


def may_sign_in(user: User) -> bool:
    return user.email_verified_at is not None or not _settings()["REQUIRE_EMAIL_VERIFICATION"]


# --- sign-in with lockout ---

def _locked_error(user: User) -> ApiError:
    seconds = max(1, int((user.locked_until - clock.now()).total_seconds()))
    minutes = -(-seconds // 60)
    return ApiError("ACCOUNT_LOCKED", f"Too many failed sign-ins: the account is locked for "
                                      f"{minutes} more minute{'s' if minutes != 1 else ''}.",
                    headers={"Retry-After": str(seconds)})


def _record_failure(user: User) -> None:
    settings = _settings()
    failures = user.failed_logins + 1
    if failures >= settings["LOGIN_LOCKOUT_FAILURES"]:
        until = clock.now() + timedelta(minutes=settings["LOGIN_LOCKOUT_MINUTES"])
        User.update(failed_logins=0, locked_until=until).where(User.id == user.id).execute()
        audit.record("user.lock", "user", user.public_id, actor=user,
                     details={"minutes": settings["LOGIN_LOCKOUT_MINUTES"]})
    else:
        User.update(failed_logins=failures).where(User.id == user.id).execute()


def sign_in(email: str, password: str, *, ip: str = "") -> User:
    """Check the credentials and start a session. 401 INVALID_CREDENTIALS (the same for an
    unknown address and a wrong password), 403 ACCOUNT_LOCKED, 403 EMAIL_NOT_VERIFIED,
    429 RATE_LIMITED."""
    address = normalize_email(email)
    if not isinstance(password, str) or not password:
        raise Invalid(fields={"password": "is required"})
    limit("login", f"{ip}|{address}")
    user = find_by_email(address)
    if user is None:
        passwords.dummy_verify(password)
        raise ApiError("INVALID_CREDENTIALS", "Wrong e-mail or password.")
    if user.locked_until is not None and user.locked_until > clock.now():
        raise _locked_error(user)
    if not passwords.verify_password(user.password_hash, password):
        _record_failure(user)
        raise ApiError("INVALID_CREDENTIALS", "Wrong e-mail or password.")
    changes: dict[Any, Any] = {User.failed_logins: 0, User.locked_until: None}
    if not may_sign_in(user):
        User.update(changes).where(User.id == user.id).execute()
        _resend_quietly(user)  # the password was right: help the owner get verified
        raise ApiError("EMAIL_NOT_VERIFIED", f"Verify your e-mail address before signing in: "
                                             f"we have sent a link to {user.email}.")
    changes[User.last_login_at] = clock.now()
    if passwords.needs_rehash(user.password_hash):
        changes[User.password_hash] = passwords.hash_password(password)
    User.update(changes).where(User.id == user.id).execute()
    user = User.get_by_id(user.id)
    sessions.start(user)
    audit.record("user.sign_in", "user", user.public_id, actor=user)
    return user


# --- e-mail verification ---

def send_verification(user: User) -> None:
    raw = issue_token(user, "verify_email", VERIFY_TTL, {"email": user.email})
    email.send("verify_email", user.email, "Confirm your e-mail address", "verify_email",
               {"user": user, "link": link(f"/app/verify-email/{raw}"),
                "hours": int(VERIFY_TTL.total_seconds() // 3600)}, user=user)


def _resend_quietly(user: User) -> None:
    """Send a fresh verification link unless this user had several in the last minute."""
    try:
        limit("verify", f"user:{user.id}")
    except ApiError:
        return
    send_verification(user)


def resend_verification(user: User) -> None:
    if user.email_verified_at is not None:
        raise ApiError("CONFLICT", "Your e-mail address is already verified.")
    limit("verify", f"user:{user.id}")
    send_verification(user)


def verify_email(raw: str | None) -> User:
    """Mark the address the token was sent to as verified (400 on a bad token)."""
    token = find_token(raw, "verify_email")
    if token is None or (token.payload or {}).get("email") != token.user.email:
        raise bad_token("verification link")
    user = token.user
    now = clock.now()
    with database.atomic():
        OneTimeToken.update(used_at=now).where(OneTimeToken.id == token.id).execute()
        if user.email_verified_at is None:
            User.update(email_verified_at=now).where(User.id == user.id).execute()
            audit.record("user.verify_email", "user", user.public_id, actor=user)
    return User.get_by_id(user.id)


# --- password reset ---

def request_password_reset(address: str, *, ip: str = "") -> None:
    """E-mail a reset link when the account exists; the caller answers the same either way."""
    address = normalize_email(address)
    limit("reset", f"{ip}|{address}")
    user = find_by_email(address)
    if user is None:
        return
    raw = issue_token(user, "reset_password", RESET_TTL)
    email.send("reset_password", user.email, "Reset your linkhub password", "reset_password",
               {"user": user, "link": link(f"/app/reset-password/{raw}"), "minutes": 60},
               user=user)


def reset_password(raw: str | None, password: str) -> User:
    """Set a new password with a reset token; every session of the user ends."""
    token = find_token(raw, "reset_password")
    if token is None:
        raise bad_token("reset link")
    user = token.user
    why = passwords.problem(password or "", user.email)
    if why:
        raise Invalid(fields={"password": why})
    now = clock.now()
    with database.atomic():
        OneTimeToken.update(used_at=now).where(
            OneTimeToken.user == user, OneTimeToken.purpose == "reset_password",
            OneTimeToken.used_at.is_null()).execute()
        User.update(password_hash=passwords.hash_password(password), failed_logins=0,
                    locked_until=None,
                    # the link arrived in the mailbox, which proves the address
                    email_verified_at=user.email_verified_at or now,
                    ).where(User.id == user.id).execute()
        sessions.end_all(user)
        audit.record("user.password_reset", "user", user.public_id, actor=user)
    return User.get_by_id(user.id)
