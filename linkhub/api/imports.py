"""/api/links/import/...: CSV (file or JSON rows) and JSON-bundle uploads, provider imports
(start with a token, Bitly's OAuth), the jobs (list, status, cancel, error report), and
GET /api/links/export/bundle. Parse -> services/imports.py and friends -> envelope."""

from __future__ import annotations

import json
from typing import Any, Callable

from flask import Blueprint, Response, g, redirect, request, stream_with_context, url_for

from linkhub import auth, clock, pagination
from linkhub.api.spec import endpoint, read_json_object, validation_details
from linkhub.auth import require
from linkhub.envelope import listing, ok
from linkhub.errors import ApiError, Invalid
from linkhub.models import ImportJob
from linkhub.schemas import imports as s
from linkhub.services import import_providers, imports, link_bundle

bp = Blueprint("imports", __name__)
TAG = "Imports"
UPLOAD_ERRORS = ("PAYLOAD_TOO_LARGE",)


def job_json(job: ImportJob) -> dict[str, Any]:
    problems = job.skipped_count + job.failed_count
    return {
        "id": job.public_id, "source": job.source, "status": job.status,
        "fileName": job.file_name, "mapping": job.mapping, "options": job.options or {},
        "total": job.total, "processed": job.processed, "created": job.created_count,
        "skipped": job.skipped_count, "failed": job.failed_count,
        "progress": imports.progress(job), "error": job.error,
        "errorReportUrl": f"/api/links/import/jobs/{job.public_id}/errors" if problems else None,
        "createdBy": job.created_by.public_id if job.created_by_id else None,
        "createdAt": clock.iso(job.created_at), "updatedAt": clock.iso(job.updated_at),
        "startedAt": clock.iso(job.started_at), "finishedAt": clock.iso(job.finished_at),
    }


def uploads(view: Callable) -> Callable:
    """Raise this view's body limit to IMPORT_MAX_BYTES (read by app.py before the view)."""
    view.linkhub_body_limit = "IMPORT_MAX_BYTES"
    return view


def _form_mapping() -> Any:
    raw = request.form.get("mapping")
    if raw in (None, ""):
        return None
    try:
        return json.loads(raw)
    except ValueError:
        raise Invalid(fields={"mapping": "must be a JSON object"}) from None


def _upload():
    upload = request.files.get("file")
    if upload is None or not upload.filename:
        raise Invalid(fields={"file": "is required (a multipart field named file)"})
    return upload


@bp.post("/links/import/csv")
@require("links:create")
@endpoint("Import links from a CSV file (async job)", response=s.ImportJobOut, status=202,
          tag=TAG, errors=UPLOAD_ERRORS)
@uploads
def import_csv() -> Response:
    """Multipart: `file` (UTF-8, UTF-8 with BOM or UTF-16 with BOM; at most 100,000 rows and
    IMPORT_MAX_BYTES) and an optional `mapping` field (JSON object: our field -> column).
    Or JSON: `{"rows": [{...}], "mapping": {...}}`. The file is checked before the job is
    queued; rows whose code already exists are skipped, so running it twice creates nothing
    the second time."""
    if request.mimetype == "multipart/form-data":
        upload = _upload()
        job = imports.import_csv_file(g.workspace, g.user, upload.stream, upload.filename,
                                      _form_mapping())
    else:
        data = read_json_object()
        try:
            body = s.CsvRowsIn.model_validate(data)
        except ValueError as exc:
            raise Invalid(fields=validation_details(exc)) from None
        job = imports.import_csv_rows(g.workspace, g.user, body.rows, body.mapping)
    return ok(job_json(job), 202)


@bp.post("/links/import/json")
@require("links:create")
@endpoint("Import a linkhub JSON bundle (async job)", response=s.ImportJobOut, status=202,
          tag=TAG, errors=UPLOAD_ERRORS)
@uploads
def import_json() -> Response:
    """Multipart `file`, or the bundle itself as the JSON body (the format of
    GET /api/links/export/bundle): links with their rules, tags, folders and campaigns,
    matched by name and code."""
    if request.mimetype == "multipart/form-data":
        upload = _upload()
        job = imports.import_bundle(g.workspace, g.user, stream=upload.stream,
                                    file_name=upload.filename)
    else:
        job = imports.import_bundle(g.workspace, g.user, bundle=read_json_object())
    return ok(job_json(job), 202)


@bp.get("/links/export/bundle")
@require("links:read")
@endpoint("Export the workspace as a linkhub JSON bundle", tag=TAG, media_type="application/json")
def export_bundle() -> Response:
    """Links (with rules, tags, folder, campaign), tags, folders, campaigns and shared rules,
    referenced by name and code: POST it to /api/links/import/json in any workspace."""
    name = f"linkhub-{g.workspace.public_id}-{clock.now():%Y%m%d}.json"
    body = stream_with_context(link_bundle.write(g.workspace))
    return Response(body, mimetype="application/json",
                    headers={"Content-Disposition": f'attachment; filename="{name}"'})


@bp.get("/links/import/providers")
@require("links:read")
@endpoint("Supported import sources", response=s.ProvidersOut, tag=TAG)
def providers() -> Response:
    return ok({"providers": import_providers.catalogue()})


@bp.post("/links/import/<provider>/start")
@require("links:create")
@endpoint("Start an import from a provider's API", body=s.ProviderStartIn,
          response=s.ImportJobOut, status=202, tag=TAG,
          errors=("INVALID_PROVIDER_TOKEN", "SERVICE_UNAVAILABLE"))
def start(provider: str, body: s.ProviderStartIn) -> Response:
    """The token is checked with the provider first (400 INVALID_PROVIDER_TOKEN when it is
    refused); the job then reads every link page by page."""
    import_providers.module(provider)
    job = import_providers.start(g.workspace, g.user, provider,
                                 body.model_dump(exclude_none=True))
    return ok(job_json(job), 202)


@bp.get("/links/import/<provider>/auth")
@require("links:create")
@endpoint("Start a provider's OAuth sign-in", query=s.OAuthStartQuery,
          response=s.OAuthStartOut, tag=TAG)
def oauth_start(provider: str, query: s.OAuthStartQuery) -> Response:
    """Bitly only (with IMPORT_BITLY_CLIENT_ID/SECRET set): send the user to `authorizeUrl`;
    Bitly comes back to the callback, which starts the import. Other providers: 400."""
    return ok(import_providers.oauth_start(g.workspace, g.user, provider,
                                           options=query.model_dump(exclude_none=True)))


@bp.get("/links/import/<provider>/callback")
@require("links:create", workspace=False)
@endpoint("Finish a provider's OAuth sign-in and start the import", query=s.OAuthCallbackQuery,
          response=s.ImportJobOut, status=202, tag=TAG,
          errors=("INVALID_PROVIDER_TOKEN", "SERVICE_UNAVAILABLE"))
def oauth_callback(provider: str, query: s.OAuthCallbackQuery) -> Response:
    """Where the provider sends the browser back (`code`, `state`). Started from the
    dashboard, it redirects to the job's page; otherwise it answers 202 with the job."""
    mod = import_providers.module(provider)
    if query.error:
        raise ApiError("BAD_REQUEST", f"{mod.LABEL} did not grant access ({query.error[:100]}).")
    state = import_providers.read_state(provider, query.state)
    auth.use_workspace(state["w"])
    auth.enforce("links:create")
    job = import_providers.oauth_finish(g.workspace, g.user, provider, query.code, state)
    if state.get("d"):
        return redirect(url_for("dashboard.imports.detail", import_id=job.public_id))
    return ok(job_json(job), 202)


@bp.get("/links/import/jobs")
@require("links:read")
@endpoint("List import jobs", query=s.JobListQuery, response=s.ImportJobOut, listing=True,
          tag=TAG)
def list_jobs(query: s.JobListQuery) -> Response:
    page = pagination.parse(request.args)
    rows, total = imports.list_jobs(g.workspace, page, status=query.status,
                                    source=query.source)
    return listing([job_json(job) for job in rows], page, total)


@bp.get("/links/import/jobs/<import_id>")
@require("links:read")
@endpoint("An import job's status and counts", response=s.ImportJobOut, tag=TAG)
def get_job(import_id: str) -> Response:
    return ok(job_json(imports.get_job(g.workspace, import_id)))


@bp.post("/links/import/jobs/<import_id>/cancel")
@require("links:create")
@endpoint("Cancel an import job", response=s.ImportJobOut, tag=TAG, errors=("CONFLICT",))
def cancel_job(import_id: str) -> Response:
    """Pending or processing jobs stop (links already imported stay); finished ones: 409."""
    job = imports.get_job(g.workspace, import_id)
    return ok(job_json(imports.cancel_job(g.workspace, g.user, job)))


@bp.get("/links/import/jobs/<import_id>/errors")
@require("links:read")
@endpoint("Download an import's error report (CSV)", tag=TAG, media_type="text/csv")
def error_report(import_id: str) -> Response:
    """One line per skipped or failed row: row, result, shortCode, field, message."""
    job = imports.get_job(g.workspace, import_id)
    return Response(stream_with_context(imports.report(job)), mimetype="text/csv", headers={
        "Content-Disposition": f'attachment; filename="{job.public_id}-errors.csv"'})
