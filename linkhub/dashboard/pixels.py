"""Dashboard pages for pixels: the list (status, fires against the limit), create, the pixel's
page (edit form, copy-paste `<img>` and beacon snippets, recent fires) and delete. Binds the
pixel form and calls services/pixels.py like /api/pixels does."""

from __future__ import annotations

from flask import Blueprint, abort, flash, g, redirect, render_template, request, url_for

from linkhub import clock, pagination
from linkhub.dashboard.forms import ActionForm, changed, copy_errors, editor_context
from linkhub.dashboard.forms import pixels as pixel_form
from linkhub.dashboard.guard import require_role, workspace_required
from linkhub.errors import ApiError, Invalid
from linkhub.models import Pixel
from linkhub.services import pixels

bp = Blueprint("pixels", __name__)
bp.context_processor(editor_context)
T = "dashboard/pixels/"
PAGE_SIZE = 25
RECENT_FIRES = 20
FILTERS = {"enabled": True, "disabled": False}


@bp.get("/pixels")
@workspace_required
def index():
    state = request.args.get("state", "")
    search = (request.args.get("search") or "").strip()
    error, status = None, 200
    try:
        if state and state not in FILTERS:
            raise Invalid(fields={"state": "must be enabled or disabled"})
        page = pagination.parse({"page": request.args.get("page", "")},
                                default_limit=PAGE_SIZE)
        rows, total = pixels.list_pixels(g.workspace, enabled=FILTERS.get(state),
                                         search=search or None, offset=page.offset,
                                         limit=page.limit)
    except Invalid as exc:
        error, status = " ".join(f"{k}: {v}." for k, v in exc.fields.items()), exc.status
        page, rows, total = pagination.Page(1, PAGE_SIZE), [], 0
    return render_template(
        T + "index.html", rows=rows, total=total, page=page,
        pages=max(1, -(-total // PAGE_SIZE)), state=state, search=search, error=error,
        status_of=pixels.status_of, now=clock.now(),
        pager_args={k: v for k, v in (("state", state), ("search", search)) if v},
    ), status


def _render_form(form: pixel_form.PixelForm, pixel: Pixel | None = None,
                 error: str | None = None, status: int = 200):
    extra = {}
    if pixel is not None:
        fires, fire_total = pixels.recent_fires(pixel, limit=RECENT_FIRES)
        gif_url, beacon_url = pixels.fire_urls(pixel.public_id)
        extra = {"fires": fires, "fire_total": fire_total, "gif_url": gif_url,
                 "beacon_url": beacon_url, "state": pixels.status_of(pixel)}
    return render_template(T + "form.html", form=form, pixel=pixel, error=error,
                           **extra), status


@bp.route("/pixels/new", methods=["GET", "POST"])
@workspace_required
def create():
    require_role("editor")
    form = pixel_form.fill_choices(pixel_form.PixelForm(), g.workspace)
    if not form.is_submitted():
        return _render_form(form)
    if not form.validate():
        return _render_form(form, status=400)
    try:
        pixel = pixels.create_pixel(g.workspace, g.user, pixel_form.to_api(form))
    except ApiError as exc:
        return _render_form(form, error=copy_errors(form, exc), status=exc.status)
    flash(f"Pixel “{pixel.name}” created. Paste its snippet where it should fire.", "success")
    return redirect(url_for(".detail", pixel_id=pixel.public_id))


@bp.route("/pixels/<pixel_id>", methods=["GET", "POST"])
@workspace_required
def detail(pixel_id: str):
    """The pixel's page: snippets and recent fires for everyone, the edit form for editors."""
    pixel = pixels.get_pixel(g.workspace, pixel_id)
    stored = pixel_form.initial(pixel)
    if request.method == "GET":
        form = pixel_form.PixelForm(formdata=None, data=stored)
        return _render_form(pixel_form.fill_choices(form, g.workspace, pixel), pixel)
    require_role("editor")
    form = pixel_form.fill_choices(pixel_form.PixelForm(), g.workspace, pixel)
    if not form.validate():
        return _render_form(form, pixel, status=400)
    before = pixel_form.to_api(pixel_form.PixelForm(formdata=None, data=stored))
    data = changed(pixel_form.to_api(form), before)
    try:
        pixels.update_pixel(g.workspace, g.user, pixel, data)
    except ApiError as exc:
        return _render_form(form, pixel, copy_errors(form, exc), exc.status)
    flash(f"Pixel “{pixel.name}” saved." if data else "Nothing changed.", "success")
    return redirect(url_for(".detail", pixel_id=pixel.public_id))


@bp.route("/pixels/<pixel_id>/delete", methods=["GET", "POST"])
@workspace_required
def delete(pixel_id: str):
    """GET asks; POST deletes."""
    require_role("editor")
    pixel = pixels.get_pixel(g.workspace, pixel_id)
    form = ActionForm()
    if request.method == "POST":
        if not form.validate_on_submit():
            abort(400)
        pixels.delete_pixel(g.workspace, g.user, pixel)
        flash(f"Pixel “{pixel.name}” deleted.", "success")
        return redirect(url_for(".index"))
    return render_template(
        "dashboard/links/confirm.html", form=form, error=None, force_button=None,
        title="Delete this pixel?", heading=pixel.name, button="Delete pixel",
        cancel=url_for(".detail", pixel_id=pixel.public_id),
        lead="Its recorded fires are deleted with it; conversions it made stay. Pages that "
        "still load its snippet get the GIF, and nothing is recorded.")
