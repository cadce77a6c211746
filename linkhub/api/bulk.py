"""Bulk link routes: the synchronous /api/links/bulk (create, update) and /api/links/bulk/delete,
and the asynchronous operations under /api/bulk. Parse -> services/bulk.py -> serialise. The
static `/links/bulk` rules win over `/links/<link_id>` in the URL map whatever the order."""

from __future__ import annotations

from flask import Blueprint, Response, g, request

from linkhub import auth, pagination
from linkhub.api.links import link_json
from linkhub.api.spec import endpoint
from linkhub.auth import require
from linkhub.envelope import listing, ok
from linkhub.schemas import bulk as s
from linkhub.services import bulk, links

bp = Blueprint("bulk", __name__)
TAG = "Bulk operations"
SCOPES = {"create": "links:create", "update": "links:update", "delete": "links:delete"}


def _items(body) -> list:
    return [item.model_dump(include=item.model_fields_set) for item in body.links]


def _links_out(rows) -> dict:
    rel = links.relations(rows)
    return {"count": len(rows), "links": [link_json(link, rel[link.id]) for link in rows]}


# --- synchronous ------------------------------------------------------------------------------

@bp.post("/links/bulk")
@require("links:create")
@endpoint("Create up to 1,000 links (all or nothing)", body=s.BulkCreateBody,
          response=s.BulkLinksOut, status=201, tag=TAG)
def create_links(body: s.BulkCreateBody) -> Response:
    """Every item is checked like POST /api/links; one failing item and nothing is written:
    400 VALIDATION_ERROR with one `details` entry per problem (`field` `links.<i>.<name>`,
    `index`, `code`, `status`). Codes repeated inside the request fail too."""
    rows = bulk.run_sync(g.workspace, g.user, "create", _items(body))
    return ok(_links_out(rows), 201)


@bp.patch("/links/bulk")
@require("links:update")
@endpoint("Update up to 1,000 links (all or nothing)", body=s.BulkUpdateBody,
          response=s.BulkLinksOut, tag=TAG)
def update_links(body: s.BulkUpdateBody) -> Response:
    """Each item carries `id` (link id or short code) and the fields that change. A link of
    another workspace is a per-item NOT_FOUND (status 404) and nothing is written."""
    rows = bulk.run_sync(g.workspace, g.user, "update", _items(body))
    return ok(_links_out(rows))


@bp.post("/links/bulk/delete")
@require("links:delete")
@endpoint("Delete up to 1,000 links (all or nothing)", body=s.BulkDeleteBody,
          response=s.BulkDeletedOut, tag=TAG)
def delete_links(body: s.BulkDeleteBody) -> Response:
    """Soft deletes, as DELETE /api/links/{id}; an unknown, foreign or already deleted link
    fails its item and nothing is written."""
    rows = bulk.run_sync(g.workspace, g.user, "delete", list(body.linkIds))
    return ok({"count": len(rows), "deleted": [link.public_id for link in rows]})


# --- asynchronous -----------------------------------------------------------------------------

def big_body(view):
    """Let this view take up to BULK_MAX_BYTES (read by app.py before the view)."""
    view.linkhub_body_limit = "BULK_MAX_BYTES"
    return view


def _start(action: str, items: list, dry_run: bool) -> Response:
    op = bulk.start(g.workspace, g.user, action, items, dry_run=dry_run)
    return ok(bulk.serialize(op), 202)


@big_body
@bp.post("/bulk/links/validate")
@require("links:create")
@endpoint("Validate link creates (dry run)", body=s.AsyncLinksBody,
          response=s.BulkOperationOut, status=202, tag=TAG)
def validate_create(body: s.AsyncLinksBody) -> Response:
    """An operation that checks every row as a create would, writing nothing; read the
    per-row outcome from the operation (`errors`) and its /results."""
    return _start("create", body.links, True)


@big_body
@bp.post("/bulk/links/validate-update")
@require("links:update")
@endpoint("Validate link updates (dry run)", body=s.AsyncLinksBody,
          response=s.BulkOperationOut, status=202, tag=TAG)
def validate_update(body: s.AsyncLinksBody) -> Response:
    return _start("update", body.links, True)


@big_body
@bp.post("/bulk/links/validate-delete")
@require("links:delete")
@endpoint("Validate link deletes (dry run)", body=s.AsyncLinkIdsBody,
          response=s.BulkOperationOut, status=202, tag=TAG)
def validate_delete(body: s.AsyncLinkIdsBody) -> Response:
    return _start("delete", body.linkIds, True)


@big_body
@bp.post("/bulk/links/create")
@require("links:create")
@endpoint("Create links asynchronously", body=s.AsyncLinksBody, response=s.BulkOperationOut,
          status=202, tag=TAG)
def async_create(body: s.AsyncLinksBody) -> Response:
    """202 with the operation (`pending`); the scheduler works through it in chunks. Poll
    GET /api/bulk/operations/{id}."""
    return _start("create", body.links, False)


@big_body
@bp.post("/bulk/links/update")
@require("links:update")
@endpoint("Update links asynchronously", body=s.AsyncLinksBody, response=s.BulkOperationOut,
          status=202, tag=TAG)
def async_update(body: s.AsyncLinksBody) -> Response:
    return _start("update", body.links, False)


@big_body
@bp.post("/bulk/links/delete")
@require("links:delete")
@endpoint("Delete links asynchronously", body=s.AsyncLinkIdsBody,
          response=s.BulkOperationOut, status=202, tag=TAG)
def async_delete(body: s.AsyncLinkIdsBody) -> Response:
    return _start("delete", body.linkIds, False)


@bp.get("/bulk/operations")
@require("links:read")
@endpoint("List bulk operations", query=s.OperationListQuery, response=s.BulkOperationOut,
          listing=True, tag=TAG)
def list_operations(query: s.OperationListQuery) -> Response:
    page = pagination.parse(request.args)
    rows, total = bulk.list_operations(g.workspace, page, query.status)
    return listing([bulk.serialize(op) for op in rows], page, total)


@bp.get("/bulk/operations/<operation_id>")
@require("links:read")
@endpoint("Bulk operation status", response=s.BulkOperationOut, tag=TAG)
def get_operation(operation_id: str) -> Response:
    """Progress counters plus the first 100 failed rows in `errors`."""
    return ok(bulk.serialize(bulk.find(g.workspace, operation_id), errors=True))


@bp.get("/bulk/operations/<operation_id>/results")
@require("links:read")
@endpoint("Per-row results of a bulk operation", query=s.ResultListQuery,
          response=s.BulkRowOut, listing=True, tag=TAG)
def operation_results(operation_id: str, query: s.ResultListQuery) -> Response:
    """In item order; `outcome=failed` keeps the failures only."""
    op = bulk.find(g.workspace, operation_id)
    page = pagination.parse(request.args)
    rows, total = bulk.results(op, page, query.outcome)
    return listing([bulk.serialize_result(r) for r in rows], page, total)


@bp.post("/bulk/operations/<operation_id>/cancel")
@require("links:read")
@endpoint("Cancel a bulk operation", response=s.BulkOperationOut, tag=TAG,
          errors=("CONFLICT",))
def cancel_operation(operation_id: str) -> Response:
    """A pending operation stops at once, a running one at its next item (what is done stays
    done). Needs the scope of the operation's action; a finished one is 409 CONFLICT."""
    op = bulk.find(g.workspace, operation_id)
    auth.enforce(SCOPES[op.action])
    return ok(bulk.serialize(bulk.cancel(g.workspace, g.user, op), errors=True))
