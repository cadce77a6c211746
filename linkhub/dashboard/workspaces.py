"""Dashboard pages for workspaces: switch, create, general settings, members and invitations,
and accepting an invitation (the API keys page is api_keys.py). Each binds a form, calls the
same services as the API and copies their field errors onto the form; the rules live in
services/."""

from __future__ import annotations

from urllib.parse import urlsplit

from flask import Blueprint, abort, flash, g, redirect, render_template, request, session, url_for
from flask_wtf import FlaskForm
from wtforms import SelectField, StringField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import InputRequired, Length, Optional

from linkhub import pagination
from linkhub.auth import role_at_least
from linkhub.dashboard.forms import ActionForm, copy_errors, sentence
from linkhub.dashboard.guard import login_required, require_role, workspace_required
from linkhub.errors import ApiError, Invalid
from linkhub.services import invitations, members, workspaces

bp = Blueprint("workspaces", __name__)
T = "dashboard/workspaces/"
REQUIRED = InputRequired("Required.")
ROLE_CHOICES = [SelectChoice("admin", "Admin"), SelectChoice("editor", "Editor"),
                SelectChoice("viewer", "Viewer")]
ALL_ROWS = pagination.Page(page=1, limit=1000)
# service field names -> form field names
FIELD_NAMES = {"memberId": "member_id"}


class CreateForm(FlaskForm):
    name = StringField("Workspace name", [REQUIRED, Length(max=100)])


class GeneralForm(FlaskForm):
    name = StringField("Name", [REQUIRED, Length(max=100)])
    timezone = SelectField("Time zone", choices=[])
    logo = StringField("Logo URL", [Optional(), Length(max=2048)])


class TransferForm(FlaskForm):
    member_id = SelectField("New owner", choices=[])


class DeleteForm(FlaskForm):
    confirm = StringField("Type the workspace name to confirm", [REQUIRED])


class InviteForm(FlaskForm):
    email = StringField("E-mail address", [REQUIRED, Length(max=320)])
    role = SelectField("Role", choices=ROLE_CHOICES, default="editor")


class RoleForm(FlaskForm):
    role = SelectField("Role", choices=ROLE_CHOICES)


def message_of(exc: ApiError) -> str:
    """One sentence per field error, without the field's name: the member pages' forms are
    buttons whose only field is hidden."""
    if isinstance(exc, Invalid) and exc.fields:
        return " ".join(sentence(message) for message in exc.fields.values())
    return exc.message


def _back_to(endpoint: str, message: str, category: str = "success"):
    flash(message, category)
    return redirect(url_for(endpoint))


# --- switch and create ------------------------------------------------------------------------

@bp.post("/workspaces/switch")
@login_required
def switch():
    member = workspaces.membership_by_id(g.user, request.form.get("workspace_id"))
    if member is None:
        abort(404, "Workspace not found.")
    session["workspace_id"] = member.workspace.public_id
    flash(f"Switched to {member.workspace.name}.", "success")
    referrer = urlsplit(request.referrer or "")
    if referrer.netloc == request.host and referrer.path.startswith("/app/") \
            and not referrer.path.startswith("/app/invitations/"):
        return redirect(referrer.path)
    return redirect(url_for("dashboard.home.index"))


@bp.route("/workspaces/new", methods=["GET", "POST"])
@login_required
def create():
    form, error, status = CreateForm(), None, 200
    if form.validate_on_submit():
        try:
            workspace = workspaces.create_workspace(g.user, form.name.data)
        except ApiError as exc:
            error, status = copy_errors(form, exc, FIELD_NAMES), exc.status
        else:
            session["workspace_id"] = workspace.public_id
            flash(f"Workspace {workspace.name} created. You are its owner.", "success")
            return redirect(url_for("dashboard.home.index"))
    elif form.errors:
        status = 400
    return render_template(T + "create.html", form=form, error=error), status


# --- general settings -------------------------------------------------------------------------

def _general_forms(**bound: FlaskForm) -> dict[str, FlaskForm]:
    ws = g.workspace
    forms = {"general": bound.get("general") or GeneralForm(
                 prefix="general", formdata=None, data={"name": ws.name, "logo": ws.logo or "",
                                                        "timezone": ws.timezone}),
             "transfer": bound.get("transfer") or TransferForm(prefix="transfer", formdata=None),
             "delete": bound.get("delete") or DeleteForm(prefix="delete", formdata=None)}
    forms["general"].timezone.choices = sorted(workspaces.timezones())
    rows, _ = members.list_members(ws, ALL_ROWS)
    forms["transfer"].member_id.choices = [
        (m.public_id, f"{m.user.name or m.user.email} ({m.user.email}, {m.role})")
        for m in rows if m.user_id != g.user.id]
    return forms


def _render_general(status: int = 200, error: str | None = None, **bound: FlaskForm):
    return render_template(T + "general.html", forms=_general_forms(**bound), error=error,
                           workspace=g.workspace,
                           usage=workspaces.usage(g.workspace)), status


@bp.get("/settings/general")
@workspace_required
def settings_general():
    return _render_general()


@bp.post("/settings/general")
@workspace_required
def update_general():
    require_role("admin")
    form = GeneralForm(prefix="general")
    form.timezone.choices = sorted(workspaces.timezones())
    form.timezone.validate_choice = False  # the service names the problem
    if not form.validate_on_submit():
        return _render_general(400, general=form)
    try:
        workspaces.update_workspace(g.workspace, g.user, {
            "name": form.name.data, "timezone": form.timezone.data,
            "logo": form.logo.data or None})
    except ApiError as exc:
        return _render_general(exc.status, copy_errors(form, exc, FIELD_NAMES), general=form)
    return _back_to(".settings_general", "Workspace settings saved.")


@bp.post("/settings/general/transfer")
@workspace_required
def transfer_ownership():
    require_role("owner")
    form = TransferForm(prefix="transfer")
    form.member_id.validate_choice = False
    if not form.validate_on_submit():
        return _render_general(400, transfer=form)
    try:
        owner = workspaces.transfer_ownership(g.workspace, g.user, member_id=form.member_id.data)
    except ApiError as exc:
        return _render_general(exc.status, copy_errors(form, exc, FIELD_NAMES), transfer=form)
    return _back_to(".settings_general", f"{owner.user.email} now owns {g.workspace.name}; "
                                          "you are an admin.")


@bp.post("/settings/general/delete")
@workspace_required
def delete_workspace():
    require_role("owner")
    form = DeleteForm(prefix="delete")
    if form.validate_on_submit() and form.confirm.data.strip() != g.workspace.name:
        form.confirm.errors = ["Type the workspace name exactly as shown to confirm."]
    if form.errors:
        return _render_general(400, delete=form)
    name = g.workspace.name
    try:
        workspaces.delete_workspace(g.workspace, g.user)
    except ApiError as exc:
        return _render_general(exc.status, copy_errors(form, exc, FIELD_NAMES), delete=form)
    session.pop("workspace_id", None)
    return _back_to("dashboard.home.index", f"Workspace {name} was deleted.")


# --- members and invitations ------------------------------------------------------------------

def _render_members(status: int = 200, error: str | None = None, invite_form=None,
                    new_link: str | None = None):
    rows, _ = members.list_members(g.workspace, ALL_ROWS)
    mine = next(m for m in rows if m.user_id == g.user.id)
    is_admin = role_at_least(g.role, "admin")
    pending = invitations.list_open(g.workspace, ALL_ROWS)[0] if is_admin else []
    return render_template(
        T + "members.html", rows=rows, mine=mine, is_admin=is_admin, pending=pending,
        invite_form=invite_form or InviteForm(prefix="invite", formdata=None), role_form=RoleForm,
        action=ActionForm(), error=error, new_link=new_link, status_of=invitations.status,
        can_change_role=members.can_change_role, can_remove=members.can_remove), status


@bp.get("/settings/members", endpoint="members")
@workspace_required
def members_page():
    return _render_members()


@bp.post("/settings/members/invite")
@workspace_required
def invite():
    require_role("admin")
    form = InviteForm(prefix="invite")
    if not form.validate_on_submit():
        return _render_members(400, invite_form=form)
    try:
        invitation, token = invitations.invite(g.workspace, g.user, form.email.data,
                                               form.role.data)
    except ApiError as exc:
        return _render_members(exc.status, copy_errors(form, exc, FIELD_NAMES), invite_form=form)
    flash(f"Invitation sent to {invitation.email} as {invitation.role}.", "success")
    return _render_members(201, new_link=invitations.invite_url(token))


@bp.post("/settings/members/<member_id>/role")
@workspace_required
def change_role(member_id: str):
    require_role("admin")
    form = RoleForm()
    form.role.validate_choice = False
    if not form.validate_on_submit():
        abort(400)
    try:
        target = members.get_member(g.workspace, member_id)
        members.change_role(g.workspace, g.user, target, form.role.data)
    except ApiError as exc:
        if exc.status in (403, 404):
            abort(exc.status, exc.message)
        return _render_members(exc.status, message_of(exc))
    return _back_to(".members", f"{target.user.email} is now {target.role}.")


@bp.post("/settings/members/<member_id>/remove")
@workspace_required
def remove_member(member_id: str):
    if not ActionForm().validate_on_submit():
        abort(400)
    try:
        target = members.get_member(g.workspace, member_id)
        members.remove_member(g.workspace, g.user, target)
    except ApiError as exc:
        if exc.status in (403, 404):
            abort(exc.status, exc.message)
        return _render_members(exc.status, message_of(exc))
    if target.user_id == g.user.id:
        session.pop("workspace_id", None)
        return _back_to("dashboard.home.index", f"You left {g.workspace.name}.")
    return _back_to(".members", f"{target.user.email} was removed from the workspace.")


@bp.post("/settings/invitations/<invitation_id>/revoke")
@workspace_required
def revoke_invitation(invitation_id: str):
    require_role("admin")
    if not ActionForm().validate_on_submit():
        abort(400)
    try:
        invitation = invitations.withdraw(invitation_id, g.user)
    except ApiError as exc:
        abort(exc.status, exc.message)
    return _back_to(".members", f"The invitation to {invitation.email} was revoked.")


@bp.post("/settings/invitations/<invitation_id>/resend")
@workspace_required
def resend_invitation(invitation_id: str):
    """A new link (the old one stops working): the raw token is never stored, so it cannot be
    shown again."""
    require_role("admin")
    if not ActionForm().validate_on_submit():
        abort(400)
    old = next((i for i in invitations.list_open(g.workspace, ALL_ROWS)[0]
                if i.public_id == invitation_id), None)
    if old is None:
        abort(404, "Invitation not found.")
    try:
        invitation, token = invitations.invite(g.workspace, g.user, old.email, old.role)
    except ApiError as exc:
        return _render_members(exc.status, message_of(exc))
    flash(f"A new invitation was sent to {invitation.email}.", "success")
    return _render_members(201, new_link=invitations.invite_url(token))


# --- accepting an invitation ------------------------------------------------------------------

@bp.route("/invitations/<token>", methods=["GET", "POST"])
def accept_invitation(token: str):
    invitation = invitations.lookup(token)
    state = invitations.status(invitation) if invitation else "unknown"
    user = g.user if g.get("auth_via") == "session" else None
    form, error, status = ActionForm(), None, 200
    if state != "pending":
        status = 400 if state == "expired" else 404
    elif user is not None and form.validate_on_submit():
        try:
            member = invitations.accept(token, user)
        except ApiError as exc:
            error, status = exc.message, exc.status
        else:
            session["workspace_id"] = member.workspace.public_id
            return _back_to("dashboard.home.index",
                            f"Welcome to {member.workspace.name}! You joined as {member.role}.")
    elif request.method == "POST":
        status = 403 if user is None else 400
    matches = user is not None and invitation is not None and \
        user.email.lower() == invitation.email.lower()
    return render_template(T + "accept_invitation.html", invitation=invitation, state=state,
                           user=user, matches=matches, form=form, error=error, token=token,
                           here=request.path), status
