"""Dashboard pages for QR codes: the workspace's codes, a link's codes with previews and the
create form (options and logo upload), edit, delete, and the images (preview, PNG/SVG
download). Binds the QR form and calls services/qr_codes.py like /api/qr does."""

from __future__ import annotations

from flask import (
    Blueprint,
    Response,
    abort,
    flash,
    g,
    redirect,
    render_template,
    request,
    url_for,
)

from linkhub import pagination
from linkhub.dashboard.forms import ActionForm, changed, copy_errors, editor_context
from linkhub.dashboard.forms import qr_codes as qr_form
from linkhub.dashboard.guard import require_role, workspace_required
from linkhub.errors import ApiError, Invalid
from linkhub.models import Link, QrCode
from linkhub.services import links, qr_codes

bp = Blueprint("qr_codes", __name__)
bp.context_processor(editor_context)
T = "dashboard/qr_codes/"
PAGE_SIZE = 24


def _errors(form: qr_form.QrForm, exc: ApiError) -> str | None:
    if exc.code == "DUPLICATE_CODE":
        form.name.errors = [*form.name.errors, exc.message]
        return None
    return copy_errors(form, exc)


def _page() -> pagination.Page:
    try:
        return pagination.parse({"page": request.args.get("page", "")},
                                default_limit=PAGE_SIZE)
    except Invalid:
        return pagination.Page(1, PAGE_SIZE)


@bp.get("/qr")
@workspace_required
def index():
    page = _page()
    rows, total = qr_codes.list_for_workspace(g.workspace, page)
    return render_template(T + "index.html", rows=rows, total=total, page=page,
                           pages=max(1, -(-total // PAGE_SIZE)), action=ActionForm(),
                           encoded_url=qr_codes.encoded_url)


def _link_page(link: Link, form: qr_form.QrForm, error: str | None = None,
               status: int = 200):
    page = _page()
    rows, total = qr_codes.list_for_link(g.workspace, link, page)
    return render_template(T + "link.html", link=link, rows=rows, total=total, page=page,
                           pages=max(1, -(-total // PAGE_SIZE)), form=form, error=error,
                           action=ActionForm(), encoded_url=qr_codes.encoded_url(link),
                           short_url=links.short_url(link)), status


@bp.route("/links/<link_id>/qr", methods=["GET", "POST"])
@workspace_required
def link_codes(link_id: str):
    link = links.find_link(g.workspace, link_id)
    form = qr_form.QrForm()
    if request.method == "GET":
        return _link_page(link, qr_form.QrForm(formdata=None))
    require_role("editor")
    if not form.validate():
        return _link_page(link, form, status=400)
    try:
        qr = qr_codes.create_qr(g.workspace, g.user, link, qr_form.to_api(form))
    except ApiError as exc:
        return _link_page(link, form, _errors(form, exc), exc.status)
    flash(f"QR code “{qr.name}” created.", "success")
    return redirect(url_for(".link_codes", link_id=link.public_id))


@bp.route("/qr/<qr_id>/edit", methods=["GET", "POST"])
@workspace_required
def edit(qr_id: str):
    require_role("editor")
    qr = qr_codes.get_qr(g.workspace, qr_id)
    stored = qr_form.initial(qr)
    if request.method == "GET":
        form = qr_form.QrForm(formdata=None, data=stored)
        return render_template(T + "edit.html", qr=qr, form=form, error=None)
    form = qr_form.QrForm()
    error, status = None, 400
    if form.validate():
        before = qr_form.to_api(qr_form.QrForm(formdata=None, data=stored))
        new = qr_form.to_api(form)
        data = changed(new, before)
        if "imageData" in new:
            data["imageData"] = new["imageData"]
        try:
            qr_codes.update_qr(g.workspace, g.user, qr, data)
        except ApiError as exc:
            error, status = _errors(form, exc), exc.status
        else:
            flash(f"QR code “{qr.name}” saved." if data else "Nothing changed.", "success")
            return redirect(url_for(".link_codes", link_id=qr.link.public_id))
    return render_template(T + "edit.html", qr=qr, form=form, error=error), status


@bp.post("/qr/<qr_id>/delete")
@workspace_required
def delete(qr_id: str):
    require_role("editor")
    if not ActionForm().validate_on_submit():
        abort(400)
    qr = qr_codes.get_qr(g.workspace, qr_id)
    qr_codes.delete_qr(g.workspace, g.user, qr)
    flash(f"QR code “{qr.name}” deleted. Printed copies keep working.", "success")
    return redirect(url_for(".link_codes", link_id=qr.link.public_id))


def _image_response(data: bytes, content_type: str, download: str | None = None) -> Response:
    response = Response(data, mimetype=content_type)
    response.headers["Cache-Control"] = "private, no-cache"
    response.headers["Content-Security-Policy"] = ("default-src 'none'; img-src data:; "
                                                   "style-src 'unsafe-inline'")
    if download:
        response.headers["Content-Disposition"] = f'attachment; filename="{download}"'
    return response


@bp.get("/qr/<qr_id>/image")
@workspace_required
def image(qr_id: str):
    """`?format=png|svg`, `?download=1` for a file download."""
    qr: QrCode = qr_codes.get_qr(g.workspace, qr_id)
    data, content_type, _, name = qr_codes.image(qr, request.args.get("format"))
    return _image_response(data, content_type,
                           name if request.args.get("download") == "1" else None)


@bp.get("/links/<link_id>/qr/preview.svg")
@workspace_required
def preview(link_id: str):
    """The link page's live preview: its first QR code, else the default settings."""
    link = links.find_link(g.workspace, link_id)
    return _image_response(qr_codes.preview(link), "image/svg+xml")
