"""Dashboard pages for client tracking: publishable keys (list, create with allowed origins,
edit, rotate, enable/disable, delete) and the install snippet. Binds the forms and calls
services/publishable_keys.py like /api/tracking does; admins and the owner only."""

from __future__ import annotations

import re

from flask import Blueprint, abort, current_app, flash, g, redirect, render_template, url_for
from flask_wtf import FlaskForm
from wtforms import Field, StringField, TextAreaField
from wtforms.validators import InputRequired, Length

from linkhub import pagination
from linkhub.auth import role_at_least
from linkhub.dashboard.forms import ActionForm, sentence
from linkhub.dashboard.guard import require_role, workspace_required
from linkhub.errors import ApiError, Invalid
from linkhub.models import PublishableKey
from linkhub.services import publishable_keys

bp = Blueprint("tracking", __name__)
T = "dashboard/tracking/"
ALL_ROWS = pagination.Page(page=1, limit=1000)
ORIGINS_HELP = ("One per line: exact origins such as https://shop.example or "
                "http://localhost:3000, or *.example.com for every subdomain.")


class KeyForm(FlaskForm):
    name = StringField("Name", [InputRequired("Required."), Length(max=100)])
    origins = TextAreaField("Allowed origins", render_kw={"rows": 4, "spellcheck": "false"})


def _origin_list(text: str | None) -> list[str]:
    """The textarea as the API's list: one origin per line (commas also split)."""
    return [part.strip() for part in re.split(r"[\n,]", text or "") if part.strip()]


def _data(form: KeyForm) -> dict:
    return {"name": form.name.data, "allowedOrigins": _origin_list(form.origins.data)}


def _copy_errors(form: KeyForm, exc: ApiError) -> str | None:
    """The service's field errors beside the fields (`allowedOrigins.2` names the entry)."""
    if not isinstance(exc, Invalid):
        return exc.message
    entries = _origin_list(form.origins.data)
    leftover = []
    for name, message in exc.fields.items():
        target: Field | None = form.name if name == "name" else None
        if name.startswith("allowedOrigins"):
            target = form.origins
            index = name.partition(".")[2]
            if index.isdigit() and int(index) < len(entries):
                message = f"“{entries[int(index)]}” {message}"
        if target is None:
            leftover.append(sentence(f"{name}: {message}"))
        else:
            target.errors = [*target.errors, sentence(message)]
    return " ".join(leftover) or None


def _render_index(form: KeyForm | None = None, error: str | None = None, status: int = 200):
    is_admin = role_at_least(g.role, "admin")
    rows = publishable_keys.list_keys(g.workspace, ALL_ROWS)[0] if is_admin else []
    return render_template(T + "index.html", rows=rows, form=form or KeyForm(formdata=None),
                           error=error, is_admin=is_admin, action=ActionForm(),
                           base_url=current_app.config["LINKHUB"]["BASE_URL"],
                           origins_help=ORIGINS_HELP), status


def _key(key_id: str) -> PublishableKey:
    try:
        return publishable_keys.get(g.workspace, key_id)
    except ApiError as exc:
        abort(exc.status, exc.message)


def _checked_action() -> None:
    require_role("admin")
    if not ActionForm().validate_on_submit():
        abort(400, "The form expired: reload the page and try again.")


@bp.get("/tracking")
@workspace_required
def index():
    return _render_index()


@bp.post("/tracking")
@workspace_required
def create():
    require_role("admin")
    form = KeyForm()
    if not form.validate_on_submit():
        return _render_index(form, status=400)
    try:
        key = publishable_keys.create(g.workspace, g.user, _data(form))
    except ApiError as exc:
        return _render_index(form, _copy_errors(form, exc), exc.status)
    flash(f"Publishable key “{key.name}” created. Add the snippet below to your site.",
          "success")
    return redirect(url_for(".index", _anchor=key.public_id))


@bp.route("/tracking/<key_id>/edit", methods=["GET", "POST"])
@workspace_required
def edit(key_id: str):
    require_role("admin")
    key = _key(key_id)
    form = KeyForm(data={"name": key.name, "origins": "\n".join(key.allowed_origins or [])})
    error, status = None, 200
    if form.is_submitted():
        status = 400
        if form.validate():
            try:
                publishable_keys.update(g.workspace, g.user, key, _data(form))
            except ApiError as exc:
                error, status = _copy_errors(form, exc), exc.status
            else:
                flash(f"Publishable key “{key.name}” saved.", "success")
                return redirect(url_for(".index", _anchor=key.public_id))
    return render_template(T + "edit.html", key=key, form=form, error=error,
                           origins_help=ORIGINS_HELP), status


@bp.post("/tracking/<key_id>/rotate")
@workspace_required
def rotate(key_id: str):
    _checked_action()
    key = publishable_keys.rotate(g.workspace, g.user, _key(key_id))
    flash(f"Key “{key.name}” rotated: the old value stopped working. Update your snippet.",
          "success")
    return redirect(url_for(".index", _anchor=key.public_id))


@bp.post("/tracking/<key_id>/toggle")
@workspace_required
def toggle(key_id: str):
    _checked_action()
    key = _key(key_id)
    publishable_keys.update(g.workspace, g.user, key, {"enabled": not key.enabled})
    flash(f"Key “{key.name}” {'enabled' if key.enabled else 'disabled'}.", "success")
    return redirect(url_for(".index", _anchor=key.public_id))


@bp.post("/tracking/<key_id>/delete")
@workspace_required
def delete(key_id: str):
    _checked_action()
    key = _key(key_id)
    publishable_keys.delete(g.workspace, g.user, key)
    flash(f"Key “{key.name}” deleted; pages using it can no longer report.", "success")
    return redirect(url_for(".index"))
