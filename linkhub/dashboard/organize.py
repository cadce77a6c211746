"""Dashboard pages for tags, folders (one page) and UTM templates: lists with link counts,
create, edit and delete. Binds the forms and calls services/tags.py, folders.py and
utm_templates.py like their API views do; no rule lives here."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable

from flask import Blueprint, abort, flash, g, redirect, render_template, request, url_for

from linkhub.dashboard.forms import CHOICE_ROWS, ActionForm, copy_errors, editor_context
from linkhub.dashboard.forms import organize as forms
from linkhub.dashboard.guard import require_role, workspace_required
from linkhub.errors import ApiError
from linkhub.services import folders, tags, utm_templates

bp = Blueprint("organize", __name__)
bp.context_processor(editor_context)
T = "dashboard/organize/"
NAMES = {"parentId": "parent_id"}


@dataclass(frozen=True)
class Kind:
    label: str
    get: Callable
    update: Callable
    delete: Callable
    form: type
    data: Callable
    initial: Callable
    back: str
    delete_note: str


KINDS = {
    "tags": Kind("tag", tags.get_tag, tags.update_tag, tags.delete_tag, forms.TagForm,
                 forms.tag_data, forms.tag_initial, ".index",
                 "The tag leaves every link that carries it; the links stay as they are."),
    "folders": Kind("folder", folders.get_folder, folders.update_folder, folders.delete_folder,
                    forms.FolderForm, forms.folder_data, forms.folder_initial, ".index",
                    "Its links move out to no folder; folders inside it move up a level."),
    "utm-templates": Kind("UTM template", utm_templates.get_template,
                          utm_templates.update_template, utm_templates.delete_template,
                          forms.UtmTemplateForm, forms.template_data, forms.template_initial,
                          ".utm_templates", "Links using it keep their own UTM values and "
                          "lose the template's."),
}
KIND_PATH = "<any(tags, folders, 'utm-templates'):kind>"


# --- tags and folders -------------------------------------------------------------------------

def _render_index(status: int = 200, error: str | None = None, **bound: Any):
    tag_rows = tags.list_tags(g.workspace, CHOICE_ROWS)[0]
    folder_rows = folders.list_folders(g.workspace, CHOICE_ROWS)[0]
    tag_form = bound.get("tag_form") or forms.TagForm(prefix="tag", formdata=None)
    folder_form = bound.get("folder_form") or forms.FolderForm(prefix="folder", formdata=None)
    forms.fill_parents(folder_form, folder_rows)
    return render_template(
        T + "index.html", tag_rows=tag_rows, folder_rows=forms.folder_tree(folder_rows),
        tag_counts=tags.link_counts(t.id for t in tag_rows),
        folder_counts=folders.link_counts(f.id for f in folder_rows), tag_form=tag_form,
        folder_form=folder_form, palette=forms.PALETTE_HEX, error=error), status


@bp.get("/organize")
@workspace_required
def index():
    return _render_index()


@bp.post("/tags")
@workspace_required
def create_tag():
    require_role("editor")
    form = forms.TagForm(prefix="tag")
    if not form.validate_on_submit():
        return _render_index(400, tag_form=form)
    try:
        tag = tags.create_tag(g.workspace, g.user, forms.tag_data(form))
    except ApiError as exc:
        return _render_index(exc.status, copy_errors(form, exc), tag_form=form)
    flash(f"Tag “{tag.name}” created.", "success")
    return redirect(url_for(".index"))


@bp.post("/folders")
@workspace_required
def create_folder():
    require_role("editor")
    form = forms.FolderForm(prefix="folder")
    if not form.validate_on_submit():
        return _render_index(400, folder_form=form)
    try:
        folder = folders.create_folder(g.workspace, g.user, forms.folder_data(form))
    except ApiError as exc:
        return _render_index(exc.status, copy_errors(form, exc, NAMES), folder_form=form)
    flash(f"Folder “{folder.name}” created.", "success")
    return redirect(url_for(".index"))


# --- UTM templates ----------------------------------------------------------------------------

def _render_templates(status: int = 200, error: str | None = None, form: Any = None):
    rows = utm_templates.list_templates(g.workspace, CHOICE_ROWS)[0]
    return render_template(
        T + "utm_templates.html", rows=rows, error=error,
        counts=utm_templates.link_counts(r.id for r in rows), fields=forms.UTM_FIELDS,
        form=form or forms.UtmTemplateForm(prefix="utm", formdata=None)), status


@bp.get("/utm-templates", endpoint="utm_templates")
@workspace_required
def utm_templates_page():
    return _render_templates()


@bp.post("/utm-templates")
@workspace_required
def create_template():
    require_role("editor")
    form = forms.UtmTemplateForm(prefix="utm")
    if not form.validate_on_submit():
        return _render_templates(400, form=form)
    try:
        row = utm_templates.create_template(g.workspace, g.user, forms.template_data(form))
    except ApiError as exc:
        return _render_templates(exc.status, copy_errors(form, exc), form)
    flash(f"UTM template “{row.name}” created.", "success")
    return redirect(url_for(".utm_templates"))


# --- edit and delete, any kind ----------------------------------------------------------------

@bp.route(f"/{KIND_PATH}/<item_id>/edit", methods=["GET", "POST"])
@workspace_required
def edit(kind: str, item_id: str):
    require_role("editor")
    spec = KINDS[kind]
    item = spec.get(g.workspace, item_id)
    form = spec.form() if request.method == "POST" else spec.form(formdata=None,
                                                                  data=spec.initial(item))
    if kind == "folders":
        forms.fill_parents(form, folders.list_folders(g.workspace, CHOICE_ROWS)[0], item)
    if kind != "utm-templates":
        form.color.choices = forms.color_choices(item.color)
    error, status = None, 200
    if request.method == "POST":
        if form.validate_on_submit():
            try:
                spec.update(g.workspace, g.user, item, spec.data(form))
            except ApiError as exc:
                error, status = copy_errors(form, exc, NAMES), exc.status
            else:
                flash(f"{spec.label.capitalize()} “{item.name}” saved.", "success")
                return redirect(url_for(spec.back))
        else:
            status = 400
    return render_template(T + "edit.html", form=form, item=item, spec=spec, error=error,
                           back=url_for(spec.back), palette=forms.PALETTE_HEX), status


@bp.route(f"/{KIND_PATH}/<item_id>/delete", methods=["GET", "POST"])
@workspace_required
def delete(kind: str, item_id: str):
    """GET asks; POST deletes."""
    require_role("editor")
    spec = KINDS[kind]
    item = spec.get(g.workspace, item_id)
    form = ActionForm()
    if request.method == "POST":
        if not form.validate_on_submit():
            abort(400)
        spec.delete(g.workspace, g.user, item)
        flash(f"{spec.label.capitalize()} “{item.name}” deleted.", "success")
        return redirect(url_for(spec.back))
    return render_template("dashboard/links/confirm.html", form=form,
                           title=f"Delete this {spec.label}?", heading=item.name,
                           button=f"Delete {spec.label}", cancel=url_for(spec.back),
                           lead=spec.delete_note)
