"""Dashboard pages for custom domains: the list with verified badges, add, the detail page
with the verification instructions and a Verify button, fallback URLs, case sensitivity and
app-link files, and delete. Binds forms and calls services/domains.py like /api/domains."""

from __future__ import annotations

from flask import Blueprint, abort, flash, g, redirect, render_template, request, url_for

from linkhub.dashboard.forms import ActionForm, changed, copy_errors, editor_context
from linkhub.dashboard.forms import domains as domain_form
from linkhub.dashboard.guard import require_role, workspace_required
from linkhub.errors import ApiError
from linkhub.models import Domain
from linkhub.services import domains

bp = Blueprint("domains", __name__)
bp.context_processor(editor_context)
T = "dashboard/domains/"
ALL = 1000


def _render_index(form: domain_form.AddDomainForm | None = None, error: str | None = None,
                  status: int = 200):
    rows, total = domains.list_domains(g.workspace, sort="name", order="asc", limit=ALL)
    return render_template(
        T + "index.html", rows=rows, total=total, error=error,
        counts=domains.link_counts([d.id for d in rows]), default_host=domains.default_host(),
        form=form or domain_form.AddDomainForm(formdata=None)), status


@bp.get("/domains")
@workspace_required
def index():
    return _render_index()


@bp.post("/domains")
@workspace_required
def create():
    require_role("editor")
    form = domain_form.AddDomainForm()
    if not form.validate_on_submit():
        return _render_index(form, status=400)
    try:
        domain = domains.create_domain(g.workspace, g.user, {"name": form.name.data})
    except ApiError as exc:
        return _render_index(form, copy_errors(form, exc), exc.status)
    flash(f"{domain.name} added. Prove you own it with one of the records below.", "success")
    return redirect(url_for(".detail", domain_id=domain.public_id))


def _render_detail(domain: Domain, form: domain_form.DomainSettingsForm | None = None,
                   error: str | None = None, status: int = 200):
    if form is None:
        form = domain_form.DomainSettingsForm(formdata=None, data=domain_form.initial(domain))
    return render_template(
        T + "detail.html", domain=domain, form=form, error=error, action=ActionForm(),
        info=domains.verification_info(domain),
        link_count=domains.link_counts([domain.id]).get(domain.id, 0)), status


@bp.get("/domains/<domain_id>")
@workspace_required
def detail(domain_id: str):
    return _render_detail(domains.get_domain(g.workspace, domain_id))


@bp.post("/domains/<domain_id>")
@workspace_required
def update(domain_id: str):
    require_role("editor")
    domain = domains.get_domain(g.workspace, domain_id)
    form = domain_form.DomainSettingsForm()
    if not form.validate_on_submit():
        return _render_detail(domain, form, status=400)
    data, problems = domain_form.to_api(form)
    if problems:
        for name, message in problems.items():
            getattr(form, name).errors = [message]
        return _render_detail(domain, form, status=400)
    stored = domain_form.DomainSettingsForm(formdata=None, data=domain_form.initial(domain))
    data = changed(data, domain_form.to_api(stored)[0])
    try:
        domains.update_domain(g.workspace, g.user, domain, data)
    except ApiError as exc:
        return _render_detail(domain, form, copy_errors(form, exc), exc.status)
    flash("Domain settings saved." if data else "Nothing changed.", "success")
    return redirect(url_for(".detail", domain_id=domain.public_id))


@bp.post("/domains/<domain_id>/verify")
@workspace_required
def verify(domain_id: str):
    require_role("editor")
    domain = domains.get_domain(g.workspace, domain_id)
    if not ActionForm().validate_on_submit():
        abort(400)
    try:
        domain = domains.verify_domain(g.workspace, g.user, domain)
    except ApiError as exc:
        flash(exc.message, "error")
    else:
        if domain.verified:
            flash(f"{domain.name} is verified: you can now create links on it.", "success")
        else:
            flash(f"Not verified yet: {domain.last_check_error}", "error")
    return redirect(url_for(".detail", domain_id=domain.public_id))


@bp.route("/domains/<domain_id>/delete", methods=["GET", "POST"])
@workspace_required
def delete(domain_id: str):
    """GET asks; POST removes (refused while live links use the domain)."""
    require_role("editor")
    domain = domains.get_domain(g.workspace, domain_id)
    form, error, status = ActionForm(), None, 200
    if request.method == "POST":
        if not form.validate_on_submit():
            abort(400)
        try:
            domains.delete_domain(g.workspace, g.user, domain)
        except ApiError as exc:
            error, status = exc.message, exc.status
        else:
            flash(f"{domain.name} removed.", "success")
            return redirect(url_for(".index"))
    return render_template(
        "dashboard/links/confirm.html", form=form, error=error, title="Remove this domain?",
        heading=domain.name, button="Remove domain",
        cancel=url_for(".detail", domain_id=domain.public_id),
        lead="Short links can no longer be created on it. A domain with links cannot be "
        "removed: delete or move its links first."), status
