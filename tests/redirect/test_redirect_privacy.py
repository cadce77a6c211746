"""Step 12 of the redirect: privacy switches. X-Forwarded-For believed only through a trusted
proxy, IPs stored truncated with a keyed hash (never raw), the workspace toggles for IP, user
agent and referrer, and the `lh_vid` cookie for people only."""

from __future__ import annotations

import pytest

from linkhub.models import Click, Workspace
from tests.redirect.redirect_support import (
    CHROME,
    GOOGLEBOT,
    clicks,
    flush,
    make_link,
    visit,
)

REAL_IP = "81.2.69.142"  # GB


@pytest.fixture
def settings_overrides():
    return {"TRUSTED_PROXIES": ["10.0.0.0/8"]}


@pytest.fixture
def link(client, alice):
    return make_link(client, alice, shortCode="priv")


def _only_click(app, link) -> Click:
    flush(app)
    [row] = clicks(link["id"])
    return row


def test_spoofed_forwarded_for_from_an_untrusted_peer_is_ignored(client, app, link):
    visit(client, "/priv", environ_base={"REMOTE_ADDR": "8.8.8.8"},
          headers={"X-Forwarded-For": REAL_IP})
    row = _only_click(app, link)
    assert row.ip_truncated == "8.8.8.0" and row.country == "US"


def test_forwarded_for_through_a_trusted_proxy_is_used(client, app, link):
    visit(client, "/priv", environ_base={"REMOTE_ADDR": "10.1.2.3"},
          headers={"X-Forwarded-For": f"198.51.100.1, {REAL_IP}, 10.9.9.9"})
    row = _only_click(app, link)
    # The right-most hop the proxies did not add is the client; the spoofable left part is not.
    assert row.ip_truncated == "81.2.69.0" and row.country == "GB"


def test_ips_are_stored_truncated_and_hashed_never_raw(client, app, link):
    visit(client, "/priv", environ_base={"REMOTE_ADDR": REAL_IP})
    visit(client, "/priv", environ_base={"REMOTE_ADDR": "2001:db8:85a3:1234:5678::7"})
    flush(app)
    first, second = clicks(link["id"])
    assert first.ip_truncated == "81.2.69.0"
    assert second.ip_truncated == "2001:db8:85a3::"
    for row in (first, second):
        assert len(row.ip_hash) == 32 and row.ip_hash not in (REAL_IP, row.ip_truncated)
    database = app.extensions["linkhub.db"]
    dump = "\n".join(database.connection().iterdump())
    assert REAL_IP not in dump and "5678::7" not in dump


def test_same_ip_gives_the_same_hash(client, app, link):
    for _ in range(2):
        visit(client, "/priv", environ_base={"REMOTE_ADDR": REAL_IP})
    flush(app)
    first, second = clicks(link["id"])
    assert first.ip_hash == second.ip_hash


@pytest.mark.parametrize("toggle, columns", [
    ("store_ip", ("ip_truncated", "ip_hash")),
    ("store_user_agent", ("user_agent",)),
    ("store_referrer", ("referrer",)),
])
def test_workspace_toggles_empty_their_columns(client, app, alice, link, toggle, columns):
    visit(client, "/priv", headers={"Referer": "https://news.example/story"},
          environ_base={"REMOTE_ADDR": REAL_IP})  # the link is cached from here on
    flush(app)
    # The switch applies from the next flush on (buffered clicks included), cache or not.
    Workspace.update({toggle: False}).where(Workspace.id == alice.workspace.id).execute()
    visit(client, "/priv", headers={"Referer": "https://news.example/story"},
          environ_base={"REMOTE_ADDR": REAL_IP})
    flush(app)
    before, after = clicks(link["id"])
    for column in columns:
        assert getattr(before, column) is not None, column
        assert getattr(after, column) is None, column
    # What is derived stays: country, device, the referrer's domain.
    assert after.country == "GB" and after.device_type == "desktop"
    assert after.referrer_domain == "news.example"


def test_visitor_cookie_for_people_not_bots(client, app, link):
    human = visit(client, "/priv", ua=CHROME)
    cookie = [h for h in human.headers.getlist("Set-Cookie") if h.startswith("lh_vid=")]
    assert cookie and "HttpOnly" in cookie[0] and "SameSite=Lax" in cookie[0]
    assert "Max-Age=31536000" in cookie[0]
    again = visit(client, "/priv", ua=CHROME)  # the client sends it back: no new cookie
    assert not [h for h in again.headers.getlist("Set-Cookie") if h.startswith("lh_vid=")]
    client.delete_cookie("lh_vid")
    bot = visit(client, "/priv", ua=GOOGLEBOT)
    assert not bot.headers.getlist("Set-Cookie")
    flush(app)
    first, second, third = clicks(link["id"])
    assert first.visitor_id == second.visitor_id and first.is_unique and not second.is_unique


def test_tampered_visitor_cookie_is_replaced(client, link):
    client.set_cookie("lh_vid", "0" * 32 + "." + "f" * 16)
    response = visit(client, "/priv")
    assert [h for h in response.headers.getlist("Set-Cookie") if h.startswith("lh_vid=")]


def test_cookie_is_secure_over_https(client, link):
    response = visit(client, "/priv", base_url="https://lnk.example.org")
    [cookie] = response.headers.getlist("Set-Cookie")
    assert cookie.endswith("; Secure")
