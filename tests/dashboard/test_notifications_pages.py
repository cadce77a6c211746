"""Dashboard notifications, feedback and wrapped pages: the header bell (count, latest items,
mark read), the notifications page (filter, mark read, mark all read, preferences), then in
Chromium: the bell's count and in-place mark read, the feedback dialog posting to the API,
and the wrapped page."""

from __future__ import annotations

import re
from datetime import datetime

import pytest

from linkhub import clock
from linkhub.models import Feedback, Notification, NotificationPreference
from linkhub.services import notifications
from tests.conftest import db_snapshot, login, session
from tests.dashboard.test_links_pages import browser_login, nav, text


@pytest.fixture
def two(ctx, alice, bob):
    """Two unread notifications for alice, one for bob."""
    notifications.notify(alice.workspace, "export_ready", "Export links.csv is ready",
                         "Download it within 7 days.", url="/app/links")
    notifications.notify(alice.workspace, "webhook_disabled", "Webhook example.org disabled")
    notifications.notify(alice.workspace, "bulk_finished", "Bob's bulk job", users=[bob.user])
    return {n.title: n.public_id for n in Notification.select()}


def _input(page: str, name: str) -> str:
    return re.search(rf'<input[^>]*name="{name}"[^>]*>', page).group(0)


def _main(page: str) -> str:
    """The page's own content, without the header's bell menu."""
    return page.split('<main id="main"', 1)[1]


def _unread(user) -> int:
    return Notification.select().where(Notification.user == user.id,
                                       Notification.read_at.is_null()).count()


def test_the_bell_shows_the_count_and_the_latest(app, alice, two):
    page = text(session(app, alice.email).get("/app/links"))
    assert 'aria-label="Notifications: 2 unread"' in page
    assert 'data-unread-count >2<' in page
    assert "Export links.csv is ready" in page and "Bob's bulk job" not in page
    assert 'href="/app/email-logs"' in page  # alice is the owner


def test_the_bell_is_quiet_for_a_member_without_news(app, bob, charlie, two):
    page = text(session(app, charlie.email).get("/app/links"))
    assert 'aria-label="Notifications: 0 unread"' in page and "Nothing yet." in page
    assert 'href="/app/email-logs"' not in text(session(app, bob.email).get("/app/links"))


def test_the_notifications_page_filters_and_marks_read(app, alice, two):
    me = session(app, alice.email)
    token = me.environ_base["HTTP_X_CSRF_TOKEN"]
    page = text(me.get("/app/notifications"))
    assert "Download it within 7 days." in page and "2 unread" in page
    target = two["Export links.csv is ready"]
    response = me.post(f"/app/notifications/{target}/read",
                       data={"csrf_token": token, "next": "/app/notifications?unread=true"})
    assert response.status_code == 303
    assert response.headers["Location"].endswith("/app/notifications?unread=true")
    unread = _main(text(me.get("/app/notifications?unread=true")))
    assert "Webhook example.org disabled" in unread and "links.csv" not in unread
    assert me.post("/app/notifications/read-all", data={"csrf_token": token}).status_code == 303
    assert _unread(alice.user) == 0
    assert "No unread notifications." in _main(text(me.get("/app/notifications?unread=true")))
    assert me.get("/app/notifications?unread=perhaps").status_code == 400


def test_marking_someone_elses_notification_is_404(app, alice, bob, two):
    me = session(app, alice.email)
    before = db_snapshot(app)
    bobs = two["Bob's bulk job"]
    response = me.post(f"/app/notifications/{bobs}/read",
                       data={"csrf_token": me.environ_base["HTTP_X_CSRF_TOKEN"]})
    assert response.status_code == 404
    assert db_snapshot(app) == before and _unread(bob.user) == 1


def test_a_mark_read_without_csrf_changes_nothing(app, alice, two):
    me = app.test_client()
    login(me, alice.email)  # signed in, but the form carries no token
    response = me.post(f"/app/notifications/{two['Webhook example.org disabled']}/read",
                       data={})
    assert response.status_code == 400
    assert _unread(alice.user) == 2


def test_preferences_form(app, alice):
    me = session(app, alice.email)
    page = text(me.get("/app/notifications"))
    assert "checked" in _input(page, "pref-export_ready__email")  # e-mail on by default
    assert "checked" not in _input(page, "pref-bulk_finished__email")
    form = {"csrf_token": me.environ_base["HTTP_X_CSRF_TOKEN"]}
    for kind in notifications.KINDS:
        form[f"pref-{kind}__in_app"] = "y"
    form["pref-bulk_finished__email"] = "y"
    response = me.post("/app/notifications/preferences", data=form)
    assert response.status_code == 303
    choices = {p["kind"]: p for p in notifications.preferences(alice.user)}
    assert choices["export_ready"]["email"] is False and choices["bulk_finished"]["email"]
    assert all(p["inApp"] for p in choices.values())
    assert NotificationPreference.select().count() == len(notifications.KINDS)


# --- in the browser -------------------------------------------------------------------------

@pytest.mark.browser
def test_browser_bell_marks_read_in_place(page, alice, two):
    browser_login(page, alice.email)
    bell = page.locator("details.bell")
    assert bell.locator("[data-unread-count]").inner_text() == "2"
    bell.locator("summary").click()
    item = bell.locator("li", has_text="Webhook example.org disabled")
    item.get_by_role("button", name="Mark “Webhook example.org disabled” read").click()
    page.wait_for_function("document.querySelector('[data-unread-count]').textContent == '1'")
    assert page.url.endswith("/app/")  # no reload: the API did it
    assert Notification.get(Notification.public_id == two["Webhook example.org disabled"]) \
        .read_at is not None
    page.get_by_role("link", name="All notifications and settings").click()
    page.wait_for_url("**/app/notifications")
    assert page.get_by_role("heading", name="Notifications", exact=True).is_visible()
    page.get_by_role("button", name="Mark all read").first.click()
    page.wait_for_function("document.querySelector('[data-unread-count]').hidden")
    assert _unread(alice.user) == 0


@pytest.mark.browser
def test_browser_feedback_dialog_posts_to_the_api(page, bob):
    browser_login(page, bob.email)
    nav(page, "Links")
    page.get_by_role("link", name="Feedback").click()
    dialog = page.get_by_role("dialog", name="Send feedback")
    assert dialog.is_visible()
    dialog.get_by_label("What is it about?").select_option("bug")
    dialog.get_by_label("Message").fill("x" * 10)
    dialog.get_by_label("How do you like linkhub?").select_option("4")
    dialog.get_by_role("button", name="Send").click()
    dialog.get_by_text("Thank you: your feedback was sent.").wait_for()
    row = Feedback.get()
    assert (row.kind, row.message, row.rating, row.page) == ("bug", "x" * 10, 4, "/app/links")
    assert page.url.endswith("/app/links")  # stayed on the page
    dialog.get_by_role("button", name="Close").click()
    dialog.wait_for(state="hidden")


@pytest.mark.browser
def test_browser_wrapped_page_renders(page, alice):
    clock.freeze(datetime(2026, 6, 1, 12, 0))
    browser_login(page, alice.email)
    nav(page, "Wrapped")
    page.wait_for_url("**/app/wrapped")
    assert page.get_by_role("heading", name="2026 wrapped (so far)").is_visible()
    assert page.locator('[data-metric="clicks"]').inner_text() == "0"
    page.get_by_label("Year").select_option("2025")
    page.wait_for_url("**/app/wrapped?year=2025")
    assert page.get_by_role("heading", name="2025 wrapped").is_visible()
    assert page.get_by_role("button", name="Print").is_visible()
    page.emulate_media(media="print")
    assert not page.locator(".sidebar").is_visible()
