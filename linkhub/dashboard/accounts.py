"""Dashboard account pages: log in/out, sign-up, password reset, e-mail verification and
confirmation, profile. Each binds a form, calls services.accounts / services.settings and copies
their field errors onto the form; no account rule lives here."""

from __future__ import annotations

from urllib.parse import urlsplit

from flask import Blueprint, flash, g, redirect, render_template, request, url_for
from flask_wtf import FlaskForm
from wtforms import HiddenField, PasswordField, SelectField, StringField
from wtforms.validators import EqualTo, InputRequired, Length, Optional

from linkhub.dashboard.forms import copy_errors
from linkhub.dashboard.guard import login_required
from linkhub.errors import ApiError, Invalid
from linkhub.services import accounts, sessions, settings, workspaces

bp = Blueprint("accounts", __name__)
T = "dashboard/accounts/"
REQUIRED = InputRequired("Required.")

# API field names (what services name in Invalid.fields) -> form field names
FIELD_NAMES = {"workspaceName": "workspace_name", "newEmail": "new_email",
               "newPassword": "new_password", "currentPassword": "current_password"}


class LoginForm(FlaskForm):
    email = StringField("E-mail", [REQUIRED, Length(max=320)])
    password = PasswordField("Password", [REQUIRED])
    next = HiddenField()


class SignupForm(FlaskForm):
    name = StringField("Your name", [Optional(), Length(max=200)])
    email = StringField("Work e-mail", [REQUIRED, Length(max=320)])
    password = PasswordField("Password", [REQUIRED])
    workspace_name = StringField("Workspace name", [Optional(), Length(max=100)])
    invite = HiddenField()


class ForgotForm(FlaskForm):
    email = StringField("E-mail", [REQUIRED, Length(max=320)])


class ResetForm(FlaskForm):
    password = PasswordField("New password", [REQUIRED])
    confirm = PasswordField("Repeat the new password",
                            [REQUIRED, EqualTo("password", "The two passwords differ.")])


class ProfileForm(FlaskForm):
    name = StringField("Name", [Optional(), Length(max=200)])
    image = StringField("Avatar image URL", [Optional(), Length(max=2048)])


class PasswordForm(FlaskForm):
    current_password = PasswordField("Current password", [REQUIRED])
    new_password = PasswordField("New password", [REQUIRED])
    confirm = PasswordField("Repeat the new password",
                            [REQUIRED, EqualTo("new_password", "The two passwords differ.")])


class EmailForm(FlaskForm):
    new_email = StringField("New e-mail address", [REQUIRED, Length(max=320)])
    current_password = PasswordField("Current password", [REQUIRED])


class DefaultWorkspaceForm(FlaskForm):
    workspace_id = SelectField("Default workspace", choices=[])


class ActionForm(FlaskForm):
    """A button-only form: CSRF and nothing else."""


def safe_next(value: str | None) -> str:
    """A local path to go to after sign-in; anything else (another host, a scheme, `//`,
    backslashes, control characters) falls back to the dashboard home."""
    home = url_for("dashboard.home.index")
    if not value or not isinstance(value, str) or len(value) > 2000:
        return home
    value = value.rstrip("?")
    parts = urlsplit(value)
    if (not value.startswith("/") or value.startswith(("//", "/\\")) or "\\" in value
            or parts.scheme or parts.netloc or any(ord(c) < 32 or ord(c) == 127 for c in value)):
        return home
    return value


def _signed_in() -> bool:
    return g.get("auth_via") == "session"


@bp.route("/login", methods=["GET", "POST"])
def login():
    form = LoginForm()
    target = safe_next(form.next.data or request.args.get("next"))
    if _signed_in():
        return redirect(target)
    form.next.data = target
    error, status = None, 200
    if form.validate_on_submit():
        try:
            accounts.sign_in(form.email.data, form.password.data, ip=g.client_ip)
        except ApiError as exc:
            error, status = copy_errors(form, exc, FIELD_NAMES), exc.status
        else:
            return redirect(target)
    elif form.errors:
        status = 400
    return render_template(T + "login.html", form=form, error=error,
                           signup_open=accounts.signup_open()), status


@bp.route("/signup", methods=["GET", "POST"])
def signup():
    if _signed_in():
        flash("You are already signed in.", "info")
        return redirect(url_for("dashboard.home.index"))
    form = SignupForm()
    token = form.invite.data or request.args.get("invite") or ""
    invitation = accounts.find_invitation(token) if token else None
    if invitation is None and not accounts.signup_open():
        return render_template(T + "signup_closed.html", invalid_invite=bool(token)), 403
    first = accounts.is_empty_install()
    if request.method == "GET" and invitation is not None:
        form.invite.data, form.email.data = token, invitation.email
    error, status = None, 200
    if form.validate_on_submit():
        try:
            result = accounts.sign_up(
                form.email.data, form.password.data, form.name.data,
                invite_token=token or None, ip=g.client_ip,
                workspace_name=(form.workspace_name.data or None) if first else None)
        except ApiError as exc:
            error, status = copy_errors(form, exc, FIELD_NAMES), exc.status
        else:
            return _after_signup(result)
    elif form.errors:
        status = 400
    return render_template(T + "signup.html", form=form, error=error, first=first,
                           invitation=invitation), status


def _after_signup(result: accounts.SignUp):
    address = result.user.email
    if not result.created:
        flash(f"{address} already has an account waiting for verification: we sent the "
              "verification link again. Open it, then log in.", "info")
        return redirect(url_for(".login"))
    if not result.signed_in:
        flash(f"Account created. We sent a verification link to {address}: open it, then "
              "log in.", "success")
        return redirect(url_for(".login"))
    flash(f"Welcome to linkhub! We sent a link to {address} to confirm your address.",
          "success")
    return redirect(url_for("dashboard.home.index"))


@bp.post("/logout")
def logout():
    if sessions.end():
        flash("You have been logged out.", "success")
    return redirect(url_for(".login"))


@bp.route("/forgot-password", methods=["GET", "POST"])
def forgot_password():
    form = ForgotForm()
    error, status = None, 200
    if form.validate_on_submit():
        try:
            accounts.request_password_reset(form.email.data, ip=g.client_ip)
        except ApiError as exc:
            error, status = copy_errors(form, exc, FIELD_NAMES), exc.status
        else:
            flash("If an account exists for that address, we have sent it a link to choose a "
                  "new password. The link works for one hour.", "success")
            return redirect(url_for(".login"))
    elif form.errors:
        status = 400
    return render_template(T + "forgot_password.html", form=form, error=error), status


@bp.route("/reset-password/<token>", methods=["GET", "POST"])
def reset_password(token: str):
    found = accounts.find_token(token, "reset_password")
    if found is None:
        return render_template(T + "reset_password.html", form=None, error=None), 400
    form = ResetForm()
    error, status = None, 200
    if form.validate_on_submit():
        try:
            accounts.reset_password(token, form.password.data)
        except ApiError as exc:
            error, status = copy_errors(form, exc, FIELD_NAMES), exc.status
        else:
            flash("Your password was changed. Log in with the new one.", "success")
            return redirect(url_for(".login"))
    elif form.errors:
        status = 400
    return render_template(T + "reset_password.html", form=form, error=error,
                           email=found.user.email), status


@bp.get("/verify-email/<token>")
def verify_email(token: str):
    try:
        user = accounts.verify_email(token)
    except Invalid:
        return render_template(T + "verify_email.html", user=None), 400
    return render_template(T + "verify_email.html", user=user)


@bp.route("/confirm-email-change/<token>", methods=["GET", "POST"])
def confirm_email_change(token: str):
    found = accounts.find_token(token, "change_email")
    if found is None:
        return render_template(T + "confirm_email_change.html", pending=None, form=None), 400
    form, error = ActionForm(), None
    if form.validate_on_submit():
        try:
            user = settings.confirm_email_change(token)
        except ApiError as exc:
            error = exc.message
        else:
            flash(f"Your e-mail address is now {user.email}.", "success")
            if _signed_in() and g.user.id == user.id:
                return redirect(url_for(".profile"))
            return redirect(url_for(".login"))
    pending = {"old": found.user.email, "new": (found.payload or {}).get("email", "")}
    return render_template(T + "confirm_email_change.html", pending=pending, form=form,
                           error=error), 409 if error else 200


# --- profile ---

def _profile_forms() -> dict[str, FlaskForm]:
    user = g.user
    forms = {"profile": ProfileForm(prefix="profile", data={"name": user.name,
                                                             "image": user.image or ""}),
             "password": PasswordForm(prefix="password"),
             "email": EmailForm(prefix="email"),
             "default": DefaultWorkspaceForm(prefix="default"),
             "action": ActionForm(prefix="action")}
    mine = workspaces.workspaces_of(user)
    forms["default"].workspace_id.choices = [(w.public_id, w.name) for w in mine]
    if request.method == "GET" or "default-workspace_id" not in request.form:
        default = next((w for w in mine if w.id == user.default_workspace_id), None)
        forms["default"].workspace_id.data = default.public_id if default else None
    return forms


def _render_profile(forms: dict[str, FlaskForm], status: int = 200, error: str | None = None,
                    section: str | None = None):
    return render_template(T + "profile.html", forms=forms, user=g.user, error=error,
                           section=section), status


def _save(forms: dict[str, FlaskForm], key: str, action, success: str):
    """Validate one of the profile page's forms and run its service call."""
    form = forms[key]
    if form.validate_on_submit():
        try:
            action(form)
        except ApiError as exc:
            return _render_profile(forms, exc.status, copy_errors(form, exc, FIELD_NAMES), key)
        flash(success, "success")
        return redirect(url_for(".profile"))
    return _render_profile(forms, 400, None, key)


@bp.get("/profile")
@login_required
def profile():
    return _render_profile(_profile_forms())


@bp.post("/profile")
@login_required
def update_profile():
    return _save(_profile_forms(), "profile", lambda f: settings.update_profile(
        g.user, name=f.name.data or "", image=f.image.data or None), "Profile saved.")


@bp.post("/profile/password")
@login_required
def change_password():
    return _save(_profile_forms(), "password", lambda f: settings.change_password(
        g.user, f.current_password.data, f.new_password.data, keep=g.session_row),
        "Password changed. Your other sessions were signed out.")


@bp.post("/profile/email")
@login_required
def request_email_change():
    forms = _profile_forms()
    address = forms["email"].new_email.data
    return _save(forms, "email", lambda f: settings.request_email_change(
        g.user, f.new_email.data, f.current_password.data),
        f"We sent a confirmation link to {address}. Your address changes once you open it.")


@bp.post("/profile/default-workspace")
@login_required
def default_workspace():
    return _save(_profile_forms(), "default", lambda f: settings.set_default_workspace(
        g.user, f.workspace_id.data or ""), "Default workspace saved.")


@bp.post("/profile/resend-verification")
@login_required
def resend_verification():
    return _save(_profile_forms(), "action", lambda f: accounts.resend_verification(g.user),
                 f"We sent a new verification link to {g.user.email}.")
