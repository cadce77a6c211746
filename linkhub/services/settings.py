"""Account settings of the signed-in user: profile (name, image), default workspace, e-mail
change (confirmed from the new mailbox) and password change. Not install settings (config.py)."""

from __future__ import annotations

from datetime import timedelta
from urllib.parse import urlsplit

from linkhub import clock, ids
from linkhub.db import database
from linkhub.errors import ApiError, Invalid, NotFound
from linkhub.models import Member, OneTimeToken, User, UserSession, Workspace
from linkhub.services import accounts, audit, email, passwords, sessions

CHANGE_EMAIL_TTL = timedelta(hours=24)
IMAGE_MAX = 2048
UNSET = object()


def _image(value: str | None) -> str | None:
    if value is None or value == "":
        return None
    if len(value) > IMAGE_MAX:
        raise Invalid(fields={"image": f"must be at most {IMAGE_MAX} characters"})
    parts = urlsplit(value)
    if parts.scheme.lower() not in ("http", "https") or not parts.netloc or any(
            c.isspace() for c in value):
        raise Invalid(fields={"image": "must be an http(s) URL or null"})
    return value


def update_profile(user: User, *, name: object = UNSET, image: object = UNSET) -> User:
    """Change the name and/or the image URL; fields left UNSET are kept."""
    changes: dict = {}
    problems: dict[str, str] = {}
    if name is not UNSET:
        cleaned = (name or "").strip() if isinstance(name, str) or name is None else name
        if not isinstance(cleaned, str):
            problems["name"] = "must be a string"
        elif len(cleaned) > accounts.NAME_MAX:
            problems["name"] = f"must be at most {accounts.NAME_MAX} characters"
        else:
            changes[User.name] = cleaned
    if image is not UNSET:
        try:
            changes[User.image] = _image(image)  # type: ignore[arg-type]
        except Invalid as exc:
            problems.update(exc.fields)
    if problems:
        raise Invalid(fields=problems)
    if not changes:
        raise Invalid("Send name and/or image.", fields={"body": "send name and/or image"})
    changes[User.updated_at] = clock.now()
    User.update(changes).where(User.id == user.id).execute()
    audit.record("user.update", "user", user.public_id, actor=user,
                 details={"fields": sorted(f.name for f in changes if f.name != "updated_at")})
    return User.get_by_id(user.id)


def set_default_workspace(user: User, workspace_public_id: str) -> Workspace:
    """The workspace chosen when a request names none; the user must be a member (else 404)."""
    if not ids.is_valid("workspace", workspace_public_id):
        raise NotFound("Workspace not found.")
    workspace = (Workspace.select().join(Member)
                 .where(Workspace.public_id == workspace_public_id, Member.user == user)
                 .first())
    if workspace is None:
        raise NotFound("Workspace not found.")
    User.update(default_workspace=workspace, updated_at=clock.now()).where(
        User.id == user.id).execute()
    audit.record("user.default_workspace", "user", user.public_id, workspace=workspace,
                 actor=user)
    return workspace


def request_email_change(user: User, new_email: str | None, current_password: str | None) -> str:
    """Send a confirmation link to the new address; the change applies once it is opened.
    400 PASSWORD_REQUIRED, 401 INVALID_PASSWORD, 409 EMAIL_TAKEN. Returns the new address."""
    address = accounts.normalize_email(new_email, field="newEmail")
    if address == user.email:
        raise Invalid(fields={"newEmail": "is already your e-mail address"})
    accounts.limit("password", f"user:{user.id}")
    passwords.check_current(user, current_password)
    if accounts.find_by_email(address) is not None:
        raise ApiError("EMAIL_TAKEN", "Another account already uses that e-mail address.")
    with database.atomic():
        # a newer request replaces any pending one
        OneTimeToken.delete().where(OneTimeToken.user == user,
                                    OneTimeToken.purpose == "change_email",
                                    OneTimeToken.used_at.is_null()).execute()
        raw = accounts.issue_token(user, "change_email", CHANGE_EMAIL_TTL, {"email": address})
        audit.record("user.email_change_request", "user", user.public_id, actor=user)
    email.send("change_email", address, "Confirm your new e-mail address", "change_email",
               {"user": user, "new_email": address,
                "link": accounts.link(f"/app/confirm-email-change/{raw}"),
                "hours": int(CHANGE_EMAIL_TTL.total_seconds() // 3600)}, user=user)
    return address


def confirm_email_change(raw: str | None, user: User | None = None) -> User:
    """Apply a pending e-mail change (the token proves the new mailbox). With `user`, the
    token must be theirs."""
    token = accounts.find_token(raw, "change_email")
    if token is None or (user is not None and token.user_id != user.id):
        raise accounts.bad_token("confirmation link")
    owner = token.user
    address = (token.payload or {}).get("email", "")
    if accounts.find_by_email(address) is not None:
        raise ApiError("EMAIL_TAKEN", "Another account already uses that e-mail address.")
    now = clock.now()
    with database.atomic():
        OneTimeToken.update(used_at=now).where(OneTimeToken.id == token.id).execute()
        User.update(email=address, email_verified_at=now, updated_at=now).where(
            User.id == owner.id).execute()
        audit.record("user.email_change", "user", owner.public_id, actor=owner,
                     details={"from": owner.email, "to": address})
    return User.get_by_id(owner.id)


def change_password(user: User, current_password: str | None, new_password: str | None,
                    keep: UserSession | None = None) -> None:
    """Replace the password after checking the current one; other sessions end."""
    accounts.limit("password", f"user:{user.id}")
    passwords.check_current(user, current_password)
    why = passwords.problem(new_password or "", user.email)
    if why:
        raise Invalid(fields={"newPassword": why})
    with database.atomic():
        User.update(password_hash=passwords.hash_password(new_password), failed_logins=0,
                    locked_until=None, updated_at=clock.now()).where(
            User.id == user.id).execute()
        sessions.end_all(user, keep=keep)
        audit.record("user.password_change", "user", user.public_id, actor=user)
