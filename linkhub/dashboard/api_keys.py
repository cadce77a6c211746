"""Dashboard page for the workspace's API keys: list them (admins and the owner), create one
(its secret shown once), enable or disable, delete. Calls services/api_keys.py as
/api/workspaces/{id}/api-keys does."""

from __future__ import annotations

from flask import Blueprint, abort, flash, g, redirect, render_template, url_for
from flask_wtf import FlaskForm
from wtforms import DateField, SelectMultipleField, StringField, widgets
from wtforms.validators import InputRequired, Length, Optional

from linkhub import clock, pagination
from linkhub.auth import ALL_SCOPES, ROLE_RANK, SCOPES, role_at_least
from linkhub.dashboard.forms import ActionForm, copy_errors
from linkhub.dashboard.guard import require_role, workspace_required
from linkhub.errors import ApiError
from linkhub.services import api_keys

bp = Blueprint("api_keys", __name__)
ALL_ROWS = pagination.Page(page=1, limit=1000)


class ApiKeyForm(FlaskForm):
    name = StringField("Name", [InputRequired("Required."), Length(max=100)])
    scopes = SelectMultipleField("Scopes", choices=[], widget=widgets.ListWidget(
        prefix_label=False), option_widget=widgets.CheckboxInput())
    expires = DateField("Expires on (optional)", [Optional()])


def _back(message: str):
    flash(message, "success")
    return redirect(url_for(".index"))


def _scope_choices() -> list[tuple[str, str]]:
    mine = ROLE_RANK[g.role]
    allowed = [s for s, least in SCOPES.items() if ROLE_RANK[least] <= mine]
    return [(ALL_SCOPES, "Everything your role allows (*)")] + [(s, s) for s in allowed]


def _render_keys(status: int = 200, error: str | None = None, form=None, secret=None):
    is_admin = role_at_least(g.role, "admin")
    rows = api_keys.list_keys(g.workspace, ALL_ROWS)[0] if is_admin else []
    if form is None:
        form = ApiKeyForm(prefix="key", formdata=None, data={"scopes": [ALL_SCOPES]})
        form.scopes.choices = _scope_choices() if is_admin else []
    return render_template("dashboard/workspaces/api_keys.html", rows=rows, form=form, error=error,
                           secret=secret, is_admin=is_admin, action=ActionForm(),
                           now=clock.now()), status


@bp.get("/settings/api-keys")
@workspace_required
def index():
    return _render_keys()


@bp.post("/settings/api-keys")
@workspace_required
def create():
    require_role("admin")
    form = ApiKeyForm(prefix="key")
    form.scopes.choices = _scope_choices()
    form.scopes.validate_choice = False
    if not form.validate_on_submit():
        return _render_keys(400, form=form)
    expires = clock.parse_iso(form.expires.data.isoformat(), end_of_day=True) \
        if form.expires.data else None
    try:
        key, raw = api_keys.create_api_key(g.workspace, g.user, form.name.data,
                                           form.scopes.data or [], expires)
    except ApiError as exc:
        return _render_keys(exc.status, copy_errors(form, exc, {"expiresAt": "expires"}), form=form)
    flash(f"API key {key.name} created. Copy it now: it is shown only once.", "success")
    return _render_keys(201, secret={"name": key.name, "key": raw})


@bp.post("/settings/api-keys/<key_id>/toggle")
@workspace_required
def toggle(key_id: str):
    require_role("admin")
    if not ActionForm().validate_on_submit():
        abort(400)
    try:
        key = api_keys.get_key(g.workspace, key_id)
        api_keys.update_api_key(g.workspace, g.user, key, {"enabled": not key.enabled})
    except ApiError as exc:
        abort(exc.status, exc.message)
    state = "enabled" if key.enabled else "disabled"
    return _back(f"API key {key.name} {state}.")


@bp.post("/settings/api-keys/<key_id>/delete")
@workspace_required
def delete(key_id: str):
    require_role("admin")
    if not ActionForm().validate_on_submit():
        abort(400)
    try:
        key = api_keys.get_key(g.workspace, key_id)
        api_keys.delete_api_key(g.workspace, g.user, key)
    except ApiError as exc:
        abort(exc.status, exc.message)
    return _back(f"API key {key.name} deleted; it no longer works.")
