"""Dashboard rule builder: a link's rules (/app/links/<id>/rules) and the shared rules
(/app/rules) in priority order with enable switches, add/edit with condition rows, delete,
attach/detach of shared rules, and the "test this visitor" panel. Binds forms, calls
services/rules.py and rule_testing.py like /api/rules does; no rule logic here."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, abort, flash, g, redirect, render_template, request, url_for

from linkhub.auth import csrf_token
from linkhub.dashboard.forms import (
    ActionForm,
    changed,
    copy_errors,
    editor_context,
    message_of,
)
from linkhub.dashboard.forms import rules as rule_form
from linkhub.dashboard.guard import require_role, workspace_required
from linkhub.db import database
from linkhub.errors import ApiError, Invalid
from linkhub.models import Link, Rule
from linkhub.services import links, rule_shapes, rule_testing, rules
from linkhub.services.links import short_url

bp = Blueprint("rules", __name__)
bp.context_processor(editor_context)
T = "dashboard/rules/"
ALL = 1000


# --- lists ------------------------------------------------------------------------------------

def _link(link_id: str) -> Link:
    return links.find_link(g.workspace, link_id)


def _list_context(link: Link | None) -> dict[str, Any]:
    if link is None:
        shown = rules.list_rules(g.workspace, shared=True, limit=ALL)[0]
        return {"rules": shown, "campaign_rules": [], "attachable": [],
                "attached": {r.id: len(rules.attached_links(r)) for r in shown}}
    shown = links.rules_of(link)
    campaign_rules = rules.list_rules(g.workspace, campaign_id=link.campaign.public_id,
                                      limit=ALL)[0] if link.campaign_id else []
    mine = {r.id for r in shown}
    attachable = [r for r in rules.list_rules(g.workspace, shared=True, limit=ALL)[0]
                  if r.id not in mine]
    return {"rules": shown, "campaign_rules": campaign_rules, "attachable": attachable,
            "attached": {}}


def _render_list(link: Link | None, status: int = 200, error: str | None = None,
                 visitor: rule_form.VisitorForm | None = None,
                 result: dict[str, Any] | None = None):
    context = _list_context(link)
    names = {r.public_id: r.name for r in (*context["rules"], *context["campaign_rules"])}
    return render_template(
        T + "index.html", link=link, error=error, action=ActionForm(), result=result,
        visitor=visitor or rule_form.VisitorForm(prefix="visitor", formdata=None),
        rule_names=names, short_url=short_url, csrf=csrf_token(),
        operator_labels=rule_form.OPERATOR_LABELS, **context), status


@bp.get("/rules")
@workspace_required
def index():
    return _render_list(None)


@bp.get("/links/<link_id>/rules")
@workspace_required
def link_rules(link_id: str):
    return _render_list(_link(link_id))


def _save_order(link: Link | None):
    """Priorities and enable switches of every listed rule, all or nothing."""
    require_role("editor")
    if not ActionForm().validate_on_submit():
        abort(400)
    shown = _list_context(link)["rules"]
    try:
        with database.atomic():  # an error leaves every rule as it was
            for rule in shown:
                raw = (request.form.get(f"priority-{rule.public_id}") or "").strip()
                data = {"priority": int(raw) if raw.lstrip("-").isdigit() else raw or None,
                        "enabled": request.form.get(f"enabled-{rule.public_id}") == "on"}
                wanted = changed(data, {"priority": rule.priority, "enabled": rule.enabled})
                if wanted:
                    try:
                        rules.update_rule(g.workspace, g.user, rule, wanted)
                    except ApiError as exc:
                        raise ApiError(exc.code, f"{rule.name}: {message_of(exc)}",
                                       status=exc.status) from None
    except ApiError as exc:
        return _render_list(link, exc.status, exc.message)
    flash("Rule order and switches saved.", "success")
    return redirect(url_for(".link_rules", link_id=link.public_id) if link else url_for(".index"))


@bp.post("/rules/order")
@workspace_required
def save_shared_order():
    return _save_order(None)


@bp.post("/links/<link_id>/rules/order")
@workspace_required
def save_link_order(link_id: str):
    return _save_order(_link(link_id))


@bp.post("/links/<link_id>/rules/attach")
@workspace_required
def attach(link_id: str):
    require_role("editor")
    link = _link(link_id)
    if not ActionForm().validate_on_submit():
        abort(400)
    try:
        rule = rules.get_rule(g.workspace, request.form.get("rule_id", ""))
        rules.attach_rule(g.workspace, g.user, rule, link.public_id)
    except ApiError as exc:
        return _render_list(link, exc.status, message_of(exc))
    flash(f"Shared rule “{rule.name}” attached.", "success")
    return redirect(url_for(".link_rules", link_id=link.public_id))


@bp.post("/links/<link_id>/rules/<rule_id>/detach")
@workspace_required
def detach(link_id: str, rule_id: str):
    require_role("editor")
    link = _link(link_id)
    if not ActionForm().validate_on_submit():
        abort(400)
    try:
        rule = rules.get_rule(g.workspace, rule_id)
        rules.detach_rule(g.workspace, g.user, rule, link.public_id)
    except ApiError as exc:
        return _render_list(link, exc.status, message_of(exc))
    flash(f"Shared rule “{rule.name}” detached from this link.", "success")
    return redirect(url_for(".link_rules", link_id=link.public_id))


@bp.post("/links/<link_id>/rules/test")
@workspace_required
def test_visitor(link_id: str):
    """The no-JavaScript path of the test panel (with JavaScript it calls /api/rules/test)."""
    link = _link(link_id)
    form = rule_form.VisitorForm(prefix="visitor")
    if not form.validate_on_submit():
        return _render_list(link, 400, visitor=form)
    try:
        result = rule_testing.run(g.workspace, link.public_id, rule_form.visitor_of(form))
    except ApiError as exc:
        error = copy_errors(form, exc, rule_form.VISITOR_FIELDS)
        return _render_list(link, exc.status, error, visitor=form)
    return _render_list(link, visitor=form, result=result)


# --- add and edit -----------------------------------------------------------------------------

def _back(rule: Rule | None, link: Link | None) -> str:
    link_id = link.public_id if link else (rule.link.public_id if rule and rule.link_id
                                           else None)
    if link_id:
        return url_for(".link_rules", link_id=link_id)
    if rule is not None and rule.campaign_id:
        return url_for("dashboard.campaigns.edit", campaign_id=rule.campaign.public_id)
    return url_for(".index")


def _render_form(form: rule_form.RuleForm, rule: Rule | None, link: Link | None,
                 error: str | None = None, status: int = 200):
    return render_template(
        T + "form.html", form=form, rule=rule, link=link, error=error,
        editable=rule_form.editable(rule), groups=rule_form.field_groups(),
        kinds=rule_shapes.KIND_OPERATORS, operator_labels=rule_form.OPERATOR_LABELS,
        query_field=rule_form.QUERY, back=_back(rule, link), short_url=short_url,
        blank_row=rule_form.ConditionForm(prefix="conditions-__i__-")), status


def _rows_changed(form: rule_form.RuleForm) -> bool:
    """The no-JavaScript "add condition" / "remove" buttons: change the rows, save nothing."""
    rows = [entry.form.data for entry in form.conditions.entries]
    if "add_condition" in request.form:
        rule_form.set_rows(form, [*rows, {}])
        return True
    remove = request.form.get("remove_condition", "")
    if remove.isdigit():
        rule_form.set_rows(form, [r for i, r in enumerate(rows) if i != int(remove)])
        return True
    return False


def _save(form: rule_form.RuleForm, rule: Rule | None, link: Link | None):
    can_edit_rows = rule_form.editable(rule)
    data = rule_form.to_api(form, with_conditions=can_edit_rows)
    _, rows = rule_form.conditions_of(form)
    try:
        if rule is None:
            data = {k: v for k, v in data.items() if v is not None}
            if link is not None:
                data["linkId"] = link.public_id
            rule = rules.create_rule(g.workspace, g.user, data)
            message = f"Rule “{rule.name}” added."
        else:
            stored = rule_form.RuleForm(formdata=None, data=rule_form.initial(rule))
            data = changed(data, rule_form.to_api(stored, with_conditions=can_edit_rows))
            rules.update_rule(g.workspace, g.user, rule, data)
            message = f"Rule “{rule.name}” saved." if data else "Nothing changed."
    except ApiError as exc:
        error = None
        if isinstance(exc, Invalid):
            rest = rule_form.place_condition_errors(form, exc.fields, rows)
            error = copy_errors(form, Invalid(fields=rest)) if rest else None
            if "conditions" in rest:
                error = f"Conditions: {rest['conditions']}."
        else:
            error = exc.message
        return _render_form(form, rule, link, error or "Please fix the fields marked below.",
                            exc.status)
    flash(message, "success")
    return redirect(_back(rule, link))


def _create(link: Link | None):
    require_role("editor")
    form = rule_form.RuleForm()
    if request.method == "GET":
        return _render_form(form, None, link)
    if not form.validate():
        return _render_form(form, None, link, status=400)
    if _rows_changed(form):
        return _render_form(form, None, link)
    return _save(form, None, link)


@bp.route("/rules/new", methods=["GET", "POST"])
@workspace_required
def create_shared():
    return _create(None)


@bp.route("/links/<link_id>/rules/new", methods=["GET", "POST"])
@workspace_required
def create_for_link(link_id: str):
    return _create(_link(link_id))


@bp.route("/rules/<rule_id>/edit", methods=["GET", "POST"])
@workspace_required
def edit(rule_id: str):
    require_role("editor")
    rule = rules.get_rule(g.workspace, rule_id)
    if request.method == "GET":
        form = rule_form.RuleForm(formdata=None, data=rule_form.initial(rule))
        return _render_form(form, rule, None)
    form = rule_form.RuleForm()
    if not form.validate():
        return _render_form(form, rule, None, status=400)
    if _rows_changed(form):
        return _render_form(form, rule, None)
    return _save(form, rule, None)


@bp.route("/rules/<rule_id>/delete", methods=["GET", "POST"])
@workspace_required
def delete(rule_id: str):
    """GET asks for confirmation; POST deletes (a shared rule in use: RULE_IN_USE shown)."""
    require_role("editor")
    rule = rules.get_rule(g.workspace, rule_id)
    back = _back(rule, None)
    form, error, status = ActionForm(), None, 200
    if request.method == "POST":
        if not form.validate_on_submit():
            abort(400)
        try:
            rules.delete_rule(g.workspace, g.user, rule)
        except ApiError as exc:
            links_named = ", ".join(item["shortCode"] for item in exc.extra.get("links", []))
            error = exc.message + (f" Attached to: {links_named}." if links_named else "")
            status = exc.status
        else:
            flash(f"Rule “{rule.name}” deleted.", "success")
            return redirect(back)
    return render_template("dashboard/links/confirm.html", form=form, error=error,
                           title="Delete this rule?", heading=rule.name, cancel=back,
                           button="Delete rule", lead="Visitors it matched go to the next "
                           "matching rule or the link's destination."), status
