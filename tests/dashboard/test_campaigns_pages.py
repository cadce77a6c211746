"""Dashboard campaign pages: list (status badges, link counts, filters), create, edit and
delete with CAMPAIGN_IN_USE and the force option, for each role, plus a browser test."""

from __future__ import annotations

import pytest

from linkhub.models import Campaign, Link
from linkhub.services import campaigns
from tests.conftest import db_snapshot
from tests.dashboard.test_links_pages import (  # noqa: F401 (viewer is a fixture)
    Signed,
    browser_login,
    make_link,
    nav,
    text,
    viewer,
)

FORM = {"name": "Summer push", "description": "Ads", "type": "link", "status": "active",
        "conversion_tracking": "y", "cost_model": "cpc", "cost_override": "0.25",
        "cost_currency": "EUR", "daily_budget": "50", "total_budget": "1000.5",
        "goal_type": "lead", "goal_value": "12"}


def test_list_shows_status_and_link_counts(app, ctx, alice):
    ws = alice.workspace
    spring = campaigns.create_campaign(ws, None, {"name": "Spring", "status": "paused"})
    campaigns.create_campaign(ws, None, {"name": "Autumn"})
    make_link(ws, campaignId=spring.public_id)
    me = Signed(app, alice.email)
    page = text(me.get("/app/campaigns"))
    assert "Spring" in page and "Autumn" in page and "paused" in page
    assert f'href="/app/links?campaignId={spring.public_id}">1</a>' in page
    paused = text(me.get("/app/campaigns?status=paused"))
    assert "Spring" in paused and "Autumn" not in paused
    assert "Autumn" not in text(me.get("/app/campaigns?search=spr"))
    assert me.get("/app/campaigns?status=bogus").status_code == 400
    assert "No campaigns yet" in text(Signed(app, "charlie@example.com").get("/app/campaigns"))


def test_create_and_edit_a_campaign(app, alice):
    me = Signed(app, alice.email)
    assert ">Cost model</label>" in text(me.get("/app/campaigns/new"))
    assert me.post("/app/campaigns/new", FORM).status_code == 302
    camp = Campaign.get(Campaign.name == "Summer push")
    assert (camp.cost_model, camp.cost_currency, camp.goal_type) == ("cpc", "EUR", "lead")
    assert (camp.cost_override_micros, camp.total_budget_micros) == (250_000, 1_000_500_000)
    page = text(me.get(f"/app/campaigns/{camp.public_id}/edit"))
    assert 'value="0.25"' in page and camp.pixel_code in page
    response = me.post(f"/app/campaigns/{camp.public_id}/edit",
                       {**FORM, "status": "paused", "daily_budget": ""})
    assert response.status_code == 302
    camp = Campaign.get_by_id(camp.id)
    assert camp.status == "paused" and camp.daily_budget_micros is None


def test_campaign_errors_sit_beside_the_fields(app, alice):
    me = Signed(app, alice.email)
    before = db_snapshot(app)
    response = me.post("/app/campaigns/new", {**FORM, "name": " ", "cost_currency": "EURO",
                                              "daily_budget": "-1"})
    assert response.status_code == 400
    page = text(response)
    for name in ("name", "cost_currency", "daily_budget"):
        assert f'id="{name}-error"' in page, name
    assert db_snapshot(app) == before


def test_delete_in_use_then_force(app, ctx, alice):
    camp = campaigns.create_campaign(alice.workspace, None, {"name": "Busy"})
    link = make_link(alice.workspace, campaignId=camp.public_id)
    me = Signed(app, alice.email)
    assert "Delete this campaign?" in text(me.get(f"/app/campaigns/{camp.public_id}/delete"))
    response = me.post(f"/app/campaigns/{camp.public_id}/delete")
    assert response.status_code == 409
    page = text(response)
    assert "still has 1 link(s)" in page and "Delete anyway (links keep working)" in page
    assert Campaign.get_or_none(Campaign.id == camp.id) is not None
    response = me.post(f"/app/campaigns/{camp.public_id}/delete", force="true")
    assert response.status_code == 302
    assert Campaign.get_or_none(Campaign.id == camp.id) is None
    assert Link.get_by_id(link.id).campaign_id is None


@pytest.mark.usefixtures("viewer")
def test_viewer_reads_campaigns_only(app, ctx, alice):
    camp = campaigns.create_campaign(alice.workspace, None, {"name": "Look"})
    vic = Signed(app, "vic@example.com")
    page = text(vic.get("/app/campaigns"))
    assert "Look" in page and "New campaign" not in page
    detail = text(vic.get(f"/app/campaigns/{camp.public_id}/edit"))
    assert "Viewers can look" in detail and 'name="cost_model"' not in detail
    before = db_snapshot(app)
    for path in ("/app/campaigns/new", f"/app/campaigns/{camp.public_id}/edit",
                 f"/app/campaigns/{camp.public_id}/delete"):
        assert vic.post(path, FORM).status_code == 403, path
    assert db_snapshot(app) == before


def test_csrf_and_other_workspaces(app, ctx, alice, charlie):
    theirs = campaigns.create_campaign(charlie.workspace, None, {"name": "Theirs"})
    me = Signed(app, alice.email)
    before = db_snapshot(app)
    assert me.client.post("/app/campaigns/new", data=FORM).status_code == 400
    assert me.get(f"/app/campaigns/{theirs.public_id}/edit").status_code == 404
    assert me.post(f"/app/campaigns/{theirs.public_id}/delete").status_code == 404
    assert db_snapshot(app) == before


@pytest.mark.browser
def test_browser_create_and_force_delete(page, ctx, alice):
    browser_login(page, alice.email)
    nav(page, "Campaigns")
    page.get_by_role("link", name="Create a campaign").click()
    page.get_by_label("Name", exact=True).fill("Launch week")
    page.get_by_label("Cost model").select_option("cpc")
    page.get_by_label("Cost", exact=True).fill("0.40")
    page.get_by_label("Daily budget").fill("25")
    page.get_by_role("button", name="Create campaign").click()
    page.wait_for_url("**/app/campaigns")
    row = page.locator("tr", has_text="Launch week")
    assert row.get_by_text("active").is_visible()
    camp = Campaign.get(Campaign.name == "Launch week")
    make_link(alice.workspace, shortCode="launch", campaignId=camp.public_id)
    page.reload()
    page.screenshot(path="/tmp/shots/campaigns.png", full_page=True)
    page.locator("tr", has_text="Launch week").get_by_role("link", name="Delete").click()
    page.get_by_role("button", name="Delete campaign").click()
    page.get_by_role("alert").filter(has_text="still has 1 link(s)").wait_for()  # re-rendered
    page.get_by_role("button", name="Delete anyway (links keep working)").click()
    page.wait_for_url("**/app/campaigns")
    assert page.get_by_text("1 link(s) now have no campaign.").is_visible()
    assert Campaign.get_or_none(Campaign.name == "Launch week") is None
    assert Link.get(Link.short_code == "launch").campaign_id is None
