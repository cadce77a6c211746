"""Dashboard conversions page: the list with its filters, values in their currency and USD,
the per-row status change (editors only, errors shown, nothing written on a refusal), and a
browser test that changes a status and filters by it. Conversions come from real clicks."""

from __future__ import annotations

import pytest

from linkhub.models import AuditLog, Conversion
from tests.api.test_conversions import new_click
from tests.conftest import db_snapshot
from tests.dashboard.test_links_pages import (  # noqa: F401 (viewer is a fixture)
    Signed,
    browser_login,
    nav,
    text,
    viewer,
)
from tests.redirect.redirect_support import make_campaign, make_link


def convert(app, persona, link: dict | None = None, **body) -> dict:
    """Click a conversion-tracking link like a browser, then track a conversion for it."""
    api = app.test_client()
    link = link or make_link(api, persona, conversionTracking=True)
    cid = new_click(api, persona, link)
    response = api.post("/api/conversions/track", json={"clickId": cid, **body},
                        headers=persona.headers)
    assert response.status_code == 201, response.get_json()
    return response.get_json()["data"]


@pytest.fixture
def two(app, alice):
    api = app.test_client()
    camp = make_campaign(api, alice, name="Winter")
    shop = make_link(api, alice, conversionTracking=True, campaignId=camp["id"],
                     title="Shop page")
    sale = convert(app, alice, shop, event="purchase", value=100, currency="EUR",
                   orderId="W-1")
    lead = convert(app, alice, event="signup", status="pending")
    return {"campaign": camp, "shop": shop, "sale": sale, "lead": lead}


def test_the_page_needs_a_session(client):
    response = client.get("/app/conversions")
    assert response.status_code == 302 and "/app/login" in response.headers["Location"]


def test_list_and_filters(app, alice, charlie, two):
    me = Signed(app, alice.email)
    page = text(me.get("/app/conversions"))
    assert 'href="/app/conversions"' in page  # the sidebar entry
    sale, lead = two["sale"]["conversionId"], two["lead"]["conversionId"]
    assert sale in page and lead in page
    assert "100 EUR" in page and "116.11 USD" in page and "Shop page" in page
    assert "Winter" in page and "W-1" in page
    pending = text(me.get("/app/conversions?status=pending"))
    assert lead in pending and sale not in pending
    sales = text(me.get("/app/conversions?kind=sale"))
    assert sale in sales and lead not in sales
    by_campaign = text(me.get(f"/app/conversions?campaignId={two['campaign']['id']}"))
    assert sale in by_campaign and lead not in by_campaign
    by_link = text(me.get(f"/app/conversions?linkId={two['shop']['id']}"))
    assert sale in by_link and lead not in by_link
    assert "No conversions match." in text(me.get("/app/conversions?start=2000-01-01&"
                                                   "end=2000-01-02"))
    assert "No conversions match." in text(me.get("/app/conversions?event=refund"))
    bad = me.get("/app/conversions?status=bogus")
    assert bad.status_code == 400 and "status: must be one of" in text(bad)
    assert "No conversions yet" in text(Signed(app, charlie.email).get("/app/conversions"))


def test_status_change(app, alice, two):
    me = Signed(app, alice.email)
    sale = two["sale"]["conversionId"]
    response = me.post(f"/app/conversions/{sale}/status?kind=sale", status="refunded")
    assert response.status_code == 302
    assert response.headers["Location"].endswith("/app/conversions?kind=sale")
    assert Conversion.get(Conversion.public_id == sale).status == "refunded"
    assert AuditLog.select().where(AuditLog.action == "conversion.update_status",
                                   AuditLog.resource_id == sale).count() == 1
    assert "is now refunded" in text(me.get("/app/conversions"))
    before = db_snapshot(app)
    refused = me.post(f"/app/conversions/{sale}/status", status="lost")
    assert refused.status_code == 400 and "Status: must be one of" in text(refused)
    assert me.client.post(f"/app/conversions/{sale}/status",
                          data={"status": "fraud"}).status_code == 400  # no CSRF token
    assert me.post("/app/conversions/conv_0000000000000000/status",
                   status="fraud").status_code == 404
    assert db_snapshot(app) == before


@pytest.mark.usefixtures("viewer")
def test_viewers_see_but_cannot_change(app, ctx, alice, charlie, two):
    vic = Signed(app, "vic@example.com")
    page = text(vic.get("/app/conversions"))
    assert two["sale"]["conversionId"] in page and "Save</button>" not in page
    outsider = Signed(app, charlie.email)
    before = db_snapshot(app)
    sale = two["sale"]["conversionId"]
    assert vic.post(f"/app/conversions/{sale}/status", status="fraud").status_code == 403
    assert outsider.post(f"/app/conversions/{sale}/status", status="fraud").status_code == 404
    assert db_snapshot(app) == before


@pytest.mark.browser
def test_browser_change_a_status_and_filter(page, alice, two):
    browser_login(page, alice.email)
    nav(page, "Conversions")
    page.wait_for_url("**/app/conversions")
    lead = two["lead"]["conversionId"]
    row = page.locator(f"tr[data-conversion='{lead}']")
    assert row.get_by_text("signup").is_visible()
    row.get_by_label(f"Status of {lead}").select_option("approved")
    row.get_by_role("button", name="Save").click()
    page.get_by_text(f"Conversion {lead} is now approved.").wait_for()
    assert Conversion.get(Conversion.public_id == lead).status == "approved"
    page.get_by_label("Kind").select_option("lead")
    page.get_by_role("button", name="Apply").click()
    page.wait_for_url("**/app/conversions?*kind=lead*")
    assert page.locator("tr[data-conversion]").count() == 1
    assert page.locator(f"tr[data-conversion='{lead}']").is_visible()
