"""Dashboard pages for links: the list (search, filters, sort, pages), create and edit with
every field, the detail page, archive/unarchive and delete. Each binds the link form, calls
services/links.py (and link_queries.py) like /api/links does and shows their errors beside the
fields; no link rule lives here."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, abort, flash, g, redirect, render_template, request, url_for

from linkhub import clock, pagination
from linkhub.dashboard.forms import (
    CHOICE_ROWS,
    ActionForm,
    changed,
    copy_errors,
    editor_context,
)
from linkhub.dashboard.forms import links as link_form
from linkhub.dashboard.guard import require_role, workspace_required
from linkhub.errors import ApiError, Invalid
from linkhub.models import Link
from linkhub.services import campaigns, folders, link_queries, links, tags
from linkhub.services.links import short_url

bp = Blueprint("links", __name__)
bp.context_processor(editor_context)
T = "dashboard/links/"
PAGE_SIZE = 20
SORTS = {"newest": ("createdAt", "desc", "Newest first"),
         "oldest": ("createdAt", "asc", "Oldest first"),
         "clicks": ("clicks", "desc", "Most clicks"),
         "recent": ("lastClickedAt", "desc", "Recently clicked"),
         "updated": ("updatedAt", "desc", "Recently updated"),
         "title": ("title", "asc", "Title A–Z")}
STATUSES = {"": ("Live (not archived)", {}), "enabled": ("Enabled", {"enabled": "true"}),
            "disabled": ("Disabled", {"enabled": "false"}),
            "archived": ("Archived", {"archived": "true"}), "all": ("Everything",
                                                                  {"archived": "all"})}


# --- list ---------------------------------------------------------------------------------

def _query_args() -> dict[str, str]:
    """The page's query string as link_queries.list_links reads it."""
    wanted = {key: (request.args.get(key) or "").strip()
              for key in ("search", "campaignId", "folderId", "tag")}
    args = {key: value for key, value in wanted.items() if value}
    status = STATUSES.get(request.args.get("status", ""), STATUSES[""])
    args.update(status[1])
    sort = SORTS.get(request.args.get("sort", ""), SORTS["newest"])
    args.update(sortBy=sort[0], sortOrder=sort[1])
    return args


@bp.get("/links")
@workspace_required
def index():
    error, status = None, 200
    try:
        page = pagination.parse({"page": request.args.get("page", "")},
                                default_limit=PAGE_SIZE)
        rows, total = link_queries.list_links(g.workspace, _query_args(), page)
    except Invalid as exc:
        error, status = " ".join(f"{k}: {v}." for k, v in exc.fields.items()), exc.status
        page, rows, total = pagination.Page(1, PAGE_SIZE), [], 0
    filters = {key: request.args.get(key, "") for key in
               ("search", "campaignId", "folderId", "tag", "status", "sort")}
    choices = {
        "campaigns": campaigns.list_campaigns(g.workspace, sort="name", order="asc",
                                              limit=CHOICE_ROWS.limit)[0],
        "folders": folders.list_folders(g.workspace, CHOICE_ROWS)[0],
        "tags": tags.list_tags(g.workspace, CHOICE_ROWS)[0]}
    pages = max(1, -(-total // PAGE_SIZE))
    return render_template(
        T + "index.html", rows=rows, rel=links.relations(rows), total=total, page=page,
        pages=pages, filters=filters, filtered=any(v for k, v in filters.items() if k != "sort"),
        pager_args={k: v for k, v in filters.items() if v}, now=clock.now(),
        choices=choices, sorts=SORTS, statuses=STATUSES, short_url=short_url, error=error,
        stats=link_queries.stats(g.workspace), action=ActionForm()), status


# --- create and edit ------------------------------------------------------------------------

def _render_form(form: link_form.LinkForm, link: Link | None = None, error: str | None = None,
                 status: int = 200):
    return render_template(T + "form.html", form=form, link=link, error=error,
                           sections=link_form.SECTIONS, help=link_form.HELP,
                           short_url=short_url), status


@bp.route("/links/new", methods=["GET", "POST"])
@workspace_required
def create():
    require_role("editor")
    form = link_form.fill_choices(link_form.LinkForm(), g.workspace)
    if not form.is_submitted():
        return _render_form(form)
    if not form.validate():
        return _render_form(form, status=400)
    data = link_form.to_api(form)
    data["password"] = form.password.data or None
    try:
        link = links.create_link(g.workspace, g.user, data)
    except ApiError as exc:
        return _render_form(form, error=copy_errors(form, exc), status=exc.status)
    flash(f"Short link {short_url(link)} created.", "success")
    return redirect(url_for(".detail", link_id=link.public_id))


def _link(link_id: str) -> Link:
    return links.find_link(g.workspace, link_id)


@bp.route("/links/<link_id>/edit", methods=["GET", "POST"])
@workspace_required
def edit(link_id: str):
    require_role("editor")
    link = _link(link_id)
    stored = link_form.initial(link, links.relations([link])[link.id]["tags"])
    if request.method == "GET":
        form = link_form.LinkForm(formdata=None, data=stored)
        return _render_form(link_form.fill_choices(form, g.workspace), link)
    form = link_form.fill_choices(link_form.LinkForm(), g.workspace)
    if not form.validate():
        return _render_form(form, link, status=400)
    before = link_form.to_api(link_form.LinkForm(formdata=None, data=stored))
    data = changed(link_form.to_api(form), before)
    if "shortCode" in data and not data["shortCode"]:
        del data["shortCode"]  # an emptied code keeps the current one
    if form.remove_password.data:
        data["password"] = ""
    elif form.password.data:
        data["password"] = form.password.data
    try:
        links.update_link(g.workspace, g.user, link, data)
    except ApiError as exc:
        return _render_form(form, link, copy_errors(form, exc), exc.status)
    flash("Link saved." if data else "Nothing changed.", "success")
    return redirect(url_for(".detail", link_id=link.public_id))


# --- detail and lifecycle -----------------------------------------------------------------

@bp.get("/links/<link_id>")
@workspace_required
def detail(link_id: str):
    link = _link(link_id)
    names: dict[str, Any] = {
        "campaign": link.campaign.name if link.campaign_id else None,
        "folder": link.folder.name if link.folder_id else None,
        "template": link.utm_template.name if link.utm_template_id else None}
    return render_template(T + "detail.html", link=link, rel=links.relations([link])[link.id],
                           rules=links.rules_of(link), names=names, short_url=short_url,
                           utms=links.effective_utms(link), action=ActionForm(),
                           now=clock.now())


def _lifecycle(link_id: str, archived: bool):
    require_role("editor")
    if not ActionForm().validate_on_submit():
        abort(400)
    link = links.set_archived(g.workspace, g.user, _link(link_id), archived)
    flash(f"{short_url(link)} {'archived: it no longer redirects' if archived else 'restored'}.",
          "success")
    return redirect(url_for(".detail", link_id=link.public_id))


@bp.post("/links/<link_id>/archive")
@workspace_required
def archive(link_id: str):
    return _lifecycle(link_id, True)


@bp.post("/links/<link_id>/unarchive")
@workspace_required
def unarchive(link_id: str):
    return _lifecycle(link_id, False)


@bp.route("/links/<link_id>/delete", methods=["GET", "POST"])
@workspace_required
def delete(link_id: str):
    """GET asks for confirmation; POST deletes."""
    require_role("editor")
    link = _link(link_id)
    form = ActionForm()
    if request.method == "POST":
        if not form.validate_on_submit():
            abort(400)
        links.delete_link(g.workspace, g.user, link)
        flash(f"{short_url(link)} deleted; its code is free again.", "success")
        return redirect(url_for(".index"))
    return render_template(T + "confirm.html", form=form, title="Delete this link?",
                           heading=short_url(link), cancel=url_for(".detail", link_id=link_id),
                           button="Delete link", lead="The short URL stops working at once "
                           "and its code becomes free. Click history is kept. The link's own "
                           "rules are deleted too.")
