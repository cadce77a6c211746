"""POST /api/feedback (any member: kind, message up to 5,000 characters, page, rating 1-5;
rate-limited) and GET /api/feedback (admins of the workspace only), plus the dashboard's
no-JavaScript feedback page."""

from __future__ import annotations

import pytest

from linkhub.models import AuditLog, Feedback
from linkhub.schemas.feedback import FeedbackOut
from tests.conftest import db_snapshot, session

GOOD = {"kind": "bug", "message": "The chart is empty on Mondays.", "page": "/app/analytics",
        "rating": 3}


def post(client, persona, body: dict):
    return client.post("/api/feedback", json=body, headers=persona.headers)


def assert_invalid(app, client, persona, body: dict, field: str) -> None:
    before = db_snapshot(app)
    response = post(client, persona, body)
    assert response.status_code == 400, response.get_json()
    error = response.get_json()["error"]
    assert error["code"] == "VALIDATION_ERROR"
    assert field in [d["field"] for d in error["details"]], error
    assert db_snapshot(app) == before


def test_a_member_sends_feedback(client, bob):
    response = post(client, bob, GOOD)
    assert response.status_code == 201, response.get_json()
    data = response.get_json()["data"]
    FeedbackOut.model_validate(data)
    assert data["id"].startswith("fbk_") and data["status"] == "new"
    assert {k: data[k] for k in GOOD} == GOOD
    assert data["user"]["email"] == "bob@example.com"
    row = Feedback.get(Feedback.public_id == data["id"])
    assert row.workspace.public_id == bob.workspace_id
    assert AuditLog.select().where(AuditLog.action == "feedback.create").count() == 1


def test_only_kind_and_message_are_required(client, alice):
    response = post(client, alice, {"kind": "praise", "message": "  Lovely  "})
    data = response.get_json()["data"]
    assert response.status_code == 201
    assert (data["message"], data["page"], data["rating"]) == ("Lovely", None, None)


def test_the_message_may_be_exactly_5000_characters(client, alice):
    assert post(client, alice, {"kind": "idea", "message": "x" * 5000}).status_code == 201


@pytest.mark.parametrize("body,field", [
    ({**GOOD, "message": "x" * 5001}, "message"),
    ({**GOOD, "message": "   "}, "message"),
    ({"kind": "bug"}, "message"),
    ({**GOOD, "kind": "rant"}, "kind"),
    ({"message": "hi"}, "kind"),
    ({**GOOD, "rating": 0}, "rating"),
    ({**GOOD, "rating": 6}, "rating"),
    ({**GOOD, "rating": "5"}, "rating"),
    ({**GOOD, "rating": True}, "rating"),
    ({**GOOD, "rating": 4.5}, "rating"),
    ({**GOOD, "page": "/" + "p" * 2048}, "page"),
    ({**GOOD, "message": ["a"]}, "message"),
])
def test_bad_feedback_is_400_and_stores_nothing(app, client, alice, body, field):
    assert_invalid(app, client, alice, body, field)


def test_every_problem_is_named_at_once(client, alice):
    response = post(client, alice, {"kind": "x", "message": "", "rating": 9})
    fields = {d["field"] for d in response.get_json()["error"]["details"]}
    assert fields == {"kind", "message", "rating"}


def test_admins_list_the_workspace_feedback(client, alice, bob, charlie):
    post(client, bob, GOOD)
    post(client, alice, {"kind": "idea", "message": "Dark mode"})
    post(client, charlie, {"kind": "other", "message": "Charlie's own"})
    response = client.get("/api/feedback", headers=alice.headers)
    assert response.status_code == 200
    data = response.get_json()["data"]
    assert [f["message"] for f in data] == ["Dark mode", GOOD["message"]]
    assert response.get_json()["pagination"]["total"] == 2
    only = client.get("/api/feedback?kind=bug", headers=alice.headers).get_json()["data"]
    assert [f["kind"] for f in only] == ["bug"]
    bad = client.get("/api/feedback?kind=rant", headers=alice.headers)
    assert bad.status_code == 400
    theirs = client.get("/api/feedback", headers=charlie.headers).get_json()["data"]
    assert [f["message"] for f in theirs] == ["Charlie's own"]


def test_editors_cannot_list_feedback(client, bob):
    response = client.get("/api/feedback", headers=bob.headers)
    assert response.status_code == 403 and response.get_json()["error"]["code"] == "FORBIDDEN"


def test_feedback_is_rate_limited_per_user(client, bob, alice):
    for _ in range(30):
        assert post(client, bob, GOOD).status_code == 201
    response = post(client, bob, GOOD)
    assert response.status_code == 429
    assert response.get_json()["error"]["code"] == "RATE_LIMITED"
    assert post(client, alice, GOOD).status_code == 201


def test_the_dashboard_page_posts_without_javascript(app, alice):
    me = session(app, alice.email)
    token = me.environ_base["HTTP_X_CSRF_TOKEN"]
    page = me.get("/app/feedback?page_path=/app/links").get_data(as_text=True)
    assert 'value="/app/links"' in page and "Received (0)" in page
    response = me.post("/app/feedback", data={"csrf_token": token, "kind": "idea",
                                              "message": "From the form", "rating": "5",
                                              "page": "/app/links", "next": "/app/links"})
    assert response.status_code == 303 and response.headers["Location"].endswith("/app/links")
    row = Feedback.get()
    assert (row.kind, row.message, row.rating, row.page) == ("idea", "From the form", 5,
                                                               "/app/links")
    response = me.post("/app/feedback", data={"csrf_token": token, "kind": "idea",
                                              "message": "x" * 5001})
    assert response.status_code == 400 and 'id="message-error"' in response.get_data(
        as_text=True)
    assert Feedback.select().count() == 1
