"""Dashboard customer pages: the list (search, pages, deleted ones left out), the profile with
its journey and attribution over the known story, edit with errors beside the fields, LTV
recalculation and delete for editors only, isolation, plus a browser test."""

from __future__ import annotations

import pytest

from linkhub import clock
from linkhub.models import Customer
from tests.api.customers_support import tell, upsert
from tests.api.links_support import in_app, workspace_of
from tests.conftest import PASSWORD, db_snapshot
from tests.dashboard.test_links_pages import Signed, browser_login, nav, text


def make_viewer(app, persona) -> None:
    """vic, a viewer in `persona`'s workspace."""
    from linkhub.services.accounts import create_user
    from linkhub.services.workspaces import add_member

    with in_app(app):
        add_member(workspace_of(persona), create_user("vic@example.com", PASSWORD, "Vic"),
                   "viewer")


def test_pages_need_a_session(client):
    for path in ("/app/customers", "/app/customers/cus_0000000000000000"):
        response = client.get(path)
        assert response.status_code == 302 and "/app/login" in response.headers["Location"]


def test_list_search_and_pages(app, client, alice):
    for i in range(27):
        upsert(client, alice, externalId=f"member-{i:02d}", email=f"m{i:02d}@example.com",
               name=f"Member {i:02d}")
    gone = upsert(client, alice, externalId="gone", name="Gone Person")
    client.delete(f"/api/customers/{gone['id']}", headers=alice.headers)
    me = Signed(app, alice.email)
    first = text(me.get("/app/customers"))
    assert "27 customers" in first and "Page 1 of 2" in first
    assert "Member 26" in first and "Member 00" not in first and "Gone Person" not in first
    assert 'href="/app/customers"' in first  # the sidebar entry
    assert "Member 00" in text(me.get("/app/customers?page=2"))
    found = text(me.get("/app/customers?search=m07@"))
    assert "Member 07" in found and "Member 08" not in found
    assert "No customers match." in text(me.get("/app/customers?search=zzz"))
    assert me.get("/app/customers?page=0").status_code == 400
    assert "No customers yet" in text(Signed(app, "charlie@example.com").get("/app/customers"))


def test_profile_shows_journey_and_attribution(app, client, alice):
    story = tell(app, client, alice)
    me = Signed(app, alice.email)
    page = text(me.get(f"/app/customers/{story.customers['u1']}"))
    assert 'data-stat="ltv">$125.00<' in page
    assert page.count('data-step="click"') == 2 and page.count('data-step="conversion"') == 3
    assert "first touch" in page and "pending" in page and "newsletter" in page
    assert "<code>S-1</code>" in page and "/shopa" in page and "/shopb" in page
    for model in ("firstClick", "lastClick", "linear"):
        assert f'data-model="{model}"' in page
    assert "90.0%" in page and "112.50" in page  # linear credit of link A
    assert "Recalculate LTV" in page and "Delete customer" in page
    u4 = text(me.get(f"/app/customers/{story.customers['u4']}"))
    assert "refunded" in u4
    assert Signed(app, "charlie@example.com").get(
        f"/app/customers/{story.customers['u1']}").status_code == 404
    assert me.get("/app/customers/ext_u1").status_code == 200


def test_edit_errors_sit_beside_the_fields(app, client, alice):
    made = upsert(client, alice, externalId="ed-1", name="Ed", email="ed@example.com")
    upsert(client, alice, externalId="taken")
    me = Signed(app, alice.email)
    url = f"/app/customers/{made['id']}/edit"
    assert 'value="ed@example.com"' in text(me.get(url))
    before = db_snapshot(app)
    response = me.post(url, {"external_id": "", "name": "Ed", "email": "nope",
                             "avatar_url": "ftp://x.example/a.png"})
    assert response.status_code == 400
    page = text(response)
    for name in ("external_id", "email", "avatar_url"):
        assert f'id="{name}-error"' in page, name
    assert db_snapshot(app) == before
    clash = me.post(url, {"external_id": "taken", "name": "Ed", "email": "ed@example.com",
                          "avatar_url": ""})
    assert clash.status_code == 409 and "already has that externalId" in text(clash)
    saved = me.post(url, {"external_id": "ed-2", "name": "Edward", "email": "",
                          "avatar_url": ""})
    assert saved.status_code == 302
    row = Customer.get(Customer.public_id == made["id"])
    assert (row.external_id, row.name, row.email) == ("ed-2", "Edward", None)


def test_recalculate_and_delete(app, client, alice):
    story = tell(app, client, alice)
    make_viewer(app, alice)
    u1 = story.customers["u1"]
    Customer.update(ltv_micros=1, sale_count=0).where(Customer.public_id == u1).execute()
    vic = Signed(app, "vic@example.com")
    assert "Recalculate LTV" not in text(vic.get(f"/app/customers/{u1}"))
    for path in (f"/app/customers/{u1}/recalculate", f"/app/customers/{u1}/delete"):
        assert vic.post(path).status_code == 403
    assert vic.get(f"/app/customers/{u1}/edit").status_code == 403
    me = Signed(app, alice.email)
    assert me.post(f"/app/customers/{u1}/recalculate").status_code == 302
    fixed = Customer.get(Customer.public_id == u1)
    assert (fixed.ltv_micros, fixed.sale_count) == (125_000_000, 2)
    assert "Delete this customer?" in text(me.get(f"/app/customers/{u1}/delete"))
    response = me.post(f"/app/customers/{u1}/delete")
    assert response.status_code == 302
    row = Customer.get(Customer.public_id == u1)
    assert row.deleted_at is not None and row.external_id is None
    assert me.get(f"/app/customers/{u1}").status_code == 404


@pytest.mark.browser
def test_browser_find_a_customer_and_read_the_journey(page, app, client, alice):
    story = tell(app, client, alice)
    clock.reset()  # the browser's cookies live on the real clock
    browser_login(page, alice.email)
    nav(page, "Customers")
    page.get_by_role("searchbox", name="Search customers").fill("u3@")
    page.get_by_role("button", name="Search").click()
    page.wait_for_url("**/app/customers?*u3*")
    page.get_by_role("link", name="User Three").wait_for()
    page.get_by_role("searchbox", name="Search customers").fill("")
    page.get_by_role("button", name="Search").click()
    page.locator(f'tr[data-customer="{story.customers["u1"]}"]').get_by_role("link").click()
    page.wait_for_url(f"**/app/customers/{story.customers['u1']}")
    journey = page.get_by_role("region", name="Journey")
    assert journey.locator('tr[data-step="click"]').count() == 2
    assert journey.locator('tr[data-step="conversion"]').count() == 3
    assert journey.get_by_text("first touch").is_visible()
    attribution = page.get_by_role("region", name="Attribution")
    linear = attribution.locator('table[data-model="linear"]')
    assert linear.locator("tr", has_text="/shopa").get_by_text("112.50").is_visible()
    page.get_by_role("link", name="Delete customer").click()
    page.get_by_role("button", name="Delete customer").click()
    page.wait_for_url("**/app/customers")
    assert page.get_by_text("personal data is erased").is_visible()
    assert page.locator(f'tr[data-customer="{story.customers["u1"]}"]').count() == 0
