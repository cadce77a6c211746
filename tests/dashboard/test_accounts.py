"""Dashboard account pages: log in/out, sign-up (first user, closed, invitation), password reset,
e-mail verification and change, profile. Form posts through the test client, plus browser
tests of the main journeys."""

from __future__ import annotations

import re
from datetime import timedelta
from html import unescape
from urllib.parse import urlsplit

import pytest

from linkhub import clock
from linkhub.dashboard.accounts import safe_next
from linkhub.models import EmailLog, Member, User, UserSession, Workspace
from tests.conftest import PASSWORD, db_snapshot, login

NEW_PASSWORD = "a-brand-new-passphrase"
LOGIN_WITH_NEXT = re.compile(r".*/app/login\?next=.+")

# other_client_note: the `client` fixture keeps its last request's app context alive, so a
# second test client in the same test shares `g`, where flask-wtf caches the CSRF token of the
# first client's session. Dashboard forms in a second client would then fail CSRF; the API
# sign-in mints a fresh token, so second clients sign in through `login()`.


def empty_install(app) -> None:
    database = app.extensions["linkhub.db"]
    for table in ("workspace", "user"):
        database.execute_sql(f'DELETE FROM "{table}"')


def csrf_of(html: str, prefix: str = "") -> str:
    name = f"{prefix}-csrf_token" if prefix else "csrf_token"
    match = re.search(rf'name="{name}" type="hidden" value="([^"]+)"', html)
    assert match, f"no {name} in page"
    return match.group(1)


def location(response) -> str:
    parts = urlsplit(response.headers["Location"])
    assert parts.netloc in ("", "localhost"), response.headers["Location"]
    return parts.path + (f"?{parts.query}" if parts.query else "")


def text_of(response) -> str:
    return unescape(response.get_data(as_text=True))


def sign_in(client, email: str, password: str = PASSWORD, next_: str = ""):
    page = client.get("/app/login").get_data(as_text=True)
    return client.post("/app/login", data={"csrf_token": csrf_of(page), "email": email,
                                           "password": password, "next": next_})


def last_link(kind: str, to: str) -> str:
    entry = (EmailLog.select().where(EmailLog.kind == kind, EmailLog.to_address == to)
             .order_by(EmailLog.id.desc()).first())
    assert entry is not None, f"no {kind} e-mail to {to}"
    return urlsplit(re.search(r"https?://\S+", entry.body_text).group(0)).path


# --- log in / out ---

def test_login_page_labels_every_field(client):
    r = client.get("/app/login")
    html = r.get_data(as_text=True)
    assert r.status_code == 200
    assert '<label for="email">' in html and '<label for="password">' in html
    assert 'type="password"' in html and 'autocomplete="current-password"' in html
    assert "/app/forgot-password" in html
    assert "/app/signup" not in html  # sign-up is closed on this install


def test_login_goes_to_next(client, alice):
    r = sign_in(client, alice.email, next_="/app/profile?tab=1")
    assert r.status_code == 302 and location(r) == "/app/profile?tab=1"
    assert UserSession.select().where(UserSession.user == alice.user).count() == 1
    assert location(client.get("/app/login")) == "/app/"  # already signed in


@pytest.mark.parametrize("target", ["https://evil.example/", "//evil.example/x",
                                    "/\\evil.example", "javascript:alert(1)", "evil.example",
                                    "/app/\r\nLocation: x", "http:/evil.example"])
def test_login_refuses_open_redirects(client, alice, target):
    r = sign_in(client, alice.email, next_=target)
    assert r.status_code == 302 and location(r) == "/app/"


def test_safe_next_unit(app):
    with app.test_request_context():
        assert safe_next("/app/links?x=1") == "/app/links?x=1"
        assert safe_next("/app/?") == "/app/"
        assert safe_next(None) == "/app/"
        assert safe_next("///evil.example") == "/app/"


def test_wrong_password_shows_an_error(app, client, alice):
    before = db_snapshot(app)
    r = sign_in(client, alice.email, "not-the-password")
    assert r.status_code == 401
    assert "Wrong e-mail or password." in text_of(r)
    assert f'value="{alice.email}"' in r.get_data(as_text=True)
    assert db_snapshot(app) == before


def test_login_form_errors_sit_beside_the_fields(app, client):
    page = client.get("/app/login").get_data(as_text=True)
    r = client.post("/app/login", data={"csrf_token": csrf_of(page), "email": "",
                                        "password": ""})
    html = r.get_data(as_text=True)
    assert r.status_code == 400
    assert 'id="email-error"' in html and 'id="password-error"' in html
    assert 'aria-invalid="true"' in html


def test_login_without_csrf_is_refused(app, client, alice):
    before = db_snapshot(app)
    r = client.post("/app/login", data={"email": alice.email, "password": PASSWORD})
    assert r.status_code == 400
    assert db_snapshot(app) == before


def test_logout(app, client, alice):
    sign_in(client, alice.email)
    before = db_snapshot(app)
    assert client.post("/app/logout").status_code == 400  # no CSRF token: refused
    assert db_snapshot(app) == before
    token = csrf_of(client.get("/app/forgot-password").get_data(as_text=True))
    r = client.post("/app/logout", data={"csrf_token": token})
    assert r.status_code == 302 and location(r) == "/app/login"
    assert UserSession.select().where(UserSession.user == alice.user).count() == 0
    assert "You have been logged out." in text_of(client.get("/app/login"))


def test_pages_need_a_session(client):
    r = client.get("/app/profile")
    assert r.status_code == 302 and location(r).startswith("/app/login?next=")


# --- sign-up ---

def test_signup_is_closed_with_a_friendly_page(app, client):
    r = client.get("/app/signup")
    assert r.status_code == 403
    assert "Sign-up is closed" in text_of(r) and 'href="/app/login"' in text_of(r)
    r = client.get("/app/signup?invite=forged")
    assert r.status_code == 403 and "invitation no longer works" in text_of(r)
    before = db_snapshot(app)
    r = client.post("/app/signup", data={"email": "x@example.com", "password": PASSWORD})
    assert r.status_code in (400, 403)
    assert db_snapshot(app) == before


def test_first_user_signs_up_with_a_workspace(app, client):
    empty_install(app)
    page = client.get("/app/signup")
    html = page.get_data(as_text=True)
    assert page.status_code == 200 and "Set up linkhub" in html
    assert '<label for="workspace_name">' in html
    r = client.post("/app/signup", data={"csrf_token": csrf_of(html), "name": "Zed",
                                         "email": "zed@example.com", "password": PASSWORD,
                                         "workspace_name": "Zed Labs"})
    assert r.status_code == 302 and location(r) == "/app/"
    user = User.get(User.email == "zed@example.com")
    assert Workspace.get(Workspace.id == user.default_workspace_id).name == "Zed Labs"
    assert UserSession.select().where(UserSession.user == user).count() == 1
    assert "/app/signup" not in text_of(app.test_client().get("/app/login"))  # closed again


def test_signup_errors_sit_beside_the_fields(app, client):
    empty_install(app)
    html = client.get("/app/signup").get_data(as_text=True)
    before = db_snapshot(app)
    r = client.post("/app/signup", data={"csrf_token": csrf_of(html), "email": "bad",
                                         "password": "short"})
    html = text_of(r)
    assert r.status_code == 400
    assert re.search(r'id="email-error">Is not a valid e-mail address', html)
    assert 'id="password-error">Must be at least 8 characters' in html
    assert db_snapshot(app) == before


def test_signup_with_an_invitation(app, client, alice):
    from linkhub.services import invitations

    with app.test_request_context():
        _, token = invitations.invite(alice.workspace, alice.user, "dan@example.com", "viewer")
    page = client.get(f"/app/signup?invite={token}")
    html = text_of(page)
    assert page.status_code == 200 and "Join Alice Co" in html
    assert 'value="dan@example.com"' in html
    r = client.post("/app/signup", data={"csrf_token": csrf_of(html), "invite": token,
                                         "email": "dan@example.com", "password": PASSWORD})
    assert r.status_code == 302 and location(r) == "/app/"
    dan = User.get(User.email == "dan@example.com")
    assert Member.get(Member.user == dan).role == "viewer"


# --- password reset, verification ---

def test_forgot_and_reset_password(app, client, alice):
    html = client.get("/app/forgot-password").get_data(as_text=True)
    assert '<label for="email">' in html
    r = client.post("/app/forgot-password", data={"csrf_token": csrf_of(html),
                                                  "email": alice.email})
    assert r.status_code == 302 and location(r) == "/app/login"
    assert "If an account exists" in text_of(client.get("/app/login"))
    path = last_link("reset_password", alice.email)
    page = client.get(path)
    html = page.get_data(as_text=True)
    assert page.status_code == 200 and alice.email in html
    r = client.post(path, data={"csrf_token": csrf_of(html), "password": NEW_PASSWORD,
                                "confirm": "something-else"})
    assert r.status_code == 400 and "The two passwords differ." in text_of(r)
    r = client.post(path, data={"csrf_token": csrf_of(html), "password": "short",
                                "confirm": "short"})
    assert r.status_code == 400 and "Must be at least 8 characters" in text_of(r)
    r = client.post(path, data={"csrf_token": csrf_of(html), "password": NEW_PASSWORD,
                                "confirm": NEW_PASSWORD})
    assert r.status_code == 302 and location(r) == "/app/login"
    login(app.test_client(), alice.email, NEW_PASSWORD)  # the API: see other_client_note
    again = client.get(path)
    assert again.status_code == 400 and "no longer works" in text_of(again)


def test_an_expired_reset_link_shows_a_way_out(app, client, alice):
    html = client.get("/app/forgot-password").get_data(as_text=True)
    client.post("/app/forgot-password", data={"csrf_token": csrf_of(html), "email": alice.email})
    path = last_link("reset_password", alice.email)
    clock.advance(timedelta(hours=2))
    r = client.get(path)
    assert r.status_code == 400 and 'href="/app/forgot-password"' in text_of(r)


def test_verify_email_page(app, client):
    empty_install(app)
    html = client.get("/app/signup").get_data(as_text=True)
    client.post("/app/signup", data={"csrf_token": csrf_of(html), "email": "zed@example.com",
                                     "password": PASSWORD})
    path = last_link("verify_email", "zed@example.com")
    r = app.test_client().get(path)
    assert r.status_code == 200 and "E-mail address confirmed" in text_of(r)
    assert User.get(User.email == "zed@example.com").email_verified_at is not None
    r = client.get(path)
    assert r.status_code == 400 and "no longer works" in text_of(r)


# --- profile ---

@pytest.fixture
def lone_user(app, client):
    """A signed-in user with no workspace (the profile page needs no workspace)."""
    from linkhub.services.accounts import create_user

    with app.test_request_context():
        user = create_user("lone@example.com", PASSWORD, "Lone Wolf")
    assert sign_in(client, user.email).status_code == 302
    return user


def profile_page(client) -> str:
    r = client.get("/app/profile")
    assert r.status_code == 200
    return r.get_data(as_text=True)


def test_profile_page_shows_every_form_with_labels(client, lone_user):
    html = profile_page(client)
    for field in ("profile-name", "profile-image", "password-current_password",
                  "password-new_password", "password-confirm", "email-new_email",
                  "email-current_password"):
        assert f'<label for="{field}">' in html, field
    assert "Not verified" in html and "/app/profile/resend-verification" in html


def test_profile_update(app, client, lone_user):
    html = profile_page(client)
    r = client.post("/app/profile", data={"profile-csrf_token": csrf_of(html, "profile"),
                                          "profile-name": "Lone Ranger",
                                          "profile-image": "ftp://nope"})
    assert r.status_code == 400 and 'id="profile-image-error"' in r.get_data(as_text=True)
    r = client.post("/app/profile", data={"profile-csrf_token": csrf_of(html, "profile"),
                                          "profile-name": "Lone Ranger",
                                          "profile-image": "https://example.com/me.png"})
    assert r.status_code == 302
    assert "Profile saved." in text_of(client.get("/app/profile"))
    user = User.get_by_id(lone_user.id)
    assert (user.name, user.image) == ("Lone Ranger", "https://example.com/me.png")


def test_profile_change_password(app, client, lone_user):
    html = profile_page(client)
    token = csrf_of(html, "password")
    before = db_snapshot(app)
    r = client.post("/app/profile/password", data={
        "password-csrf_token": token, "password-current_password": "wrong-one",
        "password-new_password": NEW_PASSWORD, "password-confirm": NEW_PASSWORD})
    assert r.status_code == 401 and "The current password is wrong." in text_of(r)
    assert db_snapshot(app) == before
    r = client.post("/app/profile/password", data={
        "password-csrf_token": token, "password-current_password": PASSWORD,
        "password-new_password": NEW_PASSWORD, "password-confirm": NEW_PASSWORD})
    assert r.status_code == 302
    login(app.test_client(), lone_user.email, NEW_PASSWORD)


def test_profile_email_change_and_confirmation(app, client, lone_user):
    html = profile_page(client)
    r = client.post("/app/profile/email", data={
        "email-csrf_token": csrf_of(html, "email"), "email-new_email": "bob@example.com",
        "email-current_password": PASSWORD})
    assert r.status_code == 409 and "already uses that e-mail address" in text_of(r)
    r = client.post("/app/profile/email", data={
        "email-csrf_token": csrf_of(html, "email"), "email-new_email": "wolf@example.com",
        "email-current_password": PASSWORD})
    assert r.status_code == 302
    path = last_link("change_email", "wolf@example.com")
    page = client.get(path)
    assert page.status_code == 200 and "wolf@example.com" in text_of(page)
    r = client.post(path, data={"csrf_token": csrf_of(page.get_data(as_text=True))})
    assert r.status_code == 302 and location(r) == "/app/profile"
    assert User.get_by_id(lone_user.id).email == "wolf@example.com"
    assert client.get(path).status_code == 400


def test_profile_resend_verification(app, client, lone_user):
    html = profile_page(client)
    r = client.post("/app/profile/resend-verification",
                    data={"action-csrf_token": csrf_of(html, "action")})
    assert r.status_code == 302
    assert EmailLog.select().where(EmailLog.kind == "verify_email",
                                   EmailLog.to_address == lone_user.email).count() == 1


# --- in a browser ---

@pytest.mark.browser
def test_browser_first_user_signs_up(app, page):
    empty_install(app)
    page.goto("/app/signup")
    page.get_by_label("Your name").fill("Zed Zero")
    page.get_by_label("Work e-mail").fill("zed@example.com")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_label("Workspace name").fill("Zed Labs")
    page.get_by_role("button", name="Create account and workspace").click()
    page.wait_for_url("**/app/")
    assert "Zed Labs" in page.content()
    assert User.get(User.email == "zed@example.com").default_workspace.name == "Zed Labs"


@pytest.mark.browser
def test_browser_login_dashboard_and_logout(page, alice):
    page.goto("/app/profile")
    page.wait_for_url(LOGIN_WITH_NEXT)
    page.get_by_label("E-mail").fill(alice.email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url("**/app/profile")
    page.goto("/app/")
    assert page.get_by_role("heading", name="Alice Co").is_visible()
    page.get_by_role("button", name="Log out").click()
    page.wait_for_url("**/app/login")
    assert page.get_by_text("You have been logged out.").is_visible()
    page.goto("/app/")
    page.wait_for_url(LOGIN_WITH_NEXT)


@pytest.mark.browser
def test_browser_wrong_password_shows_an_error(page, alice):
    page.goto("/app/login")
    page.get_by_label("E-mail").fill(alice.email)
    page.get_by_label("Password").fill("not-the-password")
    page.get_by_role("button", name="Log in").click()
    page.get_by_role("alert").filter(has_text="Wrong e-mail or password.").wait_for()


@pytest.mark.browser
def test_browser_password_reset_through_the_emailed_link(page, alice):
    page.goto("/app/login")
    page.get_by_role("link", name="Forgot your password?").click()
    page.get_by_label("E-mail").fill(alice.email)
    page.get_by_role("button", name="Send reset link").click()
    page.wait_for_url("**/app/login")
    assert page.get_by_text("If an account exists").is_visible()
    page.goto(last_link("reset_password", alice.email))
    page.get_by_label("New password", exact=True).fill(NEW_PASSWORD)
    page.get_by_label("Repeat the new password").fill(NEW_PASSWORD)
    page.get_by_role("button", name="Set new password").click()
    page.wait_for_url("**/app/login")
    page.get_by_label("E-mail").fill(alice.email)
    page.get_by_label("Password").fill(NEW_PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url("**/app/")

