"""/api/feedback: any member sends feedback (kind, message, page, rating) to the workspace;
admins list it. Parse -> services/feedback.py -> envelope."""

from __future__ import annotations

from flask import Blueprint, Response, g, request

from linkhub import pagination
from linkhub.api.spec import endpoint
from linkhub.auth import require
from linkhub.envelope import created, listing
from linkhub.schemas import feedback as s
from linkhub.services import feedback

bp = Blueprint("feedback", __name__)
TAG = "Feedback"


@bp.post("/feedback")
@require()
@endpoint("Send feedback", body=s.FeedbackIn, response=s.FeedbackOut, status=201, tag=TAG,
          errors=("RATE_LIMITED",))
def create_feedback(body: s.FeedbackIn) -> Response:
    """`kind` (bug, idea, praise, other) and `message` (up to 5,000 characters) are required;
    `page` and `rating` (1-5) are optional. 30 a user an hour."""
    row = feedback.create_feedback(g.workspace, g.user, body.model_dump())
    return created(feedback.serialize(row))


@bp.get("/feedback")
@require("workspace:read", role="admin")
@endpoint("List the workspace's feedback", query=s.FeedbackListQuery, response=s.FeedbackOut,
          listing=True, tag=TAG)
def list_feedback(query: s.FeedbackListQuery) -> Response:
    """Newest first; admins and the owner only."""
    page = pagination.parse(request.args)
    rows, total = feedback.list_feedback(g.workspace, page, query.kind)
    return listing([feedback.serialize(r) for r in rows], page, total)
