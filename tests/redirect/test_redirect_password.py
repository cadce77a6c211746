"""Step 3 of the redirect: password-protected links. The form never shows the destination, a
wrong password answers 401, the right one a redirect plus a signed per-link cookie (never the
password) good for 24 hours of linkhub's clock, `X-Link-Password` for API clients, 10 tries a
minute per IP and link, and a new password voids old cookies."""

from __future__ import annotations

from datetime import timedelta

import pytest

from linkhub import clock
from tests.redirect.redirect_support import (
    clicks,
    flush,
    make_link,
    patch_link,
    visit,
)

SECRET = "open-sesame"
DEST = "https://secret.example.com/the-plan"


@pytest.fixture
def link(client, alice):
    return make_link(client, alice, shortCode="locked", destinationUrl=DEST, password=SECRET)


def _cookie(response) -> str:
    [header] = [h for h in response.headers.getlist("Set-Cookie") if h.startswith("lh_pw_")]
    return header


def test_get_answers_the_form_without_the_destination(client, app, link):
    response = visit(client, "/locked?utm_source=x")
    assert response.status_code == 200
    assert response.headers["Content-Type"] == "text/html; charset=utf-8"
    assert response.headers["Cache-Control"] == "private, no-store"
    body = response.data.decode()
    assert '<form method="post" action="/locked">' in body and 'name="password"' in body
    assert "secret.example.com" not in body and "the-plan" not in body
    assert "Location" not in response.headers
    head = visit(client, "/locked", method="HEAD")
    assert head.status_code == 200 and head.data == b""
    flush(app)
    assert clicks() == []  # seeing the form is no click


def test_wrong_password_answers_401_with_the_form(client, app, link):
    response = visit(client, "/locked", method="POST", data={"password": "nope"})
    assert response.status_code == 401
    body = response.data.decode()
    assert "That password is not right." in body and "secret.example.com" not in body
    assert not response.headers.getlist("Set-Cookie")
    flush(app)
    assert clicks() == []


def test_right_password_redirects_and_sets_a_signed_cookie(client, app, link):
    response = visit(client, "/locked", method="POST", data={"password": SECRET})
    assert response.status_code == 302
    assert response.headers["Location"] == DEST
    cookie = _cookie(response)
    assert cookie.startswith(f"lh_pw_{link['id']}=")
    assert SECRET not in cookie
    assert "Max-Age=86400" in cookie and "HttpOnly" in cookie and "Path=/locked" in cookie
    flush(app)
    [click] = clicks(link["id"])
    assert click.method == "POST" and click.destination_url == DEST


def test_cookie_lets_get_through_for_24_hours_only(client, link):
    clock.freeze(clock.parse_iso("2030-01-01T00:00:00Z"))
    visit(client, "/locked", method="POST", data={"password": SECRET})  # the client keeps it
    assert visit(client, "/locked").headers["Location"] == DEST
    clock.advance(timedelta(hours=23, minutes=59))
    assert visit(client, "/locked").status_code == 302
    clock.advance(timedelta(minutes=2))
    response = visit(client, "/locked")
    assert response.status_code == 200 and b"Password required" in response.data


def test_forged_or_foreign_cookies_do_not_open_the_link(client, alice, link):
    client.set_cookie(f"lh_pw_{link['id']}", "forged.value.here", path="/locked")
    assert visit(client, "/locked").status_code == 200
    other = make_link(client, alice, shortCode="other", password="another-one")
    response = visit(client, "/other", method="POST", data={"password": "another-one"})
    value = _cookie(response).split(";")[0].split("=", 1)[1]
    client.set_cookie(f"lh_pw_{link['id']}", value, path="/locked")  # other link's cookie
    assert visit(client, "/locked").status_code == 200
    assert other["id"] != link["id"]


def test_x_link_password_header(client, link):
    wrong = visit(client, "/locked", headers={"X-Link-Password": "nope"})
    assert wrong.status_code == 401 and b"secret.example.com" not in wrong.data
    response = visit(client, "/locked", headers={"X-Link-Password": SECRET})
    assert response.status_code == 302 and response.headers["Location"] == DEST


def test_eleventh_try_in_a_minute_is_refused(client, link, alice):
    for _ in range(10):
        assert visit(client, "/locked", method="POST",
                     data={"password": "wrong"}).status_code == 401
    response = visit(client, "/locked", method="POST", data={"password": SECRET})
    assert response.status_code == 429
    assert int(response.headers["Retry-After"]) >= 1
    assert b"Too many attempts" in response.data and b"secret.example.com" not in response.data
    # Another IP, and another link from the same IP, have their own budgets.
    other_ip = visit(client, "/locked", method="POST", data={"password": SECRET},
                     environ_base={"REMOTE_ADDR": "198.51.100.9"})
    assert other_ip.status_code == 302
    make_link(client, alice, shortCode="locked2", password=SECRET)
    assert visit(client, "/locked2", method="POST",
                 data={"password": SECRET}).status_code == 302


def test_changing_the_password_voids_old_cookies(client, alice, link):
    visit(client, "/locked", method="POST", data={"password": SECRET})
    assert visit(client, "/locked").status_code == 302
    patch_link(client, alice, link["id"], password="brand-new-secret")
    response = visit(client, "/locked")
    assert response.status_code == 200 and b"Password required" in response.data
    assert visit(client, "/locked", headers={"X-Link-Password": SECRET}).status_code == 401


def test_removing_the_password_opens_the_link(client, alice, link):
    patch_link(client, alice, link["id"], password=None)
    assert visit(client, "/locked").headers["Location"] == DEST


def test_a_307_link_never_reposts_the_password(client, alice):
    make_link(client, alice, shortCode="keep", destinationUrl=DEST, password=SECRET,
              redirectType=307)
    response = visit(client, "/keep", method="POST", data={"password": SECRET})
    assert response.status_code == 303 and response.headers["Location"] == DEST
    assert visit(client, "/keep").status_code == 307  # the cookie now lets GET through


def test_expiry_comes_before_the_password(client, alice):
    make_link(client, alice, shortCode="gone", password=SECRET, clicksLimit=1,
              expiredUrl="https://example.com/late")
    visit(client, "/gone", headers={"X-Link-Password": SECRET})
    response = visit(client, "/gone")
    assert response.status_code == 302 and response.headers["Location"] == \
        "https://example.com/late"
