"""/api/rules: routing rules (link, campaign or shared), attach/detach of shared rules, the
field catalogue and the rule tester. Parse, call services/rules.py (and rule_testing.py),
serialise with the envelope; no business rule here."""

from __future__ import annotations

from flask import Blueprint, Response, g, request
from werkzeug.exceptions import MethodNotAllowed

from linkhub import pagination
from linkhub.api.campaigns import flag
from linkhub.api.spec import endpoint
from linkhub.auth import require
from linkhub.envelope import created, listing, ok
from linkhub.schemas import rules as s
from linkhub.services import rule_shapes, rule_testing, rule_typed, rules

bp = Blueprint("rules", __name__)
TAG = "Rules"


# Fixed paths beside /rules/<rule_id>: another method on them must answer 405, not "rule
# `test` not found", so this runs before the guard of the /rules/<rule_id> views.
_FIXED = {"test": ["POST"], "fields": ["GET", "HEAD"]}


@bp.before_request
def _fixed_paths() -> None:
    rule_id = (request.view_args or {}).get("rule_id")
    if rule_id in _FIXED and request.endpoint in (
            "api.rules.get_rule", "api.rules.update_rule", "api.rules.delete_rule"):
        raise MethodNotAllowed(valid_methods=_FIXED[rule_id])


def _data(body: s.RuleCreate) -> dict:
    return body.model_dump(include=body.model_fields_set)


@bp.get("/rules")
@require("rules:read")
@endpoint("List rules", query=s.RuleListQuery, response=s.RuleOut, listing=True, tag=TAG)
def list_rules(query: s.RuleListQuery) -> Response:
    """In evaluation order (priority ascending, then creation). `linkId`: the link's own rules
    and the shared rules attached to it; `campaignId`: the campaign's rules; `shared=true`:
    shared rules only (`false`: owned rules only)."""
    page = pagination.parse(request.args)
    shared = None if query.shared in (None, "") else flag(query.shared, "shared")
    rows, total = rules.list_rules(g.workspace, link_id=query.linkId or None,
                                   campaign_id=query.campaignId or None, shared=shared,
                                   offset=page.offset, limit=page.limit)
    return listing([rules.serialize_rule(r) for r in rows], page, total)


@bp.post("/rules")
@require("rules:create")
@endpoint("Create a rule", body=s.RuleCreate, response=s.RuleOut, status=201, tag=TAG)
def create_rule(body: s.RuleCreate) -> Response:
    """`name` is required, and `destinationUrl` unless the rule only sets deep links. Invalid
    fields, operators or values answer 400 naming the condition (`conditions[1].operator`)."""
    rule = rules.create_rule(g.workspace, g.user, _data(body))
    return created(rules.serialize_rule(rules.get_rule(g.workspace, rule.public_id)))


@bp.get("/rules/fields")
@require("rules:read")
@endpoint("List the condition fields and operators", response=s.RuleFieldsOut, tag=TAG)
def rule_fields() -> Response:
    """Fields marked `needsDatabase` evaluate as unknown (never match) without the optional
    network database."""
    return ok({"fields": rule_shapes.field_catalogue(), "operators": rule_shapes.OPERATORS,
               "types": list(rule_typed.TYPES)})


@bp.post("/rules/test")
@require("rules:read")
@endpoint("Test a link's rules against a described visitor", body=s.RuleTestBody,
          response=s.RuleTestOut, tag=TAG)
def test_rules(body: s.RuleTestBody) -> Response:
    """Runs the link's rules (its own, its campaign's and attached shared ones) through the
    same engine as the redirect. Nothing is recorded."""
    visitor = body.visitor.model_dump(exclude_none=True) if body.visitor else {}
    return ok(rule_testing.run(g.workspace, body.linkId, visitor))


@bp.get("/rules/<rule_id>")
@require("rules:read")
@endpoint("Get a rule", response=s.RuleOut, tag=TAG)
def get_rule(rule_id: str) -> Response:
    """Returned in the shape it was written in."""
    return ok(rules.serialize_rule(rules.get_rule(g.workspace, rule_id)))


@bp.route("/rules/<rule_id>", methods=["PUT", "PATCH"])
@require("rules:update")
@endpoint("Update a rule", body=s.RuleUpdate, response=s.RuleOut, tag=TAG)
def update_rule(rule_id: str, body: s.RuleUpdate) -> Response:
    """PUT (PATCH is a synonym). Send only what changes; `type` cannot change."""
    rule = rules.get_rule(g.workspace, rule_id)
    rules.update_rule(g.workspace, g.user, rule, _data(body))
    return ok(rules.serialize_rule(rules.get_rule(g.workspace, rule_id)))


@bp.delete("/rules/<rule_id>")
@require("rules:delete")
@endpoint("Delete a rule", response=s.RuleDeletedOut, tag=TAG, errors=("RULE_IN_USE",))
def delete_rule(rule_id: str) -> Response:
    """Soft delete. A shared rule still attached to links answers 400 RULE_IN_USE with the
    links in `error.links`."""
    rules.delete_rule(g.workspace, g.user, rules.get_rule(g.workspace, rule_id))
    return ok({"id": rule_id, "deleted": True})


@bp.post("/rules/<rule_id>/attach")
@require("rules:update")
@endpoint("Attach a shared rule to a link", body=s.AttachBody, response=s.AttachmentOut,
          tag=TAG)
def attach_rule(rule_id: str, body: s.AttachBody) -> Response:
    rule = rules.get_rule(g.workspace, rule_id)
    link = rules.attach_rule(g.workspace, g.user, rule, body.linkId)
    return ok({"ruleId": rule_id, "linkId": link.public_id, "attached": True})


@bp.post("/rules/<rule_id>/detach")
@require("rules:update")
@endpoint("Detach a shared rule from a link", body=s.AttachBody, response=s.AttachmentOut,
          tag=TAG)
def detach_rule(rule_id: str, body: s.AttachBody) -> Response:
    rule = rules.get_rule(g.workspace, rule_id)
    link = rules.detach_rule(g.workspace, g.user, rule, body.linkId)
    return ok({"ruleId": rule_id, "linkId": link.public_id, "attached": False})
