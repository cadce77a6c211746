"""Dashboard pages for imports: upload a CSV (static/imports.js previews it and proposes the
column mapping), upload a JSON bundle or download this workspace's, import from Bitly,
Rebrandly or Short.io (token, or Bitly's OAuth), follow a job on a progress bar, cancel it,
download its error report. Each view binds a form and calls services/imports.py."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask import (
    Blueprint,
    Response,
    abort,
    current_app,
    flash,
    g,
    redirect,
    render_template,
    stream_with_context,
    url_for,
)
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from wtforms import PasswordField, SelectField, StringField
from wtforms.validators import DataRequired

from linkhub import clock, pagination
from linkhub.dashboard.forms import ActionForm, can_edit, copy_errors, message_of, options
from linkhub.dashboard.guard import require_role, workspace_required
from linkhub.errors import ApiError
from linkhub.services import import_csv, import_providers, imports, link_bundle

bp = Blueprint("imports", __name__)
T = "dashboard/imports/"
PAGE_SIZE = 20
NONE = "__none__"  # a mapping select's "leave this field out"
MAPPED = {"destinationUrl": "Destination URL", "shortCode": "Short code", "title": "Title",
          "description": "Description", "tags": "Tags (; separated)", "notes": "Notes",
          "domain": "Domain", "campaign": "Campaign (name)", "folder": "Folder (name)",
          "externalId": "External id", "expiresAt": "Expires at"}


class CsvForm(FlaskForm):
    file = FileField("CSV file", validators=[FileRequired("Choose a CSV file.")])


for _name, _label in MAPPED.items():
    setattr(CsvForm, f"map_{_name}", StringField(_label))


class BundleForm(FlaskForm):
    file = FileField("Bundle file (.json)", validators=[FileRequired("Choose a bundle file.")])


class ProviderForm(FlaskForm):
    provider = SelectField("Provider", choices=options(
        (name, mod.LABEL) for name, mod in import_providers.PROVIDERS.items()))
    access_token = PasswordField("Access token or API key",
                                 validators=[DataRequired("Paste the token.")])
    group_guid = StringField("Bitly group (optional)")
    domain_id = StringField("Rebrandly / Short.io domain id (optional)")
    domain = StringField("Create the links on (optional, a verified domain)")


def uploads(view: Callable) -> Callable:
    """Raise this view's body limit to IMPORT_MAX_BYTES (read by app.py before the view)."""
    view.linkhub_body_limit = "IMPORT_MAX_BYTES"
    return view


def _render_index(csv_form: CsvForm | None = None, bundle_form: BundleForm | None = None,
                  provider_form: ProviderForm | None = None, error: str | None = None,
                  status: int = 200):
    page = pagination.parse({}, default_limit=PAGE_SIZE)
    rows, total = imports.list_jobs(g.workspace, page)
    return render_template(
        T + "index.html", rows=rows, total=total, error=error, progress=imports.progress,
        csv_form=csv_form or CsvForm(formdata=None, prefix="csv"),
        bundle_form=bundle_form or BundleForm(formdata=None, prefix="bundle"),
        provider_form=provider_form or ProviderForm(formdata=None,
                                                                  prefix="provider"),
        mapped=MAPPED, aliases={k: list(v) for k, v in import_csv.ALIASES.items()},
        leave_out=NONE, bitly_oauth=import_providers.oauth_ready("bitly"),
        max_mb=current_app.config["LINKHUB"]["IMPORT_MAX_BYTES"] / 1_048_576,
        can_edit=can_edit()), status


@bp.get("/imports")
@workspace_required
def index():
    return _render_index()


def _started(job) -> Response:
    flash("Import queued: this page follows it.", "success")
    return redirect(url_for(".detail", import_id=job.public_id))


@bp.post("/imports/csv")
@workspace_required
@uploads
def upload_csv():
    require_role("editor")
    form = CsvForm(prefix="csv")
    if not form.validate_on_submit():
        return _render_index(csv_form=form, status=400)
    mapping: dict[str, Any] = {}
    for name in MAPPED:
        value = (getattr(form, f"map_{name}").data or "").strip()
        if value:
            mapping[name] = None if value == NONE else value
    try:
        job = imports.import_csv_file(g.workspace, g.user, form.file.data.stream,
                                      form.file.data.filename, mapping)
    except ApiError as exc:
        names = {"file": "file", **{f"mapping.{n}": f"map_{n}" for n in MAPPED}}
        return _render_index(csv_form=form, error=copy_errors(form, exc, names),
                             status=exc.status)
    return _started(job)


@bp.post("/imports/json")
@workspace_required
@uploads
def upload_bundle():
    require_role("editor")
    form = BundleForm(prefix="bundle")
    if not form.validate_on_submit():
        return _render_index(bundle_form=form, status=400)
    try:
        job = imports.import_bundle(g.workspace, g.user, stream=form.file.data.stream,
                                    file_name=form.file.data.filename)
    except ApiError as exc:
        return _render_index(bundle_form=form, error=copy_errors(form, exc, {"file": "file"}),
                             status=exc.status)
    return _started(job)


@bp.post("/imports/provider")
@workspace_required
def start_provider():
    require_role("editor")
    form = ProviderForm(prefix="provider")
    if not form.validate_on_submit():
        return _render_index(provider_form=form, status=400)
    data = {"accessToken": form.access_token.data, "groupGuid": form.group_guid.data,
            "domainId": form.domain_id.data, "domain": form.domain.data}
    try:
        job = import_providers.start(g.workspace, g.user, form.provider.data, data)
    except ApiError as exc:
        names = {"accessToken": "access_token", "groupGuid": "group_guid",
                 "domainId": "domain_id"}
        error = copy_errors(form, exc, names)
        if exc.code == "INVALID_PROVIDER_TOKEN":
            form.access_token.errors = [*form.access_token.errors, exc.message]
            error = None
        return _render_index(provider_form=form, error=error, status=exc.status)
    return _started(job)


@bp.get("/imports/bitly/connect")
@workspace_required
def bitly_connect():
    """Off to Bitly's consent page; Bitly comes back to the API callback, which starts the
    import and sends the browser to the job's page."""
    require_role("editor")
    try:
        started = import_providers.oauth_start(g.workspace, g.user, "bitly", dashboard=True)
    except ApiError as exc:
        flash(message_of(exc), "error")
        return redirect(url_for(".index"))
    return redirect(started["authorizeUrl"])


@bp.get("/imports/bundle.json")
@workspace_required
def download_bundle():
    name = f"linkhub-{g.workspace.public_id}-{clock.now():%Y%m%d}.json"
    return Response(stream_with_context(link_bundle.write(g.workspace)),
                    mimetype="application/json",
                    headers={"Content-Disposition": f'attachment; filename="{name}"'})


@bp.get("/imports/<import_id>")
@workspace_required
def detail(import_id: str):
    job = imports.get_job(g.workspace, import_id)
    return render_template(T + "detail.html", job=job, progress=imports.progress(job),
                           active=job.status in imports.ACTIVE, rows=imports.problems(job),
                           action_form=ActionForm(), can_edit=can_edit())


@bp.post("/imports/<import_id>/cancel")
@workspace_required
def cancel(import_id: str):
    require_role("editor")
    job = imports.get_job(g.workspace, import_id)
    if not ActionForm().validate_on_submit():
        abort(400)
    try:
        imports.cancel_job(g.workspace, g.user, job)
    except ApiError as exc:
        flash(exc.message, "error")
    else:
        flash("Import cancelled; the links already imported stay.", "success")
    return redirect(url_for(".detail", import_id=job.public_id))


@bp.get("/imports/<import_id>/errors.csv")
@workspace_required
def errors_csv(import_id: str):
    job = imports.get_job(g.workspace, import_id)
    return Response(stream_with_context(imports.report(job)), mimetype="text/csv", headers={
        "Content-Disposition": f'attachment; filename="{job.public_id}-errors.csv"'})
